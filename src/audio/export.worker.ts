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
import { encodeWav, FloatWavWriter } from '../io/wav.ts';

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
  }
  | { type: 'error'; message: string };

const post = (msg: ExportMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

/** The two WAV files, what ran, and the separator's latency (trimmed). */
type Encoded = { voice: Uint8Array; accomp: Uint8Array; latency: number; ran: string };

/**
 * The streaming separator (the CLI's separateChannels, fed one block at a time): the song, then
 * `latency` zeros to flush, the first `latency` output samples dropped. Each block goes straight
 * into the WAV files, so no whole-song array per channel is made.
 */
function runStream(model: Model, sampleRate: number, channels: Float32Array[]): Encoded {
  const sep = new Separator(model, sampleRate, channels.length);
  const len = channels[0].length, total = len + sep.latency, L = sep.latency;
  const block = Math.max(4096, Math.min(sampleRate, 16384));
  const voice = channels.map(() => new Float32Array(block)), accomp = channels.map(() => new Float32Array(block));
  const zeros = channels.map(() => new Float32Array(block));
  const voiceWav = new FloatWavWriter(sampleRate, channels.length, len), accompWav = new FloatWavWriter(sampleRate, channels.length, len);
  let lastPost = 0;
  for (let at = 0; at < total; ) {
    const n = at < len ? Math.min(block, len - at) : Math.min(block, total - at);
    const input = at < len ? channels.map((ch) => ch.subarray(at, at + n)) : zeros;
    sep.process(input, voice, accomp, n);
    // Output sample k is the separation of input sample k − latency.
    const skip = Math.max(0, L - at);
    if (n > skip) {
      voiceWav.write(voice, skip, n - skip, at + skip - L);
      accompWav.write(accomp, skip, n - skip, at + skip - L);
    }
    at += n;
    const now = Date.now();
    if (now - lastPost > 50 || at === total) {
      post({ type: 'progress', done: at, total });
      lastPost = now;
    }
  }
  return { voice: voiceWav.bytes, accomp: accompWav.bytes, latency: L, ran: `stream, ${sep.fast ? 'WebAssembly SIMD' : 'JavaScript'}` };
}

function encode(sampleRate: number, r: { voice: Float32Array[]; accomp: Float32Array[]; latency: number }, ran: string): Encoded {
  return { voice: encodeWav({ sampleRate, channels: r.voice }), accomp: encodeWav({ sampleRate, channels: r.accomp }), latency: r.latency, ran };
}

async function runBatch(model: Model, sampleRate: number, channels: Float32Array[], backend: 'wasm' | GpuJsMode, batch: number | undefined): Promise<Encoded> {
  const onProgress = (done: number, total: number) => post({ type: 'progress', done, total });
  if (backend === 'wasm') {
    const r = separateBatch(model, sampleRate, channels, { batch: batch ?? 512, onProgress });
    return encode(sampleRate, r, r.fast ? 'batch, WebAssembly SIMD gemm' : 'batch, JavaScript');
  }
  const { GpuMatrix } = await import('../gpu/kernels.ts');
  const g = await GpuMatrix.create(backend);
  // The weights stay on the GPU for the whole song; the activations go up and come back per product.
  g.setResident(Object.values(model.arrays).map((a) => a.data), false);
  setMatrixBackend(g);
  try {
    const r = separateBatch(model, sampleRate, channels, { batch: batch ?? 1024, onProgress });
    const fellBack = g.backend && g.backend !== backend ? ` (gpu.js fell back to ${g.backend})` : '';
    return encode(sampleRate, r, `batch, ${g.name}${fellBack}`);
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
    let out: Encoded;
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
    post({
      type: 'done', voice: out.voice, accomp: out.accomp, seconds: (Date.now() - t0) / 1000, latency: out.latency, ran: out.ran, fallback,
    }, [out.voice.buffer, out.accomp.buffer]);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
