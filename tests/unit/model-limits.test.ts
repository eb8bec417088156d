/**
 * A model file with a valid checksum can still be absurd (issue 10): every header field is checked
 * against its range (model.ts HEADER_RANGES) and refused by name; every array's size is checked
 * against the header before anything is allocated, and the header's sizes are bounded
 * (MAX_MODEL_FLOATS); and whatever a model's arrays compute, no output sample is NaN (the output
 * guard, frame-path.ts guardMask, on every engine).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { repoRoot, sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { crc32, decodeModel, encodeModel, MAX_MODEL_FLOATS, ModelError, type Model } from '../../src/core/model/model.ts';
import { separateBatch } from '../../src/core/separate/batch.ts';
import { Separator } from '../../src/core/separate/separator.ts';
import { decodeWav } from '../../src/io/wav.ts';
import { runBlocks } from './support.ts';

// The shipped model written in the current format version (the offsets below are that version's).
const shipped = encodeModel(decodeModel(new Uint8Array(readFileSync(shippedModelPath))));

/** A copy of `bytes` changed by `edit` (a DataView of it), its checksum made valid again. */
function patched(bytes: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const b = bytes.slice();
  const v = new DataView(b.buffer);
  edit(v);
  v.setUint32(16, crc32(b.subarray(20)), true);
  return b;
}

// Format version 3: u32 fields from byte 20, f64 fields from byte 64.
const U32 = { sampleRate: 0, fftSize: 1, hop: 2, m: 3, q: 4, layers: 5, variant: 6, structure: 7, inputRank: 8, layerRank: 9, tied: 10 } as const;
const F64 = { lambda: 0, lambdaStar: 1, levelTau: 2, maskPower: 3, residualWeight: 4 } as const;

describe('every header field is range-checked, by name', () => {
  const cases: [keyof typeof U32 | keyof typeof F64, number, RegExp][] = [
    ['sampleRate', 0, /sampleRate = 0 is out of range: .*from 3000 to 384000/],
    ['sampleRate', 2000, /sampleRate = 2000 is out of range/],
    ['sampleRate', 0xffffffff, /sampleRate = 4294967295 is out of range/],
    ['fftSize', 1000, /fftSize = 1000 is not a power of two/],
    ['fftSize', 1 << 20, /fftSize = 1048576 is out of range: .*from 16 to 65536/],
    ['hop', 0, /hop = 0 is out of range/],
    ['hop', 600, /hop = 600 for FFT size 1024: the hop must be from 1 to fftSize \/ 2 = 512/],
    ['m', 512, /m = 512 bins, but an FFT of 1024 has 513/],
    ['q', 0, /q = 0 is out of range: .*from 1 to 4096/],
    ['q', 100000, /q = 100000 is out of range/],
    ['layers', 0, /layers = 0 is out of range: .*from 1 to 1000/],
    ['layers', 5000, /layers = 5000 is out of range/],
    ['variant', 7, /variant code 7 is unknown/],
    ['structure', 9, /structure code 9 is unknown/],
    ['inputRank', 600, /ranks 600, \d+: each must be from 0 to m = 513/],
    ['layerRank', 100000, /layerRank = 100000 is out of range/],
    ['tied', 2, /tied = 2 is out of range: must be 0 or 1/],
    ['lambda', Number.NaN, /lambda = NaN is out of range: .*from 0 to 1000/],
    ['lambda', -1, /lambda = -1 is out of range/],
    ['lambda', 1e300, /lambda = 1e\+300 is out of range/],
    ['lambdaStar', 1e300, /lambdaStar = 1e\+300 is out of range/],
    ['levelTau', -1, /levelTau = -1 is out of range: .*from 0 to 3600/],
    ['levelTau', 1e9, /levelTau = 1000000000 is out of range/],
    ['levelTau', Infinity, /levelTau = Infinity is out of range/],
    ['maskPower', 1e300, /maskPower = 1e\+300 is out of range: the soft mask's exponent, must be from 0.1 to 4/],
    ['maskPower', 0, /maskPower = 0 is out of range/],
    ['maskPower', Number.NaN, /maskPower = NaN is out of range/],
    ['residualWeight', -1, /residualWeight = -1 is out of range: the weight β of the mask's residual voice estimate .*from 0 to 100/],
    ['residualWeight', 1e300, /residualWeight = 1e\+300 is out of range/],
  ];
  for (const [field, value, message] of cases) {
    it(`${field} = ${value}: refused with a ModelError naming it`, () => {
      const bad = patched(shipped, (v) => {
        if (field in U32) v.setUint32(20 + 4 * U32[field as keyof typeof U32], value, true);
        else v.setFloat64(64 + 8 * F64[field as keyof typeof F64], value, true);
      });
      expect(() => decodeModel(bad)).toThrow(ModelError);
      expect(() => decodeModel(bad)).toThrow(message);
    });
  }

  it('the shipped model and the paper models are inside every range', () => {
    expect(() => decodeModel(shipped)).not.toThrow();
    for (const f of ['rnmf-untrained', 'rpca-untrained', 'rnmf-dense-supervised']) expect(() => decodeModel(readFileSync(join(repoRoot, 'models/paper', `${f}.nnrnmf`)))).not.toThrow();
  });

  it('encodeModel refuses to write what the decoder would refuse', () => {
    const m = decodeModel(shipped);
    m.header = { ...m.header, maskPower: 1e300 };
    expect(() => encodeModel(m)).toThrow(/maskPower = 1e\+300 is out of range/);
  });
});

/**
 * A version 2 model file written by hand: any header, any table (names, claimed shapes, offsets),
 * with a valid checksum. `data` floats follow the table; entries without `off` point at its start.
 */
function craft(h: { fftSize: number; q: number; layers: number; structure: 0 | 1; tied: 0 | 1 }, table: [string, number, number][], dataFloats: number): Uint8Array {
  const m = h.fftSize / 2 + 1;
  const info = new TextEncoder().encode('{}');
  const infoPadded = (info.length + 3) & ~3;
  const tableAt = 104 + infoPadded, dataAt = tableAt + 28 * table.length;
  const total = dataAt + 4 * dataFloats;
  const b = new Uint8Array(total), v = new DataView(b.buffer);
  'NNRNMF\0\0'.split('').forEach((c, i) => { b[i] = c.charCodeAt(0); });
  v.setUint32(8, 2, true);
  v.setUint32(12, total, true);
  [16000, h.fftSize, h.fftSize / 4, m, h.q, h.layers, 0, h.structure, 0, 0, h.tied].forEach((x, i) => v.setUint32(20 + 4 * i, x, true));
  [0.2, 1, 4, 2].forEach((x, i) => v.setFloat64(64 + 8 * i, x, true));
  v.setUint32(96, info.length, true);
  v.setUint32(100, table.length, true);
  b.set(info, 104);
  table.forEach(([name, rows, cols], i) => {
    const at = tableAt + 28 * i;
    for (let c = 0; c < name.length; c++) b[at + c] = name.charCodeAt(c);
    v.setUint32(at + 16, rows, true);
    v.setUint32(at + 20, cols, true);
    v.setUint32(at + 24, dataAt, true); // every array over the same data: a small file
  });
  v.setUint32(16, crc32(b.subarray(20)), true);
  return b;
}

describe('array sizes are checked against the header before anything is allocated', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** Decodes `bytes` counting the floats of every Float32Array made meanwhile; returns the error, the floats, the bytes the process's ArrayBuffers grew by, and the seconds it took. */
  function decodeCounting(bytes: Uint8Array): { error: unknown; floats: number; grown: number; seconds: number } {
    let floats = 0;
    const Real = Float32Array;
    vi.stubGlobal('Float32Array', new Proxy(Real, {
      construct(target, args) {
        if (typeof args[0] === 'number') floats += args[0];
        return Reflect.construct(target, args);
      },
    }));
    const before = process.memoryUsage().arrayBuffers, t0 = performance.now();
    let error: unknown = null;
    try {
      decodeModel(bytes);
    } catch (e) {
      error = e;
    }
    const seconds = (performance.now() - t0) / 1000, grown = process.memoryUsage().arrayBuffers - before;
    vi.unstubAllGlobals();
    return { error, floats, grown, seconds };
  }

  it('a 220 kB tied model whose table claims layer blocks 100× too large (860 MB once expanded) is refused, allocating nothing', () => {
    // m = 513, q = 20, T = 1000, tied: each per-layer array stores one layer block, expanded 999×.
    const bytes = craft({ fftSize: 1024, q: 20, layers: 1000, structure: 1, tied: 1 }, [
      ['U', 513, 20], ['Ws', 20, 513], ['wo', 513, 1],
      ['t', 533, 100], ['Hss', 20, 2000], ['Hso', 20, 2000], ['Hos', 513, 80], ['hoo', 513, 80],
    ], 533 * 100);
    expect(bytes.length).toBeLessThan(256 * 1024);
    const r = decodeCounting(bytes);
    expect(r.floats, 'floats allocated while decoding').toBeLessThan(1e6);
    expect(r.grown, 'ArrayBuffer bytes grown').toBeLessThan(32 * 2 ** 20);
    expect(r.seconds).toBeLessThan(1);
    expect(r.error).toBeInstanceOf(ModelError);
    expect(String(r.error)).toMatch(/array "t" is 533×100, expected 533×1000 \(one layer block of a tied model: 533×1\)/);
  });

  it('a 310 kB tied model of correct shapes whose header asks for 290 MB (q = 260, T = 1000) is refused before allocating', () => {
    // m = 9: U, Ws 9×260 | 260×9, wo 9×1, t 269×1, Hss 260×260, Hso 260×9, Hos 9×260, hoo 9×1 (stored blocks).
    const bytes = craft({ fftSize: 16, q: 260, layers: 1000, structure: 1, tied: 1 }, [
      ['U', 9, 260], ['Ws', 260, 9], ['wo', 9, 1], ['t', 269, 1], ['Hss', 260, 260], ['Hso', 260, 9], ['Hos', 9, 260], ['hoo', 9, 1],
    ], 260 * 260);
    const r = decodeCounting(bytes);
    expect(r.floats, 'floats allocated while decoding').toBeLessThan(1e6);
    expect(r.error).toBeInstanceOf(ModelError);
    expect(String(r.error)).toMatch(new RegExp(`would hold \\d+ floats .* more than the ${MAX_MODEL_FLOATS}`));
    expect(r.grown).toBeLessThan(32 * 2 ** 20);
    expect(r.seconds).toBeLessThan(1);
  });

  it('a dense header of absurd size (FFT 65536, q = 4096: 5 GB of H) is refused by its size', () => {
    const bytes = craft({ fftSize: 65536, q: 4096, layers: 10, structure: 0, tied: 0 }, [['U', 32769, 4096], ['W', 36865, 32769], ['H', 36865, 36865], ['t', 36865, 1]], 16);
    const r = decodeCounting(bytes);
    expect(String(r.error)).toMatch(/would hold \d+ floats/);
    expect(r.floats).toBeLessThan(1e6);
  });

  it('a table with an unknown, a repeated or a missing array is refused before allocating', () => {
    const base: [string, number, number][] = [['U', 9, 4], ['Ws', 4, 9], ['wo', 9, 1], ['t', 13, 2], ['Hss', 4, 4], ['Hso', 4, 9], ['Hos', 9, 4], ['hoo', 9, 1]];
    const h = { fftSize: 16, q: 4, layers: 2, structure: 1 as const, tied: 0 as const };
    expect(() => decodeModel(craft(h, base, 64))).not.toThrow();
    const unknown = base.map((e, i): [string, number, number] => (i === 2 ? ['XX', 9, 1] : e));
    expect(decodeCounting(craft(h, unknown, 64)).error).toMatchObject({ message: expect.stringMatching(/unexpected array "XX"/) });
    const twice = base.map((e, i): [string, number, number] => (i === 2 ? ['U', 9, 4] : e));
    expect(decodeCounting(craft(h, twice, 64)).error).toMatchObject({ message: expect.stringMatching(/holds the array "U" twice/) });
    expect(decodeCounting(craft(h, base.slice(1), 64)).error).toMatchObject({ message: expect.stringMatching(/holds 7 arrays, but .* has 8/) });
  });
});

describe('no output is NaN, whatever the model computes', () => {
  const clip = decodeWav(readFileSync(join(sharedData, 'mir1k/Wavfile', 'abjones_1_01.wav'))).channels;
  const mixture = clip[0].map((a, i) => a + clip[1][i]).subarray(0, 48000);

  /** The four engines: the real-time separator (worklet, CLI) on both paths and the batch export on both. */
  function outputs(model: Model): { name: string; voice: Float32Array[]; accomp: Float32Array[]; badFrames: number; late: number }[] {
    const out = [];
    for (const fast of [true, false]) {
      const sep = new Separator(model, 16000, 1, { fast });
      out.push({ name: `Separator ${fast ? 'fast' : 'plain'}`, ...runBlocks(sep, [mixture], () => 128), badFrames: sep.counters.badFrames, late: sep.latency });
      const b = separateBatch(model, 16000, [mixture], { fast });
      out.push({ name: `separateBatch ${fast ? 'fast' : 'plain'}`, voice: b.voice, accomp: b.accomp, badFrames: b.badFrames, late: 0 });
    }
    return out;
  }

  function expectSound(model: Model) {
    for (const o of outputs(model)) {
      let bad = 0;
      for (const x of [...o.voice, ...o.accomp]) for (const s of x) if (!Number.isFinite(s)) bad++;
      expect(bad, `${o.name}: non-finite output samples`).toBe(0);
      expect(o.badFrames, `${o.name}: frames passed through`).toBeGreaterThan(0);
      // Where the voice is silent the accompaniment is the mixture, passed through.
      for (let i = o.late; i < mixture.length; i++) {
        if (o.voice[0][i] === 0) expect(Math.abs(o.accomp[0][i] - mixture[i - o.late])).toBeLessThan(1e-6);
      }
    }
  }

  it('a model whose weights overflow f32 (wo = 1e38, finite, so the decoder takes it) gives finite output on every engine', () => {
    const m = decodeModel(readFileSync(join(repoRoot, 'models/paper/rnmf-untrained.nnrnmf')));
    expect(m.header.structure).toBe('structured');
    m.arrays.wo.data.fill(1e38);
    m.arrays.hoo.data.fill(1);
    m.arrays.Hso.data.fill(0);
    expectSound(decodeModel(encodeModel(m)));
  });

  it('a mask power of 1e300 (the decoder refuses it; built in memory here) gives finite output on every engine', () => {
    const m = decodeModel(shipped);
    expectSound({ ...m, header: { ...m.header, maskPower: 1e300 } });
  });
});
