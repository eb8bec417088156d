/**
 * What the fast-path tests share (fastpath.test.ts, fastpath-wasm.test.ts): the paper's model, two
 * MIR-1K clips (mono and a stereo mix), perturbed structured networks, and the relative error of a
 * frame.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sharedData } from '../../src/cli/paths.ts';
import { mat } from '../../src/core/linalg/matrix.ts';
import { Random } from '../../src/core/linalg/random.ts';
import { decodeModel, type Model } from '../../src/core/model/model.ts';
import { algorithm1Model } from '../../src/core/network/encoders.ts';
import { decodeWav } from '../../src/io/wav.ts';

export const root = resolve(import.meta.dirname, '../..');
export const paper = decodeModel(readFileSync(join(root, 'models/paper/rnmf-untrained.nnrnmf')));
export const header = paper.header;

function clip(name: string): { mono: Float32Array; stereo: Float32Array[] } {
  const c = decodeWav(readFileSync(join(sharedData, 'mir1k/Wavfile', name)));
  // MIR-1K: accompaniment left, voice right.
  return { mono: c.channels[0].map((a, i) => a + c.channels[1][i]), stereo: [c.channels[0].map((a, i) => a + 0.7 * c.channels[1][i]), c.channels[0].map((a, i) => 0.6 * a + c.channels[1][i])] };
}
const clips = readdirSync(join(sharedData, 'mir1k/Wavfile')).filter((f) => f.endsWith('.wav')).sort();
export const song = clip(clips.includes('amy_3_08.wav') ? 'amy_3_08.wav' : clips[0]);
export const song2 = clip(clips[Math.floor(clips.length / 2)]);

/**
 * A structured network with the paper's dictionary (or a random one of q atoms), every learned
 * array perturbed (so that the layers differ unless tied, and P ≠ 0: zero-skipping cannot cheat).
 */
export function network(opts: { variant?: 'rnmf' | 'rpca'; T?: number; rw?: number; rh?: number; tied?: boolean; q?: number; m?: number; seed?: number }): Model {
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
export function frameError(a: Float32Array[], b: Float32Array[]): number {
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
