/**
 * Lanczos on a symmetric positive semi-definite matrix (the Gram matrix of a spectrogram), for when
 * only a few eigenpairs are wanted: the low-rank route of the exact SVT (src/eval/solvers/svt.ts)
 * and the spectral norm (the α of Algorithm 1 in src/core/network/encoders.ts, the step sizes of
 * the RPCA solvers).
 */
import type { Mat } from '../mat.ts';
import { Random } from '../random.ts';
import { sortedDescending, tql2 } from './eigen.ts';
import { gemm64, type Mat64 } from './mat64.ts';

export interface LanczosResult {
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
export function lanczosTop(
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
export function explicitOp(G: Float64Array, p: number): (x: Float64Array, y: Float64Array) => void {
  return (x, y) => combineColumns(G, p, p, x, y);
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
  return wide
    ? (x, y) => {
        dots(x, t);
        combineColumns(A, m, n, t, y);
      }
    : (x, y) => {
        combineColumns(A, m, n, x, t);
        dots(t, y);
      };
}

/** out = Σ_j A[:, j] c_j for A (m×n) and out (m entries): four columns of A per pass over out. */
function combineColumns(A: Float64Array, m: number, n: number, c: Float64Array, out: Float64Array): void {
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

/**
 * Spectral norm ‖a‖₂ = σ₁: Lanczos on the Gram matrix (through products with a) to convergence,
 * in Float64 whatever the input (a Float32 matrix is converted first).
 */
export function spectralNorm(a: Mat64 | Mat): number {
  const { rows: m, cols: n } = a;
  if (m === 0 || n === 0) return 0;
  const data = a.data instanceof Float64Array ? a.data : Float64Array.from(a.data);
  let scale = 0;
  for (let i = 0; i < m * n; i++) scale += data[i] * data[i];
  const r = lanczosTop(implicitOp(data, m, n), Math.min(m, n), scale, Infinity, Math.min(m, n), 1e-13, new Random(1));
  const top = r ? r.theta[0] : 0;
  return top > 0 ? Math.sqrt(top) : 0;
}
