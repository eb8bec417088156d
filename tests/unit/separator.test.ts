import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../src/cli/paths.ts';
import { clipFrames } from '../../src/core/signal/features.ts';
import { mat } from '../../src/core/linalg/matrix.ts';
import type { Model } from '../../src/core/model/model.ts';
import { algorithm1Model } from '../../src/core/network/encoders.ts';
import { Random } from '../../src/core/linalg/random.ts';
import { separatorLatency } from '../../src/core/separate/latency.ts';
import { separateChannels, Separator } from '../../src/core/separate/separator.ts';
import { decodeWav } from '../../src/io/wav.ts';
import { runBlocks } from './support.ts';

function model(): Model {
  const rng = new Random(11);
  const U = mat(513, 20);
  for (let i = 0; i < U.data.length; i++) U.data[i] = rng.next() * Math.exp(-(i % 513) / 60);
  return algorithm1Model(U, {
    lambda: 0.05, lambdaStar: 1, layers: 10, variant: 'rnmf', structure: 'structured', sampleRate: 16000, fftSize: 1024, hop: 256, levelTau: 4, maskPower: 2,
  });
}

const clip = decodeWav(readFileSync(join(sharedData, 'mir1k/Wavfile/amy_3_08.wav')));
const mixture = clip.channels[0].map((a, i) => a + clip.channels[1][i]);

describe('Separator (the real-time path)', () => {
  const m = model();

  it('feeds the network exactly the frames training uses (features.ts)', () => {
    const sep = new Separator(m, 16000, 1);
    const ref = clipFrames(mixture, [], m.header);
    const out = [new Float32Array(256)], out2 = [new Float32Array(256)];
    let checked = 0;
    for (let j = 0; j < 300; j++) {
      sep.process([mixture.subarray(j * 256, (j + 1) * 256)], out, out2, 256);
      expect(sep.counters.frames).toBe(j + 1);
      for (let i = 0; i < 513; i++) {
        const want = ref.x.data[j * 513 + i];
        expect(Math.abs(sep.networkInput[i] - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want));
      }
      checked++;
    }
    expect(checked).toBe(300);
  });

  for (const rate of [16000, 44100, 48000, 22050]) {
    it(`at ${rate} Hz: voice + accompaniment = the input delayed by its latency, for any block size`, () => {
      const rng = new Random(rate);
      const n = Math.round(rate * 1.5);
      const src = mixture.subarray(0, n);
      const stereo = [src, src.map((v, i) => 0.5 * v + 0.01 * Math.sin(i / 7))];
      const sep = new Separator(m, rate, 2);
      const a = runBlocks(sep, stereo, () => 128);
      for (let c = 0; c < 2; c++) {
        let err = 0;
        for (let i = sep.latency; i < n; i++) err = Math.max(err, Math.abs(a.voice[c][i] + a.accomp[c][i] - stereo[c][i - sep.latency]));
        expect(err).toBeLessThan(1e-6);
      }
      const b = runBlocks(new Separator(m, rate, 2), stereo, () => 1 + rng.int(700));
      for (let c = 0; c < 2; c++) {
        for (let i = 0; i < n; i++) if (a.voice[c][i] !== b.voice[c][i]) throw new Error(`block sizes changed sample ${i}`);
      }
      let energy = 0;
      for (let i = 0; i < n; i++) energy += a.voice[0][i] ** 2;
      expect(energy).toBeGreaterThan(0);
    });
  }

  it('keeps the stereo image: the same mask on both channels', () => {
    const n = 16000;
    const left = mixture.subarray(0, n), right = left.map((v) => 0.25 * v);
    const r = separateChannels(m, 16000, [left, right]);
    for (let i = 0; i < n; i++) expect(r.voice[1][i]).toBeCloseTo(0.25 * r.voice[0][i], 6);
  });

  it('survives NaN and infinite input: counts them, outputs finite samples', () => {
    const sep = new Separator(m, 44100, 1);
    const x = mixture.slice(0, 4000);
    x[100] = NaN;
    x[2000] = Infinity;
    const v = new Float32Array(4000), a = new Float32Array(4000);
    expect(() => sep.process([x], [v], [a], 4000)).not.toThrow();
    expect(sep.counters.badSamples).toBe(2);
    expect(v.every(Number.isFinite) && a.every(Number.isFinite)).toBe(true);
  });

  it('reports its latency: N − 1 samples at the model rate (a full window), ~66 ms at 44.1 kHz', () => {
    expect(new Separator(m, 16000, 1).latency).toBe(1023);
    const l = new Separator(m, 44100, 2).latency / 44100;
    expect(l).toBeGreaterThan(0.06);
    expect(l).toBeLessThan(0.075);
  });

  it('separatorLatency (no separator built) is the latency a separator reports, at any rate', () => {
    for (const rate of [8000, 16000, 22050, 44056, 44100, 48000, 96000]) {
      expect(separatorLatency(m.header, rate), `${rate} Hz`).toBe(new Separator(m, rate, 2).latency);
    }
    expect(() => separatorLatency(m.header, 1000)).toThrow(/unsupported sample rate/);
  });
});
