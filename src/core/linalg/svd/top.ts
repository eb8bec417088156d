/**
 * Singular values and the top singular vectors of a dense matrix, exactly, through the eigenpairs
 * of the Gram matrix of its smaller side (see src/eval/solvers/svt.ts for why that is accurate
 * enough). svdTop gives the NN RPCA dictionary (src/cli/train.ts) and the low-rank factors of
 * src/core/network/compress.ts; singularValues serves the proximal RPCA solver.
 */
import { mat, type Mat } from '../mat.ts';
import { Random } from '../random.ts';
import { symmetricEigen } from './eigen.ts';
import { selectedEigen } from './eigen-selected.ts';
import { gemm64, gramOfSmallerSide, type Mat64 } from './mat64.ts';

/** All singular values of a, descending (eigenvalues of the smaller Gram matrix, no vectors). */
export function singularValues(a: Mat64): Float64Array {
  const { rows: m, cols: n, data } = a;
  const p = Math.min(m, n);
  const G = new Float64Array(p * p);
  gramOfSmallerSide(data, m, n, G);
  const { values } = symmetricEigen(G, p, false);
  return Float64Array.from(values, (v) => (v > 0 ? Math.sqrt(v) : 0));
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
  gramOfSmallerSide(A, m, n, G);
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
