/**
 * Float64 matrices and the dense products the exact singular value machinery is built from
 * (../svd/*, the whole-signal RPCA solvers of src/eval/solvers/, Cholesky in src/eval/bss/).
 *
 * Column-major throughout. Inner loops run down contiguous columns; four columns of the left
 * operand are combined per pass over a column of C, which keeps C's column in cache and quarters
 * the loads and stores of C.
 */
import { denseMatrix, mat, type DenseMatrix, type Mat } from '../mat.ts';

/** A dense column-major Float64 matrix: element (i, j) is data[i + j * rows]. */
export type Mat64 = DenseMatrix<Float64Array>;

export function mat64(rows: number, cols: number, data?: Float64Array): Mat64 {
  return denseMatrix(rows, cols, data, (length) => new Float64Array(length));
}

export function toMat64(a: Mat): Mat64 {
  return { rows: a.rows, cols: a.cols, data: Float64Array.from(a.data) };
}

export function toMat(a: Mat64): Mat {
  return mat(a.rows, a.cols, Float32Array.from(a.data));
}

/**
 * C = A·B with A (m×k), B (k×n), C (m×n). Two columns of C and four of A per pass: each loaded
 * element of A feeds two multiply-adds and each load/store of C four (about 2 GMAC/s in V8, against
 * 1.3 for one column of C at a time).
 */
export function gemm64(A: Float64Array, B: Float64Array, C: Float64Array, m: number, k: number, n: number): void {
  gemmStrided(A, B, C, m, k, n, 1, k, false);
}

/** C = A·Bᵀ with A (m×k), B (n×k), C (m×n): as gemm64, two columns of C and four of A per pass. */
export function gemmNT64(A: Float64Array, B: Float64Array, C: Float64Array, m: number, n: number, k: number): void {
  gemmStrided(A, B, C, m, k, n, n, 1, false);
}

/**
 * P = A Bᵀ for A, B (p×k) when the result is known to be symmetric (A = U diag(w), B = U, or
 * A = B): the lower triangle, then the mirror. Half the work of gemmNT64.
 */
export function symmetricProduct(A: Float64Array, B: Float64Array, P: Float64Array, p: number, k: number): void {
  gemmStrided(A, B, P, p, k, p, p, 1, true);
  mirrorLower(P, p);
}

/**
 * The kernel of gemm64, gemmNT64 and symmetricProduct: C = A·op(B) for A (m×k), C (m×n), where
 * op(B)[l, j] = B[l·bl + j·bj] (B itself: bl = 1, bj = k; the transpose of an n×k B: bl = n, bj = 1).
 * With `lower`, each column j is computed from row j down only (results that are mirrored after).
 */
function gemmStrided(
  A: Float64Array, B: Float64Array, C: Float64Array, m: number, k: number, n: number, bl: number, bj: number, lower: boolean,
): void {
  C.fill(0, 0, m * n);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const c0 = j * m, c1 = c0 + m;
    const d0 = j * bj, d1 = d0 + bj;
    const i0 = lower ? j : 0;
    let l = 0;
    for (; l + 4 <= k; l += 4) {
      const e0 = l * bl, e1 = e0 + bl, e2 = e1 + bl, e3 = e2 + bl;
      const b00 = B[d0 + e0], b01 = B[d0 + e1], b02 = B[d0 + e2], b03 = B[d0 + e3];
      const b10 = B[d1 + e0], b11 = B[d1 + e1], b12 = B[d1 + e2], b13 = B[d1 + e3];
      const a0 = l * m, a1 = a0 + m, a2 = a1 + m, a3 = a2 + m;
      for (let i = i0; i < m; i++) {
        const x0 = A[a0 + i], x1 = A[a1 + i], x2 = A[a2 + i], x3 = A[a3 + i];
        C[c0 + i] += x0 * b00 + x1 * b01 + x2 * b02 + x3 * b03;
        C[c1 + i] += x0 * b10 + x1 * b11 + x2 * b12 + x3 * b13;
      }
    }
    for (; l < k; l++) {
      const b0 = B[d0 + l * bl], b1 = B[d1 + l * bl];
      const a0 = l * m;
      for (let i = i0; i < m; i++) {
        const x = A[a0 + i];
        C[c0 + i] += x * b0;
        C[c1 + i] += x * b1;
      }
    }
  }
  for (; j < n; j++) {
    const c0 = j * m, d0 = j * bj;
    const i0 = lower ? j : 0;
    for (let l = 0; l < k; l++) {
      const b0 = B[d0 + l * bl];
      const a0 = l * m;
      for (let i = i0; i < m; i++) C[c0 + i] += A[a0 + i] * b0;
    }
  }
}

/** C = Aᵀ·B with A (k×m), B (k×n), C (m×n): dot products of contiguous columns, 4×2 at a time. */
export function gemmTN64(A: Float64Array, B: Float64Array, C: Float64Array, k: number, m: number, n: number): void {
  gemmTNInto(A, B, C, k, m, n, false);
}

/**
 * The Gram matrix of the smaller side of A (m×n) into G (p×p, p = min(m, n)): A Aᵀ when m ≤ n,
 * Aᵀ A otherwise. The lower triangle, then the mirror.
 */
export function gramOfSmallerSide(A: Float64Array, m: number, n: number, G: Float64Array): void {
  if (m <= n) {
    symmetricProduct(A, A, G, m, n);
  } else {
    gemmTNInto(A, A, G, m, n, n, true);
    mirrorLower(G, n);
  }
}

/** gemmTN64; with `lower`, each column j of C from row j down only (for results mirrored after). */
function gemmTNInto(A: Float64Array, B: Float64Array, C: Float64Array, k: number, m: number, n: number, lower: boolean): void {
  const tile = tileSums;
  for (let j = 0; j < n; j += 2) {
    const j1 = j + 1 < n ? j + 1 : j;
    const e0 = j * k, e1 = j1 * k;
    let i = lower ? j : 0;
    for (; i + 4 <= m; i += 4) {
      dots4x2(A, i * k, k, B, e0, e1, k, tile);
      const o0 = j * m + i, o1 = j1 * m + i;
      C[o0] = tile[0]; C[o0 + 1] = tile[1]; C[o0 + 2] = tile[2]; C[o0 + 3] = tile[3];
      C[o1] = tile[4]; C[o1 + 1] = tile[5]; C[o1 + 2] = tile[6]; C[o1 + 3] = tile[7];
    }
    for (; i < m; i++) {
      const a0 = i * k;
      let s0 = 0, s1 = 0;
      for (let l = 0; l < k; l++) {
        const x = A[a0 + l];
        s0 += x * B[e0 + l];
        s1 += x * B[e1 + l];
      }
      C[j * m + i] = s0;
      C[j1 * m + i] = s1;
    }
  }
}

const tileSums = new Float64Array(8);

/**
 * The 4×2 register tile of the dot-product kernels (gemmTN64, and Cholesky in src/eval/bss/):
 * out[r + 4c] = Σ_{l < len} X[x + r·xStride + l] · Y[y_c + l] for the four vectors of X at x,
 * x + xStride, x + 2·xStride, x + 3·xStride and the two of Y at y0, y1. Each loaded element feeds
 * two or four multiply-adds.
 */
export function dots4x2(
  X: Float64Array, x: number, xStride: number, Y: Float64Array, y0: number, y1: number, len: number, out: Float64Array,
): void {
  const a0 = x, a1 = a0 + xStride, a2 = a1 + xStride, a3 = a2 + xStride;
  let s00 = 0, s10 = 0, s20 = 0, s30 = 0, s01 = 0, s11 = 0, s21 = 0, s31 = 0;
  for (let l = 0; l < len; l++) {
    const u = Y[y0 + l], v = Y[y1 + l];
    const x0 = X[a0 + l], x1 = X[a1 + l], x2 = X[a2 + l], x3 = X[a3 + l];
    s00 += x0 * u; s10 += x1 * u; s20 += x2 * u; s30 += x3 * u;
    s01 += x0 * v; s11 += x1 * v; s21 += x2 * v; s31 += x3 * v;
  }
  out[0] = s00; out[1] = s10; out[2] = s20; out[3] = s30;
  out[4] = s01; out[5] = s11; out[6] = s21; out[7] = s31;
}

/** Copies the lower triangle of the symmetric p×p G onto the upper one. */
function mirrorLower(G: Float64Array, p: number): void {
  for (let c = 0; c < p; c++) for (let r = c + 1; r < p; r++) G[r * p + c] = G[c * p + r];
}
