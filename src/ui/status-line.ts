/** The transport card's second row: the status line (what the page is doing) and the latency line. */
import { clock, khz } from './format.ts';
import { elements } from './dom.ts';
import type { Page } from './page.ts';

export class StatusLine {
  private readonly ui = elements({ status: 'p#status', latency: 'p#latency' });

  constructor(private readonly page: Page) {}

  set(text: string): void {
    if (this.ui.status.textContent !== text) this.ui.status.textContent = text;
  }

  /** The status line, from the state of things. */
  refresh(): void {
    const { ctx, engine, player, mic, song, model, mix } = this.page;
    if (!ctx || !engine) return this.set('Audio is not available.');
    if (ctx.state === 'suspended' && !(player?.state === 'playing' || mic)) {
      return this.set(song ? 'Click Play to start audio.' : 'Open a song, then click Play to start audio.');
    }
    if (ctx.state === 'suspended') return this.set('Click Play to start audio.');
    const sep = model ? 'through the separator' : 'unseparated (no model)';
    const k = mix.karaoke ? ', karaoke' : '';
    if (mic) return this.set(`Microphone on, ${sep}${k}. Use headphones.`);
    if (player?.state === 'playing') return this.set(`Playing ${sep}${k}.`);
    if (song && (player?.position ?? 0) > 0) return this.set(`Paused at ${clock(player?.position ?? 0)}.`);
    if (song) return this.set('Ready: press Play.');
    return this.set('Open a song to start.');
  }

  /** The separator's delay and the output's, in milliseconds (the device's may change: polled). */
  updateLatency(): void {
    const { ctx, latency } = this.page, line = this.ui.latency;
    if (!ctx) return;
    const out = ((ctx.outputLatency || 0) + (ctx.baseLatency || 0)) * 1000;
    const sep = latency === null ? '–' : `${Math.round((latency / ctx.sampleRate) * 1000)} ms`;
    const text = `Separator delay ${sep} · output latency ${Math.round(out)} ms`;
    if (line.textContent !== text) line.textContent = text;
    line.title = `Separator: ${latency ?? '–'} samples at ${khz(ctx.sampleRate)}. Output: the context's base latency ${(ctx.baseLatency * 1000).toFixed(1)} ms + the device's ${((ctx.outputLatency || 0) * 1000).toFixed(1)} ms.`;
  }
}
