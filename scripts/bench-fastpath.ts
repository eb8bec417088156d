/**
 * Per-frame cost of the separator's real-time path, piece by piece, plain JS against the fast paths
 * (WebAssembly SIMD), in one process.
 *
 *   npm run bench:fastpath -- [--runs N] [--seconds S] [--model FILE]
 *
 * Model: FILE, or a realistic stand-in for the shipped one: the paper's untrained dictionary in a
 * structured network with low-rank terms (ranks 128/32, every layer different) whose P arrays are
 * perturbed (P = 0 would let zero-skipping cheat). Input: S seconds of the demo song, stereo, at
 * 16, 44.1 and 48 kHz, fed in 128-sample quanta as the AudioWorklet does. Figures are medians of N
 * runs of CPU time (one core), in ms per model frame (62.5 frames per second of audio).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../src/cli/paths.ts';
import { decodeModel, type Model } from '../src/core/model/model.ts';
import { algorithm1Model, createEncoder } from '../src/core/network/encoders.ts';
import { Random } from '../src/core/linalg/random.ts';
import { resampleSignal, Resampler } from '../src/core/signal/resample.ts';
import { PlainFramePath, type FramePath } from '../src/core/separate/frame-path.ts';
import { Separator } from '../src/core/separate/separator.ts';
import { StftKernel } from '../src/core/signal/stft.ts';
import { decodeWav } from '../src/io/wav.ts';
import { WasmArena } from '../src/core/wasm/loader.ts';
import { WasmStft } from '../src/core/signal/stft-wasm.ts';

const { values: a } = parseArgs({ options: { runs: { type: 'string' }, seconds: { type: 'string' }, model: { type: 'string' } } });
const runs = Number(a.runs ?? 5), secs = Number(a.seconds ?? 10);

function standIn(): Model {
  const base = decodeModel(readFileSync(join(repoRoot, 'models/paper/rnmf-untrained.nnrnmf')));
  const m = algorithm1Model(base.arrays.U, { ...base.header, structure: 'structured', inputRank: 128, layerRank: 32 });
  const rng = new Random(5);
  for (const k of ['Pw', 'Ph']) {
    const d = m.arrays[k].data;
    for (let i = 0; i < d.length; i++) d[i] = 0.01 * rng.normal();
  }
  return m;
}

const model = a.model ? decodeModel(readFileSync(a.model)) : standIn();
const demo = decodeWav(readFileSync(join(repoRoot, 'public/demo/demo-song.wav')));
const take = Math.min(demo.channels[0].length, Math.round(secs * demo.sampleRate));
const song44 = demo.channels.map((c) => c.slice(0, take));
const inputs: Record<number, Float32Array[]> = {
  16000: song44.map((c) => resampleSignal(c, demo.sampleRate, 16000)),
  44100: song44,
  48000: song44.map((c) => resampleSignal(c, demo.sampleRate, 48000)),
};

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
function cpu(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
}

/** The worklet's path: ms per model frame. */
function worklet(rate: number, fast: boolean): number {
  const input = inputs[rate];
  const sep = new Separator(model, rate, 2, { fast });
  const q = 128, n = input[0].length;
  const inV = input.map(() => new Float32Array(q)), v = input.map(() => new Float32Array(q)), ac = input.map(() => new Float32Array(q));
  const s = cpu(() => {
    for (let i = 0; i + q <= n; i += q) {
      for (let c = 0; c < 2; c++) inV[c].set(input[c].subarray(i, i + q));
      sep.process(inV, v, ac, q);
    }
  });
  return (s * 1000) / sep.counters.frames;
}

// Real network inputs: what the separator fed the network, frame by frame.
const frames: Float32Array[] = [];
{
  const sep = new Separator(model, 16000, 2, { fast: false });
  const x = inputs[16000], n = x[0].length, H = 256;
  const o = [new Float32Array(H), new Float32Array(H)];
  for (let i = 0; i + H <= n; i += H) {
    sep.process(x.map((c) => c.subarray(i, i + H)), o, o, H);
    frames.push(sep.networkInput.slice());
  }
}

function encoderMs(fast: boolean): number {
  const enc = createEncoder(model, { fast });
  const v = new Float32Array(513), l = new Float32Array(513);
  for (const f of frames.slice(0, 200)) enc.run(f, v, l);
  return (cpu(() => { for (const f of frames) enc.run(f, v, l); }) * 1000) / frames.length;
}

/** Per model frame: 2 channels down (≈ 256·rate/16000 samples in) and 2 up (256 in). */
function resamplerMs(rate: number, fast: boolean): number {
  const inPer = Math.round((256 * rate) / 16000);
  const down = [0, 1].map(() => new Resampler(rate, 16000, { delayNumerator: 0, fast }));
  const up = [0, 1].map(() => new Resampler(16000, rate, { delayNumerator: 7, fast }));
  const x = inputs[rate][0], n = Math.floor(x.length / inPer);
  const mid = new Float32Array(400), out = new Float32Array(1200);
  const s = cpu(() => {
    for (let f = 0; f < n; f++) {
      for (let c = 0; c < 2; c++) {
        const k = down[c].process(x.subarray(f * inPer, (f + 1) * inPer), inPer, mid);
        up[c].process(mid, k, out);
      }
    }
  });
  return (s * 1000) / n;
}

/** The frame path without the network, stereo: window, FFT, level, magnitudes, soft mask, masking, inverse FFT, OLA. */
function dspMs(fast: boolean): number {
  const N = 1024, H = 256, reps = 4000;
  const kernel = new StftKernel({ fftSize: N, hop: H });
  const settings = { sampleRate: 16000, levelTau: 4, maskPower: 2, residualWeight: 0 }; // 62.5 frames/s
  const arena = fast ? WasmArena.create()! : null;
  const path: FramePath = arena ? WasmStft.create(arena, kernel, 2, settings)! : new PlainFramePath(kernel, 2, settings);
  arena?.commit();
  path.voice.fill(1);
  path.accomp.fill(1); // mask 0.5
  const x = inputs[16000];
  return (cpu(() => {
    for (let r = 0; r < reps; r++) {
      const at = (r * H) % (x[0].length - N);
      for (let c = 0; c < 2; c++) path.frames[c].set(x[c].subarray(at, at + N));
      path.analyze();
      path.softMask();
      path.synthesize();
    }
  }) * 1000) / reps;
}

/** Median over runs of fn(plain) and fn(fast), interleaved (the machine's load drifts). */
function both(fn: (fast: boolean) => number): [number, number] {
  const p: number[] = [], f: number[] = [];
  for (let r = 0; r < runs; r++) {
    p.push(fn(false));
    f.push(fn(true));
  }
  return [median(p), median(f)];
}

const h = model.header;
console.log(`model: ${h.structure} NN ${h.variant.toUpperCase()}, T = ${h.layers}, q = ${h.q}, ranks ${h.inputRank}/${h.layerRank}`);
console.log(`input: ${secs} s of the demo song, stereo, 128-sample quanta; ${runs} runs; medians, ms per model frame (62.5 per second of audio)`);
for (const rate of [16000, 44100, 48000]) { worklet(rate, false); worklet(rate, true); } // JIT warm-up
const totals: Record<number, [number, number]> = {};
for (const rate of [16000, 44100, 48000]) totals[rate] = both((fast) => worklet(rate, fast));
const net = both(encoderMs);
const dsp = both(dspMs);
const res: Record<number, [number, number]> = { 16000: [0, 0] };
for (const rate of [44100, 48000]) res[rate] = both((fast) => resamplerMs(rate, fast));

const rtf = (ms: number) => `${(1000 / (62.5 * ms)).toFixed(0)}×`;
const row = (name: string, p: number, f: number) => console.log(`  ${name.padEnd(40)} ${p.toFixed(4).padStart(8)} ${f.toFixed(4).padStart(8)}`);
for (const rate of [16000, 44100, 48000]) {
  const [tp, tf] = totals[rate];
  console.log('');
  console.log(`${rate} Hz: whole worklet path ${tp.toFixed(4)} ms (${rtf(tp)} real time) → ${tf.toFixed(4)} ms (${rtf(tf)})`);
  console.log(`  ${''.padEnd(40)} ${'plain'.padStart(8)} ${'fast'.padStart(8)}`);
  row('network', net[0], net[1]);
  if (rate !== 16000) row('resampling (2 channels, down and up)', res[rate][0], res[rate][1]);
  row('window, FFT, level, mask, inverse, OLA', dsp[0], dsp[1]);
  row('rest (the difference)', tp - net[0] - res[rate][0] - dsp[0], tf - net[1] - res[rate][1] - dsp[1]);
}
