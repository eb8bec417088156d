import { describe, expect, it } from 'vitest';
import { resampleSignal, Resampler } from '../../src/core/signal/resample.ts';

function sine(n: number, rate: number, freq: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin((2 * Math.PI * freq * i) / rate));
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
}

describe('Resampler', () => {
  it('converts a tone to the new rate with the right frequency and level', () => {
    for (const [fin, fout] of [[44100, 16000], [48000, 16000], [16000, 44100], [22050, 16000], [16000, 48000]]) {
      const x = sine(fin, fin, 1000);
      const y = resampleSignal(x, fin, fout);
      expect(y.length).toBe(Math.ceil((x.length * fout) / fin));
      const ref = sine(y.length, fout, 1000);
      let err = 0;
      // Away from the edges (the filter sees zeros beyond the ends).
      for (let i = 200; i < y.length - 200; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
      expect(err, `${fin} → ${fout}`).toBeLessThan(2e-3);
    }
  });

  it('removes what the lower rate cannot hold (anti-aliasing)', () => {
    const x = sine(44100, 44100, 12000); // above 8 kHz: must vanish at 16 kHz, not fold down to 4 kHz
    const y = resampleSignal(x, 44100, 16000);
    expect(rms(y, 200, y.length - 200)).toBeLessThan(1e-3 * rms(x));
  });

  it('gives the same samples whatever the block sizes', () => {
    const x = sine(20000, 44100, 440).map((v, i) => v + 0.1 * Math.sin(i * 0.37));
    const whole = new Resampler(44100, 16000, { delayNumerator: 7 });
    const a = new Float32Array(10000);
    const na = whole.process(x, x.length, a);
    const pieces = new Resampler(44100, 16000, { delayNumerator: 7 });
    const b = new Float32Array(10000);
    let nb = 0;
    for (let i = 0, step = 1; i < x.length; i += step, step = (step * 7) % 300 + 1) {
      const len = Math.min(step, x.length - i);
      nb += pieces.process(x.subarray(i, i + len), len, b, nb);
    }
    expect(nb).toBe(na);
    for (let i = 0; i < na; i++) expect(b[i]).toBe(a[i]);
  });

  it('refuses rates it cannot convert, with a message', () => {
    expect(() => new Resampler(0, 16000)).toThrow(/sample rates/);
    expect(() => new Resampler(16000, 1_000_003)).toThrow(/cannot convert/);
  });
});
