/**
 * The exact whole-signal solvers: ADMoM RPCA on a synthetic low-rank + sparse matrix, proximal
 * RPCA's optimality conditions (checked with the Jacobi SVD of ./svd-reference.ts), and the descent
 * and non-negativity of multiplicative RNMF. Their SVT is tested in ./solvers-svd.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { mat, type Mat } from '../../src/core/linalg/matrix.ts';
import { Random } from '../../src/core/linalg/random.ts';
import { binaryMask, rpcaAdmm } from '../../src/eval/solvers/rpca-admm.ts';
import { rpcaProximal, rpcaProximalObjective } from '../../src/eval/solvers/rpca-prox.ts';
import { rnmf, rnmfObjective } from '../../src/eval/solvers/rnmf.ts';
import { jacobiSvd, relDiff, toF32 } from './svd-reference.ts';

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
