/**
 * The separator's fast path (WebAssembly SIMD: the encoder, the resampler kernel and the frame and
 * sample paths in one wasm memory) against its plain JS path: same outputs to within 1e-5 of the
 * output scale, on real audio, at every rate and channel count; the same latency; bit for bit
 * whatever the block sizes; no allocation per call; and the plain path where WebAssembly refuses.
 * The kernels are compared one by one in fastpath-wasm.test.ts.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { Random } from '../../src/core/linalg/random.ts';
import type { Model } from '../../src/core/model/model.ts';
import { WasmStructuredEncoder } from '../../src/core/network/encoder-wasm.ts';
import { algorithm1Model, createEncoder } from '../../src/core/network/encoders.ts';
import { separateChannels, Separator } from '../../src/core/separate/separator.ts';
import { resampleSignal } from '../../src/core/signal/resample.ts';
import { frameError, header, network, paper, song } from './fastpath-fixtures.ts';
import { refuseWebAssembly, runBlocks } from './support.ts';

describe('fast paths compile here', () => {
  it('Node has WebAssembly SIMD: the separator, the encoder and the resampler take their fast paths', () => {
    expect(new Separator(paper, 44100, 2).fast).toBe(true);
    expect(new Separator(paper, 44100, 2, { fast: false }).fast).toBe(false);
    expect(createEncoder(paper)).toBeInstanceOf(WasmStructuredEncoder);
    expect(createEncoder(paper, { fast: false })).not.toBeInstanceOf(WasmStructuredEncoder);
    expect(createEncoder(algorithm1Model(paper.arrays.U, { ...header, structure: 'dense' }))).not.toBeInstanceOf(WasmStructuredEncoder);
  });
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
          expect(fast.sep.counters.frames).toBe(plain.sep.counters.frames);
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
      expect(sep.counters.badSamples).toBe(4);
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

  it('process() allocates nothing, on the fast path and on the plain path (128-sample quanta, as in the worklet)', () => {
    // V8 boxes a double that crosses a call it does not inline (16 bytes): neither path passes one.
    // The plain path (where WebAssembly SIMD is missing) allocated 16 B per frame in the level
    // tracker (its power in, its gain out) and, at other rates, in the resampler's compact().
    for (const fast of [true, false]) {
      for (const rate of [16000, 44100]) {
        const sep = new Separator(structured, rate, 2, { fast });
        expect(sep.fast).toBe(fast);
        const input = [new Float32Array(128), new Float32Array(128)];
        const voice = [new Float32Array(128), new Float32Array(128)], accomp = [new Float32Array(128), new Float32Array(128)];
        const src = input44.map((c) => (rate === 16000 ? c : resampleSignal(c, 16000, rate)));
        const feed = (k: number) => {
          const at = (k * 128) % (src[0].length - 128);
          for (let c = 0; c < 2; c++) for (let i = 0; i < 128; i++) input[c][i] = src[c][at + i];
          sep.process(input, voice, accomp, 128);
        };
        for (let k = 0; k < 20000; k++) feed(k); // warm up: the JIT settles (5000 calls were too few at 44.1 kHz run alone)
        // Young-generation bytes in use (where new objects go; the JIT's code and data go elsewhere),
        // less what reading them allocates (the statistics' own objects, about 2 kB), summed over
        // windows of 2000 calls: a scavenge inside a window makes it read low (counted as 0), the
        // others still count.
        const young = () => getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')?.space_used_size ?? 0;
        let reading = Infinity;
        for (let w = 0; w < 5; w++) {
          const before = young();
          reading = Math.min(reading, young() - before);
        }
        // Up to three attempts: an allocation per frame shows in every one, while code still waiting
        // for the optimising compiler shows only until it arrives (on a loaded machine the background
        // compile can come after the warm-up: one CI run read 8.2 MB in one window of 2000 calls,
        // 16 B for each of a call's 2 × 128 output samples: the output loop running unoptimised).
        let grown = Infinity;
        for (let attempt = 0; attempt < 3 && grown >= 8 * 1024; attempt++) {
          grown = 0;
          for (let w = 0; w < 10; w++) {
            const before = young();
            for (let k = 0; k < 2000; k++) feed(w * 2000 + k);
            grown += Math.max(0, young() - before - reading);
          }
        }
        // 16 bytes per frame would be ≥ 58 kB here (≥ 3600 frames); a stray JIT event a few kB.
        expect(grown, `${fast ? 'fast' : 'plain'} path, ${rate} Hz`).toBeLessThan(8 * 1024);
      }
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
