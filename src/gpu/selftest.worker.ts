/**
 * The gpu.js self-tests (selftest.ts) in a worker, for the page's `voicesplitGpu` handle
 * (src/ui/gpu-handle.ts): gpu.js compiles its kernels with `new Function`, which the page's
 * Content-Security-Policy forbids and the workers' allows (serve-headers.ts), so gpu.js runs only
 * in workers, as the export and the training run it.
 */
import { checkBatch, checkProducts, type BatchCheck, type ProductCheck } from './selftest.ts';
import type { GpuJsMode } from './kernels.ts';

export type SelftestRequest =
  | { op: 'products'; mode: GpuJsMode }
  | { op: 'batch'; mode: GpuJsMode; model: ArrayBuffer; sampleRate: number; channels: Float32Array[]; batch?: number };

export type SelftestReply = { ok: true; result: ProductCheck | BatchCheck } | { ok: false; message: string };

const post = (msg: SelftestReply) => (self as unknown as Worker).postMessage(msg);

self.onmessage = async (e: MessageEvent<SelftestRequest>) => {
  const r = e.data;
  try {
    const result = r.op === 'products' ? await checkProducts(r.mode) : await checkBatch(r.mode, r.model, r.sampleRate, r.channels, r.batch);
    post({ ok: true, result });
  } catch (err) {
    post({ ok: false, message: (err as Error)?.message ?? String(err) });
  }
};
