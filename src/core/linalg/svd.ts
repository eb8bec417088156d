/**
 * Exact singular value machinery for the whole-signal RPCA solvers, in Float64.
 *
 * Singular value thresholding (SVT) is the proximal operator of the nuclear norm:
 *
 *     SVT_τ(A) = U · max(Σ − τ, 0) · Vᵀ,   A = U Σ Vᵀ,
 *
 * and it is the one expensive step of every RPCA iteration. A full SVD of a 513 × 800 matrix per
 * iteration (one-sided Jacobi or Golub–Kahan) is far too slow in JavaScript, so it is computed
 * exactly through the Gram matrix of the smaller side. For A (m × n) with p = min(m, n):
 *
 *     m ≤ n:  G = A Aᵀ = U Σ² Uᵀ,   SVT_τ(A) = P A,   P = U diag(w) Uᵀ
 *     m > n:  G = Aᵀ A = V Σ² Vᵀ,   SVT_τ(A) = A P,   P = V diag(w) Vᵀ
 *
 * with w_i = max(0, 1 − τ/σ_i): only the eigenpairs of G with λ > τ² are needed. They come from
 * Lanczos when there are few of them, from tridiagonalisation + inverse iteration when there are
 * more, from the full tridiagonal QL decomposition near full rank (see svtInto) — all exact to
 * rounding. Forming G squares the condition number, which would matter for the *vectors* of tiny
 * singular values, but not for the thresholded result: SVT_τ(A) is a function of G applied to A,
 * and its sensitivity to a perturbation δG of G is at most ‖δG‖ / (2τ) (the derivative of
 * max(√λ − τ, 0) in λ is at most 1/(2τ)). With ‖δG‖ ≈ 1e-16 ‖A‖₂², that is 1e-16 ‖A‖₂ · ‖A‖₂/τ:
 * below 1e-8 relative even at the smallest thresholds inexact ALM reaches (τ ≈ 1e-7 ‖A‖₂). The
 * tests hold it to a one-sided Jacobi SVD (the accurate, slow reference).
 *
 * Costs for p = 513, n = 800 (multiply-adds): G is p²n/2 ≈ 105M; the eigenvectors from nothing
 * (Lanczos, a few wanted) to about 2p³ ≈ 270M (full); P A is p²n ≈ 210M, or 2pkn through a k-row
 * middle matrix when k is small. About 0.6 s per SVT at high rank on a slow core, 0.1 s at low.
 */
import { mat, type Mat } from './matrix.ts';
import { Random } from './random.ts';

/** A dense column-major Float64 matrix: element (i, j) is data[i + j * rows]. */
export interface Mat64 {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function mat64(rows: number, cols: number, data?: Float64Array): Mat64 {
  if (data && data.length !== rows * cols) {
    throw new Error(`matrix data has ${data.length} values, expected ${rows}×${cols}`);
  }
  return { rows, cols, data: data ?? new Float64Array(rows * cols) };
}

export function toMat64(a: Mat): Mat64 {
  return { rows: a.rows, cols: a.cols, data: Float64Array.from(a.data) };
}

export function toMat(a: Mat64): Mat {
  return mat(a.rows, a.cols, Float32Array.from(a.data));
}

// ---------------------------------------------------------------------------------------------
// Dense kernels (Float64, column-major). Inner loops run down contiguous columns; four columns of
// the left operand are combined per pass over a column of C, which keeps C's column in cache and
// quarters the loads and stores of C.

/**
 * C = A·B with A (m×k), B (k×n), C (m×n). Two columns of C and four of A per pass: each loaded
 * element of A feeds two multiply-adds and each load/store of C four (about 2 GMAC/s in V8, against
 * 1.3 for one column of C at a time).
 */
export function gemm64(A: Float64Array, B: Float64Array, C: Float64Array, m: number, k: number, n: number): void {
  C.fill(0, 0, m * n);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const c0 = j * m, c1 = c0 + m;
    const d0 = j * k, d1 = d0 + k;
    let l = 0;
    for (; l + 4 <= k; l += 4) {
      const b00 = B[d0 + l], b01 = B[d0 + l + 1], b02 = B[d0 + l + 2], b03 = B[d0 + l + 3];
      const b10 = B[d1 + l], b11 = B[d1 + l + 1], b12 = B[d1 + l + 2], b13 = B[d1 + l + 3];
      const a0 = l * m, a1 = a0 + m, a2 = a1 + m, a3 = a2 + m;
      for (let i = 0; i < m; i++) {
        const x0 = A[a0 + i], x1 = A[a1 + i], x2 = A[a2 + i], x3 = A[a3 + i];
        C[c0 + i] += x0 * b00 + x1 * b01 + x2 * b02 + x3 * b03;
        C[c1 + i] += x0 * b10 + x1 * b11 + x2 * b12 + x3 * b13;
      }
    }
    for (; l < k; l++) {
      const b0 = B[d0 + l], b1 = B[d1 + l];
      const a0 = l * m;
      for (let i = 0; i < m; i++) {
        const x = A[a0 + i];
        C[c0 + i] += x * b0;
        C[c1 + i] += x * b1;
      }
    }
  }
  for (; j < n; j++) {
    const c0 = j * m, d0 = j * k;
    for (let l = 0; l < k; l++) {
      const b0 = B[d0 + l];
      const a0 = l * m;
      for (let i = 0; i < m; i++) C[c0 + i] += A[a0 + i] * b0;
    }
  }
}

/** C = Aᵀ·B with A (k×m), B (k×n), C (m×n): dot products of contiguous columns, 4×2 at a time. */
export function gemmTN64(A: Float64Array, B: Float64Array, C: Float64Array, k: number, m: number, n: number): void {
  for (let j = 0; j < n; j += 2) {
    const j1 = j + 1 < n ? j + 1 : j;
    const e0 = j * k, e1 = j1 * k;
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      let s00 = 0, s10 = 0, s20 = 0, s30 = 0, s01 = 0, s11 = 0, s21 = 0, s31 = 0;
      for (let l = 0; l < k; l++) {
        const y0 = B[e0 + l], y1 = B[e1 + l];
        const x0 = A[a0 + l], x1 = A[a1 + l], x2 = A[a2 + l], x3 = A[a3 + l];
        s00 += x0 * y0; s10 += x1 * y0; s20 += x2 * y0; s30 += x3 * y0;
        s01 += x0 * y1; s11 += x1 * y1; s21 += x2 * y1; s31 += x3 * y1;
      }
      const o0 = j * m + i, o1 = j1 * m + i;
      C[o0] = s00; C[o0 + 1] = s10; C[o0 + 2] = s20; C[o0 + 3] = s30;
      C[o1] = s01; C[o1 + 1] = s11; C[o1 + 2] = s21; C[o1 + 3] = s31;
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

/** C = A·Bᵀ with A (m×k), B (n×k), C (m×n): as gemm64, two columns of C and four of A per pass. */
export function gemmNT64(A: Float64Array, B: Float64Array, C: Float64Array, m: number, n: number, k: number): void {
  C.fill(0, 0, m * n);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const c0 = j * m, c1 = c0 + m;
    let l = 0;
    for (; l + 4 <= k; l += 4) {
      const b00 = B[j + l * n], b01 = B[j + (l + 1) * n], b02 = B[j + (l + 2) * n], b03 = B[j + (l + 3) * n];
      const b10 = B[j + 1 + l * n], b11 = B[j + 1 + (l + 1) * n], b12 = B[j + 1 + (l + 2) * n], b13 = B[j + 1 + (l + 3) * n];
      const a0 = l * m, a1 = a0 + m, a2 = a1 + m, a3 = a2 + m;
      for (let i = 0; i < m; i++) {
        const x0 = A[a0 + i], x1 = A[a1 + i], x2 = A[a2 + i], x3 = A[a3 + i];
        C[c0 + i] += x0 * b00 + x1 * b01 + x2 * b02 + x3 * b03;
        C[c1 + i] += x0 * b10 + x1 * b11 + x2 * b12 + x3 * b13;
      }
    }
    for (; l < k; l++) {
      const b0 = B[j + l * n], b1 = B[j + 1 + l * n];
      const a0 = l * m;
      for (let i = 0; i < m; i++) {
        const x = A[a0 + i];
        C[c0 + i] += x * b0;
        C[c1 + i] += x * b1;
      }
    }
  }
  for (; j < n; j++) {
    const c0 = j * m;
    for (let l = 0; l < k; l++) {
      const b0 = B[j + l * n];
      const a0 = l * m;
      for (let i = 0; i < m; i++) C[c0 + i] += A[a0 + i] * b0;
    }
  }
}

/**
 * Lower triangle (and then the mirror) of G = A Aᵀ for A (m×n): G[r][c] = Σⱼ A[r][j] A[c][j], as a
 * gemm of A with its transpose, two columns of G and four columns of A per pass (see gemm64).
 */
function gramOuter(A: Float64Array, m: number, n: number, G: Float64Array): void {
  symmetricProduct(A, A, G, m, n);
}

/**
 * Lower triangle (and then the mirror) of G = Aᵀ A for A (m×n): dot products of contiguous columns,
 * blocks of four rows by two columns of G (each loaded element feeds two or four multiply-adds).
 */
function gramInner(A: Float64Array, m: number, n: number, G: Float64Array): void {
  for (let c = 0; c < n; c += 2) {
    const c1 = c + 1 < n ? c + 1 : c;
    const e0 = c * m, e1 = c1 * m;
    let r = c;
    for (; r + 4 <= n; r += 4) {
      const a0 = r * m, a1 = a0 + m, a2 = a1 + m, a3 = a2 + m;
      let s00 = 0, s10 = 0, s20 = 0, s30 = 0, s01 = 0, s11 = 0, s21 = 0, s31 = 0;
      for (let l = 0; l < m; l++) {
        const y0 = A[e0 + l], y1 = A[e1 + l];
        const x0 = A[a0 + l], x1 = A[a1 + l], x2 = A[a2 + l], x3 = A[a3 + l];
        s00 += x0 * y0; s10 += x1 * y0; s20 += x2 * y0; s30 += x3 * y0;
        s01 += x0 * y1; s11 += x1 * y1; s21 += x2 * y1; s31 += x3 * y1;
      }
      const o0 = c * n + r, o1 = c1 * n + r;
      G[o0] = s00; G[o0 + 1] = s10; G[o0 + 2] = s20; G[o0 + 3] = s30;
      G[o1] = s01; G[o1 + 1] = s11; G[o1 + 2] = s21; G[o1 + 3] = s31;
    }
    for (; r < n; r++) {
      const a0 = r * m;
      let s0 = 0, s1 = 0;
      for (let l = 0; l < m; l++) {
        const x = A[a0 + l];
        s0 += x * A[e0 + l];
        s1 += x * A[e1 + l];
      }
      G[c * n + r] = s0;
      G[c1 * n + r] = s1;
    }
  }
  mirrorLower(G, n);
}

function mirrorLower(G: Float64Array, p: number): void {
  for (let c = 0; c < p; c++) for (let r = c + 1; r < p; r++) G[r * p + c] = G[c * p + r];
}

// ---------------------------------------------------------------------------------------------
// Symmetric eigendecomposition: tred2 + tql2 (EISPACK, via JAMA), V column-major.

export interface SymmetricEigen {
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /** p×p column-major; column i is the unit eigenvector of values[i]. Absent if not asked for. */
  vectors: Float64Array | null;
}

/**
 * Eigenvalues (and optionally eigenvectors) of the symmetric p×p matrix `a` (column-major; it is
 * not modified). Householder reduction to tridiagonal form, then QL with implicit Wilkinson shifts:
 * about (4/3)p³ flops for the reduction and 3p³ more for the vectors, backward stable.
 */
export function symmetricEigen(a: Float64Array, p: number, wantVectors = true): SymmetricEigen {
  if (a.length < p * p) throw new Error('symmetricEigen: matrix too small');
  const V = a.slice(0, p * p);
  const d = new Float64Array(p);
  const e = new Float64Array(p);
  if (p === 0) return { values: d, vectors: wantVectors ? V : null };
  tred2(V, d, e, p, wantVectors);
  tql2(V, d, e, p, wantVectors ? p : 0);
  // Sort descending (values and columns together).
  const order = sortedDescending(d);
  const values = Float64Array.from(order, (i) => d[i]);
  if (!wantVectors) return { values, vectors: null };
  const vectors = new Float64Array(p * p);
  for (let c = 0; c < p; c++) vectors.set(V.subarray(order[c] * p, order[c] * p + p), c * p);
  return { values, vectors };
}

/** Householder tridiagonalisation; V[r][c] at c*n + r. On exit d = diagonal, e = subdiagonal. */
function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number, accumulate: boolean, hOut?: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = V[j * n + n - 1];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[j * n + i - 1];
        V[j * n + i] = 0;
        V[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      // e = A d (A the active lower triangle), two columns at a time.
      for (let j = 0; j < i; j++) e[j] = 0;
      let j = 0;
      for (; j + 1 < i; j += 2) {
        const f0 = d[j], f1 = d[j + 1];
        V[i * n + j] = f0;
        V[i * n + j + 1] = f1;
        const c0 = j * n, c1 = c0 + n;
        let g0 = e[j] + V[c0 + j] * f0;
        const v = V[c0 + j + 1];
        g0 += v * d[j + 1];
        e[j + 1] += v * f0;
        let g1 = e[j + 1] + V[c1 + j + 1] * f1;
        for (let k = j + 2; k < i; k++) {
          const v0 = V[c0 + k], v1 = V[c1 + k];
          const dk = d[k];
          g0 += v0 * dk;
          g1 += v1 * dk;
          e[k] += v0 * f0 + v1 * f1;
        }
        e[j] = g0;
        e[j + 1] = g1;
      }
      for (; j < i; j++) {
        f = d[j];
        V[i * n + j] = f;
        const cj = j * n;
        g = e[j] + V[cj + j] * f;
        for (let k = j + 1; k < i; k++) {
          const v = V[cj + k];
          g += v * d[k];
          e[k] += v * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      // Rank-two update A −= d eᵀ + e dᵀ (lower triangle), two columns at a time; d[j] then takes
      // row i − 1 of the updated matrix (the next Householder vector).
      j = 0;
      for (; j + 1 < i; j += 2) {
        const f0 = d[j], g0 = e[j], f1 = d[j + 1], g1 = e[j + 1];
        const c0 = j * n, c1 = c0 + n;
        V[c0 + j] -= f0 * e[j] + g0 * d[j];
        for (let k = j + 1; k < i; k++) {
          const ek = e[k], dk = d[k];
          V[c0 + k] -= f0 * ek + g0 * dk;
          V[c1 + k] -= f1 * ek + g1 * dk;
        }
        d[j] = V[c0 + i - 1];
        d[j + 1] = V[c1 + i - 1];
        V[c0 + i] = 0;
        V[c1 + i] = 0;
      }
      for (; j < i; j++) {
        f = d[j];
        g = e[j];
        const cj = j * n;
        for (let k = j; k < i; k++) V[cj + k] -= f * e[k] + g * d[k];
        d[j] = V[cj + i - 1];
        V[cj + i] = 0;
      }
    }
    d[i] = h;
  }
  if (!accumulate) {
    // d[i] holds the h of reflector i; the diagonal of T sits on the diagonal of V (the
    // accumulation below would move it to d). Reflector i is I − u uᵀ/h with u in column i, rows < i.
    if (hOut) hOut.set(d.subarray(0, n));
    for (let j = 0; j < n; j++) d[j] = V[j * n + j];
    e[0] = 0;
    return;
  }
  for (let i = 0; i < n - 1; i++) {
    V[i * n + n - 1] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    const ci1 = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[ci1 + k] / h;
      for (let j = 0; j <= i; j++) {
        const cj = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[ci1 + k] * V[cj + k];
        for (let k = 0; k <= i; k++) V[cj + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[ci1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[j * n + n - 1];
    V[j * n + n - 1] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Implicit QL on the tridiagonal (diagonal d, subdiagonal e[1..n-1]); on exit d holds the (unsorted)
 * eigenvalues. The rotations are applied to the n columns of V, which has `vrows` rows (column-major,
 * V[k][c] at c*vrows + k): n rows for eigenvectors, one row to track one component of each, none.
 */
function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number, vrows: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('symmetricEigen: QL did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = pythag(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = pythag(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const ci = i * vrows;
          const ci1 = ci + vrows;
          for (let k = 0; k < vrows; k++) {
            const vh = V[ci1 + k];
            const vi = V[ci + k];
            V[ci1 + k] = s * vi + c * vh;
            V[ci + k] = c * vi - s * vh;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Selected eigenvectors of a dense symmetric matrix: tridiagonalise, QL for the eigenvalues only,
// inverse iteration for the wanted vectors of T, then the Householder reflectors applied to those
// vectors alone (LAPACK's dsyevx route: dsytrd, dsterf, dstein, dormtr).

interface SelectedEigen {
  /** All eigenvalues, descending. */
  theta: Float64Array;
  /** Unit eigenvectors of the first `count` eigenvalues, p×count column-major. */
  vectors: Float64Array;
  count: number;
}

/**
 * Eigenvalues of the symmetric p×p matrix G and the eigenvectors of those above `thr` (at most
 * maxCount of them, the largest). Saves the
 * accumulation of the reflectors (4/3 p³ flops) and the QL rotations on them (about 3p³), replacing
 * them with O(p·count) inverse iteration (plus reorthogonalisation inside clusters, as dstein) and
 * p²·count for the back-transformation. Every vector of T is checked (‖T z − λ z‖ ≤ 1e-13·‖T‖);
 * null if one fails, and the caller takes the full decomposition.
 */
function selectedEigen(G: Float64Array, p: number, thr: number, rng: Random, maxCount = p): SelectedEigen | null {
  const V = G.slice(0, p * p);
  const d = new Float64Array(p);
  const e = new Float64Array(p);
  const h = new Float64Array(p);
  tred2(V, d, e, p, false, h);
  const diag = d.slice();
  const off = new Float64Array(Math.max(p - 1, 0)); // T[i][i+1] = e[i+1]
  for (let i = 0; i + 1 < p; i++) off[i] = e[i + 1];
  tql2(V, d, e, p, 0);
  const theta = Float64Array.from(sortedDescending(d), (i) => d[i]);
  let count = 0;
  while (count < maxCount && theta[count] > thr) count++;
  let tNorm = 0; // ‖T‖∞
  for (let i = 0; i < p; i++) {
    const row = Math.abs(diag[i]) + (i > 0 ? Math.abs(off[i - 1]) : 0) + (i + 1 < p ? Math.abs(off[i]) : 0);
    if (row > tNorm) tNorm = row;
  }
  const Z = new Float64Array(p * count);
  if (count > 0 && !tridiagonalVectors(diag, off, p, theta, count, tNorm, Z, rng)) return null;
  // x = P̃_{p−1} ⋯ P̃_1 z, applying P̃_1 first: P̃_r = I − u_r u_rᵀ/h_r on coordinates 0..r−1. In
  // blocks of 16 vectors (which stay in cache while every reflector streams past), 4 at a time.
  for (let b0 = 0; b0 < count; b0 += 16) {
    const b1 = Math.min(count, b0 + 16);
    for (let r = 1; r < p; r++) {
      const hr = h[r];
      if (hr === 0) continue;
      const u = r * p; // column r of V, rows 0..r−1
      let c = b0;
      for (; c + 4 <= b1; c += 4) {
        const z0 = c * p, z1 = z0 + p, z2 = z1 + p, z3 = z2 + p;
        let g0 = 0, g1 = 0, g2 = 0, g3 = 0;
        for (let k = 0; k < r; k++) {
          const uk = V[u + k];
          g0 += uk * Z[z0 + k];
          g1 += uk * Z[z1 + k];
          g2 += uk * Z[z2 + k];
          g3 += uk * Z[z3 + k];
        }
        g0 /= hr;
        g1 /= hr;
        g2 /= hr;
        g3 /= hr;
        for (let k = 0; k < r; k++) {
          const uk = V[u + k];
          Z[z0 + k] -= g0 * uk;
          Z[z1 + k] -= g1 * uk;
          Z[z2 + k] -= g2 * uk;
          Z[z3 + k] -= g3 * uk;
        }
      }
      for (; c < b1; c++) {
        const z0 = c * p;
        let g0 = 0;
        for (let k = 0; k < r; k++) g0 += V[u + k] * Z[z0 + k];
        g0 /= hr;
        for (let k = 0; k < r; k++) Z[z0 + k] -= g0 * V[u + k];
      }
    }
  }
  return { theta, vectors: Z, count };
}

/**
 * Unit eigenvectors of the symmetric tridiagonal T (diagonal `diag`, off-diagonal `off`) for
 * lambda[0..count), which are eigenvalues of T in descending order: inverse iteration with
 * partial-pivoting LU of T − λI, eigenvalues closer than 1e-3‖T‖ treated as a cluster whose
 * vectors are kept orthogonal (modified Gram–Schmidt at every step), equal ones separated by
 * 10 ε‖T‖ (as LAPACK's dstein). Returns false if a vector's residual is not small.
 */
function tridiagonalVectors(
  diag: Float64Array, off: Float64Array, n: number, lambda: Float64Array, count: number, tNorm: number,
  Z: Float64Array, rng: Random,
): boolean {
  const eps = 2 ** -52;
  const ortol = 1e-6 * tNorm;
  const pertol = 10 * eps * tNorm;
  const tiny = eps * tNorm || Number.MIN_VALUE;
  const u0 = new Float64Array(n), u1 = new Float64Array(n), u2 = new Float64Array(n);
  const mult = new Float64Array(n);
  const swapped = new Uint8Array(n);
  let clusterStart = 0;
  let prevShift = Infinity;
  for (let j = 0; j < count; j++) {
    if (j > 0 && lambda[j - 1] - lambda[j] > ortol) clusterStart = j;
    let shift = lambda[j];
    if (j > 0 && prevShift - shift < pertol) shift = prevShift - pertol;
    prevShift = shift;
    // Factor T − shift·I = P L U (U upper with two superdiagonals).
    let r0 = diag[0] - shift;
    let r1 = n > 1 ? off[0] : 0;
    for (let i = 0; i + 1 < n; i++) {
      const n0 = off[i], n1 = diag[i + 1] - shift, n2 = i + 2 < n ? off[i + 1] : 0;
      let o0: number, o1: number, o2: number;
      if (Math.abs(n0) > Math.abs(r0)) {
        u0[i] = n0; u1[i] = n1; u2[i] = n2;
        o0 = r0; o1 = r1; o2 = 0;
        swapped[i] = 1;
      } else {
        u0[i] = r0; u1[i] = r1; u2[i] = 0;
        o0 = n0; o1 = n1; o2 = n2;
        swapped[i] = 0;
      }
      if (u0[i] === 0) u0[i] = tiny;
      const l = o0 / u0[i];
      mult[i] = l;
      r0 = o1 - l * u1[i];
      r1 = o2 - l * u2[i];
    }
    u0[n - 1] = r0 === 0 ? tiny : r0;
    u1[n - 1] = 0;
    u2[n - 1] = 0;
    // Two solves from a random start (the first already gives a vector dominated by the wanted one,
    // as the gap is far above ε‖T‖), then reorthogonalisation within the cluster (modified
    // Gram–Schmidt, twice) and normalisation.
    const zo = j * n;
    for (let i = 0; i < n; i++) Z[zo + i] = 2 * rng.next() - 1;
    for (let it = 0; it < 2; it++) {
      for (let i = 0; i + 1 < n; i++) {
        if (swapped[i]) {
          const t = Z[zo + i];
          Z[zo + i] = Z[zo + i + 1];
          Z[zo + i + 1] = t;
        }
        Z[zo + i + 1] -= mult[i] * Z[zo + i];
      }
      for (let i = n - 1; i >= 0; i--) {
        let v = Z[zo + i];
        if (i + 1 < n) v -= u1[i] * Z[zo + i + 1];
        if (i + 2 < n) v -= u2[i] * Z[zo + i + 2];
        Z[zo + i] = v / u0[i];
      }
      for (let pass = 0; pass < 2 * it; pass++) {
        for (let c = clusterStart; c < j; c++) {
          const co = c * n;
          let dot = 0;
          for (let i = 0; i < n; i++) dot += Z[zo + i] * Z[co + i];
          for (let i = 0; i < n; i++) Z[zo + i] -= dot * Z[co + i];
        }
      }
      let nrm = 0;
      for (let i = 0; i < n; i++) nrm += Z[zo + i] * Z[zo + i];
      nrm = Math.sqrt(nrm);
      if (!(nrm > 0) || !Number.isFinite(nrm)) return false;
      for (let i = 0; i < n; i++) Z[zo + i] /= nrm;
    }
    // Residual ‖T z − λ z‖ against the true eigenvalue.
    let res = 0;
    for (let i = 0; i < n; i++) {
      let t = (diag[i] - lambda[j]) * Z[zo + i];
      if (i > 0) t += off[i - 1] * Z[zo + i - 1];
      if (i + 1 < n) t += off[i] * Z[zo + i + 1];
      res += t * t;
    }
    if (Math.sqrt(res) > 1e-14 * tNorm) return false;
  }
  return true;
}

/** √(a² + b²) without overflow or underflow (Math.hypot is several times slower in V8). */
function pythag(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x > y) {
    const t = y / x;
    return x * Math.sqrt(1 + t * t);
  }
  if (y === 0) return 0;
  const t = x / y;
  return y * Math.sqrt(1 + t * t);
}

// ---------------------------------------------------------------------------------------------
// Lanczos on the Gram matrix, for when only a few eigenpairs are wanted.

interface LanczosResult {
  /** Ritz values, descending (all j of them). */
  theta: Float64Array;
  /** Unit Ritz vectors of the first `count` Ritz values, p×count column-major. */
  vectors: Float64Array;
  count: number;
}

/**
 * Lanczos with full reorthogonalisation on a symmetric PSD p×p matrix G, given as the product
 * y = G x (`op`; `scale` ≥ ‖G‖₂ sets the breakdown test), from a random start,
 * until every Ritz value above `thr` and the next one (the guard, which shows that the first
 * discarded eigenvalue is below thr) have Ritz residuals ‖G y − θ y‖ = |β_j s_j| ≤ tol·θ₁. At j = p
 * the Krylov space is everything and the result is exact. Returns null if that takes more than jMax
 * steps. An invariant subspace (β ≈ 0) restarts the recurrence with a fresh vector orthogonal to
 * the basis, so a G of low rank does not end it early.
 *
 * Cost: one product with G per step, 4pj for the reorthogonalisation, and every ~12% of growth an
 * O(j²) QL pass for the Ritz values and the last components of their vectors (all the residuals
 * need); the Ritz vectors themselves are formed once at the end.
 */
function lanczosTop(
  op: (x: Float64Array, y: Float64Array) => void, p: number, scale: number, thr: number, jMax: number, tol: number,
  rng: Random,
): LanczosResult | null {
  jMax = Math.min(jMax, p);
  const Q = new Float64Array(p * (jMax + 1));
  const alpha = new Float64Array(jMax);
  const beta = new Float64Array(jMax);
  const w = new Float64Array(p);
  const h = new Float64Array(jMax + 1);
  randomUnitOrthogonal(Q, p, 0, rng);
  let nextCheck = Math.min(jMax, 24);
  for (let j = 0; j < jMax; j++) {
    const qj = Q.subarray(j * p, (j + 1) * p);
    op(qj, w); // w = G q_j
    let a = 0;
    for (let r = 0; r < p; r++) a += qj[r] * w[r];
    alpha[j] = a;
    // Full reorthogonalisation (classical Gram–Schmidt, twice) subsumes the three-term recurrence.
    for (let pass = 0; pass < 2; pass++) projectOut(Q, p, j + 1, w, h);
    let b = 0;
    for (let r = 0; r < p; r++) b += w[r] * w[r];
    b = Math.sqrt(b);
    if (j + 1 < p) {
      if (b <= 1e-12 * scale) {
        beta[j] = 0;
        randomUnitOrthogonal(Q, p, j + 1, rng);
      } else {
        beta[j] = b;
        const inv = 1 / b;
        const next = (j + 1) * p;
        for (let r = 0; r < p; r++) Q[next + r] = w[r] * inv;
      }
    } else {
      beta[j] = 0;
    }
    const jj = j + 1;
    if (jj < nextCheck && jj < jMax) continue;
    nextCheck = Math.min(jMax, jj + Math.max(4, Math.ceil(jj / 8)));
    // Ritz values and the last components of the Ritz vectors: QL on T_jj tracking one row.
    const d = alpha.slice(0, jj);
    const e = new Float64Array(jj);
    for (let i = 1; i < jj; i++) e[i] = beta[i - 1];
    const last = new Float64Array(jj);
    last[jj - 1] = 1;
    tql2(last, d, e, jj, 1);
    const order = sortedDescending(d);
    const theta = Float64Array.from(order, (i) => d[i]);
    let count = 0;
    while (count < jj && theta[count] > thr) count++;
    // After a breakdown (β = 0) the basis is an invariant subspace and its residuals are all zero,
    // but eigenvalues outside it (copies of a repeated eigenvalue) are still to be found.
    let converged = jj === p;
    if (!converged && count < jj && beta[j] !== 0) {
      converged = true;
      const bound = tol * Math.max(theta[0], 0);
      const bj = beta[j];
      for (let i = 0; i <= count && converged; i++) {
        if (Math.abs(bj * last[order[i]]) > bound) converged = false;
      }
    }
    if (!converged) continue;
    // Converged: the Ritz vectors Y = Q_jj S (the eigenvectors S of T_jj), first `count` of them.
    const d2 = alpha.slice(0, jj);
    const e2 = new Float64Array(jj);
    for (let i = 1; i < jj; i++) e2[i] = beta[i - 1];
    const S = new Float64Array(jj * jj);
    for (let i = 0; i < jj; i++) S[i + i * jj] = 1;
    tql2(S, d2, e2, jj, jj);
    const order2 = sortedDescending(d2);
    const Ssel = new Float64Array(jj * count);
    for (let i = 0; i < count; i++) Ssel.set(S.subarray(order2[i] * jj, order2[i] * jj + jj), i * jj);
    const vectors = new Float64Array(p * count);
    gemm64(Q, Ssel, vectors, p, jj, count);
    return { theta: Float64Array.from(order2, (i) => d2[i]), vectors, count };
  }
  return null;
}

/** y = G x for an explicit symmetric p×p G (a combination of its contiguous columns). */
function explicitOp(G: Float64Array, p: number): (x: Float64Array, y: Float64Array) => void {
  return (x, y) => {
    y.fill(0);
    let c = 0;
    for (; c + 4 <= p; c += 4) {
      const s0 = x[c], s1 = x[c + 1], s2 = x[c + 2], s3 = x[c + 3];
      const g0 = c * p, g1 = g0 + p, g2 = g1 + p, g3 = g2 + p;
      for (let r = 0; r < p; r++) y[r] += G[g0 + r] * s0 + G[g1 + r] * s1 + G[g2 + r] * s2 + G[g3 + r] * s3;
    }
    for (; c < p; c++) {
      const s0 = x[c];
      const g0 = c * p;
      for (let r = 0; r < p; r++) y[r] += G[g0 + r] * s0;
    }
  };
}

/**
 * y = G x with G the Gram matrix of the smaller side of A (m×n), without forming it: A (Aᵀ x) when
 * m ≤ n, Aᵀ (A x) otherwise; 2mn multiply-adds, against p² for an explicit G that costs p²·max/2
 * to form: the cheaper way to a few eigenpairs, like the top one of spectralNorm.
 */
function implicitOp(A: Float64Array, m: number, n: number): (x: Float64Array, y: Float64Array) => void {
  const wide = m <= n;
  const t = new Float64Array(wide ? n : m);
  const dots = (v: Float64Array, out: Float64Array): void => {
    // out_j = A[:, j] · v (v has m entries)
    for (let j = 0; j < n; j++) {
      const o = j * m;
      let s0 = 0, s1 = 0;
      let i = 0;
      for (; i + 2 <= m; i += 2) {
        s0 += A[o + i] * v[i];
        s1 += A[o + i + 1] * v[i + 1];
      }
      if (i < m) s0 += A[o + i] * v[i];
      out[j] = s0 + s1;
    }
  };
  const combine = (c: Float64Array, out: Float64Array): void => {
    // out = Σ_j A[:, j] c_j (out has m entries)
    out.fill(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const c0 = c[j], c1 = c[j + 1], c2 = c[j + 2], c3 = c[j + 3];
      const o0 = j * m, o1 = o0 + m, o2 = o1 + m, o3 = o2 + m;
      for (let i = 0; i < m; i++) out[i] += A[o0 + i] * c0 + A[o1 + i] * c1 + A[o2 + i] * c2 + A[o3 + i] * c3;
    }
    for (; j < n; j++) {
      const c0 = c[j];
      const o0 = j * m;
      for (let i = 0; i < m; i++) out[i] += A[o0 + i] * c0;
    }
  };
  return wide
    ? (x, y) => {
        dots(x, t);
        combine(t, y);
      }
    : (x, y) => {
        combine(x, t);
        dots(t, y);
      };
}

/** w ← w − Q_k (Q_kᵀ w) for the first k columns of Q (p rows). */
function projectOut(Q: Float64Array, p: number, k: number, w: Float64Array, h: Float64Array): void {
  for (let l = 0; l < k; l++) {
    const o = l * p;
    let d = 0;
    for (let r = 0; r < p; r++) d += Q[o + r] * w[r];
    h[l] = d;
  }
  for (let l = 0; l < k; l++) {
    const o = l * p;
    const d = h[l];
    for (let r = 0; r < p; r++) w[r] -= Q[o + r] * d;
  }
}

/** Column `col` of Q ← a random unit vector orthogonal to the columns before it. */
function randomUnitOrthogonal(Q: Float64Array, p: number, col: number, rng: Random): void {
  const w = new Float64Array(p);
  const h = new Float64Array(col + 1);
  for (let attempt = 0; attempt < 10; attempt++) {
    for (let r = 0; r < p; r++) w[r] = rng.normal();
    for (let pass = 0; pass < 2; pass++) projectOut(Q, p, col, w, h);
    let n2 = 0;
    for (let r = 0; r < p; r++) n2 += w[r] * w[r];
    if (n2 > 1e-20) {
      const inv = 1 / Math.sqrt(n2);
      for (let r = 0; r < p; r++) Q[col * p + r] = w[r] * inv;
      return;
    }
  }
  throw new Error('svt: cannot extend an orthonormal basis');
}

function sortedDescending(d: Float64Array): number[] {
  return Array.from({ length: d.length }, (_, i) => i).sort((i, j) => d[j] - d[i]);
}

// ---------------------------------------------------------------------------------------------
// Singular value thresholding and thin SVD.

export interface SvtResult {
  /** Number of singular values strictly above τ (the rank of the result). */
  rank: number;
  /**
   * Singular values of the input, descending: all min(m, n) of them (dense, full), or the ones
   * Lanczos resolved (at least rank + 1 of them when rank < min(m, n); the trailing ones may be
   * unconverged Ritz values).
   */
  sigma: Float64Array;
  method: 'dense' | 'full' | 'lanczos';
}

/**
 * Carried from one SVT to the next in an iterative solver: the rank of the last result (which
 * predicts the next one, like the rank prediction sv of Lin et al.'s code) and the random stream.
 */
export interface SvtState {
  rank: number;
  rng: Random;
}

export function createSvtState(seed = 0x5eed): SvtState {
  return { rank: -1, rng: new Random(seed) };
}

export interface SvtOptions {
  /** Rank prediction across calls; without it each call predicts nothing and tries Lanczos first. */
  state?: SvtState;
  /**
   * Which eigensolver for the Gram matrix: 'auto' (default) picks by the predicted rank; the others
   * force one (tests, benchmarks). 'lanczos' throws if it does not converge in p steps; 'dense'
   * falls back to 'full' if an inverse-iteration vector fails its residual check.
   */
  method?: 'auto' | 'dense' | 'full' | 'lanczos';
  /**
   * Lanczos: a Ritz pair (θ, y) of G counts as converged when ‖G y − θ y‖ ≤ tol·‖G‖₂. Default
   * 1e-12, which keeps the thresholded result within ~1e-10 of the dense method's in tests.
   */
  tol?: number;
}

/**
 * out = SVT_τ(a) = U max(Σ − τ, 0) Vᵀ, exactly, through the Gram matrix G of the smaller side (file
 * comment). `out` may not alias `a`.
 *
 * The k eigenpairs of G with λ > τ² come from one of three exact eigensolvers:
 *   'lanczos'  Lanczos with full reorthogonalisation (about p² per step, 2–3 steps per wanted
 *              pair): cheapest when few singular values exceed τ, the early iterations of ALM and
 *              proximal RPCA throughout;
 *   'dense'    tridiagonalisation, QL eigenvalues, inverse iteration for the k wanted vectors only
 *              (selectedEigen): middle ranks;
 *   'full'     tridiagonalisation and QL with all vectors (symmetricEigen): near-full rank.
 * 'auto' predicts k from `state` (the last rank): Lanczos up to p/6 (and with no prediction),
 * giving up for 'dense' after p/2 steps; 'dense' up to 0.75p; 'full' beyond. All agree with a
 * Jacobi SVD to ~1e-10 or better in the tests; on real spectrograms, to ~1e-14 of each other.
 */
export function svtInto(a: Mat64, tau: number, out: Mat64, opts: SvtOptions = {}): SvtResult {
  const { rows: m, cols: n } = a;
  if (out.rows !== m || out.cols !== n) throw new Error('svt: output shape mismatch');
  if (out.data === a.data) throw new Error('svt: output must not alias the input');
  if (!(tau >= 0)) throw new Error(`svt: threshold must be non-negative, got ${tau}`);
  if (m === 0 || n === 0) return { rank: 0, sigma: new Float64Array(0), method: 'dense' };
  const method = opts.method ?? 'auto';
  const state = opts.state ?? createSvtState();
  const wide = m <= n;
  const p = wide ? m : n;
  let G: Float64Array | null = null;
  const gram = (): Float64Array => {
    if (!G) {
      G = new Float64Array(p * p);
      if (wide) gramOuter(a.data, m, n, G);
      else gramInner(a.data, m, n, G);
    }
    return G;
  };
  let aNorm2 = 0; // ‖A‖²_F ≥ ‖G‖₂
  for (let i = 0; i < m * n; i++) aNorm2 += a.data[i] * a.data[i];

  let sigma: Float64Array | null = null;
  let U: Float64Array | null = null;
  let k = 0;
  let used: SvtResult['method'] = 'full';
  const predicted = state.rank; // −1: unknown
  let route: 'lanczos' | 'dense' | 'full' = method === 'auto' ? 'full' : method;
  if (method === 'auto' && p > 32) {
    route = predicted <= p / 6 ? 'lanczos' : predicted <= 0.75 * p ? 'dense' : 'full';
  }
  if (route === 'lanczos') {
    // G is formed even here: products through A (implicitOp) stream all of A twice per step and
    // measured no faster than the compute-bound Gram matrix plus cheap steps on it.
    const jMax = method === 'lanczos' ? p : Math.ceil(p / 2);
    const op = explicitOp(gram(), p);
    const r = lanczosTop(op, p, aNorm2, tau * tau, jMax, opts.tol ?? 1e-12, state.rng);
    if (r) {
      sigma = Float64Array.from(r.theta, (v) => (v > 0 ? Math.sqrt(v) : 0));
      U = r.vectors;
      k = r.count;
      used = 'lanczos';
    } else if (method === 'lanczos') {
      throw new Error('svt: Lanczos did not converge');
    } else {
      route = 'dense';
    }
  }
  if (route === 'dense') {
    const r = selectedEigen(gram(), p, tau * tau, state.rng);
    if (r) {
      sigma = Float64Array.from(r.theta, (v) => (v > 0 ? Math.sqrt(v) : 0));
      U = r.vectors;
      k = r.count;
      used = 'dense';
    }
  }
  if (!sigma || !U) {
    const { values, vectors } = symmetricEigen(gram(), p, true);
    sigma = Float64Array.from(values, (v) => (v > 0 ? Math.sqrt(v) : 0));
    U = vectors as Float64Array;
    k = 0;
    while (k < p && sigma[k] > tau) k++;
    used = 'full';
  }
  // Ritz values at the threshold may round either way: count them as Lanczos did (θ > τ²).
  while (k > 0 && !(sigma[k - 1] > tau)) k--;
  state.rank = k;
  reconstruct(a, wide, p, U, sigma, k, tau, out);
  return { rank: k, sigma, method: used };
}

/**
 * out = P A (wide) or A P (tall) with P = U_k diag(w) U_kᵀ, w_i = 1 − τ/σ_i: through a k-row middle
 * matrix when k is small (2pkN), through P itself when it is not (p²k + p²N).
 */
function reconstruct(
  a: Mat64, wide: boolean, p: number, U: Float64Array, sigma: Float64Array, k: number, tau: number, out: Mat64,
): void {
  const { rows: m, cols: n } = a;
  if (k === 0) {
    out.data.fill(0);
    return;
  }
  const w = new Float64Array(k);
  for (let i = 0; i < k; i++) w[i] = 1 - tau / sigma[i];
  const N = wide ? n : m; // the other dimension
  const Uk = U.subarray(0, p * k);
  if (2 * k * N <= p * (k + N)) {
    if (wide) {
      const W = new Float64Array(k * n); // W = diag(w) U_kᵀ A, k×n
      gemmTN64(Uk, a.data, W, p, k, n);
      for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) W[i + j * k] *= w[i];
      gemm64(Uk, W, out.data, m, k, n);
    } else {
      const B = new Float64Array(m * k); // B = A V_k diag(w), m×k
      gemm64(a.data, Uk, B, m, n, k);
      for (let i = 0; i < k; i++) for (let r = 0; r < m; r++) B[r + i * m] *= w[i];
      gemmNT64(B, Uk, out.data, m, n, k);
    }
  } else {
    const Uw = new Float64Array(p * k);
    for (let i = 0; i < k; i++) {
      const wi = w[i];
      for (let r = 0; r < p; r++) Uw[r + i * p] = Uk[r + i * p] * wi;
    }
    const P = new Float64Array(p * p);
    symmetricProduct(Uw, Uk, P, p, k);
    if (wide) gemm64(P, a.data, out.data, m, m, n);
    else gemm64(a.data, P, out.data, m, n, n);
  }
}

/**
 * P = A Bᵀ for A, B (p×k) when the result is known to be symmetric (A = U diag(w), B = U): the lower
 * triangle, two columns of P and four of A/B per pass, then the mirror. Half the work of gemmNT64.
 */
function symmetricProduct(A: Float64Array, B: Float64Array, P: Float64Array, p: number, k: number): void {
  P.fill(0, 0, p * p);
  let c = 0;
  for (; c + 2 <= p; c += 2) {
    const c0 = c * p, c1 = c0 + p;
    let l = 0;
    for (; l + 4 <= k; l += 4) {
      const a0 = l * p, a1 = a0 + p, a2 = a1 + p, a3 = a2 + p;
      const b00 = B[a0 + c], b01 = B[a1 + c], b02 = B[a2 + c], b03 = B[a3 + c];
      const b10 = B[a0 + c + 1], b11 = B[a1 + c + 1], b12 = B[a2 + c + 1], b13 = B[a3 + c + 1];
      P[c0 + c] += A[a0 + c] * b00 + A[a1 + c] * b01 + A[a2 + c] * b02 + A[a3 + c] * b03;
      for (let r = c + 1; r < p; r++) {
        const x0 = A[a0 + r], x1 = A[a1 + r], x2 = A[a2 + r], x3 = A[a3 + r];
        P[c0 + r] += x0 * b00 + x1 * b01 + x2 * b02 + x3 * b03;
        P[c1 + r] += x0 * b10 + x1 * b11 + x2 * b12 + x3 * b13;
      }
    }
    for (; l < k; l++) {
      const a0 = l * p;
      const b0 = B[a0 + c], b1 = B[a0 + c + 1];
      P[c0 + c] += A[a0 + c] * b0;
      for (let r = c + 1; r < p; r++) {
        const x = A[a0 + r];
        P[c0 + r] += x * b0;
        P[c1 + r] += x * b1;
      }
    }
  }
  for (; c < p; c++) {
    let s = 0;
    for (let l = 0; l < k; l++) s += A[l * p + c] * B[l * p + c];
    P[c * p + c] = s;
  }
  mirrorLower(P, p);
}

/** SVT_τ(a) of a Float32 matrix, computed in Float64 (see svtInto). */
export function svt(a: Mat, tau: number, opts: SvtOptions = {}): { out: Mat; rank: number; sigma: Float64Array } {
  const a64 = toMat64(a);
  const out = mat64(a.rows, a.cols);
  const { rank, sigma } = svtInto(a64, tau, out, opts);
  return { out: toMat(out), rank, sigma };
}

/** All singular values of a, descending (eigenvalues of the smaller Gram matrix, no vectors). */
export function singularValues(a: Mat64): Float64Array {
  const { rows: m, cols: n, data } = a;
  const p = Math.min(m, n);
  const G = new Float64Array(p * p);
  if (m <= n) gramOuter(data, m, n, G);
  else gramInner(data, m, n, G);
  const { values } = symmetricEigen(G, p, false);
  return Float64Array.from(values, (v) => (v > 0 ? Math.sqrt(v) : 0));
}

/** Spectral norm ‖a‖₂ = σ₁: Lanczos on the Gram matrix (through products with a) to convergence. */
export function spectralNorm(a: Mat64): number {
  const { rows: m, cols: n, data } = a;
  if (m === 0 || n === 0) return 0;
  let scale = 0;
  for (let i = 0; i < m * n; i++) scale += data[i] * data[i];
  const r = lanczosTop(implicitOp(data, m, n), Math.min(m, n), scale, Infinity, Math.min(m, n), 1e-13, new Random(1));
  const top = r ? r.theta[0] : 0;
  return top > 0 ? Math.sqrt(top) : 0;
}

/**
 * Thin SVD, top q: U (m×q, orthonormal columns) and σ₁ ≥ … ≥ σ_q. Used to build an NN RPCA
 * dictionary from the top left singular vectors of clean accompaniment frames. Columns whose σ is
 * zero (q beyond the rank) are left zero. The sign of each column is fixed so that its largest
 * entry in magnitude is positive, which makes the result deterministic.
 */
export function svdTop(a: Mat, q: number): { U: Mat; sigma: Float64Array } {
  const { rows: m, cols: n } = a;
  const p = Math.min(m, n);
  if (!Number.isInteger(q) || q < 0 || q > p) throw new Error(`svdTop: q = ${q} is not in [0, ${p}]`);
  const A = Float64Array.from(a.data);
  const wide = m <= n;
  const G = new Float64Array(p * p);
  if (wide) gramOuter(A, m, n, G);
  else gramInner(A, m, n, G);
  let theta: Float64Array;
  let vectors: Float64Array;
  const sel = selectedEigen(G, p, -Infinity, new Random(1), q);
  if (sel) {
    theta = sel.theta;
    vectors = sel.vectors;
  } else {
    const full = symmetricEigen(G, p, true);
    theta = full.values;
    vectors = (full.vectors as Float64Array).subarray(0, p * q);
  }
  const sigma = Float64Array.from(theta.subarray(0, q), (v) => (v > 0 ? Math.sqrt(v) : 0));
  const U = new Float64Array(m * q);
  if (wide) {
    U.set(vectors.subarray(0, m * q));
  } else if (q > 0) {
    // U_q = A V_q Σ_q⁻¹
    gemm64(A, vectors.subarray(0, n * q), U, m, n, q);
    for (let i = 0; i < q; i++) {
      const s = sigma[i] > 0 ? 1 / sigma[i] : 0;
      for (let r = 0; r < m; r++) U[r + i * m] *= s;
    }
  }
  for (let i = 0; i < q; i++) {
    const u = U.subarray(i * m, (i + 1) * m);
    let big = 0;
    for (let r = 0; r < m; r++) if (Math.abs(u[r]) > Math.abs(big)) big = u[r];
    if (big < 0) for (let r = 0; r < m; r++) u[r] = -u[r];
  }
  return { U: mat(m, q, Float32Array.from(U)), sigma };
}
