/**
 * Export: the loaded song separated offline (in a worker, faster than real time) into
 * <song>-voice.wav and <song>-accompaniment.wav.
 *
 * Where it runs ({@link exportPlan}): with a hardware GPU ('gpu' mode, src/gpu/detect.ts), the batch
 * separation with its network on gpu.js WebGL kernels, in the worker through an OffscreenCanvas;
 * otherwise ('wasm' mode) on the CPU with our WebAssembly SIMD kernels: the streaming separator
 * of the AudioWorklet for structured models, the batch separation on the WebAssembly gemm for
 * dense ones (their n×n layers are products the batch path does 4× faster than frame by frame).
 * Every engine gives the same files to f32 rounding.
 */
import { validatedModel, type ModelHeader } from '../../core/model/model.ts';
import { planSpans, type Span } from '../../core/separate/spans.ts';
import type { ComputeMode, GpuInfo } from '../../gpu/detect.ts';
import type { ExportEngine, ExportMessage, ExportRequest } from './export.worker.ts';
import type { SongFileRequest } from './song-file.worker.ts';
import { decodeAudioFile, shareable } from '../../io/decode.ts';
import { floatWavHeader, type WavLayout } from '../../io/wav.ts';
import ExportWorker from './export.worker.ts?worker';
import SongFileWorker from './song-file.worker.ts?worker';

export type { ExportEngine };

export interface ExportPlan {
  engine: ExportEngine;
  /** For the page: where the work runs. */
  label: string;
}

/** The engine for a compute mode and a model (see the top of this file). */
export function exportPlan(mode: ComputeMode, header: Pick<ModelHeader, 'structure'>, gpu?: Pick<GpuInfo, 'api' | 'renderer'>): ExportPlan {
  if (mode === 'gpu') {
    const backend = gpu?.api === 'webgl' ? 'webgl' : 'webgl2';
    return { engine: { engine: 'batch', backend }, label: `GPU: gpu.js ${backend === 'webgl' ? 'WebGL' : 'WebGL2'}${gpu?.renderer ? ` on ${gpu.renderer}` : ''}` };
  }
  if (header.structure === 'dense') return { engine: { engine: 'batch', backend: 'wasm' }, label: 'CPU: WebAssembly SIMD, batched network' };
  return { engine: { engine: 'stream' }, label: 'CPU: WebAssembly SIMD, the real-time separator' };
}

export interface ExportResult {
  voice: Blob;
  accomp: Blob;
  voiceName: string;
  accompName: string;
  /** Wall-clock seconds from the start of the export to the files, as the person waits. */
  seconds: number;
  /** Song seconds per wall-clock second. */
  speed: number;
  /** What ran ("stream, WebAssembly SIMD", "batch, gpu.js webgl2", …). */
  ran: string;
  /** Why the job did not run where it was asked to (the GPU failed), or null. */
  fallback: string | null;
}

/** What an export needs of a song (src/io/decode.ts's Song). */
export interface ExportSong {
  name: string;
  sampleRate: number;
  /** The samples; none for a streamed song. */
  channels: Float32Array[];
  /** A streamed song's file, and its layout where it is a WAV. */
  stream?: { file: Blob; wav: WavLayout | null } | null;
}

export interface ExportJob {
  result: Promise<ExportResult>;
  cancel(): void;
}

export class ExportCancelled extends Error {
  override name = 'ExportCancelled';
}

/** Export workers at most (each needs memory for its part and a core to be worth it). */
const MAX_WORKERS = 8;

/**
 * Starts an export. `onProgress` gets a fraction in [0, 1].
 *
 * On the CPU engine a long song is cut into parts, one worker each, up to the cores there are
 * (core/separate/spans.ts: each part warms the separator up on what precedes it, so the files equal the
 * whole separation to f32 rounding). The song's samples reach the workers without a copy when they
 * are in SharedArrayBuffers (decode.ts's shareable()); otherwise one worker gets a copy. The files
 * are built from the workers' chunks as they come (see export.worker.ts). `modelBytes` is copied
 * (the caller keeps its buffer).
 */
export function exportSong(
  song: ExportSong,
  modelBytes: ArrayBuffer,
  onProgress: (fraction: number) => void,
  compute: ExportEngine = { engine: 'stream' },
): ExportJob {
  // A streamed song (src/io/song-file.ts) is read from its file by the workers: a WAV in parts,
  // one worker each; another format by one worker that decodes it as it goes.
  const file = song.stream?.file ?? null, wav = song.stream?.wav ?? null;
  // Timed as the person waits: from here (workers' start, copies and transfers included) to the files.
  const t0 = performance.now();
  const length = wav ? wav.frames : file ? Infinity : song.channels[0].length;
  const nch = wav ? Math.min(2, wav.channels) : song.channels.length;
  if (file) compute = { engine: 'stream' }; // the file worker runs the streaming separator only
  const shared = file !== null || song.channels.every((c) => !(c.buffer instanceof ArrayBuffer));
  const cores = Math.min(MAX_WORKERS, typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1);
  const spans: Span[] = compute.engine === 'stream' && shared && cores > 1 && (wav || !file)
    ? planSpans(length, song.sampleRate, modelHeader(modelBytes), cores)
    : [{ start: 0, from: 0, to: length }];
  const workers = spans.map(() => (file ? new SongFileWorker() : new ExportWorker()));
  let fellBackTo: ExportJob | null = null;
  const stop = () => workers.forEach((w) => w.terminate());
  // Per part: its chunks, its progress, its end.
  const parts = spans.map(() => ({ voice: [] as Blob[], accomp: [] as Blob[], done: 0, total: 1, finished: false }));
  let rejectJob: (e: Error) => void = () => {};
  const result = new Promise<ExportResult>((resolve, reject) => {
    rejectJob = reject;
    let ran = '', fallback: string | null = null;
    workers.forEach((worker, k) => {
      const part = parts[k];
      worker.onmessage = (e: MessageEvent<ExportMessage>) => {
        const m = e.data;
        if (m.type === 'progress') {
          part.done = m.done;
          part.total = m.total;
          onProgress(parts.reduce((s, p) => s + p.done / p.total, 0) / parts.length);
        } else if (m.type === 'chunk') {
          part.voice.push(m.voice);
          part.accomp.push(m.accomp);
        } else if (m.type === 'unsupported') {
          // A compressed file the worker cannot decode: decoded whole on the page, as before.
          stop();
          fellBackTo = decodeThenExport(song, file!, modelBytes, onProgress, compute);
          fellBackTo.result.then((r) => resolve({ ...r, fallback: r.fallback ?? `the file was decoded whole on the page (${m.reason})` }), reject);
        } else if (m.type === 'done') {
          worker.terminate();
          part.finished = true;
          ran ||= m.ran;
          fallback ??= m.fallback;
          if (!parts.every((p) => p.finished)) return;
          const audio = m.audio ?? { sampleRate: song.sampleRate, channels: nch, frames: length };
          const header = floatWavHeader(audio.sampleRate, audio.channels, audio.frames);
          const voice = new Blob([header, ...parts.flatMap((p) => p.voice)], { type: 'audio/wav' });
          const accomp = new Blob([header, ...parts.flatMap((p) => p.accomp)], { type: 'audio/wav' });
          const seconds = (performance.now() - t0) / 1000;
          resolve({
            voice,
            accomp,
            voiceName: `${song.name}-voice.wav`,
            accompName: `${song.name}-accompaniment.wav`,
            seconds,
            speed: audio.frames / audio.sampleRate / Math.max(seconds, 1e-3),
            ran: spans.length > 1 ? `${ran}, ${spans.length} workers` : ran,
            fallback,
          });
        } else {
          stop();
          reject(new Error(m.message));
        }
      };
      worker.onerror = (e) => {
        stop();
        reject(new Error(e.message || 'the export worker failed to start'));
      };
    });
  });
  workers.forEach((worker, k) => {
    if (file) {
      const request: SongFileRequest = { type: 'start', model: modelBytes.slice(0), file, layout: wav, span: spans[k] };
      worker.postMessage(request, [request.model]);
      return;
    }
    // Shared channels go as they are; others are copied (one worker then), so the page keeps its song.
    const channels = shared ? song.channels : song.channels.map((c) => c.slice());
    const request: ExportRequest = { type: 'start', model: modelBytes.slice(0), sampleRate: song.sampleRate, channels, compute, span: spans[k] };
    worker.postMessage(request, [request.model, ...(shared ? [] : channels.map((c) => c.buffer))]);
  });
  return {
    result,
    cancel() {
      stop();
      fellBackTo?.cancel();
      rejectJob(new ExportCancelled('export cancelled'));
    },
  };
}

/**
 * A streamed song in a format the export worker cannot decode: decoded whole when the export
 * starts (at the file's rate, as decode.ts decodes it), then exported as a decoded song; the
 * samples go once the files are made.
 */
function decodeThenExport(song: ExportSong, file: Blob, modelBytes: ArrayBuffer, onProgress: (fraction: number) => void, compute: ExportEngine): ExportJob {
  let inner: ExportJob | null = null, cancelled = false;
  const bytes = modelBytes.slice(0);
  const result = (async () => {
    const decoded = await decodeAudioFile(await file.arrayBuffer(), song.name, song.sampleRate);
    if (cancelled) throw new ExportCancelled('export cancelled');
    inner = exportSong({ name: song.name, sampleRate: decoded.sampleRate, channels: shareable(decoded.channels.slice(0, 2)) }, bytes, onProgress, compute);
    return inner.result;
  })();
  return {
    result,
    cancel() {
      cancelled = true;
      inner?.cancel();
    },
  };
}

/** The header of a model file, for planning (the page's model was validated when it was loaded: not decoded again). */
function modelHeader(bytes: ArrayBuffer): ModelHeader {
  return validatedModel(bytes).header;
}
