/**
 * What the gemm benchmark (scripts/bench-gemm.ts) and the gemm test (tests/unit/wasm-gemm.test.ts)
 * both need: the plain JS and the WebAssembly SIMD products by variant, and seeded random operands.
 *
 * A shape M×K×N is C (M×N) with inner dimension K:
 *   NN: A M×K, B K×N     TN: A K×M, B K×N     NT: A M×K, B N×K
 */
import * as wasm from '../src/core/linalg/gemm-wasm.ts';
import { gemmJs, gemmNTJs, gemmTNJs, mat, type Mat } from '../src/core/linalg/matrix.ts';

export type Kernel = (a: Mat, b: Mat, c: Mat, beta?: number) => void;
export type Variant = 'NN' | 'TN' | 'NT';

/** The plain JS products (the reference) and the WebAssembly SIMD ones. */
export const jsKernels: Record<Variant, Kernel> = { NN: gemmJs, TN: gemmTNJs, NT: gemmNTJs };
export const simdKernels: Record<Variant, Kernel> = { NN: wasm.gemm, TN: wasm.gemmTN, NT: wasm.gemmNT };

/** Random matrices with entries in [−1, 1) from a 32-bit LCG started at `seed`: the same on every run. */
export function randomMatrices(seed: number): (rows: number, cols: number) => Mat {
  return (rows, cols) => {
    const a = mat(rows, cols);
    for (let i = 0; i < a.data.length; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      a.data[i] = seed / 2 ** 31 - 1;
    }
    return a;
  };
}

/** Operands [A, B, C] of C (m×n) = beta·C + op(A)·op(B) with inner dimension k, C drawn first. */
export function gemmOperands(random: (rows: number, cols: number) => Mat, v: Variant, m: number, k: number, n: number): [Mat, Mat, Mat] {
  const c = random(m, n);
  if (v === 'NN') return [random(m, k), random(k, n), c];
  if (v === 'TN') return [random(k, m), random(k, n), c];
  return [random(m, k), random(n, k), c];
}
