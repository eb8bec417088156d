/**
 * The three dense products (gemm, gemmTN, gemmNT) behind one seam: a backend set for this thread
 * (the gpu.js kernels), else the WebAssembly SIMD kernels (./gemm-wasm.ts), else the plain loops
 * below, which stay as the reference the others are tested against. The matrix type itself is in
 * ./mat.ts (re-exported here, so one import serves a caller of both).
 */
import { gemm as wasmGemm, gemmNT as wasmGemmNT, gemmTN as wasmGemmTN, wasmSimdAvailable } from './gemm-wasm.ts';
import type { Mat } from './mat.ts';

export * from './mat.ts';

/**
 * A provider of the three dense products, with the signatures and beta semantics of {@link gemm},
 * {@link gemmTN} and {@link gemmNT} (beta = 0 never reads C; operands do not alias C). The gpu.js
 * kernels (src/gpu/) are one; the default is the WebAssembly SIMD kernels, else plain JS.
 */
export interface MatrixBackend {
  /** A short name for reports ("gpu.js webgl2", …). */
  readonly name: string;
  gemm(a: Mat, b: Mat, c: Mat, beta: number): void;
  gemmTN(a: Mat, b: Mat, c: Mat, beta: number): void;
  gemmNT(a: Mat, b: Mat, c: Mat, beta: number): void;
}

let backend: MatrixBackend | null = null;

/**
 * Routes gemm / gemmTN / gemmNT of this thread (a worker, a page, a Node process) through `b`, or
 * back to the default with null. Returns the backend that was set before, so that a caller can
 * restore it. Everything built on the products (training, the batch separation, the solvers)
 * follows.
 */
export function setMatrixBackend(b: MatrixBackend | null): MatrixBackend | null {
  const before = backend;
  backend = b;
  return before;
}

/** The backend set by {@link setMatrixBackend}, or null for the default. */
export function matrixBackend(): MatrixBackend | null {
  return backend;
}

/** Runs `fn` with the products routed through `b`, restoring the previous backend afterwards. */
export function withMatrixBackend<T>(b: MatrixBackend | null, fn: () => T): T {
  const before = setMatrixBackend(b);
  try {
    return fn();
  } finally {
    setMatrixBackend(before);
  }
}

// The products below dispatch to the backend set by setMatrixBackend() if any, else to WebAssembly
// SIMD kernels (./gemm-wasm.ts, 15–40× faster, used by training and the whole-signal solvers)
// where they compile, else to the plain versions, which stay as the reference the kernels are
// tested against. Operands must not alias C.
export function gemm(a: Mat, b: Mat, c: Mat, beta = 0): void {
  if (backend) backend.gemm(a, b, c, beta);
  else if (wasmSimdAvailable()) wasmGemm(a, b, c, beta);
  else gemmJs(a, b, c, beta);
}

export function gemmTN(a: Mat, b: Mat, c: Mat, beta = 0): void {
  if (backend) backend.gemmTN(a, b, c, beta);
  else if (wasmSimdAvailable()) wasmGemmTN(a, b, c, beta);
  else gemmTNJs(a, b, c, beta);
}

export function gemmNT(a: Mat, b: Mat, c: Mat, beta = 0): void {
  if (backend) backend.gemmNT(a, b, c, beta);
  else if (wasmSimdAvailable()) wasmGemmNT(a, b, c, beta);
  else gemmNTJs(a, b, c, beta);
}

/** C = beta*C + A·B, with A (n×k), B (k×p), C (n×p), all column-major. */
export function gemmJs(a: Mat, b: Mat, c: Mat, beta = 0): void {
  const n = a.rows, k = a.cols, p = b.cols;
  if (b.rows !== k || c.rows !== n || c.cols !== p) throw new Error('gemm: shape mismatch');
  scaleC(c.data, n * p, beta);
  addScaledColumns(a.data, b.data, c.data, n, k, p, false);
}

/** C = beta*C + Aᵀ·B, with A (k×n), B (k×p), C (n×p): dot products of contiguous columns. */
export function gemmTNJs(a: Mat, b: Mat, c: Mat, beta = 0): void {
  const k = a.rows, n = a.cols, p = b.cols;
  if (b.rows !== k || c.rows !== n || c.cols !== p) throw new Error('gemmTN: shape mismatch');
  const A = a.data, B = b.data, C = c.data;
  for (let j = 0; j < p; j++) {
    const bj = j * k;
    for (let i = 0; i < n; i++) {
      const ai = i * k;
      let s = 0;
      for (let l = 0; l < k; l++) s += A[ai + l] * B[bj + l];
      const idx = i + j * n;
      C[idx] = beta === 0 ? s : beta * C[idx] + s;
    }
  }
}

/** C = beta*C + A·Bᵀ, with A (n×p), B (k×p), C (n×k): a sum of outer products of columns. */
export function gemmNTJs(a: Mat, b: Mat, c: Mat, beta = 0): void {
  const n = a.rows, p = a.cols, k = b.rows;
  if (b.cols !== p || c.rows !== n || c.cols !== k) throw new Error('gemmNT: shape mismatch');
  scaleC(c.data, n * k, beta);
  addScaledColumns(a.data, b.data, c.data, n, k, p, true);
}

/** C ← beta·C over its first len values; beta = 0 clears C without reading it. */
function scaleC(C: Float32Array, len: number, beta: number): void {
  if (beta === 0) C.fill(0, 0, len);
  else if (beta !== 1) for (let i = 0; i < len; i++) C[i] *= beta;
}

/**
 * For every element B[l, j] of B (k×p) in storage order, one column of C += B[l, j] × one column of
 * A (columns of n values): C[:, j] += A[:, l] B[l, j] (C += A·B), or with `transposed`
 * C[:, l] += A[:, j] B[l, j] (C += A·Bᵀ). The inner loop runs down a column of A and of C
 * (contiguous), the order V8 handles best; zeros of B are skipped.
 */
function addScaledColumns(
  A: Float32Array, B: Float32Array, C: Float32Array, n: number, k: number, p: number, transposed: boolean,
): void {
  for (let j = 0; j < p; j++) {
    const bj = j * k;
    for (let l = 0; l < k; l++) {
      const s = B[bj + l];
      if (s === 0) continue;
      const c0 = (transposed ? l : j) * n, a0 = (transposed ? j : l) * n;
      for (let i = 0; i < n; i++) C[c0 + i] += A[a0 + i] * s;
    }
  }
}
