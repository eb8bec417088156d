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
  /** Wall-clock seconds the separation and encoding took. */
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
 * Starts an export. `onProgress` gets a fraction in [0, 1]. The song's samples are copied to the
 * worker; `modelBytes` is copied too (the caller keeps its buffer).
 */
export function exportSong(
  song: { name: string; sampleRate: number; channels: Float32Array[] },
  modelBytes: ArrayBuffer,
  onProgress: (fraction: number) => void,
  compute: ExportEngine = { engine: 'stream' },
): ExportJob {
  const worker = new ExportWorker();
  let rejectJob: (e: Error) => void = () => {};
  const result = new Promise<ExportResult>((resolve, reject) => {
    rejectJob = reject;
    worker.onmessage = (e: MessageEvent<ExportMessage>) => {
      const m = e.data;
      if (m.type === 'progress') onProgress(m.done / m.total);
      else if (m.type === 'done') {
        worker.terminate();
        const duration = song.channels[0].length / song.sampleRate;
        resolve({
          voice: new Blob([m.voice as Uint8Array<ArrayBuffer>], { type: 'audio/wav' }),
          accomp: new Blob([m.accomp as Uint8Array<ArrayBuffer>], { type: 'audio/wav' }),
          voiceName: `${song.name}-voice.wav`,
          accompName: `${song.name}-accompaniment.wav`,
          seconds: m.seconds,
          speed: duration / Math.max(m.seconds, 1e-3),
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
  const channels = song.channels.map((c) => c.slice());
  const request: ExportRequest = { type: 'start', model: modelBytes.slice(0), sampleRate: song.sampleRate, channels, compute };
  worker.postMessage(request, [request.model, ...channels.map((c) => c.buffer)]);
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
