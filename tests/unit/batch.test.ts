/**
 * The batch separation (src/core/separate/batch.ts: the network on many frames at once through the
 * matrix products, what export and the GPU use) against the streaming separator it stands in for,
 * on real audio: the same voice and accompaniment to within 1e-5 of the signal's scale, for the
 * shipped structured model and a dense one, mono and stereo, at the model's rate and at 44.1 kHz;
 * and the gpu.js kernels (its CPU backend, which runs in Node) through the MatrixBackend seam.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../src/cli/paths.ts';
import { separateBatch } from '../../src/core/separate/batch.ts';
import { gemm, gemmJs, mat, withMatrixBackend, type MatrixBackend } from '../../src/core/linalg/matrix.ts';
import { decodeModel, type Model } from '../../src/core/model/model.ts';
import { resampleSignal } from '../../src/core/signal/resample.ts';
import { loadFastPaths, separateChannels } from '../../src/core/separate/separator.ts';
import { decodeWav } from '../../src/io/wav.ts';

const root = resolve(import.meta.dirname, '../..');
const shipped = decodeModel(readFileSync(join(root, 'public/models/default.nnrnmf')));
const dense = decodeModel(readFileSync(join(root, 'models/paper/rnmf-dense-dictupdate.nnrnmf')));

/** 6 s of a full-band stereo song (44.1 kHz) from the shared stems, and the same at 16 kHz, mono. */
function stemsSong(): { stereo44: Float32Array[]; mono16: Float32Array[] } {
  const dir = join(sharedData, 'stems/music_delta_80s_rock');
  const voice = decodeWav(readFileSync(join(dir, 'voice.wav')));
  const accomp = decodeWav(readFileSync(join(dir, 'accomp.wav')));
  const n = Math.min(6 * voice.sampleRate, voice.channels[0].length);
  const stereo = [0, 1].map((c) => {
    const v = voice.channels[Math.min(c, voice.channels.length - 1)], a = accomp.channels[Math.min(c, accomp.channels.length - 1)];
    return Float32Array.from({ length: n }, (_, i) => v[i] + a[i]);
  });
  const at44 = voice.sampleRate === 44100 ? stereo : stereo.map((x) => resampleSignal(x, voice.sampleRate, 44100));
  const mid = at44[0].map((x, i) => 0.5 * (x + at44[1][i]));
  return { stereo44: at44, mono16: [resampleSignal(mid, 44100, 16000)] };
}

/** max |a − b| over every sample of every channel, over the largest |b|. */
function relDiff(a: Float32Array[], b: Float32Array[]): number {
  let err = 0, scale = 0;
  for (let c = 0; c < b.length; c++) {
    expect(a[c].length).toBe(b[c].length);
    for (let i = 0; i < b[c].length; i++) {
      scale = Math.max(scale, Math.abs(b[c][i]));
      const e = Math.abs(a[c][i] - b[c][i]);
      if (!(e <= err)) err = e;
    }
  }
  return err / scale;
}

let song: ReturnType<typeof stemsSong>;
beforeAll(async () => {
  await loadFastPaths();
  song = stemsSong();
});

describe('batch separation = streaming separator', () => {
  const cases: [string, Model, 'mono16' | 'stereo44'][] = [
    ['shipped, mono 16 kHz', shipped, 'mono16'],
    ['shipped, stereo 44.1 kHz', shipped, 'stereo44'],
    ['dense, stereo 44.1 kHz', dense, 'stereo44'],
  ];
  for (const [name, model, which] of cases) {
    it(name, () => {
      const input = song[which];
      const want = separateChannels(model, which === 'mono16' ? 16000 : 44100, input);
      for (const fast of [true, false]) {
        // A small batch so that the blocks' seams (level tracker, overlap-add) are crossed many times.
        const got = separateBatch(model, which === 'mono16' ? 16000 : 44100, input, { fast, batch: 97 });
        expect(got.fast).toBe(fast);
        const dv = relDiff(got.voice, want.voice), da = relDiff(got.accomp, want.accomp);
        expect(dv, `voice, fast = ${fast}`).toBeLessThan(1e-5);
        expect(da, `accompaniment, fast = ${fast}`).toBeLessThan(1e-5);
      }
    });
  }

  it('does not depend on the batch size', () => {
    const a = separateBatch(shipped, 44100, song.stereo44, { batch: 1024 });
    const b = separateBatch(shipped, 44100, song.stereo44, { batch: 33 });
    expect(relDiff(a.voice, b.voice)).toBeLessThan(1e-6);
  });
});

describe('matrix backends', () => {
  it('a backend set with withMatrixBackend receives every product, and is removed afterwards', () => {
    let calls = 0;
    const counting: MatrixBackend = {
      name: 'counting JS',
      gemm: (a, b, c, beta) => { calls++; gemmJs(a, b, c, beta); },
      gemmTN: () => { throw new Error('not used'); },
      gemmNT: () => { throw new Error('not used'); },
    };
    const a = mat(3, 2, Float32Array.from([1, 2, 3, 4, 5, 6])), b = mat(2, 1, Float32Array.from([1, -1])), c = mat(3, 1);
    withMatrixBackend(counting, () => gemm(a, b, c));
    expect(calls).toBe(1);
    expect(Array.from(c.data)).toEqual([-3, -3, -3]);
    gemm(a, b, c);
    expect(calls).toBe(1);
  });

  it('gpu.js kernels (its CPU backend, in Node) run the batch separation: same output as the streaming separator', async () => {
    const { GpuMatrix } = await import('../../src/gpu/kernels.ts');
    const g = await GpuMatrix.create('cpu');
    try {
      g.setResident(Object.values(shipped.arrays).map((x) => x.data), false);
      const input = [song.mono16[0].subarray(0, 3 * 16000)];
      // Three blocks: the weights go up as textures in the first and are reused in the others.
      const got = withMatrixBackend(g, () => separateBatch(shipped, 16000, input, { batch: 64 }));
      const want = separateChannels(shipped, 16000, input);
      expect(g.stats.calls).toBeGreaterThan(0);
      expect(g.stats.residentHits).toBeGreaterThan(0);
      expect(relDiff(got.voice, want.voice)).toBeLessThan(1e-5);
      expect(relDiff(got.accomp, want.accomp)).toBeLessThan(1e-5);
    } finally {
      g.destroy();
    }
  }, 120_000);
});

describe('training through a matrix backend (what the page does on a GPU)', () => {
  it('a few supervised steps with dictionary update on gpu.js (CPU backend) give the parameters of the default products', async () => {
    const { buildTrainData } = await import('../../src/jobs/train/train-data.ts');
    const { trainNetwork } = await import('../../src/core/network/train.ts');
    const { GpuMatrix } = await import('../../src/gpu/kernels.ts');
    const dir = join(sharedData, 'stems/music_delta_80s_rock');
    const clip = (f: string) => ({ name: f, ...decodeWav(readFileSync(join(dir, f))) });
    const files = { pairs: [{ voice: clip('voice.wav'), accomp: clip('accomp.wav') }], voiceOnly: [], accompOnly: [], mixtures: [] };
    const data = buildTrainData('supervised', files, shipped.header);
    const opts = { regime: 'supervised' as const, dictUpdate: true, steps: 3, batch: 64, learningRate: 1e-4, seed: 3, validateEvery: 3, patience: 0, tied: shipped.header.tied }; // as the page trains it
    const a = decodeModel(readFileSync(join(root, 'public/models/default.nnrnmf')));
    const b = decodeModel(readFileSync(join(root, 'public/models/default.nnrnmf')));
    const ha = trainNetwork(a, data.train, data.val, opts);
    const g = await GpuMatrix.create('cpu');
    let hb;
    try {
      // Verified residency: Adam changes the weights after every step, and the kernels must see it.
      g.setResident(Object.values(b.arrays).map((x) => x.data), true);
      hb = withMatrixBackend(g, () => trainNetwork(b, data.train, data.val, opts));
      expect(g.stats.residentUploads).toBeGreaterThan(Object.keys(b.arrays).length);
    } finally {
      g.destroy();
    }
    expect(hb.at(-1)!.valLoss).toBeCloseTo(ha.at(-1)!.valLoss, 4);
    for (const [name, arr] of Object.entries(a.arrays)) {
      const other = b.arrays[name].data;
      let err = 0, scale = 0;
      for (let i = 0; i < arr.data.length; i++) {
        scale = Math.max(scale, Math.abs(arr.data[i]));
        err = Math.max(err, Math.abs(arr.data[i] - other[i]));
      }
      expect(err / Math.max(scale, 1e-12), name).toBeLessThan(1e-4);
    }
    // And training moved them (the comparison is not of two untouched copies).
    const before = decodeModel(readFileSync(join(root, 'public/models/default.nnrnmf')));
    expect(Math.max(...Array.from(a.arrays.U.data, (x, i) => Math.abs(x - before.arrays.U.data[i])))).toBeGreaterThan(1e-6);
  }, 120_000);
});
