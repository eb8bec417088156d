/**
 * `window.voicesplitGpu`: the batch-compute side of the page, for tests, the benchmark runner and
 * curious people with a console. Everything heavy (gpu.js, the bench) loads on first call.
 *
 *   voicesplitGpu.detect()                     what WebGL there is, hardware or software
 *   voicesplitGpu.mode()                       the compute mode batch work uses here ('gpu' | 'wasm')
 *   await voicesplitGpu.checkProducts(mode)    gpu.js products (mode 'webgl2' | 'webgl' | 'cpu') vs the JS ones
 *   await voicesplitGpu.checkBatch(mode, modelBytes, rate, channels)
 *                                              batch separation on gpu.js vs the streaming separator
 *   await voicesplitGpu.runGpuBench(options)   the benchmark of src/bench/batch.ts
 *
 * The checks run in a worker (src/gpu/selftest.worker.ts): gpu.js builds its kernels with `new
 * Function`, which this page's Content-Security-Policy refuses (serve-headers.ts). The benchmark runs
 * on the page, so its gpu.js rows need bench.html (whose policy allows it; `npm run bench:page`).
 */
import { detectGpu, modeOverride, pickMode, type ComputeMode, type GpuInfo } from '../gpu/detect.ts';
import type { GpuJsMode } from '../gpu/kernels.ts';
import type { BatchCheck, ProductCheck } from '../gpu/selftest.ts';
import type { SelftestReply, SelftestRequest } from '../gpu/selftest.worker.ts';
import SelftestWorker from '../gpu/selftest.worker.ts?worker';
import type { GpuBenchOptions, GpuBenchReport } from '../bench/batch.ts';

export interface GpuHandle {
  detect(): GpuInfo;
  mode(): ComputeMode;
  checkProducts(mode: GpuJsMode): Promise<ProductCheck>;
  checkBatch(mode: GpuJsMode, modelBytes: ArrayBuffer, sampleRate: number, channels: Float32Array[], batch?: number): Promise<BatchCheck>;
  runGpuBench(options?: GpuBenchOptions): Promise<GpuBenchReport>;
}

let info: GpuInfo | null = null;

/** The page's GPU probe, made once. */
export function gpuInfo(): GpuInfo {
  info ??= detectGpu();
  return info;
}

/** The compute mode of this page (a `?compute=` parameter overrides the detection). */
export function computeMode(): ComputeMode {
  return pickMode(gpuInfo(), modeOverride());
}

/** One self-test in a worker of its own (structured clones: the caller keeps its buffers). */
function inWorker<T>(request: SelftestRequest): Promise<T> {
  const worker = new SelftestWorker();
  return new Promise<T>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<SelftestReply>) => (e.data.ok ? resolve(e.data.result as T) : reject(new Error(e.data.message)));
    worker.onerror = (e) => reject(new Error(e.message || 'the GPU self-test worker failed to start'));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

export function installGpuHandle(): GpuHandle {
  const handle: GpuHandle = {
    detect: gpuInfo,
    mode: computeMode,
    checkProducts: (mode) => inWorker<ProductCheck>({ op: 'products', mode }),
    checkBatch: (mode, model, sampleRate, channels, batch) => inWorker<BatchCheck>({ op: 'batch', mode, model, sampleRate, channels, batch }),
    runGpuBench: async (options) => (await import('../bench/batch.ts')).runGpuBench(options),
  };
  (window as unknown as { voicesplitGpu: GpuHandle }).voicesplitGpu = handle;
  return handle;
}
