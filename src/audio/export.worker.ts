/**
 * Export worker: separates a whole song off the main thread, faster than real time, and encodes
 * voice and accompaniment as 32-bit float WAV. Two engines, the same separation to f32 rounding:
 *
 * - stream: core/separator.ts's Separator exactly as separateChannels() runs it (the CLI's path):
 *   the song, then `latency` zeros to flush, and the first `latency` output samples dropped. Fed in
 *   one-second blocks so it can report progress; the separator's output does not depend on the
 *   block size, so the files equal the CLI's. The WebAssembly SIMD path of the AudioWorklet.
 * - batch: core/batch.ts, the network on many frames at once through the matrix products, on our
 *   WebAssembly SIMD gemm ('wasm') or on gpu.js kernels ('webgl2' | 'webgl' on the GPU, through an
 *   OffscreenCanvas, which gpu.js makes itself in a worker; 'cpu' for the bench).
 *
 * If the GPU cannot be used here (no OffscreenCanvas WebGL, a kernel that does not compile), the
 * job falls back to the stream engine and says why in the 'done' message.
 */
import { separateBatch } from '../core/batch.ts';
import { setMatrixBackend } from '../core/matrix.ts';
import { decodeModel, type Model } from '../core/model.ts';
import { Separator } from '../core/separator.ts';
import type { GpuJsMode } from '../gpu/kernels.ts';
import { encodeWav } from '../io/wav.ts';

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
}

export type ExportMessage =
  | { type: 'progress'; done: number; total: number }
  | {
    type: 'done'; voice: Uint8Array; accomp: Uint8Array; seconds: number; latency: number;
    /** What ran: e.g. "stream, WebAssembly SIMD" or "batch, gpu.js webgl2"; and why a fallback happened. */
    ran: string; fallback: string | null;
    /** Seconds in the separation alone (the rest of `seconds` is WAV encoding). */
    separationSeconds: number;
  }
  | { type: 'error'; message: string };

const post = (msg: ExportMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

type Separated = { voice: Float32Array[]; accomp: Float32Array[]; latency: number; ran: string };

function runStream(model: Model, sampleRate: number, channels: Float32Array[]): Separated {
  const sep = new Separator(model, sampleRate, channels.length);
  const len = channels[0].length, total = len + sep.latency;
  const voice = channels.map(() => new Float32Array(total));
  const accomp = channels.map(() => new Float32Array(total));
  const zeros = channels.map(() => new Float32Array(Math.max(1, sep.latency)));
  const block = Math.max(4096, sampleRate);
  let lastPost = 0;
  for (let at = 0; at < total; ) {
    const n = at < len ? Math.min(block, len - at) : total - at;
    const input = at < len ? channels.map((ch) => ch.subarray(at, at + n)) : zeros;
    sep.process(input, voice.map((v) => v.subarray(at, at + n)), accomp.map((a) => a.subarray(at, at + n)), n);
    at += n;
    const now = Date.now();
    if (now - lastPost > 50 || at === total) {
      post({ type: 'progress', done: at, total });
      lastPost = now;
    }
  }
  const cut = (xs: Float32Array[]) => xs.map((x) => x.subarray(sep.latency));
  return { voice: cut(voice), accomp: cut(accomp), latency: sep.latency, ran: `stream, ${sep.fast ? 'WebAssembly SIMD' : 'JavaScript'}` };
}

async function runBatch(model: Model, sampleRate: number, channels: Float32Array[], backend: 'wasm' | GpuJsMode, batch: number | undefined): Promise<Separated> {
  const onProgress = (done: number, total: number) => post({ type: 'progress', done, total });
  if (backend === 'wasm') {
    const r = separateBatch(model, sampleRate, channels, { batch: batch ?? 512, onProgress });
    return { ...r, ran: r.fast ? 'batch, WebAssembly SIMD gemm' : 'batch, JavaScript' };
  }
  const { GpuMatrix } = await import('../gpu/kernels.ts');
  const g = await GpuMatrix.create(backend);
  // The weights stay on the GPU for the whole song; the activations go up and come back per product.
  g.setResident(Object.values(model.arrays).map((a) => a.data), false);
  setMatrixBackend(g);
  try {
    const r = separateBatch(model, sampleRate, channels, { batch: batch ?? 1024, onProgress });
    const fellBack = g.backend && g.backend !== backend ? ` (gpu.js fell back to ${g.backend})` : '';
    return { ...r, ran: `batch, ${g.name}${fellBack}` };
  } finally {
    setMatrixBackend(null);
    g.destroy();
  }
}

self.onmessage = async (e: MessageEvent<ExportRequest>) => {
  const t0 = Date.now();
  try {
    const { sampleRate, channels } = e.data;
    const compute = e.data.compute ?? { engine: 'stream' };
    const model = decodeModel(e.data.model);
    let out: Separated;
    let fallback: string | null = null;
    if (compute.engine === 'batch') {
      try {
        out = await runBatch(model, sampleRate, channels, compute.backend, compute.batch);
      } catch (err) {
        if (compute.backend === 'wasm') throw err;
        fallback = `the GPU could not be used (${err instanceof Error ? err.message : String(err)}); the CPU did the work`;
        out = runStream(model, sampleRate, channels);
      }
    } else {
      out = runStream(model, sampleRate, channels);
    }
    const separationSeconds = (Date.now() - t0) / 1000;
    const voiceWav = encodeWav({ sampleRate, channels: out.voice });
    const accompWav = encodeWav({ sampleRate, channels: out.accomp });
    post({
      type: 'done', voice: voiceWav, accomp: accompWav, seconds: (Date.now() - t0) / 1000, latency: out.latency, ran: out.ran, fallback, separationSeconds,
    }, [voiceWav.buffer, accompWav.buffer]);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
