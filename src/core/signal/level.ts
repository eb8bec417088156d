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
  /**
   * [β, Σ, weight]: the state in a Float64Array and the frame's power in and gain out through
   * {@link io}, so that feed() passes no double across a call (V8 boxes one that crosses a call it
   * does not inline: 16 bytes per frame on the plain real-time path).
   */
  private readonly state = new Float64Array(3);
  /** feed() reads the frame's mean power from io[0] and writes the gain 1/RMS to io[1]. */
  readonly io = new Float64Array(2);

  /** @param tau time constant in seconds; @param frameRate frames per second (sampleRate / hop). */
  constructor(tau: number, frameRate: number) {
    this.state[0] = LevelTracker.beta(tau, frameRate);
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
    this.io[0] = power;
    this.feed();
    return this.io[1];
  }

  /** gain() without a number crossing the call: power from io[0], the gain into io[1]. Allocates nothing. */
  feed(): void {
    const s = this.state, io = this.io, power = io[0], beta = s[0];
    if (power >= SILENCE_GATE) {
      s[1] = beta * s[1] + (1 - beta) * power;
      s[2] = beta * s[2] + (1 - beta);
    }
    const sum = s[1], weight = s[2];
    const level = weight > 0 ? sum / weight : Math.max(power, SILENCE_GATE);
    io[1] = 1 / Math.sqrt(level);
  }

  reset(): void {
    this.state[1] = 0;
    this.state[2] = 0;
  }
}
