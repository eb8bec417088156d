/**
 * WebAssembly SIMD (f32x4) versions of the dense products in src/core/matrix.ts:
 *   gemm   C = beta·C + A·B
 *   gemmTN C = beta·C + Aᵀ·B
 *   gemmNT C = beta·C + A·Bᵀ
 * with the same signatures, shape checks and beta semantics (beta = 0 never reads C). Results
 * agree with the JS versions to float rounding: the sums are accumulated in f32 in a different
 * order (the JS gemmTN accumulates in f64), and products with a zero of B are not skipped, so an
 * Inf or NaN in A meeting a 0 of B gives NaN here where the JS loops skip it.
 *
 * The kernels (wasm/assembly/gemm.ts, built into ./kernels.wasm.ts by wasm/build.mjs) work on
 * their own linear memory: each call copies A, B (and C when beta ≠ 0) into a scratch area there,
 * runs the kernel and copies C back. The scratch area grows as needed and never shrinks.
 *
 * Pure TS, no DOM or Node APIs: the module is compiled synchronously, on first use, from bytes
 * embedded as base64, so it loads the same way in Node, on the page and in an AudioWorklet. Where
 * WebAssembly or its SIMD extension is missing, wasmSimdAvailable() is false and callers use the JS
 * versions. Some Chromium builds refuse synchronous compilation of modules over 4 KB on a page's
 * main thread (this one is about 6 KB); a page can `await loadWasmKernels()` once at start-up,
 * which compiles asynchronously, and the synchronous entry points work from then on.
 */
import type { Mat } from './mat.ts';
import { kernelsWasmBase64 } from '../wasm/kernels.wasm.ts';
import { decodeBase64, wasmApi, type WasmMemory } from '../wasm/loader.ts';

interface Kernels {
  readonly memory: WasmMemory;
  scratchBase(): number;
  gemm(n: number, k: number, p: number, a: number, b: number, c: number, beta: number): void;
  gemmTN(k: number, n: number, p: number, a: number, b: number, c: number, beta: number): void;
  gemmNT(n: number, p: number, k: number, a: number, b: number, c: number, beta: number): void;
}

const PAGE = 65536;
/** Largest wasm32 memory (4 GiB); engines may allow less. */
const MAX_BYTES = 65536 * PAGE;

let kernels: Kernels | null = null;
let syncFailed = false;
let asyncLoad: Promise<boolean> | null = null;
let heap = new Float32Array(0);
let heapBuffer: ArrayBuffer | null = null;

/** Compiles and instantiates synchronously (once; a failure is remembered). */
function load(): Kernels | null {
  if (kernels || syncFailed) return kernels;
  try {
    const api = wasmApi();
    if (!api) throw new Error('no WebAssembly');
    const module = new api.Module(decodeBase64(kernelsWasmBase64));
    kernels = new api.Instance(module, {}).exports as Kernels;
  } catch {
    syncFailed = true;
  }
  return kernels;
}

/**
 * Compiles and instantiates asynchronously (allowed everywhere, whatever the module size);
 * resolves to wasmSimdAvailable(). Optional: the synchronous functions load on first use.
 */
export function loadWasmKernels(): Promise<boolean> {
  if (kernels) return Promise.resolve(true);
  asyncLoad ??= (async () => {
    try {
      const api = wasmApi();
      if (!api) return false;
      const module = await api.compile(decodeBase64(kernelsWasmBase64));
      const instance = await api.instantiate(module, {});
      kernels ??= instance.exports as Kernels;
      return true;
    } catch {
      return kernels !== null;
    }
  })();
  return asyncLoad;
}

/** True where the SIMD kernels compile and run (WebAssembly with 128-bit SIMD). */
export function wasmSimdAvailable(): boolean {
  return load() !== null;
}

function kernelsOrThrow(): Kernels {
  const k = load();
  if (!k) throw new Error('WebAssembly SIMD is not available here: use the JS gemm');
  return k;
}

const align64 = (x: number) => Math.ceil(x / 64) * 64;

/**
 * Lays out three operands of the given float counts in the scratch area, growing the memory when
 * needed; returns their byte addresses (and re-fetches `heap` after a grow).
 */
function place(k: Kernels, na: number, nb: number, nc: number): [number, number, number] {
  const a = align64(k.scratchBase());
  const b = align64(a + 4 * na);
  const c = align64(b + 4 * nb);
  const end = c + 4 * nc;
  const have = k.memory.buffer.byteLength;
  if (end > have) {
    if (end > MAX_BYTES) throw new Error(`wasm gemm: operands need ${end} bytes, over the 4 GiB of wasm32`);
    k.memory.grow(Math.ceil((end - have) / PAGE));
  }
  if (heapBuffer !== k.memory.buffer) {
    heapBuffer = k.memory.buffer;
    heap = new Float32Array(heapBuffer);
  }
  return [a, b, c];
}

/** The first `len` values of a matrix's data (Mat data may be a longer view in principle). */
function values(data: Float32Array, len: number): Float32Array {
  return data.length === len ? data : data.subarray(0, len);
}

function run(
  a: Float32Array, na: number, b: Float32Array, nb: number, c: Float32Array, nc: number, beta: number,
  call: (k: Kernels, pa: number, pb: number, pc: number) => void,
): void {
  if (nc === 0) return;
  const k = kernelsOrThrow();
  const [pa, pb, pc] = place(k, na, nb, nc);
  // Float indices by division, not >> 2: addresses may pass 2^31.
  heap.set(values(a, na), pa / 4);
  heap.set(values(b, nb), pb / 4);
  if (beta !== 0) heap.set(values(c, nc), pc / 4);
  call(k, pa, pb, pc);
  // The kernels do not grow memory, so `heap` is still a view of the current buffer.
  c.set(heap.subarray(pc / 4, pc / 4 + nc));
}

/** C = beta*C + A·B, with A (n×k), B (k×p), C (n×p), all column-major. */
export function gemm(a: Mat, b: Mat, c: Mat, beta = 0): void {
  const n = a.rows, k = a.cols, p = b.cols;
  if (b.rows !== k || c.rows !== n || c.cols !== p) throw new Error('gemm: shape mismatch');
  run(a.data, n * k, b.data, k * p, c.data, n * p, beta, (w, pa, pb, pc) => w.gemm(n, k, p, pa, pb, pc, beta));
}

/** C = beta*C + Aᵀ·B, with A (k×n), B (k×p), C (n×p). */
export function gemmTN(a: Mat, b: Mat, c: Mat, beta = 0): void {
  const k = a.rows, n = a.cols, p = b.cols;
  if (b.rows !== k || c.rows !== n || c.cols !== p) throw new Error('gemmTN: shape mismatch');
  run(a.data, k * n, b.data, k * p, c.data, n * p, beta, (w, pa, pb, pc) => w.gemmTN(k, n, p, pa, pb, pc, beta));
}

/** C = beta*C + A·Bᵀ, with A (n×p), B (k×p), C (n×k). */
export function gemmNT(a: Mat, b: Mat, c: Mat, beta = 0): void {
  const n = a.rows, p = a.cols, k = b.rows;
  if (b.cols !== p || c.rows !== n || c.cols !== k) throw new Error('gemmNT: shape mismatch');
  run(a.data, n * p, b.data, k * p, c.data, n * k, beta, (w, pa, pb, pc) => w.gemmNT(n, p, k, pa, pb, pc, beta));
}
