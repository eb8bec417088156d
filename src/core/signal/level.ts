/**
 * Input level tracking: the network's thresholds (λ, λ*) are in units of a signal at unit RMS, so
 * magnitudes are divided by a running estimate of the input's RMS. It is causal (the real-time path
 * cannot see the whole song) and the same code normalises training frames, the CLI and the page, so
 * the network always sees what it was trained on.
 *
 * The estimate is the mean power of the frames so far, exponentially forgetting with time constant
 * τ and bias-corrected (so the first frames are not scaled up by a cold start), over frames louder
 * than a silence gate (so pauses neither drag it down nor make it blow up noise).
 */

/** Frames quieter than this mean power (−70 dBFS) leave the estimate alone. */
export const SILENCE_GATE = 1e-7;

export class LevelTracker {
  private readonly beta: number;
  private sum = 0;
  private weight = 0;

  /** @param tau time constant in seconds; @param frameRate frames per second (sampleRate / hop). */
  constructor(tau: number, frameRate: number) {
    this.beta = LevelTracker.beta(tau, frameRate);
  }

  /**
   * The forgetting factor per frame for time constant `tau` (s) at `frameRate` frames per second
   * (0: no memory); the wasm frame kernel (src/core/signal/stft-wasm.ts) runs with the same β.
   */
  static beta(tau: number, frameRate: number): number {
    return tau > 0 ? Math.exp(-1 / (tau * frameRate)) : 0;
  }

  /** Feeds one frame's mean power; returns the gain 1/RMS to apply to this frame. */
  gain(power: number): number {
    if (power >= SILENCE_GATE) {
      this.sum = this.beta * this.sum + (1 - this.beta) * power;
      this.weight = this.beta * this.weight + (1 - this.beta);
    }
    const level = this.weight > 0 ? this.sum / this.weight : Math.max(power, SILENCE_GATE);
    return 1 / Math.sqrt(level);
  }

  reset(): void {
    this.sum = 0;
    this.weight = 0;
  }
}
