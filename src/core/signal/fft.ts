/**
 * Real FFTs of one fixed size on top of fft.js, with preallocated buffers so that the per-frame path
 * allocates nothing. Spectra are half spectra: bins 0..N/2 as separate re/im arrays.
 *
 * Two real signals are often transformed together (the left and right channels of a stereo song):
 * packing them as the real and imaginary parts of one complex signal costs one complex FFT instead
 * of two, forward and inverse.
 */
import FFT from 'fft.js';

export class RealFFT {
  readonly size: number;
  readonly bins: number;
  private readonly fft: FFT;
  private readonly complexIn: Float64Array;
  private readonly complexOut: Float64Array;
  private readonly realIn: Float64Array;

  constructor(size: number) {
    if (size < 4 || (size & (size - 1)) !== 0) throw new Error(`FFT size must be a power of two ≥ 4, got ${size}`);
    this.size = size;
    this.bins = size / 2 + 1;
    this.fft = new FFT(size);
    this.complexIn = new Float64Array(2 * size);
    this.complexOut = new Float64Array(2 * size);
    this.realIn = new Float64Array(size);
  }

  /** Half spectrum of one real signal of `size` samples. */
  forward(x: ArrayLike<number>, re: Float32Array | Float64Array, im: Float32Array | Float64Array): void {
    const n = this.size, inp = this.realIn, out = this.complexOut;
    for (let i = 0; i < n; i++) inp[i] = x[i];
    this.fft.realTransform(out, inp);
    for (let k = 0; k < this.bins; k++) {
      re[k] = out[2 * k];
      im[k] = out[2 * k + 1];
    }
  }

  /** Half spectra of two real signals at the cost of one complex FFT. */
  forwardPair(
    a: ArrayLike<number>, b: ArrayLike<number>,
    reA: Float32Array | Float64Array, imA: Float32Array | Float64Array,
    reB: Float32Array | Float64Array, imB: Float32Array | Float64Array,
  ): void {
    const n = this.size, z = this.complexIn, out = this.complexOut;
    for (let i = 0; i < n; i++) {
      z[2 * i] = a[i];
      z[2 * i + 1] = b[i];
    }
    this.fft.transform(out, z);
    // A[k] = (Z[k] + conj Z[N−k]) / 2,  B[k] = (Z[k] − conj Z[N−k]) / 2i
    for (let k = 0; k < this.bins; k++) {
      const k2 = (n - k) % n;
      const zr = out[2 * k], zi = out[2 * k + 1];
      const wr = out[2 * k2], wi = out[2 * k2 + 1];
      reA[k] = 0.5 * (zr + wr);
      imA[k] = 0.5 * (zi - wi);
      reB[k] = 0.5 * (zi + wi);
      imB[k] = 0.5 * (wr - zr);
    }
  }

  /** Inverse of a half spectrum (of a real signal): `size` samples into `out`. */
  inverse(re: ArrayLike<number>, im: ArrayLike<number>, out: Float32Array | Float64Array): void {
    this.inversePacked(re, im, null, null);
    const t = this.complexOut;
    for (let i = 0; i < this.size; i++) out[i] = t[2 * i];
  }

  /** Inverses of two half spectra at the cost of one complex FFT. */
  inversePair(
    reA: ArrayLike<number>, imA: ArrayLike<number>, reB: ArrayLike<number>, imB: ArrayLike<number>,
    outA: Float32Array | Float64Array, outB: Float32Array | Float64Array,
  ): void {
    this.inversePacked(reA, imA, reB, imB);
    const t = this.complexOut;
    for (let i = 0; i < this.size; i++) {
      outA[i] = t[2 * i];
      outB[i] = t[2 * i + 1];
    }
  }

  /** Builds the full spectrum A + iB (B optional) from half spectra and inverse-transforms it. */
  private inversePacked(
    reA: ArrayLike<number>, imA: ArrayLike<number>, reB: ArrayLike<number> | null, imB: ArrayLike<number> | null,
  ): void {
    const n = this.size, z = this.complexIn;
    const half = n / 2;
    for (let k = 0; k <= half; k++) {
      // The imaginary parts of the DC and Nyquist bins of a real signal are zero by definition.
      const ar = reA[k], ai = k === 0 || k === half ? 0 : imA[k];
      const br = reB ? reB[k] : 0, bi = imB && k !== 0 && k !== half ? imB[k] : 0;
      // Z[k] = A[k] + i B[k]; Z[N−k] = conj A[k] + i conj B[k]
      z[2 * k] = ar - bi;
      z[2 * k + 1] = ai + br;
      if (k !== 0 && k !== half) {
        const k2 = n - k;
        z[2 * k2] = ar + bi;
        z[2 * k2 + 1] = br - ai;
      }
    }
    this.fft.inverseTransform(this.complexOut, z);
  }
}
