import { describe, expect, it } from 'vitest';
import { RealFFT } from '../../src/core/signal/fft.ts';
import { Random } from '../../src/core/linalg/random.ts';
import { FrameBuffer, istft, OverlapAdd, stft, StftKernel } from '../../src/core/signal/stft.ts';

function noise(n: number, seed = 1): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * 0.3);
}

describe('RealFFT', () => {
  it('matches a direct DFT, and the paired transforms match single ones', () => {
    const n = 64, fft = new RealFFT(n);
    const a = noise(n, 2), b = noise(n, 3);
    const re = new Float64Array(33), im = new Float64Array(33);
    fft.forward(a, re, im);
    for (let k = 0; k <= n / 2; k++) {
      let r = 0, i = 0;
      for (let t = 0; t < n; t++) {
        r += a[t] * Math.cos((2 * Math.PI * k * t) / n);
        i -= a[t] * Math.sin((2 * Math.PI * k * t) / n);
      }
      expect(re[k]).toBeCloseTo(r, 5);
      expect(im[k]).toBeCloseTo(i, 5);
    }
    const ra = new Float64Array(33), ia = new Float64Array(33), rb = new Float64Array(33), ib = new Float64Array(33);
    fft.forwardPair(a, b, ra, ia, rb, ib);
    const rb1 = new Float64Array(33), ib1 = new Float64Array(33);
    fft.forward(b, rb1, ib1);
    for (let k = 0; k <= n / 2; k++) {
      expect(ra[k]).toBeCloseTo(re[k], 5);
      expect(ia[k]).toBeCloseTo(im[k], 5);
      expect(rb[k]).toBeCloseTo(rb1[k], 5);
      expect(ib[k]).toBeCloseTo(ib1[k], 5);
    }
    const outA = new Float64Array(n), outB = new Float64Array(n);
    fft.inversePair(ra, ia, rb, ib, outA, outB);
    for (let t = 0; t < n; t++) {
      expect(outA[t]).toBeCloseTo(a[t], 5);
      expect(outB[t]).toBeCloseTo(b[t], 5);
    }
  });
});

describe('STFT and overlap-add (1024 / 256, periodic Hann)', () => {
  const kernel = new StftKernel({ fftSize: 1024, hop: 256 });

  it('reconstructs perfectly (whole-signal form)', () => {
    for (const len of [1, 255, 1024, 5000, 16000 + 77]) {
      const x = noise(len, len);
      const y = istft(stft(x, kernel), len, kernel);
      let err = 0;
      for (let i = 0; i < len; i++) err = Math.max(err, Math.abs(x[i] - y[i]));
      expect(err).toBeLessThan(1e-6);
    }
  });

  it('the streaming form gives the same frames and, N − hop samples later, the same signal', () => {
    const x = noise(10_000, 5);
    const whole = stft(x, kernel);
    const buf = new FrameBuffer(1024, 256), ola = new OverlapAdd(kernel);
    const re = new Float32Array(513), im = new Float32Array(513), win = new Float64Array(1024), frame = new Float64Array(1024);
    const out = new Float32Array(x.length + 1024);
    let frames = 0;
    const extended = new Float32Array(x.length + kernel.delay + 256);
    extended.set(x);
    for (let i = 0; i < extended.length; i++) {
      if (!buf.push(extended[i])) continue;
      for (let k = 0; k < 1024; k++) win[k] = buf.samples[k] * kernel.analysis[k];
      buf.advance();
      kernel.fft.forward(win, re, im);
      if (frames < whole.re.cols) {
        for (let k = 0; k < 513; k++) {
          expect(re[k]).toBeCloseTo(whole.re.data[frames * 513 + k], 4);
          expect(im[k]).toBeCloseTo(whole.im.data[frames * 513 + k], 4);
        }
      }
      kernel.fft.inverse(re, im, frame);
      ola.add(frame, out, frames * 256);
      frames++;
    }
    expect(frames).toBeGreaterThanOrEqual(whole.re.cols);
    let err = 0;
    for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs(out[i + kernel.delay] - x[i]));
    expect(err).toBeLessThan(1e-6);
  });

  it('rejects a hop that cannot be inverted', () => {
    expect(() => new StftKernel({ fftSize: 1024, hop: 1000 })).toThrow(/hop/);
  });
});
