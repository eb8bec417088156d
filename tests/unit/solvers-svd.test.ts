/**
 * The exact SVD machinery (src/core/linalg/svd/, src/eval/solvers/svt.ts): singular value
 * thresholding, svdTop, symmetricEigen and spectralNorm against a one-sided Jacobi SVD (slow,
 * accurate, the reference in ./svd-reference.ts).
 */
import { describe, it, expect } from 'vitest';
import { Random } from '../../src/core/linalg/random.ts';
import { symmetricEigen } from '../../src/core/linalg/svd/eigen.ts';
import { spectralNorm } from '../../src/core/linalg/svd/lanczos.ts';
import { mat64 } from '../../src/core/linalg/svd/mat64.ts';
import { svdTop } from '../../src/core/linalg/svd/top.ts';
import { createSvtState, svtInto } from '../../src/eval/solvers/svt.ts';
import { jacobiSvd, relDiff, thresholdFromSvd, toF32, withSingularValues } from './svd-reference.ts';

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
