/**
 * The presence gate (issue 9; src/core/signal/presence-gate.ts): the voice mask above 1.6 kHz is
 * believed only while the voice is present below 1.2 kHz. On the real full-band stems a lone rock
 * accompaniment's upper register leaves the voice output (it leaked through 1.6–4 kHz), while a
 * singer alone keeps every band: the stems' voices and the `voice_only/` voices, whose sibilants
 * and breath open the gate by themselves. The batch path gates the same frames the same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { separateBatch } from '../../src/core/separate/batch.ts';
import { separateChannels } from '../../src/core/separate/separator.ts';
import { PRESENCE_GATE, PresenceGate } from '../../src/core/signal/presence-gate.ts';
import { bandEnergy } from '../../src/eval/band-energy.ts';
import { decodeWav } from '../../src/io/wav.ts';

const shipped = decodeModel(readFileSync(shippedModelPath));
const read = (...path: string[]) => decodeWav(new Uint8Array(readFileSync(join(sharedData, ...path))));
const energy = (x: Float32Array) => x.reduce((e, v) => e + v * v, 0);
const db = (ratio: number) => 10 * Math.log10(ratio);
const EDGES = [0, 1000, 1600, 4000, 8000, 12000, 22050];

describe('the presence gate', () => {
  it('a lone rock accompaniment leaves the voice output (its upper register leaked there); the voice stems alone stay on it', () => {
    const accomp = read('stems', 'music_delta_80s_rock', 'accomp.wav'), rate = accomp.sampleRate;
    const x = accomp.channels[0];
    const gated = separateChannels(shipped, rate, [x]), open = separateChannels(shipped, rate, [x], { presenceGate: false });
    const gatedDb = db(energy(gated.voice[0]) / energy(gated.accomp[0])), openDb = db(energy(open.voice[0]) / energy(open.accomp[0]));
    const voices = ['music_delta_80s_rock', 'ikala_10161_chorus'].map((item) => {
      const v = read('stems', item, 'voice.wav').channels[0];
      const r = separateChannels(shipped, rate, [v]);
      return db(energy(r.accomp[0]) / energy(r.voice[0]));
    });
    console.log(`[presence gate] rock accompaniment alone, voice output below the accompaniment output: ${gatedDb.toFixed(1)} dB (no gate: ${openDb.toFixed(1)}); voice stems alone, accompaniment output below the voice output: ${voices.map((v) => v.toFixed(1)).join(', ')} dB`);
    expect(gatedDb).toBeLessThan(-17);
    expect(openDb).toBeGreaterThan(-15);
    for (const v of voices) expect(v).toBeLessThan(-9);
  });

  it('a singer alone keeps every band on the voice output to 0.2 dB, sibilants and breath included', () => {
    for (const item of ['vocadito_1', 'csd_en001b']) {
      const audio = read('voice_only', item, 'voice.wav'), rate = audio.sampleRate;
      const x = [audio.channels[0].subarray(0, 20 * rate)];
      const gated = bandEnergy(separateChannels(shipped, rate, x).voice[0], rate, EDGES);
      const open = bandEnergy(separateChannels(shipped, rate, x, { presenceGate: false }).voice[0], rate, EDGES);
      const change = [...gated].map((g, b) => db(g / open[b]));
      console.log(`[presence gate] ${item} alone, voice output per band with the gate vs without, dB: ${change.map((c) => c.toFixed(2)).join(' ')}`);
      for (const c of change) expect(Math.abs(c)).toBeLessThan(0.2);
    }
  });

  it('the batch path gates as the stream does (to f32 rounding)', () => {
    const voice = read('stems', 'music_delta_80s_rock', 'voice.wav'), accomp = read('stems', 'music_delta_80s_rock', 'accomp.wav');
    const rate = voice.sampleRate, n = 4 * rate;
    // Voice from 1 s on: the gate closes on the accompaniment before it, then opens.
    const mix = [accomp.channels[0].subarray(0, n).map((a, i) => a + (i > rate ? voice.channels[0][i] : 0))];
    const stream = separateChannels(shipped, rate, mix), batch = separateBatch(shipped, rate, mix);
    const ungated = separateChannels(shipped, rate, mix, { presenceGate: false });
    let diff = 0, peak = 0, gateDiff = 0;
    for (let i = 0; i < n; i++) {
      diff = Math.max(diff, Math.abs(stream.voice[0][i] - batch.voice[0][i]));
      gateDiff = Math.max(gateDiff, Math.abs(stream.voice[0][i] - ungated.voice[0][i]));
      peak = Math.max(peak, Math.abs(stream.voice[0][i]));
    }
    expect(diff / peak).toBeLessThan(1e-4);
    expect(gateDiff / peak).toBeGreaterThan(1e-2); // the gate did act on this mixture
  });

  it('opens at once on voice evidence, closes over its release time, opens for a frame whose energy is all above it, and ignores a non-finite frame', () => {
    const rate = 16000, fft = 1024, hop = 256, m = fft / 2 + 1;
    const gate = new PresenceGate(rate, fft, hop);
    const bin = (hz: number) => Math.round((hz * fft) / rate);
    const upper = bin(PRESENCE_GATE.gatedFromHz);
    const frame = (low: number, high: number, lowMask: number) => {
      const mag = new Float32Array(m), mask = new Float32Array(m).fill(1);
      for (let i = 0; i < m; i++) {
        mag[i] = i < upper ? low : high;
        if (i < upper) mask[i] = lowMask;
      }
      return { mag, mask };
    };
    const run = (f: { mag: Float32Array; mask: Float32Array }) => {
      gate.apply(f.mask, f.mag);
      return f.mask[m - 1];
    };
    expect(run(frame(1, 0, 0))).toBe(0); // starts closed; no voice below: stays closed
    expect(run(frame(1, 1, 1))).toBe(1); // a voiced frame opens it at once
    const closing = [1, 2, 3].map(() => run(frame(1, 0, 0)));
    const release = Math.exp(-hop / rate / PRESENCE_GATE.releaseSeconds);
    closing.forEach((g, k) => expect(g).toBeCloseTo(release ** (k + 1), 5));
    expect(run(frame(1e-3, 1, 0))).toBe(1); // a sibilant: energy above, none below
    const before = run(frame(1, 0, 0));
    expect(before).toBeCloseTo(release, 5);
    expect(run(frame(Number.POSITIVE_INFINITY, 1, 0.5))).toBeCloseTo(before, 6); // held where it was
  });
});
