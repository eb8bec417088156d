/**
 * The Mixer card's level bars (#voice-meter, #accomp-meter), and the animation that draws them and
 * moves the transport while sound flows.
 */
import type { Engine } from '../audio/engine.ts';
import { elements } from './dom.ts';
import type { Page } from './page.ts';

export class Meters {
  private readonly bars = elements({ voice: 'div#voice-meter', accomp: 'div#accomp-meter' });
  private voiceAnalyser: AnalyserNode | null = null;
  private accompAnalyser: AnalyserNode | null = null;
  private readonly buffer = new Float32Array(2048);
  private animating = false;

  constructor(private readonly page: Page) {}

  /** Listens to the two parts as the faders leave them. */
  connect(ctx: AudioContext, engine: Engine): void {
    this.voiceAnalyser = new AnalyserNode(ctx, { fftSize: 2048, smoothingTimeConstant: 0 });
    this.accompAnalyser = new AnalyserNode(ctx, { fftSize: 2048, smoothingTimeConstant: 0 });
    engine.voiceBus.connect(this.voiceAnalyser);
    engine.accompBus.connect(this.accompAnalyser);
  }

  /**
   * Runs the animation while sound flows (a song playing, the microphone on) and stops it
   * otherwise: an idle page then draws nothing, which leaves the CPU to an export or training
   * (where the browser renders in software, a frame of this page costs milliseconds).
   */
  animate(): void {
    if (this.animating || !(this.page.player?.state === 'playing' || this.page.mic)) return;
    this.animating = true;
    requestAnimationFrame(this.tick);
  }

  private readonly tick = (): void => {
    const { player, mic } = this.page;
    const flowing = player?.state === 'playing' || mic !== null;
    if (player?.state === 'playing') this.page.updateTransport();
    this.meter(flowing ? this.voiceAnalyser : null, this.bars.voice);
    this.meter(flowing ? this.accompAnalyser : null, this.bars.accomp);
    if (flowing) requestAnimationFrame(this.tick);
    else this.animating = false;
  };

  /** Sets a level bar from its analyser (null: silence). */
  private meter(an: AnalyserNode | null, bar: HTMLElement): void {
    if (!an) {
      if (bar.style.width !== '0%') bar.style.width = '0%';
      return;
    }
    const buf = this.buffer.subarray(0, an.fftSize) as Float32Array<ArrayBuffer>;
    an.getFloatTimeDomainData(buf);
    let s = 0;
    for (let i = 0; i < buf.length; i++) s += buf[i] * buf[i];
    const db = 10 * Math.log10(s / buf.length + 1e-12);
    const pct = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
    // Only a change is written: an unchanged style costs nothing, a written one a repaint each frame.
    const width = `${pct.toFixed(1)}%`;
    if (bar.style.width !== width) bar.style.width = width;
  }
}
