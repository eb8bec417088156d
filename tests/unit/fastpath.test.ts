/**
 * The fast paths (WebAssembly SIMD: src/core/wasm/encoder.ts, src/core/wasm/stft.ts, the resampler kernel in
 * src/core/resample.ts) against the plain JS ones they replace: same outputs to within 1e-5 of the
 * output scale, on real audio, for every structure and size the code handles.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { sharedData } from '../../src/cli/paths.ts';
import { clipFrames } from '../../src/core/signal/features.ts';
import { RealFFT } from '../../src/core/signal/fft.ts';
import { mat } from '../../src/core/linalg/matrix.ts';
import { decodeModel, type Model } from '../../src/core/model/model.ts';
import { algorithm1Model, createEncoder } from '../../src/core/network/encoders.ts';
import { Random } from '../../src/core/linalg/random.ts';
import { resampleSignal, Resampler } from '../../src/core/signal/resample.ts';
import { separateChannels, Separator } from '../../src/core/separate/separator.ts';
import { LevelTracker } from '../../src/core/signal/level.ts';
import { OverlapAdd, StftKernel, windowPower } from '../../src/core/signal/stft.ts';
import { WasmStructuredEncoder } from '../../src/core/network/encoder-wasm.ts';
import { WasmArena } from '../../src/core/wasm/loader.ts';
import { WasmStft } from '../../src/core/signal/stft-wasm.ts';
import { decodeWav } from '../../src/io/wav.ts';
import { refuseWebAssembly, runBlocks } from './support.ts';

const root = resolve(import.meta.dirname, '../..');
const paper = decodeModel(readFileSync(join(root, 'models/paper/rnmf-untrained.nnrnmf')));
const header = paper.header;

function clip(name: string): { mono: Float32Array; stereo: Float32Array[] } {
  const c = decodeWav(readFileSync(join(sharedData, 'mir1k/Wavfile', name)));
  // MIR-1K: accompaniment left, voice right.
  return { mono: c.channels[0].map((a, i) => a + c.channels[1][i]), stereo: [c.channels[0].map((a, i) => a + 0.7 * c.channels[1][i]), c.channels[0].map((a, i) => 0.6 * a + c.channels[1][i])] };
}
const clips = readdirSync(join(sharedData, 'mir1k/Wavfile')).filter((f) => f.endsWith('.wav')).sort();
const song = clip(clips.includes('amy_3_08.wav') ? 'amy_3_08.wav' : clips[0]);
const song2 = clip(clips[Math.floor(clips.length / 2)]);

/**
 * A structured network with the paper's dictionary (or a random one of q atoms), every learned
 * array perturbed (so that the layers differ unless tied, and P ≠ 0: zero-skipping cannot cheat).
 */
function network(opts: { variant?: 'rnmf' | 'rpca'; T?: number; rw?: number; rh?: number; tied?: boolean; q?: number; m?: number; seed?: number }): Model {
  const { variant = 'rnmf', T = 10, rw = 0, rh = 0, tied = false, seed = 1 } = opts;
  const rng = new Random(seed);
  let U = paper.arrays.U;
  if (opts.q !== undefined || opts.m !== undefined) {
    const m = opts.m ?? 513, q = opts.q ?? 20;
    U = mat(m, q, Float32Array.from({ length: m * q }, (_, i) => rng.next() * Math.exp(-(i % m) / 60)));
  }
  const m = U.rows, fftSize = 2 * (m - 1);
  const model = algorithm1Model(U, { ...header, fftSize, variant, layers: T, structure: 'structured', inputRank: rw, layerRank: rh, seed });
  for (const [name, a] of Object.entries(model.arrays)) {
    if (name === 'U') continue;
    const d = a.data;
    const perLayer = ['Ws', 'wo', 'Pw', 'Qw'].includes(name) ? d.length : d.length / (name === 't' ? T : T - 1);
    for (let i = 0; i < d.length; i++) {
      if (tied && i >= perLayer) d[i] = d[i % perLayer];
      else if (name === 'Pw' || name === 'Ph') d[i] = 0.01 * rng.normal();
      else if (name !== 't') d[i] += 0.001 * rng.normal();
    }
  }
  return model;
}

/** Largest |a − b| over a frame, relative to the largest output of that frame. */
function frameError(a: Float32Array[], b: Float32Array[]): number {
  let scale = 0, err = 0;
  for (let k = 0; k < a.length; k++) {
    for (let i = 0; i < a[k].length; i++) {
      scale = Math.max(scale, Math.abs(a[k][i]));
      const e = Math.abs(a[k][i] - b[k][i]);
      if (!(e <= err)) err = e; // NaN fails
    }
  }
  return scale > 0 ? err / scale : err;
}

describe('fast paths compile here', () => {
  it('Node has WebAssembly SIMD: the separator, the encoder and the resampler take their fast paths', () => {
    expect(new Separator(paper, 44100, 2).fast).toBe(true);
    expect(new Separator(paper, 44100, 2, { fast: false }).fast).toBe(false);
    expect(createEncoder(paper)).toBeInstanceOf(WasmStructuredEncoder);
    expect(createEncoder(paper, { fast: false })).not.toBeInstanceOf(WasmStructuredEncoder);
    expect(createEncoder(algorithm1Model(paper.arrays.U, { ...header, structure: 'dense' }))).not.toBeInstanceOf(WasmStructuredEncoder);
  });
});

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
      const dsp = WasmStft.create(arena, kernel.analysis, kernel.synthesis, H, C, 0.5, 62.5)!;
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

describe('the separator: fast path = plain path', () => {
  const structured = network({ rw: 128, rh: 32, seed: 7 });
  const dense = algorithm1Model(paper.arrays.U, { ...header, structure: 'dense' });
  const input44 = song.stereo.map((c) => c.subarray(0, 16000 * 4));

  function run(model: Model, rate: number, input: Float32Array[], fast: boolean, block: (k: number) => number) {
    const sep = new Separator(model, rate, input.length, { fast });
    expect(sep.fast).toBe(fast);
    return { sep, ...runBlocks(sep, input, block) };
  }

  for (const rate of [16000, 44100, 48000, 22050]) {
    for (const C of [1, 2]) {
      it(`${rate} Hz, ${C === 2 ? 'stereo' : 'mono'}: same output within 1e-5, same latency, exact voice + accompaniment`, () => {
        const input = input44.slice(0, C).map((c) => (rate === 16000 ? c : resampleSignal(c, 16000, rate)));
        for (const model of rate === 44100 && C === 2 ? [structured, dense] : [structured]) {
          const plain = run(model, rate, input, false, () => 128);
          const rng = new Random(rate + C);
          const fast = run(model, rate, input, true, (k) => (k % 3 === 0 ? 128 : 1 + rng.int(1500)));
          expect(fast.sep.latency).toBe(plain.sep.latency);
          expect(fast.sep.stats.frames).toBe(plain.sep.stats.frames);
          let scale = 0, err = 0, sum = 0, energy = 0;
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < input[c].length; i++) {
              scale = Math.max(scale, Math.abs(input[c][i]));
              err = Math.max(err, Math.abs(fast.voice[c][i] - plain.voice[c][i]), Math.abs(fast.accomp[c][i] - plain.accomp[c][i]));
              if (i >= fast.sep.latency) sum = Math.max(sum, Math.abs(fast.voice[c][i] + fast.accomp[c][i] - input[c][i - fast.sep.latency]));
              energy += fast.voice[c][i] ** 2;
            }
          }
          expect(err / scale).toBeLessThan(1e-5);
          expect(sum).toBeLessThan(1e-6);
          expect(energy).toBeGreaterThan(0);
          // Same network input in the last frame.
          expect(frameError([plain.sep.networkInput], [fast.sep.networkInput])).toBeLessThan(1e-5);
        }
      });
    }
  }

  it('the latencies the page and the CLI rely on', () => {
    expect(new Separator(structured, 16000, 2).latency).toBe(1023);
    expect(new Separator(structured, 44100, 2).latency).toBe(2917);
    expect(new Separator(structured, 48000, 2).latency).toBe(3176);
  });

  it('the fast path is bit-identical whatever the block sizes, and after reset()', () => {
    const input = input44.map((c) => resampleSignal(c, 16000, 44100).subarray(0, 60000));
    const a = run(structured, 44100, input, true, () => 128);
    const rng = new Random(3);
    const b = run(structured, 44100, input, true, () => 1 + rng.int(5000));
    for (let c = 0; c < 2; c++) for (let i = 0; i < input[c].length; i++) if (a.voice[c][i] !== b.voice[c][i] || a.accomp[c][i] !== b.accomp[c][i]) throw new Error(`sample ${i} differs`);
    const sep = a.sep;
    sep.reset();
    const v = input.map((c) => new Float32Array(c.length)), ac = input.map((c) => new Float32Array(c.length));
    sep.process(input, v, ac, input[0].length);
    for (let c = 0; c < 2; c++) for (let i = 0; i < input[c].length; i++) if (v[c][i] !== a.voice[c][i]) throw new Error(`after reset, sample ${i} differs`);
  });

  it('counts and silences non-finite input like the plain path', () => {
    const x = song.mono.slice(0, 9000);
    x[100] = NaN;
    x[2001] = Infinity;
    x[2002] = -Infinity;
    x[5000] = NaN;
    const outs = [true, false].map((fast) => {
      const sep = new Separator(structured, 44100, 1, { fast });
      const v = new Float32Array(9000), a = new Float32Array(9000);
      for (let i = 0; i < 9000; i += 128) {
        const n = Math.min(128, 9000 - i);
        sep.process([x.subarray(i, i + n)], [v.subarray(i, i + n)], [a.subarray(i, i + n)], n);
      }
      expect(sep.stats.badSamples).toBe(4);
      expect(v.every(Number.isFinite) && a.every(Number.isFinite)).toBe(true);
      return v;
    });
    for (let i = 0; i < 9000; i++) expect(Math.abs(outs[0][i] - outs[1][i])).toBeLessThan(1e-5);
  });

  it('separateChannels (the CLI path) gives the worklet path’s samples', () => {
    const input = input44.map((c) => resampleSignal(c, 16000, 44100).subarray(0, 50000));
    const whole = separateChannels(structured, 44100, input);
    const q = run(structured, 44100, input.map((c) => { const p = new Float32Array(c.length + 2917); p.set(c); return p; }), true, () => 128);
    for (let c = 0; c < 2; c++) for (let i = 0; i < 50000; i++) if (whole.voice[c][i] !== q.voice[c][i + 2917]) throw new Error(`sample ${i} differs`);
  });

  it('process() allocates nothing on the fast path (128-sample quanta, as in the worklet)', () => {
    // V8 boxes a double that crosses a call it does not inline (16 bytes): the fast path passes none.
    for (const rate of [16000, 44100]) {
      const sep = new Separator(structured, rate, 2);
      const input = [new Float32Array(128), new Float32Array(128)];
      const voice = [new Float32Array(128), new Float32Array(128)], accomp = [new Float32Array(128), new Float32Array(128)];
      const src = input44.map((c) => (rate === 16000 ? c : resampleSignal(c, 16000, rate)));
      const feed = (k: number) => {
        const at = (k * 128) % (src[0].length - 128);
        for (let c = 0; c < 2; c++) for (let i = 0; i < 128; i++) input[c][i] = src[c][at + i];
        sep.process(input, voice, accomp, 128);
      };
      for (let k = 0; k < 5000; k++) feed(k); // warm up: the JIT settles
      // Young-generation bytes in use (where new objects go; the JIT's code and data go elsewhere).
      const young = () => getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')?.space_used_size ?? 0;
      const before = young();
      for (let k = 0; k < 20000; k++) feed(k);
      const grown = young() - before;
      // 16 bytes per frame would be ≥ 58 kB here (≥ 3600 frames); 0 in practice.
      expect(grown, `${rate} Hz`).toBeLessThan(16 * 1024);
    }
  });
});

describe('fallback where WebAssembly is missing or refuses the modules', () => {
  it('runs the plain path, with the same output', async () => {
    refuseWebAssembly();
    try {
      const sepModule = await import('../../src/core/separate/separator.ts');
      const netModule = await import('../../src/core/network/encoders.ts');
      const model = network({ rw: 8, rh: 4 });
      const sep = new sepModule.Separator(model, 44100, 2);
      expect(sep.fast).toBe(false);
      expect(netModule.createEncoder(model).constructor.name).toBe('StructuredEncoder');
      const input = song.stereo.map((c) => c.subarray(0, 20000));
      const a = sepModule.separateChannels(model, 44100, input);
      vi.unstubAllGlobals();
      const b = separateChannels(model, 44100, input);
      for (let c = 0; c < 2; c++) for (let i = 0; i < 20000; i++) expect(Math.abs(a.voice[c][i] - b.voice[c][i])).toBeLessThan(1e-5);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
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
