/**
 * The WebAssembly SIMD kernels (src/core/network/encoder-wasm.ts, src/core/signal/stft-wasm.ts, the
 * resampler kernel in src/core/signal/resample.ts) against the plain JS code they replace: same
 * outputs to within 1e-5 of the output scale, on real audio, for every structure and size the code
 * handles; and the generated modules up to date with their sources. The separator's two paths are
 * compared whole in fastpath.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/linalg/random.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { WasmStructuredEncoder } from '../../src/core/network/encoder-wasm.ts';
import { createEncoder } from '../../src/core/network/encoders.ts';
import { clipFrames } from '../../src/core/signal/features.ts';
import { RealFFT } from '../../src/core/signal/fft.ts';
import { LevelTracker } from '../../src/core/signal/level.ts';
import { softMask } from '../../src/core/signal/masks.ts';
import { resampleSignal, Resampler } from '../../src/core/signal/resample.ts';
import { OverlapAdd, StftKernel, windowPower } from '../../src/core/signal/stft.ts';
import { WasmStft } from '../../src/core/signal/stft-wasm.ts';
import { WasmArena } from '../../src/core/wasm/loader.ts';
import { frameError, header, network, root, song, song2 } from './fastpath-fixtures.ts';

describe('wasm structured encoder = JS encoder (1e-5 of the output scale)', () => {
  const frames = clipFrames(song.mono, [], header).x;
  const frames2 = clipFrames(song2.mono, [], header).x;
  const cases: [string, Parameters<typeof network>[0]][] = [];
  for (const variant of ['rnmf', 'rpca'] as const) {
    for (const [rw, rh] of [[0, 0], [128, 32], [7, 5]]) {
      for (const T of [2, 10]) {
        for (const tied of [true, false]) cases.push([`${variant}, ranks ${rw}/${rh}, T = ${T}, ${tied ? 'tied' : 'untied'}`, { variant, rw, rh, T, tied }]);
      }
    }
  }
  cases.push(['rnmf, q = 7 (padding), ranks 3/2, T = 3', { q: 7, rw: 3, rh: 2, T: 3, seed: 4 }]);
  cases.push(['rpca, q = 33, ranks 64/16, T = 5', { variant: 'rpca', q: 33, rw: 64, rh: 16, T: 5, seed: 5 }]);

  for (const [name, opts] of cases) {
    it(name, () => {
      const model = network(opts);
      const js = createEncoder(model, { fast: false }), fast = createEncoder(model);
      expect(fast).toBeInstanceOf(WasmStructuredEncoder);
      const m = model.header.m;
      const vj = new Float32Array(m), aj = new Float32Array(m), vf = new Float32Array(m), af = new Float32Array(m);
      let worst = 0, nonzero = 0;
      for (const x of [frames, frames2]) {
        for (let j = 0; j < x.cols; j++) {
          const frame = x.data.subarray(j * m, (j + 1) * m);
          js.run(frame, vj, aj);
          fast.run(frame, vf, af);
          worst = Math.max(worst, frameError([vj, aj], [vf, af]));
          if (vj.some((v) => v !== 0)) nonzero++;
        }
      }
      expect(nonzero).toBeGreaterThan(100); // real voice estimates, not all-zero frames
      expect(worst).toBeLessThan(1e-5);
    });
  }

  it('a small FFT (m = 129) and the shipped model', () => {
    const rng = new Random(9);
    for (const model of [network({ m: 129, q: 6, rw: 10, rh: 3, T: 4 }), decodeModel(readFileSync(join(root, 'public/models/default.nnrnmf')))]) {
      const m = model.header.m;
      const js = createEncoder(model, { fast: false }), fast = createEncoder(model);
      const vj = new Float32Array(m), aj = new Float32Array(m), vf = new Float32Array(m), af = new Float32Array(m);
      for (let j = 0; j < 50; j++) {
        const x = Float32Array.from({ length: m }, () => (rng.next() < 0.1 ? 0 : 3 * rng.next() ** 3));
        js.run(x, vj, aj);
        fast.run(x, vf, af);
        expect(frameError([vj, aj], [vf, af])).toBeLessThan(1e-5);
      }
    }
  });

  it('silence in, silence out; outputs longer than m are written in their first m values', () => {
    const model = network({ rw: 16, rh: 4 });
    const fast = createEncoder(model);
    const v = new Float32Array(600).fill(7), a = new Float32Array(600).fill(7);
    fast.run(new Float32Array(513), v, a);
    expect(v.subarray(0, 513).every((x) => x === 0) && a.subarray(0, 513).every((x) => x === 0)).toBe(true);
    expect(v[513]).toBe(7);
  });
});

describe('wasm resampler kernel = JS loop', () => {
  const x = song.mono.subarray(0, 30000);
  for (const [from, to] of [[44100, 16000], [16000, 44100], [48000, 16000], [16000, 48000], [22050, 16000], [16000, 22050], [44056, 16000], [8000, 16000]] as const) {
    it(`${from} → ${to} Hz: within 1e-5 of the signal scale, whatever the block sizes`, () => {
      const plain = new Resampler(from, to, { delayNumerator: 3, fast: false });
      const fast = new Resampler(from, to, { delayNumerator: 3 });
      const a = new Float32Array(Math.ceil((x.length * to) / from) + 8), b = new Float32Array(a.length);
      const na = plain.process(x, x.length, a);
      let nb = 0;
      const rng = new Random(from + to);
      for (let i = 0; i < x.length; ) {
        const len = Math.min(1 + rng.int(900), x.length - i);
        nb += fast.process(x.subarray(i, i + len), len, b, nb);
        i += len;
      }
      expect(nb).toBe(na);
      let scale = 0, err = 0;
      for (let i = 0; i < na; i++) {
        scale = Math.max(scale, Math.abs(a[i]));
        err = Math.max(err, Math.abs(a[i] - b[i]));
      }
      expect(err / scale).toBeLessThan(1e-5);
      // In one go: bit-identical to the pieces.
      const whole = new Resampler(from, to, { delayNumerator: 3 });
      const c = new Float32Array(a.length);
      expect(whole.process(x, x.length, c)).toBe(nb);
      for (let i = 0; i < nb; i++) if (c[i] !== b[i]) throw new Error(`block sizes changed output ${i}`);
    });
  }

  it('in a shared arena, with input and output views of it, equals the resampler with its own memory', () => {
    const arena = WasmArena.create()!;
    const shared = new Resampler(44100, 16000, { delayNumerator: 0, arena });
    const at = arena.reserve(1024), out = arena.reserve(1024);
    expect(arena.commit()).toBe(true);
    const inView = arena.f32(at, 1024), outView = arena.f32(out, 1024);
    const own = new Resampler(44100, 16000, { delayNumerator: 0 });
    const ownOut = new Float32Array(1024);
    for (let i = 0; i + 700 <= x.length; i += 700) {
      inView.set(x.subarray(i, i + 700));
      const n1 = shared.process(inView, 700, outView, 5);
      const n2 = own.process(x.subarray(i, i + 700), 700, ownOut, 5);
      expect(n1).toBe(n2);
      for (let k = 5; k < 5 + n1; k++) if (outView[k] !== ownOut[k]) throw new Error(`sample ${k} differs`);
    }
  });

  it('resampleSignal (the whole-signal form) agrees with the plain loop', () => {
    const y = resampleSignal(x, 44100, 16000);
    const plain = new Resampler(44100, 16000, { delayNumerator: 0, fast: false });
    const ref = new Float32Array(y.length + 200);
    let n = plain.process(x, x.length, ref);
    n += plain.process(new Float32Array(200), 200, ref, n);
    let err = 0;
    for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
    expect(err).toBeLessThan(1e-5 * 0.5);
  });
});

describe('wasm STFT frame path = fft.js and the JS loops', () => {
  const kernel = new StftKernel({ fftSize: 1024, hop: 256 });
  const N = 1024, H = 256, m = 513;

  for (const C of [1, 2]) {
    it(`${C === 2 ? 'stereo' : 'mono'}: level, normalised mid magnitudes, masking, inverse and overlap-add`, () => {
      const arena = WasmArena.create()!;
      const dsp = WasmStft.create(arena, kernel, C, { sampleRate: 16000, levelTau: 0.5, maskPower: 2, residualWeight: 0 })!; // 62.5 frames/s
      expect(arena.commit()).toBe(true);
      const level = new LevelTracker(0.5, 62.5), scale = 1 / Math.sqrt(windowPower(kernel.analysis));
      const fft = new RealFFT(N);
      const ola = [new OverlapAdd(kernel), new OverlapAdd(kernel)];
      const w = new Float64Array(N), w2 = new Float64Array(N);
      const re = [new Float32Array(m), new Float32Array(m)], im = [new Float32Array(m), new Float32Array(m)];
      const t0 = new Float64Array(N), t1 = new Float64Array(N);
      const outJs = [new Float32Array(H), new Float32Array(H)];
      const rng = new Random(C);
      let worstMag = 0, worstOut = 0, worstPower = 0;
      for (let f = 0; f < 40; f++) {
        const start = 4000 + f * H;
        for (let c = 0; c < C; c++) dsp.frames[c].set(song.stereo[c].subarray(start, start + N));
        dsp.analyze();
        const power = dsp.lastPower;
        // The JS path.
        for (let i = 0; i < N; i++) {
          w[i] = song.stereo[0][start + i] * kernel.analysis[i];
          w2[i] = song.stereo[C - 1][start + i] * kernel.analysis[i];
        }
        let pj = 0;
        for (let i = 0; i < N; i++) pj += (0.5 * (w[i] + w2[i])) ** 2;
        if (C === 2) fft.forwardPair(w, w2, re[0], im[0], re[1], im[1]);
        else fft.forward(w, re[0], im[0]);
        const g = level.gain(pj * scale * scale) * scale;
        const magJs = new Float32Array(m);
        for (let k = 0; k < m; k++) magJs[k] = Math.hypot(0.5 * (re[0][k] + re[C - 1][k]), 0.5 * (im[0][k] + im[C - 1][k])) * g;
        worstMag = Math.max(worstMag, frameError([magJs], [dsp.mag]));
        worstPower = Math.max(worstPower, Math.abs(power - pj) / pj, Math.abs(dsp.lastGain - g) / g);
        // A random mask (1 on the first frames: perfect reconstruction).
        for (let k = 0; k < m; k++) dsp.mask[k] = f < 8 ? 1 : rng.next();
        for (let c = 0; c < C; c++) for (let k = 0; k < m; k++) { re[c][k] *= dsp.mask[k]; im[c][k] *= dsp.mask[k]; }
        dsp.synthesize();
        if (C === 2) fft.inversePair(re[0], im[0], re[1], im[1], t0, t1);
        else fft.inverse(re[0], im[0], t0);
        ola[0].add(t0, outJs[0]);
        if (C === 2) ola[1].add(t1, outJs[1]);
        if (f >= 3) worstOut = Math.max(worstOut, frameError(outJs.slice(0, C), dsp.out));
        if (f >= 3 && f < 8) {
          // Mask 1: the input back (the oldest hop of this frame, N − H samples before its newest).
          for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) expect(dsp.out[c][i]).toBeCloseTo(song.stereo[c][start + i], 5);
        }
      }
      expect(worstMag).toBeLessThan(1e-5);
      expect(worstPower).toBeLessThan(1e-6);
      expect(worstOut).toBeLessThan(1e-5);
    });
  }
});

describe('wasm soft mask = masks.ts softMask', () => {
  it('the same bits for p = 1 and 2, f32 rounding for other p, with and without the residual voice estimate; 0 where both estimates are 0', () => {
    const kernel = new StftKernel({ fftSize: 1024, hop: 256 }), m = 513;
    const rng = new Random(17);
    for (const residualWeight of [0, 2.5]) {
      for (const p of [2, 1, 1.5, 0.7]) {
        const arena = WasmArena.create()!;
        const dsp = WasmStft.create(arena, kernel, 2, { sampleRate: 16000, levelTau: 4, maskPower: p, residualWeight })!;
        expect(arena.commit()).toBe(true);
        const want = new Float32Array(m);
        let worst = 0, fromResidual = 0;
        for (let f = 0; f < 20; f++) {
          // Magnitudes over many octaves, exact zeros (alone and in pairs) and negative values (|·| is used).
          for (let k = 0; k < m; k++) {
            dsp.voice[k] = rng.next() < 0.1 ? 0 : (rng.next() - 0.2) * 10 ** (6 * rng.next() - 4);
            dsp.accomp[k] = rng.next() < 0.1 || (k % 7 === 0 && dsp.voice[k] === 0) ? 0 : rng.next() * 10 ** (6 * rng.next() - 4);
            dsp.mag[k] = rng.next() * 10 ** (6 * rng.next() - 4);
            if (residualWeight > 0 && dsp.mag[k] - residualWeight * dsp.accomp[k] > Math.abs(dsp.voice[k])) fromResidual++;
          }
          dsp.softMask();
          softMask(dsp.voice, dsp.accomp, p, want, m, dsp.mag, residualWeight);
          for (let k = 0; k < m; k++) {
            if (p === 1 || p === 2) {
              if (dsp.mask[k] !== want[k]) throw new Error(`p = ${p}, β = ${residualWeight}, bin ${k}: ${dsp.mask[k]} ≠ ${want[k]}`);
            } else worst = Math.max(worst, Math.abs(dsp.mask[k] - want[k]));
            if (residualWeight === 0 && dsp.voice[k] === 0 && dsp.accomp[k] === 0) expect(dsp.mask[k]).toBe(0);
          }
        }
        expect(worst).toBeLessThan(1e-6);
        // The residual branch was taken in a good share of the bins.
        if (residualWeight > 0) expect(fromResidual).toBeGreaterThan(1000);
      }
    }
  });
});

describe('generated wasm modules', () => {
  it('src/core/wasm/{encoder,resample,stft}.wasm.ts are up to date with wasm/assembly (rebuilt in a temp folder)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fastpath-'));
    try {
      execFileSync(process.execPath, [join(root, 'wasm/build.mjs'), '--outdir', dir], { cwd: root, stdio: 'pipe' });
      for (const module of ['encoder', 'resample', 'stft']) {
        const fresh = readFileSync(join(dir, `${module}.wasm.ts`), 'utf8');
        const committed = readFileSync(join(root, `src/core/wasm/${module}.wasm.ts`), 'utf8');
        expect(fresh === committed, `src/core/wasm/${module}.wasm.ts is stale: run \`node wasm/build.mjs\``).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
