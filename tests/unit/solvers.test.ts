/**
 * The exact whole-signal solvers: singular value thresholding against a one-sided Jacobi SVD (slow,
 * accurate, written here as the reference), ADMoM RPCA on a synthetic low-rank + sparse matrix,
 * proximal RPCA's optimality conditions, and the descent and non-negativity of multiplicative RNMF.
 */
import { describe, it, expect } from 'vitest';
import { mat, type Mat } from '../../src/core/linalg/matrix.ts';
import { Random } from '../../src/core/linalg/random.ts';
import {
  createSvtState,
  mat64,
  spectralNorm,
  svdTop,
  svtInto,
  symmetricEigen,
} from '../../src/core/linalg/svd.ts';
import { binaryMask, rpcaAdmm } from '../../src/eval/solvers/rpca-admm.ts';
import { rpcaProximal, rpcaProximalObjective } from '../../src/eval/solvers/rpca-prox.ts';
import { rnmf, rnmfObjective } from '../../src/eval/solvers/rnmf.ts';

// ---------------------------------------------------------------------------------------------
// Reference: one-sided Jacobi SVD (Hestenes). Rotates pairs of columns until all are orthogonal;
// accurate to a few ulps relative to each singular value, and O(n³) per sweep.

interface Svd {
  U: Float64Array; // m×p
  s: Float64Array; // p, descending
  V: Float64Array; // n×p
}

function jacobiSvd(A: Float64Array, m: number, n: number): Svd {
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
function thresholdFromSvd(svd: Svd, m: number, n: number, tau: number): Float64Array {
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
function randomOrthonormal(m: number, k: number, rng: Random): Float64Array {
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
function withSingularValues(m: number, n: number, s: Float64Array, rng: Random): Float64Array {
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

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    nb += b[i] ** 2;
  }
  return Math.sqrt(d / Math.max(nb, 1e-300));
}

function toF32(rows: number, cols: number, a: Float64Array): Mat {
  return mat(rows, cols, Float32Array.from(a));
}

// ---------------------------------------------------------------------------------------------

describe('singular value thresholding', () => {
  const shapes: Array<[number, number]> = [[48, 70], [70, 48], [40, 40]];
  for (const [m, n] of shapes) {
    it(`matches a Jacobi SVD on ${m}×${n} with singular values from 1e3 to 1e-3`, () => {
      const rng = new Random(m * 1000 + n);
      const p = Math.min(m, n);
      // Distinct, geometrically spread singular values, with a tight pair in the middle.
      const s = Float64Array.from({ length: p }, (_, i) => 1e3 * Math.pow(1e-6, i / (p - 1)));
      s[p >> 1] = s[(p >> 1) - 1] * (1 - 1e-4);
      const A = withSingularValues(m, n, s, rng);
      const ref = jacobiSvd(A, m, n);
      for (let i = 0; i < p; i++) expect(Math.abs(ref.s[i] - s[i])).toBeLessThan(1e-12 * s[0]);
      for (const tau of [2e3, 300, 7.3, 0.05, 1e-4, 0]) {
        const expected = thresholdFromSvd(ref, m, n, tau);
        const rank = s.filter((v) => v > tau).length;
        for (const method of ['dense', 'lanczos', 'auto'] as const) {
          const out = mat64(m, n);
          const r = svtInto(mat64(m, n, A), tau, out, { method });
          expect(r.rank).toBe(rank);
          if (rank === 0) expect(out.data.every((v) => v === 0)).toBe(true);
          else expect(relDiff(out.data, expected)).toBeLessThan(1e-6);
          // Typical accuracy is far better than the 1e-6 asked for.
          if (method === 'dense' && rank > 0) expect(relDiff(out.data, expected)).toBeLessThan(1e-9);
        }
      }
    });
  }

  it('warm-started calls (rank prediction) agree with cold dense ones on a slowly changing sequence', () => {
    const rng = new Random(5);
    const m = 120, n = 150;
    const s = Float64Array.from({ length: m }, (_, i) => 100 / (1 + i) ** 1.5);
    const A = withSingularValues(m, n, s, rng);
    const state = createSvtState(9);
    for (let it = 0; it < 6; it++) {
      const B = A.map((v) => v * (1 + 0.01 * rng.normal()));
      const tau = 3 / (1 + it);
      const out = mat64(m, n), ref = mat64(m, n);
      const r = svtInto(mat64(m, n, B), tau, out, { state });
      const r0 = svtInto(mat64(m, n, B), tau, ref, { method: 'dense' });
      expect(r.rank).toBe(r0.rank);
      expect(relDiff(out.data, ref.data)).toBeLessThan(1e-8);
      expect(state.rank).toBe(r.rank);
    }
  });

  it('handles a rank-deficient matrix and repeated singular values', () => {
    const rng = new Random(11);
    const m = 50, n = 60;
    const s = new Float64Array(12).fill(2);
    s[0] = 5;
    const A = withSingularValues(m, n, s, rng); // rank 12, σ = 5, 2 (×11), 0 (×38)
    for (const method of ['dense', 'lanczos'] as const) {
      const out = mat64(m, n);
      const r = svtInto(mat64(m, n, A), 1, out, { method });
      expect(r.rank).toBe(12);
      const ref = thresholdFromSvd(jacobiSvd(A, m, n), m, n, 1);
      expect(relDiff(out.data, ref)).toBeLessThan(1e-8);
    }
  });

  it('svdTop gives orthonormal top singular vectors and values', () => {
    const rng = new Random(3);
    for (const [m, n] of [[60, 90], [90, 40]] as const) {
      const p = Math.min(m, n);
      const s = Float64Array.from({ length: p }, (_, i) => 50 * Math.pow(0.8, i));
      const A = withSingularValues(m, n, s, rng);
      const ref = jacobiSvd(A, m, n);
      const q = 6;
      const { U, sigma } = svdTop(toF32(m, n, A), q);
      expect(U.rows).toBe(m);
      expect(U.cols).toBe(q);
      for (let k = 0; k < q; k++) {
        expect(Math.abs(sigma[k] - ref.s[k])).toBeLessThan(1e-4 * ref.s[0]); // Float32 input
        let dot = 0;
        for (let i = 0; i < m; i++) dot += U.data[i + k * m] * ref.U[i + k * m];
        expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-5);
        for (let l = 0; l < k; l++) {
          let d = 0;
          for (let i = 0; i < m; i++) d += U.data[i + k * m] * U.data[i + l * m];
          expect(Math.abs(d)).toBeLessThan(1e-6);
        }
      }
    }
  });

  it('symmetricEigen decomposes random symmetric matrices (odd and even sizes)', () => {
    const rng = new Random(8);
    for (const p of [1, 2, 7, 64, 101]) {
      const A = new Float64Array(p * p);
      for (let c = 0; c < p; c++) {
        for (let r = c; r < p; r++) {
          const v = rng.normal();
          A[r + c * p] = v;
          A[c + r * p] = v;
        }
      }
      const { values, vectors } = symmetricEigen(A, p, true);
      const V = vectors as Float64Array;
      let worst = 0;
      for (let c = 0; c < p; c++) {
        if (c > 0) expect(values[c]).toBeLessThanOrEqual(values[c - 1]);
        for (let r = 0; r < p; r++) {
          let av = 0;
          for (let k = 0; k < p; k++) av += A[r + k * p] * V[k + c * p];
          worst = Math.max(worst, Math.abs(av - values[c] * V[r + c * p]));
        }
        for (let c2 = 0; c2 <= c; c2++) {
          let d = 0;
          for (let k = 0; k < p; k++) d += V[k + c * p] * V[k + c2 * p];
          expect(Math.abs(d - (c === c2 ? 1 : 0))).toBeLessThan(1e-12);
        }
      }
      expect(worst).toBeLessThan(1e-12 * Math.sqrt(p));
    }
  });

  it('spectralNorm and symmetricEigen agree with the reference', () => {
    const rng = new Random(4);
    const m = 45, n = 30;
    const s = Float64Array.from({ length: n }, (_, i) => 10 - 0.3 * i);
    const A = withSingularValues(m, n, s, rng);
    expect(Math.abs(spectralNorm(mat64(m, n, A)) - 10)).toBeLessThan(1e-10);
    const G = new Float64Array(n * n); // AᵀA: eigenvalues s²
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let k = 0; k < m; k++) d += A[k + i * m] * A[k + j * m];
        G[i + j * n] = d;
      }
    }
    const { values } = symmetricEigen(G, n, false);
    for (let i = 0; i < n; i++) expect(Math.abs(values[i] - s[i] * s[i])).toBeLessThan(1e-10 * 100);
  });
});

describe('ADMoM RPCA (inexact ALM)', () => {
  it('recovers a low-rank + sparse matrix', () => {
    const rng = new Random(21);
    const m = 120, n = 100, r = 5;
    // L0 = A Bᵀ with Gaussian factors (rank 5); S0: 5% of entries, uniform in ±[5, 10].
    const L0 = new Float64Array(m * n);
    const Af = Float64Array.from({ length: m * r }, () => rng.normal());
    const Bf = Float64Array.from({ length: n * r }, () => rng.normal());
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < m; i++) {
        let v = 0;
        for (let k = 0; k < r; k++) v += Af[i + k * m] * Bf[j + k * n];
        L0[i + j * m] = v;
      }
    }
    const S0 = new Float64Array(m * n);
    for (let i = 0; i < m * n; i++) {
      if (rng.next() < 0.05) S0[i] = (rng.next() < 0.5 ? -1 : 1) * (5 + 5 * rng.next());
    }
    const X = L0.map((v, i) => v + S0[i]);
    const errs: number[] = [];
    const res = rpcaAdmm(toF32(m, n, X), { onIter: (_, e) => errs.push(e) });
    expect(relDiff(res.low.data, L0)).toBeLessThan(1e-5);
    expect(relDiff(res.sparse.data, S0)).toBeLessThan(1e-5);
    // Lin et al. report 20–40 iterations for problems like this one.
    expect(res.iterations).toBeGreaterThanOrEqual(15);
    expect(res.iterations).toBeLessThanOrEqual(60);
    expect(errs.length).toBe(res.iterations);
    expect(errs[errs.length - 1]).toBeLessThan(1e-7);
    expect(errs[errs.length - 2]).toBeGreaterThanOrEqual(1e-7);
  });

  it('respects maxIter and returns zeros for a zero input', () => {
    const rng = new Random(2);
    const x = mat(30, 20, Float32Array.from({ length: 600 }, () => rng.next()));
    expect(rpcaAdmm(x, { maxIter: 3 }).iterations).toBe(3);
    const z = rpcaAdmm(mat(10, 8));
    expect(z.iterations).toBe(0);
    expect(z.low.data.every((v) => v === 0)).toBe(true);
  });

  it('binaryMask is 1 exactly where |S| > gain·|L|', () => {
    const s = mat(2, 2, Float32Array.from([1, -3, 0.5, 2]));
    const l = mat(2, 2, Float32Array.from([0.5, 1, 0.5, -3]));
    expect(Array.from(binaryMask(s, l).data)).toEqual([1, 1, 0, 0]);
    expect(Array.from(binaryMask(s, l, 3).data)).toEqual([0, 0, 0, 0]);
  });
});

describe('proximal RPCA (eq. 3, FISTA)', () => {
  const m = 60, n = 50;
  const rng = new Random(31);
  // Non-negative "spectrogram-like" data: rank-3 non-negative part, sparse bursts, |noise|.
  const X = new Float64Array(m * n);
  const Wf = Float64Array.from({ length: m * 3 }, () => rng.next());
  const Hf = Float64Array.from({ length: n * 3 }, () => 2 * rng.next());
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      let v = 0;
      for (let k = 0; k < 3; k++) v += Wf[i + k * m] * Hf[j + k * n];
      if (rng.next() < 0.05) v += 3 * rng.next();
      X[i + j * m] = v + 0.3 * Math.abs(rng.normal());
    }
  }
  const x = toF32(m, n, X);
  const lambda = 0.25, lambdaStar = 2;

  it('converges to a point that satisfies the optimality conditions', () => {
    const res = rpcaProximal(x, { lambda, lambdaStar, tol: 1e-9 });
    const L = Float64Array.from(res.low.data);
    const O = Float64Array.from(res.sparse.data);
    const R = Float64Array.from(X, (v, i) => v - L[i] - O[i]); // −∇f
    // ∂‖O‖₁: R = λ sign(O) where O ≠ 0, |R| ≤ λ where O = 0.
    let worstO = 0;
    for (let i = 0; i < m * n; i++) {
      const viol = O[i] !== 0 ? Math.abs(R[i] - lambda * Math.sign(O[i])) : Math.max(0, Math.abs(R[i]) - lambda);
      worstO = Math.max(worstO, viol);
    }
    expect(worstO).toBeLessThan(1e-4);
    // ∂‖L‖*: R = λ*(U Vᵀ + W) with Uᵀ W = 0, W V = 0, ‖W‖₂ ≤ 1, L = U Σ Vᵀ.
    const sv = jacobiSvd(L, m, n);
    const rank = sv.s.filter((v) => v > 1e-4 * sv.s[0]).length;
    expect(rank).toBeGreaterThan(0);
    expect(rank).toBeLessThan(10);
    for (let a = 0; a < rank; a++) {
      for (let b = 0; b < rank; b++) {
        let d = 0; // u_aᵀ R v_b
        for (let j = 0; j < n; j++) {
          let col = 0;
          for (let i = 0; i < m; i++) col += sv.U[i + a * m] * R[i + j * m];
          d += col * sv.V[j + b * n];
        }
        expect(Math.abs(d - (a === b ? lambdaStar : 0))).toBeLessThan(1e-3 * lambdaStar);
      }
    }
    expect(jacobiSvd(R, m, n).s[0]).toBeLessThan(lambdaStar * (1 + 1e-3));
  });

  it('decreases its objective, with or without continuation and restart, to the same optimum', () => {
    const objective = (r: { low: Mat; sparse: Mat }): number => rpcaProximalObjective(x, r.low, r.sparse, lambda, lambdaStar);
    const history: number[] = [];
    const plain = rpcaProximal(x, { lambda, lambdaStar, continuation: false, tol: 1e-8, onIter: (_, f) => history.push(f) });
    const cont = rpcaProximal(x, { lambda, lambdaStar, tol: 1e-8 });
    const noRestart = rpcaProximal(x, { lambda, lambdaStar, tol: 1e-8, restart: false });
    const fPlain = objective(plain);
    const fCont = objective(cont);
    // The objective at (0, 0) and at the first iterate are far above the optimum.
    expect(fPlain).toBeLessThan(history[0]);
    expect(fPlain).toBeLessThan(0.5 * X.reduce((s, v) => s + v * v, 0));
    // FISTA is not monotone, but its last iterate is within rounding of the best one seen.
    expect(fPlain).toBeLessThanOrEqual(Math.min(...history) * (1 + 1e-6));
    expect(Math.abs(history[history.length - 1] - fPlain)).toBeLessThan(1e-4 * fPlain);
    expect(Math.abs(fCont - fPlain)).toBeLessThan(1e-5 * fPlain);
    expect(Math.abs(objective(noRestart) - fPlain)).toBeLessThan(1e-5 * fPlain);
    expect(relDiff(cont.low.data, plain.low.data)).toBeLessThan(1e-3);
  });

  it('uses √(2 max(m, n)) σ on the nuclear norm and √2 σ on ℓ1 by default', () => {
    const sigma = 0.2;
    const a = rpcaProximal(x, { sigma, tol: 1e-7 });
    const b = rpcaProximal(x, { lambdaStar: Math.sqrt(2 * 60) * sigma, lambda: Math.SQRT2 * sigma, tol: 1e-7 });
    expect(Array.from(a.low.data)).toEqual(Array.from(b.low.data));
    expect(a.iterations).toBe(b.iterations);
  });
});

describe('multiplicative RNMF (eq. 6)', () => {
  const m = 40, n = 60, q = 4;
  const rng = new Random(41);
  const X = mat(m, n);
  for (let i = 0; i < m * n; i++) X.data[i] = rng.next() ** 2 + (rng.next() < 0.05 ? 2 : 0);
  const lambda = 0.2, lambdaStar = 0.5;

  const isNonNegative = (a: Mat): boolean => a.data.every((v) => v >= 0 && Number.isFinite(v));

  it('never increases the objective and keeps every factor non-negative', () => {
    const f: number[] = [];
    const res = rnmf(X, { q, lambda, lambdaStar, iterations: 300, seed: 7, onIter: (_, v) => f.push(v) });
    expect(f.length).toBe(300);
    for (let i = 1; i < f.length; i++) expect(f[i]).toBeLessThanOrEqual(f[i - 1] * (1 + 1e-12));
    expect(f[f.length - 1]).toBeLessThan(0.8 * f[0]);
    expect(isNonNegative(res.U) && isNonNegative(res.S) && isNonNegative(res.O)).toBe(true);
    expect(res.U.rows).toBe(m);
    expect(res.U.cols).toBe(q);
    expect(res.S.rows).toBe(q);
    expect(res.S.cols).toBe(n);
    // The reported objective is eq. (6) at the returned factors (up to their Float32 rounding).
    const direct = rnmfObjective(X, res.U, res.S, res.O, lambda, lambdaStar);
    expect(Math.abs(direct - f[f.length - 1])).toBeLessThan(1e-5 * direct);
  });

  it('is deterministic for a seed', () => {
    const a = rnmf(X, { q, lambda, lambdaStar, iterations: 20, seed: 3 });
    const b = rnmf(X, { q, lambda, lambdaStar, iterations: 20, seed: 3 });
    const c = rnmf(X, { q, lambda, lambdaStar, iterations: 20, seed: 4 });
    expect(Array.from(a.U.data)).toEqual(Array.from(b.U.data));
    expect(Array.from(a.U.data)).not.toEqual(Array.from(c.U.data));
  });

  it('fixU leaves the dictionary exactly as given and still decreases the objective', () => {
    const learned = rnmf(X, { q, lambda, lambdaStar, iterations: 50, seed: 1 });
    const f: number[] = [];
    const coded = rnmf(X, {
      q, lambda, lambdaStar, iterations: 100, fixU: true, seed: 2,
      init: { U: learned.U },
      onIter: (_, v) => f.push(v),
    });
    expect(Array.from(coded.U.data)).toEqual(Array.from(learned.U.data));
    for (let i = 1; i < f.length; i++) expect(f[i]).toBeLessThanOrEqual(f[i - 1] * (1 + 1e-12));
    expect(isNonNegative(coded.S) && isNonNegative(coded.O)).toBe(true);
  });

  it('zero iterations return the initialisation; bad input is rejected', () => {
    const U = mat(m, q, Float32Array.from({ length: m * q }, (_, i) => (i % 7) / 7));
    const r = rnmf(X, { q, lambda, lambdaStar, iterations: 0, init: { U } });
    expect(Array.from(r.U.data)).toEqual(Array.from(U.data));
    const neg = mat(2, 2, Float32Array.from([1, -1, 0, 2]));
    expect(() => rnmf(neg, { q: 1, lambda, lambdaStar, iterations: 1 })).toThrow(/non-negative/);
    expect(() => rnmf(X, { q, lambda, lambdaStar, iterations: 1, init: { U: mat(3, 3) } })).toThrow(/init\.U/);
  });
});
