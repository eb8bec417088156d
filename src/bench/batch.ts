/**
 * The batch-compute benchmark, run in the page: for each mode available here
 *
 *   gpu.js webgl2   (or webgl) as detected: hardware, or software (SwiftShader) as on a machine without a GPU
 *   gpu.js cpu      gpu.js's JavaScript backend (a comparison only: never picked)
 *   wasm            our WebAssembly SIMD products (src/wasm/gemm.ts) and separator
 *
 * it measures, on the shipped model and a dense one:
 *   network   the batched network (createTrainable(model, batch).forward + U·s): frames/s and × real time
 *   export    the page's whole-file export (the export worker, WAV encoding included) of a stereo
 *             44.1 kHz song (default 3 minutes: the demo song tiled), as × real time
 *   train     one training step (forward + loss + backward, batch 256): seconds
 *
 * Real time for the network is the model's frame rate (16 000 / 256 = 62.5 frames/s). Slow modes
 * (gpu.js on a software rasteriser, gpu.js cpu) are measured within a time budget: their export on
 * an excerpt of the song, their training step cold (shader compilation included) when a second
 * step would not fit, each such row saying so. Nothing here is a test: it prints numbers.
 */
import { clipFrames } from '../core/signal/features.ts';
import { colRange, gemm, mat, withMatrixBackend, type Mat, type MatrixBackend } from '../core/linalg/matrix.ts';
import { decodeModel, describeModel, encodeModel, type Model } from '../core/model/model.ts';
import { algorithm1Model } from '../core/network/encoders.ts';
import { resampleSignal } from '../core/signal/resample.ts';
import { loadFastPaths } from '../core/separate/separator.ts';
import { batchLoss, createTrainable } from '../core/network/train.ts';
import { shareable } from '../io/decode.ts';
import { exportSong, type ExportEngine } from '../jobs/export/export.ts';
import { decodeWav } from '../io/wav.ts';
import { loadWasmKernels } from '../core/linalg/gemm-wasm.ts';
import { detectGpu, pickMode, type ComputeMode, type GpuInfo } from '../gpu/detect.ts';
import { GpuMatrix, type GpuJsMode } from '../gpu/kernels.ts';

export interface GpuBenchOptions {
  /** Length of the export song in seconds (default 180). */
  songSeconds?: number;
  /** Seconds a slow measurement may take before it is cut down (default 12). */
  budgetSeconds?: number;
  /** Frames per network call for the network and export rows (default 1024). */
  batch?: number;
  /** Model files; default the shipped one and a dense one built from its dictionary (Algorithm 1 initialisation: same cost as a trained dense network). */
  shippedModel?: ArrayBuffer;
  denseModel?: ArrayBuffer;
  /** Which modes (default all available). */
  modes?: BenchModeName[];
  /** Which measurements (default all). */
  tasks?: BenchTask[];
  /** Each finished row as a line, while the bench runs. */
  log?: (line: string) => void;
}

export type BenchModeName = 'gpu.js webgl2' | 'gpu.js webgl' | 'gpu.js cpu' | 'wasm';
export type BenchTask = 'network' | 'export' | 'train';

export interface BenchRow {
  mode: string;
  model: 'shipped' | 'dense';
  task: BenchTask | 'export (batch)' | 'network (weights not resident)';
  /** network: frames/s; export: song seconds per second; train: seconds per step. */
  value: number;
  /** × real time (network, export). */
  realTime: number | null;
  /** Frames or song seconds measured, and what else to know. */
  detail: string;
}

export interface GpuBenchReport {
  gpu: GpuInfo;
  /** What the page picks for batch work here. */
  picked: ComputeMode;
  environment: { userAgent: string; cores: number; crossOriginIsolated: boolean };
  models: { shipped: string; dense: string };
  rows: BenchRow[];
  /** The rows as a printed table. */
  text: string;
  seconds: number;
}

const BASE = typeof import.meta.env !== 'undefined' ? import.meta.env.BASE_URL : '/';

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

/** The demo song (stereo 44.1 kHz), tiled to `seconds`. */
async function benchSong(seconds: number): Promise<{ sampleRate: number; channels: Float32Array[] }> {
  const info = (await (await fetch(`${BASE}demo/demo.json`)).json()) as { file: string };
  const wav = decodeWav(new Uint8Array(await fetchBytes(`${BASE}demo/${info.file}`)), info.file);
  const rate = wav.sampleRate, len = Math.round(seconds * rate);
  const src = wav.channels.length >= 2 ? wav.channels.slice(0, 2) : [wav.channels[0], wav.channels[0]];
  const channels = src.map((c) => {
    const out = new Float32Array(len);
    for (let at = 0; at < len; at += c.length) out.set(c.subarray(0, Math.min(c.length, len - at)), at);
    return out;
  });
  // As the page holds a song (decode.ts): in SharedArrayBuffers where the page is isolated.
  return { sampleRate: rate, channels: shareable(channels) };
}

const time = async <T>(fn: () => T | Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
};

/** "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) …)" → "SwiftShader"; others cut to 32 characters (the summary line has it whole). */
function shortRenderer(renderer: string | null): string {
  if (!renderer) return 'unknown renderer';
  const known = /swiftshader|llvmpipe|lavapipe|softpipe/i.exec(renderer);
  if (known) return known[0];
  const inner = /^ANGLE \([^,]*, ([^,]*)/.exec(renderer)?.[1] ?? renderer;
  return inner.length > 32 ? `${inner.slice(0, 31)}…` : inner;
}

interface Mode {
  name: BenchModeName;
  label: string;
  /** The products (null: the default, our WebAssembly SIMD). */
  backend: GpuMatrix | null;
  /** For the export worker. */
  exportBackend: 'wasm' | GpuJsMode;
  slow: boolean;
}

/** Network frames (m × frames) of the song's mid channel, normalised as the separator sees them. */
function songFrames(song: { sampleRate: number; channels: Float32Array[] }, model: Model, frames: number): Mat {
  const h = model.header;
  const seconds = Math.min(song.channels[0].length / song.sampleRate, (frames * h.hop) / h.sampleRate + 1);
  const n = Math.round(seconds * song.sampleRate);
  const mid = new Float32Array(n);
  for (let i = 0; i < n; i++) mid[i] = 0.5 * (song.channels[0][i] + song.channels[1][i]);
  const x = clipFrames(resampleSignal(mid, song.sampleRate, h.sampleRate), [], h).x;
  const out = mat(h.m, frames);
  // Tile if the excerpt is short (it is not, for a real song).
  for (let j = 0; j < frames; j++) out.data.set(x.data.subarray((j % x.cols) * h.m, ((j % x.cols) + 1) * h.m), j * h.m);
  return out;
}

/** Warm forward passes of the batched network: frames per second (and the cold first call's seconds). */
async function measureNetwork(model: Model, backend: MatrixBackend | null, X: Mat, budget: number): Promise<{ fps: number; cold: number; runs: number }> {
  const cols = X.cols, q = model.header.q, n = model.header.m + q;
  const net = createTrainable(model, cols);
  const S = mat(q, cols), US = mat(model.header.m, cols);
  const once = () => withMatrixBackend(backend, () => {
    const z = net.forward(X, cols);
    for (let k = 0; k < cols; k++) S.data.set(z.data.subarray(k * n, k * n + q), k * q);
    gemm(model.arrays.U, S, US);
  });
  const [, cold] = await time(once);
  let runs = 0, spent = 0;
  while (runs < 3 && (runs === 0 || spent + spent / runs < budget)) {
    const [, dt] = await time(once);
    spent += dt;
    runs++;
    if (cold > budget) break;
  }
  return { fps: (cols * runs) / spent, cold, runs };
}

/** One training step (forward, loss, backward) at batch 256; warm when it fits the budget. */
async function measureTrainStep(model: Model, backend: GpuMatrix | null, X: Mat, budget: number): Promise<{ seconds: number; warm: boolean }> {
  const B = 256, { m, q } = model.header;
  const copy: Model = decodeModel(encodeModel(model));
  const net = createTrainable(copy, B);
  const x = colRange(X, 0, B);
  const scr = { us: mat(m, B), gz: mat(m + q, B), gl: mat(m, B), s: mat(q, B) };
  if (backend) backend.setResident(Object.values(copy.arrays).map((a) => a.data), true);
  const step = () => withMatrixBackend(backend, () => {
    for (const g of Object.values(net.grads)) g.fill(0);
    const z = net.forward(x, B);
    batchLoss('unsupervised', copy, z, x, undefined, undefined, B, scr);
    net.backward(colRange(scr.gz, 0, B));
    // A parameter change, as Adam's would make: resident weights must be re-checked.
    copy.arrays.U.data[0] *= 1.000001;
  });
  try {
    const [, cold] = await time(step);
    if (cold * 2 > budget) return { seconds: cold, warm: false };
    const [, warm] = await time(step);
    return { seconds: warm, warm: true };
  } finally {
    backend?.clearResident();
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function table(rows: BenchRow[]): string {
  const head = `${pad('mode', 37)} ${pad('model', 8)} ${pad('measure', 31)} ${pad('result', 22)} details`;
  const lines = rows.map((r) => {
    const v = r.task === 'train' ? `${(r.value * 1000).toFixed(r.value < 1 ? 1 : 0)} ms/step` : r.task.startsWith('network') ? `${r.value.toFixed(0)} frames/s` : `${r.value.toFixed(1)} s/s`;
    const rt = r.realTime === null ? '' : ` (${r.realTime >= 10 ? r.realTime.toFixed(0) : r.realTime.toFixed(2)}×)`;
    return `${pad(r.mode, 37)} ${pad(r.model, 8)} ${pad(r.task, 31)} ${pad(v + rt, 22)} ${r.detail}`;
  });
  return [head, ...lines].join('\n');
}

/**
 * Runs the benchmark in this page (see the top of this file) and returns its rows and a printed
 * table. Takes one to a few minutes; the page stays usable but busy.
 */
export async function runGpuBench(options: GpuBenchOptions = {}): Promise<GpuBenchReport> {
  const started = performance.now();
  const budget = options.budgetSeconds ?? 12;
  const songSeconds = options.songSeconds ?? 180;
  const batch = options.batch ?? 1024;
  const tasks = new Set<BenchTask>(options.tasks ?? ['network', 'export', 'train']);
  const log = options.log ?? ((line: string) => console.log(line));
  await Promise.all([loadFastPaths(), loadWasmKernels()]);

  const gpu = detectGpu();
  const picked = pickMode(gpu);
  const shipped = decodeModel(options.shippedModel ?? (await fetchBytes(`${BASE}models/default.nnrnmf`)));
  let dense: Model;
  if (options.denseModel) dense = decodeModel(options.denseModel);
  else {
    dense = algorithm1Model(shipped.arrays.U, { ...shipped.header, structure: 'dense', layers: shipped.header.layers });
    dense.info = { name: 'dense, Algorithm 1 initialisation from the shipped dictionary' };
  }
  const models = { shipped, dense } as const;
  const song = await benchSong(songSeconds);
  const modelBytes = {
    shipped: options.shippedModel ?? encodeModel(shipped).slice().buffer,
    dense: options.denseModel ?? encodeModel(dense).slice().buffer,
  };

  // The modes available here.
  const wanted = new Set<BenchModeName>(options.modes ?? ['gpu.js webgl2', 'gpu.js webgl', 'gpu.js cpu', 'wasm']);
  const modes: Mode[] = [];
  const glKind: GpuJsMode | null = gpu.api === 'webgl2' ? 'webgl2' : gpu.api === 'webgl' ? 'webgl' : null;
  if (glKind && wanted.has(`gpu.js ${glKind}`)) {
    try {
      const g = await GpuMatrix.create(glKind);
      modes.push({ name: `gpu.js ${glKind}`, label: `gpu.js ${glKind} (${gpu.software ? 'software' : 'hardware'}: ${shortRenderer(gpu.renderer)})`, backend: g, exportBackend: glKind, slow: gpu.software });
    } catch (e) {
      log(`gpu.js ${glKind}: not usable here (${(e as Error).message})`);
    }
  }
  if (wanted.has('gpu.js cpu')) modes.push({ name: 'gpu.js cpu', label: 'gpu.js cpu (JavaScript)', backend: await GpuMatrix.create('cpu'), exportBackend: 'cpu', slow: true });
  if (wanted.has('wasm')) modes.push({ name: 'wasm', label: 'wasm (WebAssembly SIMD)', backend: null, exportBackend: 'wasm', slow: false });

  const rows: BenchRow[] = [];
  const add = (r: BenchRow) => {
    rows.push(r);
    log(table([r]).split('\n')[1]);
  };
  const frameRate = shipped.header.sampleRate / shipped.header.hop;
  const framesOf = (seconds: number) => Math.round(seconds * frameRate);

  for (const mode of modes) {
    const fpsByModel: Partial<Record<'shipped' | 'dense', number>> = {};
    for (const which of ['shipped', 'dense'] as const) {
      const model = models[which];
      const cols = mode.slow ? Math.min(batch, 128) : batch;
      const X = songFrames(song, model, Math.max(cols, 256));
      if (tasks.has('network') || tasks.has('export')) {
        const Xb = colRange(X, 0, cols);
        const resident = async (on: boolean) => {
          mode.backend?.setResident(on ? Object.values(model.arrays).map((a) => a.data) : [], false);
          try {
            return await measureNetwork(model, mode.backend, Xb, budget);
          } finally {
            mode.backend?.clearResident();
          }
        };
        const r = await resident(true);
        fpsByModel[which] = r.fps;
        if (tasks.has('network')) {
          add({ mode: mode.label, model: which, task: 'network', value: r.fps, realTime: r.fps / frameRate, detail: `batch ${cols}, ${r.runs} warm run${r.runs === 1 ? '' : 's'} (first call ${r.cold.toFixed(2)} s)${mode.backend ? ', weights resident' : ''}` });
          if (mode.backend && mode.name !== 'gpu.js cpu') {
            const nr = await resident(false);
            add({ mode: mode.label, model: which, task: 'network (weights not resident)', value: nr.fps, realTime: nr.fps / frameRate, detail: `batch ${cols}, every product uploads its weights` });
          }
        }
      }
      if (tasks.has('train')) {
        const t = await measureTrainStep(model, mode.backend, X, budget);
        add({ mode: mode.label, model: which, task: 'train', value: t.seconds, realTime: null, detail: `batch 256, forward + loss + backward, ${t.warm ? 'warm' : 'cold: first step, shader compilation included (a second would not fit the budget)'}` });
      }
    }
    if (tasks.has('export')) {
      for (const which of ['shipped', 'dense'] as const) {
        // The page's export (worker, WAV encoding included) for the whole song where it fits the
        // budget, else on an excerpt.
        const fps = fpsByModel[which] ?? Infinity;
        const predicted = framesOf(songSeconds) / fps;
        const seconds = predicted > budget ? Math.max(2, Math.min(songSeconds, 0.7 * budget * (fps / frameRate))) : songSeconds;
        const n = Math.round(seconds * song.sampleRate);
        const excerpt = { name: 'bench', sampleRate: song.sampleRate, channels: song.channels.map((c) => c.subarray(0, n)) };
        const engines: [BenchRow['task'], ExportEngine][] = mode.name === 'wasm'
          ? [['export', { engine: 'stream' }], ['export (batch)', { engine: 'batch', backend: 'wasm' }]]
          : [['export (batch)', { engine: 'batch', backend: mode.exportBackend, batch: mode.slow ? Math.min(batch, 256) : batch }]];
        for (const [task, engine] of engines) {
          try {
            const r = await exportSong(excerpt, modelBytes[which], () => {}, engine).result;
            add({
              mode: mode.label, model: which, task, value: r.speed, realTime: r.speed,
              detail: `${seconds === songSeconds ? `${songSeconds} s` : `a ${seconds.toFixed(1)} s excerpt of the ${songSeconds} s`} stereo ${song.sampleRate / 1000} kHz song in ${r.seconds.toFixed(2)} s (${r.ran}${r.fallback ? `; ${r.fallback}` : ''})`,
            });
          } catch (e) {
            add({ mode: mode.label, model: which, task, value: NaN, realTime: null, detail: `failed: ${(e as Error).message}` });
          }
        }
      }
    }
    mode.backend?.destroy();
  }

  const report: GpuBenchReport = {
    gpu,
    picked,
    environment: { userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency ?? 0, crossOriginIsolated: globalThis.crossOriginIsolated === true },
    models: { shipped: describeModel(shipped), dense: describeModel(dense) },
    rows,
    text: '',
    seconds: (performance.now() - started) / 1000,
  };
  report.text = [
    `GPU: ${gpu.summary}; batch work here runs in mode '${picked}'.`,
    `Models: shipped = ${report.models.shipped}; dense = ${report.models.dense}.`,
    `Real time: the network needs ${frameRate} frames/s; the export, 1 song second per second.`,
    table(rows),
    `(${report.seconds.toFixed(0)} s, ${report.environment.cores} cores)`,
  ].join('\n');
  return report;
}
