/**
 * One STFT frame of the separation, from the newest samples of each channel to hop finished voice
 * samples, around the network:
 *
 *   frames ─analyze()─► mag ─(the network)─► voice, accomp ─softMask()─► mask ─synthesize()─► out
 *
 * analyze(): window, one FFT for both channels, the input level tracker, the normalised mid
 * magnitudes (what the network sees); softMask(): the mask (masks.ts) from the network's voice
 * and accompaniment estimates and the mixture's magnitudes; synthesize(): that mask on every channel's spectrum (the stereo image
 * survives), the inverse FFT and the overlap-add. Used by the streaming separator (separator.ts, one
 * frame per hop) and the batch separation (batch.ts, a block of frames at a time).
 *
 * Two implementations, chosen once by whoever builds one:
 * - WasmStft (src/core/signal/stft-wasm.ts): WebAssembly SIMD, every buffer in a wasm arena that an
 *   encoder in the same arena reads and writes in place, so a frame never leaves wasm; it also
 *   carries the sample path's kernels (sample-path.ts).
 * - PlainFramePath (below): fft.js and JS loops, the reference, and what runs where WebAssembly SIMD
 *   does not.
 * They agree to f32 rounding (tests/unit/fastpath.test.ts holds them to 1e-5). Their users check each
 * mask with {@link guardMask} before synthesize(), so no frame's output is ever NaN.
 */
import { LevelTracker } from '../signal/level.ts';
import { softMask } from '../signal/masks.ts';
import { OverlapAdd, windowPower, type StftKernel } from '../signal/stft.ts';
import type { StftSettings } from '../signal/stft-wasm.ts';

export interface FramePath {
  /** True for the WebAssembly implementation. */
  readonly fast: boolean;
  /** The newest N samples of each channel: the caller writes them (a FrameBuffer's storage). */
  readonly frames: readonly Float32Array[];
  /** The normalised mid magnitudes (m), after analyze(): the network's input. */
  readonly mag: Float32Array;
  /** The network's voice and accompaniment magnitudes (m each): the caller writes them before softMask(). */
  readonly voice: Float32Array;
  readonly accomp: Float32Array;
  /** The voice mask (m), after softMask(): what synthesize() applies. */
  readonly mask: Float32Array;
  /** The hop finished voice samples of each channel, after synthesize(). */
  readonly out: readonly Float32Array[];
  analyze(): void;
  softMask(): void;
  /** Sets the mask's residual weight β (model header `residualWeight`; masks.ts) from the next frame on. */
  setResidualWeight(weight: number): void;
  synthesize(): void;
  /** Back to silence: frames, level tracker, overlap-add. */
  reset(): void;
}

/**
 * The output guard of every frame, on either frame path: a mask is a number in [0, 1] per bin, and
 * then the frame's voice is finite (the input is bounded: sample-path.ts INPUT_LIMIT). A mask that
 * is not (NaN or out of range: a broken network or model, e.g. weights that overflow f32) is
 * replaced by 0: that frame's voice is silent and the accompaniment is the mixture, passed through.
 * Returns 1 if it replaced the mask, else 0. No allocation; m comparisons per frame.
 */
export function guardMask(mask: Float32Array): number {
  const m = mask.length;
  for (let i = 0; i < m; i++) {
    const v = mask[i];
    if (!(v >= 0 && v <= 1)) {
      mask.fill(0);
      return 1;
    }
  }
  return 0;
}

/** The frame path in fft.js and JS loops (FFT in f64, spectra in f32). */
export class PlainFramePath implements FramePath {
  readonly fast = false;
  readonly frames: Float32Array[];
  readonly mag: Float32Array;
  readonly voice: Float32Array;
  readonly accomp: Float32Array;
  readonly mask: Float32Array;
  readonly out: Float32Array[];
  private readonly kernel: StftKernel;
  private readonly level: LevelTracker;
  private readonly spectrumScale: number;
  private readonly maskPower: number;
  private residualWeight: number;
  private readonly windowed: Float64Array[];
  private readonly re: Float32Array[];
  private readonly im: Float32Array[];
  private readonly timeFrame: Float64Array[];
  private readonly ola: OverlapAdd[];

  constructor(kernel: StftKernel, channels: number, settings: StftSettings) {
    const N = kernel.fftSize, m = kernel.bins;
    const per = <T>(make: () => T) => Array.from({ length: channels }, make);
    this.kernel = kernel;
    this.level = new LevelTracker(settings.levelTau, settings.sampleRate / kernel.hop);
    this.spectrumScale = 1 / Math.sqrt(windowPower(kernel.analysis));
    this.maskPower = settings.maskPower;
    this.residualWeight = settings.residualWeight;
    this.frames = per(() => new Float32Array(N));
    this.mag = new Float32Array(m);
    this.voice = new Float32Array(m);
    this.accomp = new Float32Array(m);
    this.mask = new Float32Array(m);
    this.out = per(() => new Float32Array(kernel.hop));
    this.windowed = per(() => new Float64Array(N));
    this.re = per(() => new Float32Array(m));
    this.im = per(() => new Float32Array(m));
    this.timeFrame = per(() => new Float64Array(N));
    this.ola = per(() => new OverlapAdd(kernel));
  }

  analyze(): void {
    const C = this.frames.length, k = this.kernel, N = k.fftSize, m = k.bins;
    const w = k.analysis;
    for (let c = 0; c < C; c++) {
      const src = this.frames[c], dst = this.windowed[c];
      for (let i = 0; i < N; i++) dst[i] = src[i] * w[i];
    }
    // Level of the mid signal, from the windowed frames: Σ(w·mid)² / Σw².
    const mid0 = this.windowed[0], mid1 = this.windowed[C - 1];
    let power = 0;
    for (let i = 0; i < N; i++) {
      const x = 0.5 * (mid0[i] + mid1[i]);
      power += x * x;
    }
    power *= this.spectrumScale * this.spectrumScale;
    if (C === 2) k.fft.forwardPair(this.windowed[0], this.windowed[1], this.re[0], this.im[0], this.re[1], this.im[1]);
    else k.fft.forward(this.windowed[0], this.re[0], this.im[0]);

    // Through the tracker's Float64Array: a double passed to or returned from a call V8 does not
    // inline is boxed (an allocation per frame).
    const level = this.level;
    level.io[0] = power;
    level.feed();
    const g = level.io[1] * this.spectrumScale;
    const re0 = this.re[0], im0 = this.im[0], re1 = this.re[C - 1], im1 = this.im[C - 1], mag = this.mag;
    for (let i = 0; i < m; i++) {
      const r = 0.5 * (re0[i] + re1[i]), im = 0.5 * (im0[i] + im1[i]);
      mag[i] = Math.sqrt(r * r + im * im) * g;
    }
  }

  softMask(): void {
    softMask(this.voice, this.accomp, this.maskPower, this.mask, this.mask.length, this.mag, this.residualWeight);
  }

  setResidualWeight(weight: number): void {
    this.residualWeight = weight;
  }

  synthesize(): void {
    const C = this.frames.length, k = this.kernel, m = k.bins, mask = this.mask;
    for (let c = 0; c < C; c++) {
      const re = this.re[c], im = this.im[c];
      for (let i = 0; i < m; i++) {
        re[i] *= mask[i];
        im[i] *= mask[i];
      }
    }
    if (C === 2) k.fft.inversePair(this.re[0], this.im[0], this.re[1], this.im[1], this.timeFrame[0], this.timeFrame[1]);
    else k.fft.inverse(this.re[0], this.im[0], this.timeFrame[0]);
    for (let c = 0; c < C; c++) this.ola[c].add(this.timeFrame[c], this.out[c]);
  }

  reset(): void {
    this.level.reset();
    for (const o of this.ola) o.reset();
    for (const f of this.frames) f.fill(0);
  }
}
