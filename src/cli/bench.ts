/**
 * npm run bench [-- --json] [--runs N] [--seconds S]
 *
 * Speed of the separator, as ratios against real time, for the shipped model and for the paper's
 * dense network (the baseline), measured in the same process on the same audio, taking turns run by
 * run:
 * - the worklet's whole per-frame path (core/separator.ts: resampling, STFT, network, masks,
 *   inverse STFT, stereo) fed 128-sample render quanta, at the model's rate and at 44.1 / 48 kHz;
 *   cost per STFT frame and real-time factor = audio seconds per CPU second (one core); above the
 *   model's rate also the shipped model's cost per frame without the full band (fullBand: false);
 *   and the model shipped before issue 9 as it ran then (models/quality/0-before.nnrnmf), the
 *   comparison for "the speed stays";
 * - the network alone, per frame;
 * - model load time (decode + validate + build the separator);
 * - offline whole-file separation (the CLI's path) of a stereo song.
 * Each figure is the median of several runs, with the spread (min–max).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeModel, WHOLE_VOICE_RESIDUAL, withResidualWeight, type Model } from '../core/model/model.ts';
import { algorithm1Model, createEncoder } from '../core/network/encoders.ts';
import { resampleSignal } from '../core/signal/resample.ts';
import { separateChannels, Separator, type SeparatorOptions } from '../core/separate/separator.ts';
import { decodeWav } from '../io/wav.ts';
import { cliMain, readModelFile, UsageError } from './common.ts';
import { repoRoot, shippedModelPath } from './paths.ts';

const HELP = `npm run bench [-- --json] [--runs N] [--seconds S]

  --json        print one JSON object instead of the report
  --runs N      repetitions per figure (default 5); the median and the spread are reported
  --seconds S   seconds of the demo song per run (default 20)
  --dense FILE  the dense baseline model (default models/paper/rnmf-dense-supervised.nnrnmf, or
                the shipped model's dictionary in a dense Algorithm 1 network if that is missing)
`;

interface Stat {
  median: number;
  min: number;
  max: number;
}

function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

/** CPU seconds of this process (user + system) spent in fn. */
function cpuSeconds(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
}

/** The worklet's path: 128-sample quanta through one Separator, as an AudioWorkletProcessor sees them. */
function workletPath(model: Model, rate: number, input: Float32Array[], opts: SeparatorOptions = {}): { rtf: number; msPerFrame: number } {
  const sep = new Separator(model, rate, input.length, opts);
  const q = 128, n = input[0].length;
  const inViews = input.map(() => new Float32Array(q));
  const voice = input.map(() => new Float32Array(q)), accomp = input.map(() => new Float32Array(q));
  const seconds = cpuSeconds(() => {
    for (let i = 0; i + q <= n; i += q) {
      for (let c = 0; c < input.length; c++) inViews[c].set(input[c].subarray(i, i + q));
      sep.process(inViews, voice, accomp, q);
    }
  });
  return { rtf: n / rate / seconds, msPerFrame: (seconds * 1000) / sep.counters.frames };
}

function main(argv: string[]): void {
  const { values: a } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean' }, json: { type: 'boolean' }, runs: { type: 'string' }, seconds: { type: 'string' }, dense: { type: 'string' } },
  });
  if (a.help) {
    process.stdout.write(HELP);
    return;
  }
  const runs = Number(a.runs ?? 5), secs = Number(a.seconds ?? 20);
  if (!(runs >= 1 && secs > 0)) throw new UsageError('--runs and --seconds must be positive');
  const log = (s: string) => { if (!a.json) process.stdout.write(`${s}\n`); };

  const shippedBytes = readFileSync(shippedModelPath);
  const shipped = decodeModel(shippedBytes);
  const densePath = a.dense ?? join(repoRoot, 'models/paper/rnmf-dense-supervised.nnrnmf');
  let dense: Model;
  let denseNote: string;
  try {
    dense = readModelFile(densePath);
    denseNote = densePath.replace(`${repoRoot}/`, '');
  } catch {
    const h = shipped.header;
    dense = algorithm1Model(shipped.arrays.U, { ...h, structure: 'dense' });
    denseNote = 'dense Algorithm 1 network on the shipped dictionary';
  }
  const demo = decodeWav(readFileSync(join(repoRoot, 'public/demo/demo-song.wav')));
  const take = Math.min(demo.channels[0].length, Math.round(secs * demo.sampleRate));
  const song44 = demo.channels.map((c) => c.slice(0, take));
  const inputs: Record<number, Float32Array[]> = {
    [shipped.header.sampleRate]: song44.map((c) => resampleSignal(c, demo.sampleRate, shipped.header.sampleRate)),
    44100: song44,
    48000: song44.map((c) => resampleSignal(c, demo.sampleRate, 48000)),
  };
  // The shipped model with the page's Whole voice switch on (a different mask, the same network).
  const models: [string, Model][] = [['shipped', shipped], ['dense', dense], ['whole_voice', withResidualWeight(shipped, WHOLE_VOICE_RESIDUAL)]];

  // The model shipped until issue 9 (tied layers, 554 KiB), as the separator ran it then: what
  // "the speed stays" compares with, on the same machine in the same minute.
  const beforePath = join(repoRoot, 'models/quality/0-before.nnrnmf');
  const before: [string, Model, SeparatorOptions][] = existsSync(beforePath) ? [['before', readModelFile(beforePath), { fullBand: false, presenceGate: false }]] : [];

  // The paths measured at each rate; above the model's rate also the shipped model without the full
  // band (what the band above the model's costs: a resampler per channel, a loop per sample).
  const pathsAt = (rate: number): [string, Model, SeparatorOptions][] => [
    ...models.map(([name, m]): [string, Model, SeparatorOptions] => [name, m, {}]),
    ...(rate > shipped.header.sampleRate ? [['model_band', shipped, { fullBand: false }] as [string, Model, SeparatorOptions]] : []),
    ...before,
  ];
  const rates = Object.keys(inputs).map(Number);

  // Warm up the JIT on every path once.
  for (const rate of rates) for (const [, m, opts] of pathsAt(rate)) workletPath(m, rate, inputs[rate].map((c) => c.subarray(0, 16000)), opts);

  const result: Record<string, unknown> = {};
  log(`Benchmark: ${runs} runs of ${(take / demo.sampleRate).toFixed(0)} s of the demo song (stereo), one core; median [min–max]`);
  log(`shipped: ${shipped.header.structure} NN ${shipped.header.variant.toUpperCase()}, T = ${shipped.header.layers}, q = ${shipped.header.q}; dense baseline: ${denseNote}`);
  log('');
  log('Worklet path (128-sample quanta; resampling, STFT, network, masks, inverse STFT, stereo):');
  const fmt = (s: Stat, d = 0) => `${s.median.toFixed(d)} [${s.min.toFixed(d)}–${s.max.toFixed(d)}]`;
  for (const rate of rates) {
    // The paths take turns, run by run, so that a slow stretch of a busy machine falls on all of them alike.
    const paths = pathsAt(rate);
    const rtfs = new Map<string, number[]>(paths.map(([name]) => [name, []])), ms = new Map<string, number[]>(paths.map(([name]) => [name, []]));
    for (let r = 0; r < runs; r++) {
      for (const [name, m, opts] of paths) {
        const x = workletPath(m, rate, inputs[rate], opts);
        rtfs.get(name)!.push(x.rtf);
        ms.get(name)!.push(x.msPerFrame);
      }
    }
    const row: Record<string, Stat> = {};
    for (const [name] of paths) {
      row[`${name}_rtf`] = stat(rtfs.get(name)!);
      row[`${name}_ms_per_frame`] = stat(ms.get(name)!);
    }
    result[`worklet_${rate}`] = row;
    log(`  ${String(rate).padStart(5)} Hz input: shipped ${fmt(row.shipped_rtf)}× real time (${fmt(row.shipped_ms_per_frame, 3)} ms/frame); ` +
      `dense ${fmt(row.dense_rtf)}× (${fmt(row.dense_ms_per_frame, 3)} ms/frame); speed-up ${(row.shipped_rtf.median / row.dense_rtf.median).toFixed(1)}×; ` +
      `with Whole voice ${fmt(row.whole_voice_rtf)}×` + (row.model_band_ms_per_frame ? `; without the full band ${fmt(row.model_band_ms_per_frame, 3)} ms/frame` : '') +
      (row.before_rtf ? `; the model shipped before issue 9 ${fmt(row.before_rtf)}× (shipped/before time ${(row.before_rtf.median / row.shipped_rtf.median).toFixed(2)})` : ''));
  }

  log('');
  log('Network alone (one frame of real normalised magnitudes):');
  const frame = new Float32Array(shipped.header.m);
  {
    // A real frame: what the separator fed the network mid-song.
    const sep = new Separator(shipped, 44100, 2);
    const n = Math.min(song44[0].length, 44100 * 5);
    sep.process(song44, song44.map(() => new Float32Array(n)), song44.map(() => new Float32Array(n)), n);
    frame.set(sep.networkInput);
  }
  for (const [name, m] of models.filter(([name]) => name !== 'whole_voice')) {
    const enc = createEncoder(m);
    const o = new Float32Array(m.header.m), l = new Float32Array(m.header.m);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const reps = name === 'dense' ? 300 : 3000;
      times.push((cpuSeconds(() => { for (let k = 0; k < reps; k++) enc.run(frame, o, l); }) * 1000) / reps);
    }
    result[`network_${name}_ms`] = stat(times);
    log(`  ${name.padEnd(8)} ${fmt(stat(times), 4)} ms per frame`);
  }

  log('');
  const loads: number[] = [];
  for (let r = 0; r < runs; r++) loads.push(cpuSeconds(() => new Separator(decodeModel(shippedBytes), 44100, 2)) * 1000);
  result.load_ms = stat(loads);
  log(`Model load (decode, validate, build the separator at 44.1 kHz): ${fmt(stat(loads), 1)} ms for ${(shippedBytes.length / 1024).toFixed(0)} KiB`);

  const offline: number[] = [];
  for (let r = 0; r < runs; r++) offline.push((take / demo.sampleRate) / cpuSeconds(() => separateChannels(shipped, demo.sampleRate, song44)));
  result.offline_rtf = stat(offline);
  log(`Offline whole-file separation (CLI path), 44.1 kHz stereo: ${fmt(stat(offline))}× real time`);

  const w44 = result.worklet_44100 as Record<string, Stat>;
  result.worklet_rtf = w44.shipped_rtf.median;
  result.dense_rtf = w44.dense_rtf.median;
  result.whole_voice_rtf = w44.whole_voice_rtf.median;
  if (a.json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

cliMain(main);
