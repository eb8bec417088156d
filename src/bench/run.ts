/**
 * The worklet benchmark (bench.html; scripts/bench-page.ts drives it in Chromium): the demo song,
 * stereo, through the real separator AudioWorklet (the app's bundle of worklet/separator.worklet.ts),
 * timed from inside the worklet (worklet/timing.ts) with a SharedArrayBuffer clock:
 *
 * - offline: an OfflineAudioContext at 16 / 44.1 / 48 kHz renders `seconds` of the song, for the
 *   shipped model and for the paper's dense network. The first `warmup` seconds (the JIT's) are
 *   reported apart; the figures are the rest.
 * - realtime: an AudioContext at the device's rate plays `realtimeSeconds` (after the warm-up),
 *   for each model; playbackStats' underruns where Chromium has them.
 *
 * Real-time factor = audio seconds / seconds spent inside process() (one core, the audio thread).
 * The input is the same as `npm run bench`'s: the demo song resampled by src/core/resample.ts.
 */
import { bufferOf } from '../io/decode.ts';
import { SeparatorNode } from '../audio/separator-node.ts';
import { decodeModel, describeModel } from '../core/model/model.ts';
import { loadResampleKernel, resampleSignal } from '../core/signal/resample.ts';
import { decodeWav } from '../io/wav.ts';
import type { GpuBenchOptions, GpuBenchReport } from './batch.ts';
import type { ClockInfo, SeparatorTiming, ToSeparator } from '../../worklet/protocol.ts';
import { attachClock, startClock, type ClockCheck, type ClockMode, type TimingClock } from './clock.ts';

export type ModelName = 'shipped' | 'dense';

export interface BenchOptions {
  /** Seconds rendered offline per model and rate (default 20). */
  seconds?: number;
  /** Offline rates (default 16000, 44100, 48000). */
  rates?: number[];
  /** Seconds of realtime playback per model, after the warm-up (default 8; 0 skips it). */
  realtimeSeconds?: number;
  /** Seconds measured apart at the start of each run (default 1). */
  warmup?: number;
  /** The worklet's clock (default 'auto': spin where a core is free, else sleep). */
  clock?: ClockMode;
  models?: ModelName[];
}

export interface BenchRun {
  model: ModelName;
  context: 'offline' | 'realtime';
  sampleRate: number;
  /** Wall time of the whole render or playback, on the page (s). */
  wallSeconds: number;
  /** The measured part (after the warm-up). */
  timing: SeparatorTiming;
  /** The warm-up alone (null without one). */
  warmup: SeparatorTiming | null;
  /** Realtime only: underruns during the measured part, where AudioContext.playbackStats exists. */
  underruns?: { events: number; seconds: number } | null;
}

export interface BenchReport {
  userAgent: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  /** The clock asked for, the writer that ran, and how steadily it moved on the page. */
  clockMode: ClockMode;
  clockWriter: TimingClock['mode'];
  clockCheck: ClockCheck | null;
  /** The clock as the worklet measured it (first run). */
  clock: ClockInfo | null;
  models: Record<ModelName, { url: string; description: string; bytes: number }>;
  options: Required<BenchOptions>;
  runs: BenchRun[];
}

export const MODEL_URLS: Record<ModelName, string> = {
  shipped: '/models/default.nnrnmf',
  // Served from models/paper/ by the dev and preview servers (vite.config.ts).
  dense: '/bench-models/rnmf-dense-supervised.nnrnmf',
};

const DEFAULTS: Required<BenchOptions> = {
  seconds: 20, rates: [16000, 44100, 48000], realtimeSeconds: 8, warmup: 1, clock: 'auto', models: ['shipped', 'dense'],
};

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url, { cache: 'no-cache' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}${url.startsWith('/bench-models/') ? ' (the dense model is served by `vite` and `vite preview` from models/paper/)' : ''}`);
  return r.arrayBuffer();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The timing so far, then a fresh start (the stats answer comes after the reset is handled). */
async function takeTiming(sep: SeparatorNode, reset: boolean): Promise<SeparatorTiming> {
  const s = await sep.stats();
  if (!s) throw new Error('the separator worklet did not answer');
  if (reset) {
    sep.node.port.postMessage({ type: 'reset-timing' } satisfies ToSeparator);
    await sep.stats();
  }
  return s.timing;
}

function connect(ctx: BaseAudioContext, sep: SeparatorNode, song: Float32Array[]): AudioBufferSourceNode {
  const source = new AudioBufferSourceNode(ctx, { buffer: bufferOf(song, ctx.sampleRate), loop: true });
  source.connect(sep.node);
  const out = new GainNode(ctx);
  sep.node.connect(out, 0);
  sep.node.connect(out, 1);
  out.connect(ctx.destination);
  return source;
}

async function offlineRun(model: ModelName, bytes: ArrayBuffer, song: Float32Array[], rate: number, o: Required<BenchOptions>, clock: TimingClock): Promise<BenchRun & { clockInfo: ClockInfo }> {
  const ctx = new OfflineAudioContext({ numberOfChannels: 2, length: Math.round(o.seconds * rate), sampleRate: rate });
  const sep = await SeparatorNode.create(ctx);
  await sep.setModel(bytes.slice(0));
  attachClock(sep.node, clock, 3);
  const clockInfo = (await takeTiming(sep, true)).clock;
  connect(ctx, sep, song).start(0);
  let warmup: SeparatorTiming | null = null;
  if (o.warmup > 0 && o.warmup < o.seconds) {
    // Suspend at the end of the warm-up (a render-quantum boundary), read and reset, go on.
    const at = (Math.round((o.warmup * rate) / 128) * 128) / rate;
    ctx.suspend(at).then(async () => {
      warmup = await takeTiming(sep, true);
      await ctx.resume();
    }, () => {});
  }
  const t0 = performance.now();
  await ctx.startRendering();
  const wallSeconds = (performance.now() - t0) / 1000;
  const timing = await takeTiming(sep, false);
  return { model, context: 'offline', sampleRate: rate, wallSeconds, timing, warmup, clockInfo };
}

type PlaybackStats = { underrunEvents: number; underrunDuration: number };

async function realtimeRun(model: ModelName, bytes: ArrayBuffer, songAt: (rate: number) => Float32Array[], o: Required<BenchOptions>, clock: TimingClock): Promise<BenchRun> {
  const ctx = new AudioContext({ latencyHint: 'interactive' });
  try {
    await ctx.resume();
    const sep = await SeparatorNode.create(ctx);
    await sep.setModel(bytes.slice(0));
    attachClock(sep.node, clock, 1);
    await takeTiming(sep, true);
    const t0 = performance.now();
    connect(ctx, sep, songAt(ctx.sampleRate)).start();
    await sleep(o.warmup * 1000);
    const warmup = await takeTiming(sep, true);
    const ps = () => (ctx as AudioContext & { playbackStats?: PlaybackStats }).playbackStats;
    const before = ps() ? { ...pick(ps()!) } : null;
    await sleep(o.realtimeSeconds * 1000);
    const timing = await takeTiming(sep, false);
    const after = ps() ? pick(ps()!) : null;
    const underruns = before && after ? { events: after.underrunEvents - before.underrunEvents, seconds: after.underrunDuration - before.underrunDuration } : null;
    return { model, context: 'realtime', sampleRate: ctx.sampleRate, wallSeconds: (performance.now() - t0) / 1000, timing, warmup, underruns };
  } finally {
    await ctx.close();
  }
}

function pick(p: PlaybackStats): PlaybackStats {
  return { underrunEvents: p.underrunEvents, underrunDuration: p.underrunDuration };
}

/** Runs the benchmark; `log` hears about each run as it finishes. */
export async function runBench(options: BenchOptions = {}, log: (line: string) => void = () => {}): Promise<BenchReport> {
  const o: Required<BenchOptions> = { ...DEFAULTS, ...options };
  await loadResampleKernel();
  const wav = decodeWav(new Uint8Array(await fetchBytes('/demo/demo-song.wav')), 'demo-song.wav');
  const songs = new Map<number, Float32Array[]>();
  const songAt = (rate: number) => {
    let s = songs.get(rate);
    if (!s) songs.set(rate, (s = wav.channels.slice(0, 2).map((c) => resampleSignal(c, wav.sampleRate, rate))));
    return s;
  };
  const models = {} as BenchReport['models'];
  const bytes = {} as Record<ModelName, ArrayBuffer>;
  for (const m of o.models) {
    bytes[m] = await fetchBytes(MODEL_URLS[m]);
    models[m] = { url: MODEL_URLS[m], description: describeModel(decodeModel(bytes[m])), bytes: bytes[m].byteLength };
  }
  const clock = await startClock(o.clock);
  const report: BenchReport = {
    userAgent: navigator.userAgent, crossOriginIsolated: globalThis.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency,
    clockMode: o.clock, clockWriter: clock.mode, clockCheck: clock.check, clock: null, models, options: o, runs: [],
  };
  try {
    for (const rate of o.rates) {
      for (const m of o.models) {
        const { clockInfo, ...run } = await offlineRun(m, bytes[m], songAt(rate), rate, o, clock);
        report.clock ??= clockInfo;
        report.runs.push(run);
        log(describeRun(run));
      }
    }
    if (o.realtimeSeconds > 0) {
      for (const m of o.models) {
        const run = await realtimeRun(m, bytes[m], songAt, o, clock);
        report.runs.push(run);
        log(describeRun(run));
      }
    }
  } finally {
    clock.stop();
  }
  return report;
}

const ms = (us: number | null) => (us === null ? '–' : (us / 1000).toFixed(3));

export function describeRun(r: BenchRun): string {
  const t = r.timing;
  return `${r.context} ${r.sampleRate} Hz ${r.model}: ${t.frames} frames, per frame median ${ms(t.frame.medianUs)} ms, worst ${ms(t.frame.worstUs)} ms; ` +
    `worst process() ${ms(t.call.worstUs)} ms; ${t.rtf?.toFixed(1) ?? '–'}× real time`;
}

/**
 * runGpuBench() of src/gpu/bench.ts (the batch modes: gpu.js WebGL, gpu.js cpu, WebAssembly) on
 * this page, through JSON so that the result reaches the Node side intact; errors as a value.
 */
export async function runGpu(options: GpuBenchOptions = {}): Promise<{ result: GpuBenchReport } | { error: string }> {
  try {
    const { runGpuBench } = await import('./batch.ts');
    const result = await runGpuBench({ ...options, log: (line) => console.log(`[bench] ${line}`) });
    return { result: JSON.parse(JSON.stringify(result)) as GpuBenchReport };
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}
