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
import type { ModelHeader } from '../core/model.ts';
import type { ComputeMode, GpuInfo } from '../gpu/detect.ts';
import type { ExportEngine, ExportMessage, ExportRequest } from './export.worker.ts';
import { floatWavHeader } from '../io/wav.ts';
import ExportWorker from './export.worker.ts?worker';

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

export interface ExportJob {
  result: Promise<ExportResult>;
  cancel(): void;
}

export class ExportCancelled extends Error {
  override name = 'ExportCancelled';
}

/**
 * Starts an export. `onProgress` gets a fraction in [0, 1]. The song's samples reach the worker
 * without a copy when they are in SharedArrayBuffers (decode.ts's shareable()), else as a copy;
 * `modelBytes` is copied (the caller keeps its buffer). The files are built from the worker's
 * chunks as they come (see export.worker.ts).
 */
export function exportSong(
  song: { name: string; sampleRate: number; channels: Float32Array[] },
  modelBytes: ArrayBuffer,
  onProgress: (fraction: number) => void,
  compute: ExportEngine = { engine: 'stream' },
): ExportJob {
  // Timed as the person waits: from here (worker start, copies and transfers included) to the files.
  const t0 = performance.now();
  const worker = new ExportWorker();
  const voiceParts: Blob[] = [], accompParts: Blob[] = [];
  let rejectJob: (e: Error) => void = () => {};
  const result = new Promise<ExportResult>((resolve, reject) => {
    rejectJob = reject;
    worker.onmessage = (e: MessageEvent<ExportMessage>) => {
      const m = e.data;
      if (m.type === 'progress') onProgress(m.done / m.total);
      else if (m.type === 'chunk') {
        // Into the browser's blob storage now, while the worker goes on separating.
        voiceParts.push(new Blob([m.voice]));
        accompParts.push(new Blob([m.accomp]));
      } else if (m.type === 'done') {
        worker.terminate();
        const duration = song.channels[0].length / song.sampleRate;
        const header = floatWavHeader(song.sampleRate, song.channels.length, song.channels[0].length);
        const voice = new Blob([header, ...voiceParts], { type: 'audio/wav' });
        const accomp = new Blob([header, ...accompParts], { type: 'audio/wav' });
        const seconds = (performance.now() - t0) / 1000;
        resolve({
          voice,
          accomp,
          voiceName: `${song.name}-voice.wav`,
          accompName: `${song.name}-accompaniment.wav`,
          seconds,
          speed: duration / Math.max(seconds, 1e-3),
          ran: m.ran,
          fallback: m.fallback,
        });
      } else {
        worker.terminate();
        reject(new Error(m.message));
      }
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(e.message || 'the export worker failed to start'));
    };
  });
  // Shared channels (see shareable() in decode.ts) go as they are; others are copied, so that the
  // page keeps its song.
  const channels = song.channels.map((c) => (c.buffer instanceof ArrayBuffer ? c.slice() : c));
  const request: ExportRequest = { type: 'start', model: modelBytes.slice(0), sampleRate: song.sampleRate, channels, compute };
  worker.postMessage(request, [request.model, ...channels.flatMap((c) => (c.buffer instanceof ArrayBuffer ? [c.buffer] : []))]);
  return {
    result,
    cancel() {
      worker.terminate();
      rejectJob(new ExportCancelled('export cancelled'));
    },
  };
}

/** Saves a blob under a file name through a temporary link. */
export function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
