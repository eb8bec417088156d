/**
 * Sound that cannot be broken (issue 10): no input, however large, switches the voice off for more
 * than a second or puts NaN into an output. The mechanism: every input sample is sanitised once, where
 * it enters the separator (sample-path.ts cleanSample: non-finite → 0, beyond ±INPUT_LIMIT clipped),
 * in the real-time separator (the worklet, the CLI, the stream export) and the batch export alike, so
 * the level tracker's state stays bounded and the f32 FFT cannot overflow.
 *
 * The figures are relative (a run with the burst against the same run without it), so they hold for
 * whatever model public/models/default.nnrnmf is.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { separateBatch } from '../../src/core/separate/batch.ts';
import { cleanSample, INPUT_LIMIT } from '../../src/core/separate/sample-path.ts';
import { separateChannels, Separator } from '../../src/core/separate/separator.ts';
import { decodeWav } from '../../src/io/wav.ts';
import { runBlocks } from './support.ts';

const model = decodeModel(readFileSync(shippedModelPath));

/** The first MIR-1K clip (by name) of at least 8 s: 16 kHz, accompaniment left, voice right; the mixture is their sum. */
function mir1kMixture(): Float32Array {
  const dir = join(sharedData, 'mir1k/Wavfile');
  const name = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort().find((f) => statSync(join(dir, f)).size > 8 * 16000 * 4 + 44);
  const c = decodeWav(readFileSync(join(dir, name!))).channels;
  return c[0].map((a, i) => a + c[1][i]);
}

/** Up to 12 s (at least 6) of a real song at another rate than the model's, in stereo (voice + accompaniment stems). */
function stemsMixture(): { rate: number; channels: Float32Array[] } | null {
  const dir = join(sharedData, 'stems');
  for (const item of readdirSync(dir).sort()) {
    const v = decodeWav(readFileSync(join(dir, item, 'voice.wav'))), a = decodeWav(readFileSync(join(dir, item, 'accomp.wav')));
    const n = Math.min(v.channels[0].length, a.channels[0].length);
    if (n < 6 * v.sampleRate || v.sampleRate === model.header.sampleRate) continue;
    const len = Math.min(n, 12 * v.sampleRate);
    const channels = [0, 1].map((c) => {
      const vc = v.channels[Math.min(c, v.channels.length - 1)], ac = a.channels[Math.min(c, a.channels.length - 1)];
      return Float32Array.from({ length: len }, (_, i) => vc[i] + ac[i]);
    });
    return { rate: v.sampleRate, channels };
  }
  return null;
}

type Burst = { name: string; apply: (x: Float32Array, at: number, rate: number) => void };
const BURSTS: Burst[] = [
  { name: '10 samples of 1e30', apply: (x, at) => x.fill(1e30, at, at + 10) },
  { name: 'one sample of 3.4e38', apply: (x, at) => { x[at] = 3.4e38; } },
  {
    name: '10 ms at int16 scale (±32768 for ±1)',
    apply: (x, at, rate) => {
      for (let i = at; i < at + rate / 100; i++) x[i] *= 32768;
    },
  },
];

type Outputs = { voice: Float32Array[]; accomp: Float32Array[] };
/** clipped: the separator's count of clipped samples; late: how many samples late its outputs are (0 if aligned). */
type Engine = { name: string; run: (rate: number, input: Float32Array[]) => Outputs & { clipped?: number; late?: number } };

/** The separator as the worklet runs it: 128-sample quanta, outputs `latency` samples late (compared as such). */
function quanta(fast: boolean): Engine {
  return {
    name: `the real-time separator in 128-sample quanta (${fast ? 'WebAssembly SIMD' : 'plain JS'}: the worklet)`,
    run: (rate, input) => {
      const sep = new Separator(model, rate, input.length, { fast });
      expect(sep.fast).toBe(fast);
      return { ...runBlocks(sep, input, () => 128), clipped: sep.counters.clippedSamples, late: sep.latency };
    },
  };
}

const ENGINES: Engine[] = [
  quanta(true),
  quanta(false),
  { name: 'separateChannels (the CLI, the stream export)', run: (rate, input) => separateChannels(model, rate, input) },
  { name: 'separateBatch (the batch export)', run: (rate, input) => separateBatch(model, rate, input) },
];

function voiceEnergy(out: Outputs, from: number): number {
  let e = 0;
  for (const v of out.voice) for (let i = from; i < v.length; i++) e += v[i] * v[i];
  return e;
}

function nonFinite(out: Outputs): number {
  let bad = 0;
  for (const x of [...out.voice, ...out.accomp]) for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) bad++;
  return bad;
}

/** The burst at 2 s; the voice's energy from 1 s after it to the end, in dB against the clean run. */
function check(engine: Engine, rate: number, clean: Float32Array[], burst: Burst, ref: Outputs) {
  const at = 2 * rate;
  const hit = clean.map((c) => {
    const x = c.slice();
    burst.apply(x, at, rate);
    return x;
  });
  const out = engine.run(rate, hit);
  expect(nonFinite(out), `${burst.name}: non-finite output samples`).toBe(0);
  // Measured from 1 s after the burst ends (in output time: the quanta's outputs are `late`).
  const from = at + Math.ceil(rate / 100) + rate + (out.late ?? 0);
  const eRef = voiceEnergy(ref, from);
  expect(eRef, 'the clean run has a voice').toBeGreaterThan(0);
  const db = 10 * Math.log10(voiceEnergy(out, from) / eRef);
  expect(Math.abs(db), `${burst.name}: voice energy from 1 s after the burst, ${db.toFixed(2)} dB against the clean run`).toBeLessThan(1);
  if (engine.name.includes('quanta')) expect(out.clipped, `${burst.name}: clipped samples counted`).toBeGreaterThan(0);
}

describe('a burst of huge samples: the voice is back within a second, never NaN', () => {
  const mono = [mir1kMixture()];
  for (const engine of ENGINES) {
    it(`MIR-1K, 16 kHz mono, ${engine.name}`, () => {
      const ref = engine.run(16000, mono);
      expect(nonFinite(ref)).toBe(0);
      for (const burst of BURSTS) check(engine, 16000, mono, burst, ref);
    });
  }

  it('a 44.1 kHz stereo song (the resamplers), the real-time separator in 128-sample quanta, both channels hit', () => {
    const song = stemsMixture();
    expect(song, 'a stems song of 6 s or more at 44.1 kHz in the shared data').not.toBeNull();
    const engine = quanta(true);
    const ref = engine.run(song!.rate, song!.channels);
    for (const burst of BURSTS) check(engine, song!.rate, song!.channels, burst, ref);
  });
});

describe('the input bound', () => {
  it('cleanSample: non-finite → 0, beyond ±INPUT_LIMIT clipped, everything else unchanged', () => {
    expect(INPUT_LIMIT).toBeGreaterThanOrEqual(2); // overs of decoded or float audio pass untouched
    for (const x of [0, -0, 1e-30, 0.5, -1, 1.2, -3.99, INPUT_LIMIT, -INPUT_LIMIT]) expect(Object.is(cleanSample(x), x)).toBe(true);
    expect(cleanSample(NaN)).toBe(0);
    expect(cleanSample(Infinity)).toBe(0);
    expect(cleanSample(-Infinity)).toBe(0);
    expect(cleanSample(1e30)).toBe(INPUT_LIMIT);
    expect(cleanSample(-3.4e38)).toBe(-INPUT_LIMIT);
    expect(cleanSample(32768)).toBe(INPUT_LIMIT);
  });

  it('input up to ±INPUT_LIMIT passes untouched (voice + accompaniment = the input), beyond it is clipped and counted, on both paths', () => {
    const x = mir1kMixture().subarray(0, 48000);
    let peak = 0;
    for (const v of x) peak = Math.max(peak, Math.abs(v));
    for (const gain of [INPUT_LIMIT / peak, (2 * INPUT_LIMIT) / peak]) {
      const input = [x.map((v) => Math.fround(v * gain))];
      const outs = [true, false].map((fast) => {
        const sep = new Separator(model, 16000, 1, { fast });
        const out = runBlocks(sep, input, () => 128);
        let over = 0;
        for (const v of input[0]) if (Math.abs(v) > INPUT_LIMIT) over++;
        expect(sep.counters.clippedSamples).toBe(over);
        expect(sep.counters.badSamples).toBe(0);
        for (let i = sep.latency; i < 48000; i++) {
          const want = cleanSample(input[0][i - sep.latency]);
          expect(Math.abs(out.voice[0][i] + out.accomp[0][i] - want)).toBeLessThan(1e-6 * INPUT_LIMIT);
        }
        return over;
      });
      expect(outs[0] > 0).toBe(gain > INPUT_LIMIT / peak);
    }
  });

  it('non-finite input is still silenced and counted apart from clipped input', () => {
    const x = mir1kMixture().slice(0, 9000);
    x[100] = NaN;
    x[2001] = Infinity;
    x[3000] = 1e30;
    x[3001] = -7;
    for (const fast of [true, false]) {
      const sep = new Separator(model, 44100, 1, { fast });
      const out = runBlocks(sep, [x], () => 128);
      expect([sep.counters.badSamples, sep.counters.clippedSamples]).toEqual([2, 2]);
      expect(nonFinite(out)).toBe(0);
    }
  });
});
