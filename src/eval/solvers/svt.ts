/**
 * Singular value thresholding for the whole-signal RPCA solvers (./rpca-admm.ts, ./rpca-prox.ts),
 * exact, in Float64, on the kernels and eigensolvers of src/core/linalg/svd/.
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
import type { Mat } from '../../core/linalg/mat.ts';
import { Random } from '../../core/linalg/random.ts';
import { symmetricEigen } from '../../core/linalg/svd/eigen.ts';
import { selectedEigen } from '../../core/linalg/svd/eigen-selected.ts';
import { explicitOp, lanczosTop } from '../../core/linalg/svd/lanczos.ts';
import {
  gemm64, gemmNT64, gemmTN64, gramOfSmallerSide, mat64, symmetricProduct, toMat, toMat64, type Mat64,
} from '../../core/linalg/svd/mat64.ts';

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
      gramOfSmallerSide(a.data, m, n, G);
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

/** SVT_τ(a) of a Float32 matrix, computed in Float64 (see svtInto). */
export function svt(a: Mat, tau: number, opts: SvtOptions = {}): { out: Mat; rank: number; sigma: Float64Array } {
  const a64 = toMat64(a);
  const out = mat64(a.rows, a.cols);
  const { rank, sigma } = svtInto(a64, tau, out, opts);
  return { out: toMat(out), rank, sigma };
}
