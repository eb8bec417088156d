/**
 * Short-time Fourier transform and weighted overlap-add, in a streaming form (the AudioWorklet and
 * everything built on the separator) and a whole-signal form (the exact solvers, training data,
 * tests). Both use the same frame grid, so they give the same frames and the same samples.
 *
 * Frame grid: frame j covers input samples [(j+1)·hop − N, (j+1)·hop), zeros before the signal.
 * This is what a stream produces when it emits a frame every `hop` samples from a buffer that starts
 * full of zeros; the synthesis of frame j completes samples [(j+1)·hop − N, (j+2)·hop − N), so the
 * round trip delays the signal by N − hop samples.
 *
 * Windows: periodic Hann for analysis; the synthesis window is w / Σₖ w²(n + k·hop), which makes
 * analysis followed by synthesis the identity (perfect reconstruction) for any hop that keeps the
 * denominator positive (hop ≤ N/2 for Hann).
 */
import { RealFFT } from './fft.ts';
import { mat, type Mat } from '../linalg/matrix.ts';

export function hannPeriodic(n: number): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

export function synthesisWindow(analysis: Float32Array, hop: number): Float32Array {
  const n = analysis.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let j = i % hop; j < n; j += hop) d += analysis[j] * analysis[j];
    if (d < 1e-12) throw new Error(`window of ${n} with hop ${hop} cannot be inverted (overlap too small)`);
    out[i] = analysis[i] / d;
  }
  return out;
}

/** Σ w²: dividing magnitudes by √(Σ w²) makes unit-variance white noise have E|X|² = 1 per bin. */
export function windowPower(w: Float32Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * w[i];
  return s;
}

export interface StftConfig {
  fftSize: number;
  hop: number;
}

/** Shared, read-only pieces of an STFT configuration. */
export class StftKernel {
  readonly fftSize: number;
  readonly hop: number;
  readonly bins: number;
  readonly analysis: Float32Array;
  readonly synthesis: Float32Array;
  readonly fft: RealFFT;
  /** Delay of analysis + synthesis, in samples. */
  readonly delay: number;

  constructor({ fftSize, hop }: StftConfig) {
    if (!(hop > 0 && hop <= fftSize / 2 && Number.isInteger(hop))) throw new Error(`hop must be an integer in 1..${fftSize / 2}, got ${hop}`);
    this.fftSize = fftSize;
    this.hop = hop;
    this.bins = fftSize / 2 + 1;
    this.analysis = hannPeriodic(fftSize);
    this.synthesis = synthesisWindow(this.analysis, hop);
    this.fft = new RealFFT(fftSize);
    this.delay = fftSize - hop;
  }
}

/**
 * Streaming analysis: push samples, and every `hop` samples the buffer holds the newest N samples.
 * The caller windows and transforms them (see {@link StftKernel}); keeping the FFT out of this class
 * lets the separator transform two channels with one complex FFT.
 */
export class FrameBuffer {
  readonly samples: Float32Array;
  private filled: number;
  private readonly hop: number;
  /** All of the memory `samples` views, when given storage (copies from the same memory are memmoves). */
  private readonly whole: Float32Array | null;

  /** @param storage where to keep the samples (fftSize values; e.g. a view of wasm memory). */
  constructor(fftSize: number, hop: number, storage?: Float32Array) {
    if (storage && storage.length !== fftSize) throw new Error(`frame storage holds ${storage.length} values, not ${fftSize}`);
    this.samples = storage ?? new Float32Array(fftSize);
    this.whole = storage && storage.byteOffset % 4 === 0 ? new Float32Array(storage.buffer) : null;
    this.hop = hop;
    this.filled = fftSize - hop;
    this.samples.fill(0);
  }

  /** Appends one sample; returns true when a new frame is complete in `samples`. */
  push(x: number): boolean {
    this.samples[this.filled++] = x;
    if (this.filled < this.samples.length) return false;
    return true;
  }

  /**
   * Appends src[from ..] up to `count` samples or until the frame is complete, whichever comes
   * first; returns how many were taken ({@link full} tells whether a frame is complete).
   */
  write(src: Float32Array, from: number, count: number): number {
    const s = this.samples, f = this.filled;
    const n = Math.min(count, s.length - f);
    const whole = this.whole;
    if (whole && src.buffer === whole.buffer) {
      const at = src.byteOffset / 4 + from;
      whole.copyWithin(s.byteOffset / 4 + f, at, at + n);
    } else {
      for (let k = 0; k < n; k++) s[f + k] = src[from + k];
    }
    this.filled = f + n;
    return n;
  }

  /** True when `samples` holds a complete frame (until {@link advance}). */
  get full(): boolean {
    return this.filled === this.samples.length;
  }

  /** Call after reading a complete frame: drops the oldest `hop` samples. */
  advance(): void {
    this.samples.copyWithin(0, this.hop);
    this.filled = this.samples.length - this.hop;
  }

  reset(): void {
    this.samples.fill(0);
    this.filled = this.samples.length - this.hop;
  }
}

/** Streaming weighted overlap-add: add a synthesised frame, take `hop` finished samples. */
export class OverlapAdd {
  private readonly acc: Float32Array;
  private readonly window: Float32Array;
  private readonly hop: number;

  constructor(kernel: StftKernel) {
    this.acc = new Float32Array(kernel.fftSize);
    this.window = kernel.synthesis;
    this.hop = kernel.hop;
  }

  /** Adds window·frame, then moves the `hop` finished samples into out[offset..offset+hop). */
  add(frame: Float32Array | Float64Array, out: Float32Array, offset = 0): void {
    const acc = this.acc, w = this.window, n = acc.length, h = this.hop;
    for (let i = 0; i < n; i++) acc[i] += w[i] * frame[i];
    for (let i = 0; i < h; i++) out[offset + i] = acc[i];
    acc.copyWithin(0, h);
    acc.fill(0, n - h);
  }

  reset(): void {
    this.acc.fill(0);
  }
}

/** A whole-signal complex spectrogram: re and im are bins × frames. */
export interface Spectrogram {
  re: Mat;
  im: Mat;
}

/** Number of frames covering `length` samples (every sample inside `fftSize / hop` frames). */
export function frameCount(length: number, kernel: StftKernel): number {
  return Math.floor((length - 1 + kernel.fftSize) / kernel.hop);
}

/** Whole-signal STFT on the streaming frame grid (see the top of this file). */
export function stft(x: Float32Array, kernel: StftKernel): Spectrogram {
  const { fftSize: n, hop, bins, analysis, fft } = kernel;
  const frames = frameCount(x.length, kernel);
  const re = mat(bins, frames), im = mat(bins, frames);
  const buf = new Float64Array(n);
  for (let j = 0; j < frames; j++) {
    const start = (j + 1) * hop - n;
    for (let i = 0; i < n; i++) {
      const t = start + i;
      buf[i] = t >= 0 && t < x.length ? x[t] * analysis[i] : 0;
    }
    fft.forward(buf, re.data.subarray(j * bins, (j + 1) * bins), im.data.subarray(j * bins, (j + 1) * bins));
  }
  return { re, im };
}

/** Inverse of {@link stft}: `length` samples aligned with the input (the N − hop delay removed). */
export function istft(spec: Spectrogram, length: number, kernel: StftKernel): Float32Array {
  const { fftSize: n, hop, bins, synthesis, fft } = kernel;
  const out = new Float32Array(length);
  const frame = new Float64Array(n);
  for (let j = 0; j < spec.re.cols; j++) {
    fft.inverse(spec.re.data.subarray(j * bins, (j + 1) * bins), spec.im.data.subarray(j * bins, (j + 1) * bins), frame);
    const start = (j + 1) * hop - n;
    for (let i = 0; i < n; i++) {
      const t = start + i;
      if (t >= 0 && t < length) out[t] += synthesis[i] * frame[i];
    }
  }
  return out;
}

/** |X| / √(Σ w²): the magnitudes the models see (before level normalisation). */
export function magnitude(spec: Spectrogram, kernel: StftKernel): Mat {
  const scale = 1 / Math.sqrt(windowPower(kernel.analysis));
  const out = mat(spec.re.rows, spec.re.cols);
  const re = spec.re.data, im = spec.im.data, o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = Math.hypot(re[i], im[i]) * scale;
  return out;
}
