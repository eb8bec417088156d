/**
 * Energy per frequency band of a signal (Hann-windowed 2048-point spectra, half overlap): where a
 * source alone goes, band by band, through the separator (scripts/band-energy.ts, and the full-band
 * test). Node only, like the rest of src/eval.
 */
import FFT from 'fft.js';

const N = 2048;

/** Energy of `x` in each band [edges[b], edges[b + 1]) Hz. */
export function bandEnergy(x: Float32Array, rate: number, edges: readonly number[]): Float64Array {
  const fft = new FFT(N), out = fft.createComplexArray(), frame = new Array<number>(N).fill(0);
  const e = new Float64Array(edges.length - 1);
  for (let s = 0; s + N <= x.length; s += N / 2) {
    for (let i = 0; i < N; i++) frame[i] = x[s + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));
    fft.realTransform(out, frame);
    for (let k = 1; k < N / 2; k++) {
      const hz = (k * rate) / N, p = out[2 * k] ** 2 + out[2 * k + 1] ** 2;
      const b = edges.findIndex((edge, j) => j < edges.length - 1 && hz >= edge && hz < edges[j + 1]);
      if (b >= 0) e[b] += p;
    }
  }
  return e;
}
