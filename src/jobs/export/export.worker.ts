/**
 * Export worker: separates a whole song, or one part of it, off the main thread, faster than real
 * time, and sends voice and accompaniment back as the data of 32-bit float WAV files in Blobs of
 * 16 MB, in order, as they are produced: the page only chains them behind a header. Making the
 * Blobs here puts the copy into the browser's blob storage (about 0.5 s of CPU for a 3-minute
 * stereo song's two files) on the workers' threads, beside the separation, instead of queueing it
 * on the page's thread. Two engines, the same separation to f32 rounding:
 *
 * - stream: core/separate/separator.ts's Separator exactly as separateChannels() runs it (the CLI's path),
 *   over the whole song or one part of it (core/separate/spans.ts: the page runs one worker per part on a
 *   multi-core machine). Fed in blocks of at most 16384 samples so it can report progress; the
 *   separator's output does not depend on the block size. The WebAssembly SIMD path of the
 *   AudioWorklet.
 * - batch: core/separate/batch.ts, the network on many frames at once through the matrix products, on our
 *   WebAssembly SIMD gemm ('wasm') or on gpu.js kernels ('webgl2' | 'webgl' on the GPU, through an
 *   OffscreenCanvas, which gpu.js makes itself in a worker; 'cpu' for the bench).
 *
 * If the GPU cannot be used here (no OffscreenCanvas WebGL, a kernel that does not compile), the
 * job falls back to the stream engine and says why in the 'done' message.
 */
import { separateBatch } from '../../core/separate/batch.ts';
import { setMatrixBackend } from '../../core/linalg/matrix.ts';
import { decodeModel, type Model } from '../../core/model/model.ts';
import { separateSpan, type Span } from '../../core/separate/spans.ts';
import type { GpuJsMode } from '../../gpu/kernels.ts';
import { ChunkSender, throttledProgress } from './chunks.ts';
import type { ExportMessage } from './messages.ts';
import { wasmRefusal } from '../wasm-refusal.ts';

/** How to run the separation. */
export type ExportEngine = { engine: 'stream' } | { engine: 'batch'; backend: 'wasm' | GpuJsMode; batch?: number };

export interface ExportRequest {
  type: 'start';
  /** Model file bytes. */
  model: ArrayBuffer;
  sampleRate: number;
  /** One or two channels at `sampleRate`. */
  channels: Float32Array[];
  /** Default: stream. */
  compute?: ExportEngine;
  /** The part of the song this worker separates (stream engine; default the whole song). */
  span?: Span;
}

export type { ExportMessage } from './messages.ts';

const post = (msg: ExportMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

/**
 * The streaming separator over the song or one part of it (core/separate/spans.ts; the whole song is the
 * CLI's separateChannels exactly). Each block goes straight into the outgoing chunks: no whole-song
 * array per channel is made. Returns what ran.
 */
function runStream(model: Model, sampleRate: number, channels: Float32Array[], span: Span): string {
  const out = new ChunkSender(channels.length, span.to - span.from, post);
  const sep = separateSpan(model, sampleRate, channels, span, (voice, accomp, offset, n) => out.add(voice, accomp, offset, n), throttledProgress(post));
  out.flush();
  return `stream, ${sep.fast ? 'WebAssembly SIMD' : 'JavaScript'}`;
}

/** Sends a whole separation out in chunks; returns `ran`. */
function send(r: { voice: Float32Array[]; accomp: Float32Array[] }, ran: string): string {
  const out = new ChunkSender(r.voice.length, r.voice[0].length, post);
  out.add(r.voice, r.accomp, 0, r.voice[0].length);
  out.flush();
  return ran;
}

async function runBatch(model: Model, sampleRate: number, channels: Float32Array[], backend: 'wasm' | GpuJsMode, batch: number | undefined): Promise<string> {
  const onProgress = (done: number, total: number) => post({ type: 'progress', done, total });
  if (backend === 'wasm') {
    const r = separateBatch(model, sampleRate, channels, { batch: batch ?? 512, onProgress });
    return send(r, r.fast ? 'batch, WebAssembly SIMD gemm' : 'batch, JavaScript');
  }
  const { GpuMatrix } = await import('../../gpu/kernels.ts');
  const g = await GpuMatrix.create(backend);
  // The weights stay on the GPU for the whole song; the activations go up and come back per product.
  g.setResident(Object.values(model.arrays).map((a) => a.data), false);
  setMatrixBackend(g);
  try {
    const r = separateBatch(model, sampleRate, channels, { batch: batch ?? 1024, onProgress });
    const fellBack = g.backend && g.backend !== backend ? ` (gpu.js fell back to ${g.backend})` : '';
    return send(r, `batch, ${g.name}${fellBack}`);
  } finally {
    setMatrixBackend(null);
    g.destroy();
  }
}

self.onmessage = async (e: MessageEvent<ExportRequest>) => {
  try {
    const { sampleRate, channels } = e.data;
    const compute = e.data.compute ?? { engine: 'stream' };
    const span = e.data.span ?? { start: 0, from: 0, to: channels[0].length };
    // The page validated these bytes, but a Model cannot be posted: this thread rebuilds it.
    const model = decodeModel(e.data.model);
    let ran: string;
    let fallback: string | null = null;
    if (compute.engine === 'batch') {
      try {
        ran = await runBatch(model, sampleRate, channels, compute.backend, compute.batch);
      } catch (err) {
        if (compute.backend === 'wasm') throw err;
        fallback = `the GPU could not be used (${err instanceof Error ? err.message : String(err)}); the CPU did the work`;
        ran = runStream(model, sampleRate, channels, span);
      }
    } else {
      ran = runStream(model, sampleRate, channels, span);
    }
    if (/JavaScript/.test(ran) && !fallback) fallback = `WebAssembly could not be used in the export worker (${wasmRefusal() ?? 'this browser has WebAssembly without SIMD'}), so it ran in JavaScript, several times slower`;
    post({ type: 'done', ran, fallback });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
