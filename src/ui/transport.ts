/** The transport card's first row: Play/Pause, the Position slider and the times beside it. */
import { clock } from './format.ts';
import { elements } from './dom.ts';
import type { Page } from './page.ts';

/** Seconds an arrow key seeks, on the slider and on the page (src/ui/shortcuts.ts). */
export const SEEK_STEP = 5;

export class Transport {
  private readonly ui = elements({ play: 'button#play', position: 'input#position', current: 'span#time-current', total: 'span#time-total' });
  /** The slider is being dragged: the times follow it, not the player. */
  private seeking = false;

  constructor(private readonly page: Page) {
    const ui = this.ui;
    ui.play.onclick = () => void this.togglePlay();
    ui.position.oninput = () => {
      this.seeking = true;
      this.update();
    };
    // Arrow keys on the Position slider seek by 5 s (its fine step is for the mouse), Page keys by 30 s.
    ui.position.onkeydown = (e) => {
      const step = { ArrowLeft: -SEEK_STEP, ArrowDown: -SEEK_STEP, ArrowRight: SEEK_STEP, ArrowUp: SEEK_STEP, PageDown: -30, PageUp: 30 }[e.key];
      if (step === undefined || !this.page.player) return;
      e.preventDefault();
      void this.seek(this.page.player.position + step);
    };
    ui.position.onchange = () => {
      this.seeking = false;
      void this.seek(Number(ui.position.value));
    };
  }

  /** A song is loaded: the slider spans it, and Play can start it. */
  enable(duration: number): void {
    this.ui.position.max = String(duration);
    this.ui.position.disabled = false;
    this.ui.play.disabled = false;
  }

  async togglePlay(): Promise<void> {
    const page = this.page, player = page.player;
    if (!player || !page.song) return;
    if (player.state === 'playing') {
      player.pause();
    } else {
      if (!(await page.resumeContext())) return;
      if (page.mic) page.stopMic();
      player.play();
    }
    this.update();
    page.refreshStatus();
  }

  /** Seeks; while playing, fades out, restarts the separator at the new place, fades back in. */
  async seek(seconds: number): Promise<void> {
    const { player, engine, song } = this.page;
    if (!player || !engine || !song) return;
    if (player.state === 'playing') {
      await engine.fadeOut();
      player.seek(seconds);
      engine.separator.reset();
      engine.fadeIn((this.page.latency ?? 0) / (this.page.ctx?.sampleRate ?? 48000));
    } else {
      player.seek(seconds);
    }
    this.update();
  }

  update(): void {
    const player = this.page.player, ui = this.ui;
    const playing = player?.state === 'playing';
    ui.play.classList.toggle('playing', playing);
    (ui.play.querySelector('.label') as HTMLElement).textContent = playing ? 'Pause' : 'Play';
    const pos = player?.position ?? 0, dur = player?.duration ?? 0;
    if (!this.seeking) ui.position.value = String(pos);
    ui.current.textContent = clock(this.seeking ? Number(ui.position.value) : pos);
    ui.total.textContent = clock(dur);
    ui.position.setAttribute('aria-valuetext', `${clock(this.seeking ? Number(ui.position.value) : pos)} of ${clock(dur)}`);
  }
}
