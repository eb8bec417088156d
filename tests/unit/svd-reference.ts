/**
 * References for the tests of the exact solvers: a one-sided Jacobi SVD (slow, accurate, written
 * here), matrices with known singular values, and a relative difference.
 */
import { mat, type Mat } from '../../src/core/linalg/matrix.ts';
import type { Random } from '../../src/core/linalg/random.ts';

// ---------------------------------------------------------------------------------------------
// Reference: one-sided Jacobi SVD (Hestenes). Rotates pairs of columns until all are orthogonal;
// accurate to a few ulps relative to each singular value, and O(n³) per sweep.

export interface Svd {
  U: Float64Array; // m×p
  s: Float64Array; // p, descending
  V: Float64Array; // n×p
}

export function jacobiSvd(A: Float64Array, m: number, n: number): Svd {
  const tr = m < n;
  const M = tr ? n : m;
  const N = tr ? m : n;
  const W = new Float64Array(M * N);
  for (let j = 0; j < N; j++) for (let i = 0; i < M; i++) W[i + j * M] = tr ? A[j + i * m] : A[i + j * m];
  const V = new Float64Array(N * N);
  for (let i = 0; i < N; i++) V[i + i * N] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let i = 0; i < N - 1; i++) {
      for (let j = i + 1; j < N; j++) {
        let a = 0, b = 0, g = 0;
        for (let k = 0; k < M; k++) {
          const x = W[k + i * M], y = W[k + j * M];
          a += x * x;
          b += y * y;
          g += x * y;
        }
        if (g === 0 || Math.abs(g) <= 1e-15 * Math.sqrt(a * b)) continue;
        rotated = true;
        const z = (b - a) / (2 * g);
        const t = (z >= 0 ? 1 : -1) / (Math.abs(z) + Math.sqrt(1 + z * z));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let k = 0; k < M; k++) {
          const x = W[k + i * M], y = W[k + j * M];
          W[k + i * M] = c * x - s * y;
          W[k + j * M] = s * x + c * y;
        }
        for (let k = 0; k < N; k++) {
          const x = V[k + i * N], y = V[k + j * N];
          V[k + i * N] = c * x - s * y;
          V[k + j * N] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    let q = 0;
    for (let k = 0; k < M; k++) q += W[k + j * M] ** 2;
    norms[j] = Math.sqrt(q);
  }
  const order = Array.from({ length: N }, (_, i) => i).sort((x, y) => norms[y] - norms[x]);
  const Uo = new Float64Array(M * N);
  const Vo = new Float64Array(N * N);
  const so = new Float64Array(N);
  order.forEach((j, c) => {
    so[c] = norms[j];
    for (let k = 0; k < M; k++) Uo[k + c * M] = norms[j] > 0 ? W[k + j * M] / norms[j] : 0;
    for (let k = 0; k < N; k++) Vo[k + c * N] = V[k + j * N];
  });
  return tr ? { U: Vo, s: so, V: Uo } : { U: Uo, s: so, V: Vo };
}

/** U max(Σ − τ, 0) Vᵀ from an explicit SVD. */
export function thresholdFromSvd(svd: Svd, m: number, n: number, tau: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let k = 0; k < svd.s.length; k++) {
    const w = svd.s[k] - tau;
    if (w <= 0) continue;
    for (let j = 0; j < n; j++) {
      const v = w * svd.V[j + k * n];
      for (let i = 0; i < m; i++) out[i + j * m] += svd.U[i + k * m] * v;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/** m×k with orthonormal columns (Gram–Schmidt of a Gaussian matrix, twice). */
export function randomOrthonormal(m: number, k: number, rng: Random): Float64Array {
  const Q = new Float64Array(m * k);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < m; i++) Q[i + j * m] = rng.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (let l = 0; l < j; l++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += Q[i + j * m] * Q[i + l * m];
        for (let i = 0; i < m; i++) Q[i + j * m] -= d * Q[i + l * m];
      }
    }
    let nn = 0;
    for (let i = 0; i < m; i++) nn += Q[i + j * m] ** 2;
    nn = Math.sqrt(nn);
    for (let i = 0; i < m; i++) Q[i + j * m] /= nn;
  }
  return Q;
}

/** A = U diag(s) Vᵀ with random orthonormal U, V: a matrix with known singular values. */
export function withSingularValues(m: number, n: number, s: Float64Array, rng: Random): Float64Array {
  const p = s.length;
  const U = randomOrthonormal(m, p, rng);
  const V = randomOrthonormal(n, p, rng);
  const A = new Float64Array(m * n);
  for (let k = 0; k < p; k++) {
    for (let j = 0; j < n; j++) {
      const v = s[k] * V[j + k * n];
      for (let i = 0; i < m; i++) A[i + j * m] += U[i + k * m] * v;
    }
  }
  return A;
}

export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    nb += b[i] ** 2;
  }
  return Math.sqrt(d / Math.max(nb, 1e-300));
}

export function toF32(rows: number, cols: number, a: Float64Array): Mat {
  return mat(rows, cols, Float32Array.from(a));
}

