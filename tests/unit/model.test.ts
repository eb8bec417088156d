import { describe, expect, it } from 'vitest';
import { mat } from '../../src/core/linalg/matrix.ts';
import { crc32, decodeModel, encodeModel, ModelError, type Model } from '../../src/core/model/model.ts';
import { algorithm1, algorithm1Model, createEncoder } from '../../src/core/network/encoders.ts';
import { Random } from '../../src/core/linalg/random.ts';
import { tieLayers } from '../../src/core/network/train.ts';

function dictionary(m: number, q: number, seed: number, signed = false) {
  const rng = new Random(seed);
  const U = mat(m, q);
  for (let i = 0; i < U.data.length; i++) U.data[i] = signed ? rng.normal() : rng.next();
  return U;
}

function untrained(structure: 'dense' | 'structured', variant: 'rnmf' | 'rpca' = 'rnmf', layers = 10): Model {
  return algorithm1Model(dictionary(513, 20, 3, variant === 'rpca'), {
    lambda: 0.2, lambdaStar: 1, layers, variant, structure, sampleRate: 16000, fftSize: 1024, hop: 256, levelTau: 4, maskPower: 2,
    inputRank: 8, layerRank: 4,
  });
}

describe('model file format', () => {
  for (const structure of ['dense', 'structured'] as const) {
    it(`round-trips a ${structure} model exactly`, () => {
      const model = untrained(structure);
      model.info = { name: 'test ✓ ünïcode', figures: { gnsdr: 5.5 } };
      const back = decodeModel(encodeModel(model));
      expect(back.header).toEqual(model.header);
      expect(back.info).toEqual(model.info);
      for (const [k, a] of Object.entries(model.arrays)) {
        const b = back.arrays[k].data;
        expect(b.length).toBe(a.data.length);
        expect(a.data.every((v, i) => v === b[i]), k).toBe(true);
      }
    });
  }

  const bytes = encodeModel(untrained('structured'));

  it('rejects a truncated file', () => {
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated: \d+ of \d+ bytes/);
    expect(() => decodeModel(bytes.subarray(0, 40))).toThrow(/truncated/);
  });

  it('rejects a corrupt file (one flipped bit) by its checksum', () => {
    const bad = bytes.slice();
    bad[bad.length - 5] ^= 0x10;
    expect(() => decodeModel(bad)).toThrow(/corrupt: checksum/);
  });

  it('rejects what is not a model, and a newer format version', () => {
    expect(() => decodeModel(new TextEncoder().encode('RIFF....WAVEfmt '))).toThrow(/not a model file/);
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint32(8, 4, true);
    expect(() => decodeModel(newer)).toThrow(/version 4 is newer/);
  });

  it('rejects a model whose arrays do not match its header', () => {
    const model = untrained('structured');
    model.arrays.Hso = mat(20, 100);
    expect(() => encodeModel(model)).toThrow(ModelError);
    expect(() => encodeModel(model)).toThrow(/"Hso" is 20×100, expected 20×4617/);
    const m2 = untrained('dense');
    m2.header = { ...m2.header, m: 257 };
    expect(() => encodeModel(m2)).toThrow(/m = 257 bins, but an FFT of 1024 has 513/);
    const m3 = untrained('dense');
    m3.arrays.W.data[7] = NaN;
    expect(() => encodeModel(m3)).toThrow(/non-finite/);
  });
});

describe('the untrained network is Algorithm 1', () => {
  for (const structure of ['dense', 'structured'] as const) {
    for (const variant of ['rnmf', 'rpca'] as const) {
      it(`${structure} ${variant}: T layers = T iterations of Algorithm 1`, () => {
        for (const T of [1, 2, 10]) {
          if (structure === 'structured' && T < 2) continue;
          const model = untrained(structure, variant, T);
          const enc = createEncoder(model);
          const rng = new Random(T);
          const x = Float32Array.from({ length: 513 }, () => 4 * rng.next() ** 3);
          const o = new Float32Array(513), l = new Float32Array(513);
          enc.run(x, o, l);
          const ref = algorithm1(x, model.arrays.U, { lambda: 0.2, lambdaStar: 1, variant, iterations: T, alpha: model.info.alpha as number });
          const U = model.arrays.U.data;
          let scale = 0;
          for (let i = 0; i < 513; i++) scale = Math.max(scale, Math.abs(ref.o[i]));
          expect(scale).toBeGreaterThan(0);
          for (let i = 0; i < 513; i++) {
            expect(Math.abs(o[i] - ref.o[i])).toBeLessThan(1e-5 * scale + 1e-7);
            let us = 0;
            for (let a = 0; a < 20; a++) us += U[i + a * 513] * ref.s[a];
            expect(Math.abs(l[i] - us)).toBeLessThan(1e-4 * Math.max(1, Math.abs(us)));
          }
        }
      });
    }
  }

  it('Algorithm 1 converges to the optimum of eq. (8): KKT conditions hold', () => {
    const m = 64, q = 5;
    const U = dictionary(m, q, 9);
    const rng = new Random(4);
    const x = Float32Array.from({ length: m }, () => 2 * rng.next());
    const lambda = 0.2, lambdaStar = 1;
    const { s, o } = algorithm1(x, U, { lambda, lambdaStar, iterations: 200_000, tol: 1e-12 });
    // Gradient of the smooth part: g_s = −Uᵀr + λ* s, g_o = −r, r = x − Us − o.
    const r = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let us = 0;
      for (let a = 0; a < q; a++) us += U.data[i + a * m] * s[a];
      r[i] = x[i] - us - o[i];
    }
    expect(s.some((v) => v > 0) && o.some((v) => v > 0)).toBe(true);
    for (let a = 0; a < q; a++) {
      let g = lambdaStar * s[a];
      for (let i = 0; i < m; i++) g -= U.data[i + a * m] * r[i];
      if (s[a] > 0) expect(Math.abs(g)).toBeLessThan(1e-3);
      else expect(g).toBeGreaterThan(-1e-3);
    }
    for (let i = 0; i < m; i++) {
      if (o[i] > 0) expect(Math.abs(-r[i] + lambda)).toBeLessThan(1e-3);
      else expect(-r[i] + lambda).toBeGreaterThan(-1e-3);
    }
  });
});

describe('tied models and format versions', () => {
  it('stores a tied model once per layer block and expands it on reading', () => {
    const model = untrained('structured');
    tieLayers(model);
    const tied = encodeModel(model);
    const untied = encodeModel({ ...model, header: { ...model.header, tied: false } });
    expect(tied.length).toBeLessThan(untied.length / 3);
    const back = decodeModel(tied);
    expect(back.header.tied).toBe(true);
    for (const [k, a] of Object.entries(model.arrays)) {
      const b = back.arrays[k];
      expect([b.rows, b.cols]).toEqual([a.rows, a.cols]);
      expect(a.data.every((v, i) => v === b.data[i]), k).toBe(true);
    }
  });

  it('refuses to write a model marked tied whose layers differ', () => {
    const model = untrained('structured');
    tieLayers(model);
    model.arrays.Hso.data[model.arrays.Hso.data.length - 1] += 1;
    expect(() => encodeModel(model)).toThrow(/tied, but they differ/);
  });

  /** The file an older version wrote: `version`, with the `len` header bytes at `at` taken out. */
  function older(file: Uint8Array, version: number, at: number, len: number, headerBytes: number): Uint8Array {
    const out = new Uint8Array(file.length - len);
    out.set(file.subarray(0, at));
    out.set(file.subarray(at + len), at);
    const v = new DataView(out.buffer);
    v.setUint32(8, version, true);
    v.setUint32(12, out.length, true);
    const infoLen = v.getUint32(headerBytes - 8, true), count = v.getUint32(headerBytes - 4, true);
    const table = headerBytes + ((infoLen + 3) & ~3);
    for (let i = 0; i < count; i++) v.setUint32(table + 28 * i + 24, v.getUint32(table + 28 * i + 24, true) - len, true);
    v.setUint32(16, crc32(out.subarray(20)), true);
    return out;
  }

  it('still reads format versions 2 (no residualWeight: 0, the paper\'s mask) and 1 (no tied field either)', () => {
    const model = untrained('structured');
    model.header = { ...model.header, residualWeight: 2.5 };
    const v3 = encodeModel(model);
    expect(decodeModel(v3).header.residualWeight).toBe(2.5);
    // Version 2: the same without the f64 at byte 96; version 1 also without the u32 at byte 60.
    const v2 = older(v3, 2, 96, 8, 104);
    const back2 = decodeModel(v2);
    expect(back2.header.residualWeight).toBe(0);
    expect(back2.header.maskPower).toBe(model.header.maskPower);
    const v1 = older(v2, 1, 60, 4, 100);
    const back1 = decodeModel(v1);
    expect(back1.header.tied).toBe(false);
    expect(back1.header.residualWeight).toBe(0);
    expect(back1.arrays.Hso.data).toEqual(decodeModel(v3).arrays.Hso.data);
  });
});
