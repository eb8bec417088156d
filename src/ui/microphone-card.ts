/** The Live input card: the Microphone button, which separates the microphone instead of the song. */
import { Microphone, MicrophoneError } from '../audio/microphone.ts';
import { khz } from './format.ts';
import { elements } from './dom.ts';
import type { Page } from './page.ts';

export class MicrophoneCard {
  /** The open microphone, while it is on. */
  mic: Microphone | null = null;
  private readonly ui = elements({ button: 'button#mic', status: 'p#mic-status' });

  constructor(private readonly page: Page) {
    this.ui.button.onclick = () => void this.toggle();
  }

  async toggle(): Promise<void> {
    if (this.mic) {
      this.stop();
      return;
    }
    const page = this.page, { ctx, engine } = page;
    if (!ctx || !engine) {
      page.alert('error', 'Audio is not available in this browser, so the microphone cannot be used.');
      return;
    }
    if (!(await page.resumeContext())) return;
    const btn = this.ui.button;
    btn.disabled = true;
    page.setStatus('Asking for the microphone…');
    try {
      this.mic = await Microphone.open(ctx, engine.input);
      // The song stops only once the microphone has come: a refusal leaves it as it was.
      if (page.player?.state === 'playing') {
        page.player.pause();
        page.updateTransport();
      }
      engine.separator.reset();
      page.setSource('microphone');
      btn.setAttribute('aria-pressed', 'true');
      this.ui.status.textContent = `Listening to ${this.mic.label || 'the microphone'} at ${khz(ctx.sampleRate)}: echo cancellation, noise suppression and auto gain off.`;
    } catch (e) {
      const text = e instanceof MicrophoneError ? e.message : `The microphone could not be opened: ${(e as Error).message}`;
      page.alert('error', text);
      this.ui.status.textContent = text;
    } finally {
      btn.disabled = false;
      page.refreshStatus();
    }
  }

  stop(): void {
    if (!this.mic) return;
    this.mic.close();
    this.mic = null;
    this.page.engine?.separator.reset();
    this.page.setSource('song');
    this.ui.button.setAttribute('aria-pressed', 'false');
    this.ui.status.textContent = 'Microphone off.';
    this.page.refreshStatus();
  }
}
