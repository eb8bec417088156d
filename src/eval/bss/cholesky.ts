/**
 * The Cholesky factorisation and solves behind BSS-eval's projections (./prepared.ts): the Gram
 * matrix of the delayed references is symmetric positive semi-definite, and a delayed reference in
 * the span of the ones before it is dropped rather than failing the factorisation.
 */
import { dots4x2 } from '../../core/linalg/svd/mat64.ts';

/**
 * In-place Cholesky G = L Lᵀ of the n×n row-major symmetric matrix `a` (lower triangle read and
 * overwritten; upper triangle ignored). `inv[i]` gets 1/L_ii, or 0 where the pivot is not clearly
 * positive (see src/eval/bsseval.ts): that column is dropped, L's column i is zero, and the solves
 * give its unknown the value 0. Returns the numerical rank.
 *
 * Row-oriented (L_ij = (G_ij − Σ_{k<j} L_ik L_jk) / L_jj) with a 4-row × 2-column register tile so
 * that each streamed row j serves four rows i: about twice as fast as the plain loop for n ≥ 1024.
 */
export function cholesky(a: Float64Array, n: number, inv: Float64Array): number {
  const tolRel = n * 2.220446049250313e-16;
  let rank = 0;
  const s = new Float64Array(8);
  for (let i0 = 0; i0 < n; i0 += 4) {
    const nb = Math.min(4, n - i0);
    if (nb === 4) {
      const r0 = i0 * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      let j = 0;
      for (; j + 1 < i0; j += 2) {
        const ra = j * n, rb = ra + n;
        // s[r] = Σ_{k<j} L_{i0+r,k} L_jk, s[4 + r] the same with row j + 1
        dots4x2(a, r0, n, a, ra, rb, j, s);
        const ia = inv[j];
        const l0 = (a[r0 + j] - s[0]) * ia, l1 = (a[r1 + j] - s[1]) * ia;
        const l2 = (a[r2 + j] - s[2]) * ia, l3 = (a[r3 + j] - s[3]) * ia;
        a[r0 + j] = l0; a[r1 + j] = l1; a[r2 + j] = l2; a[r3 + j] = l3;
        // column j+1 also needs the k = j term, which was only just computed
        const v = a[rb + j], ib = inv[j + 1], c = j + 1;
        a[r0 + c] = (a[r0 + c] - s[4] - l0 * v) * ib;
        a[r1 + c] = (a[r1 + c] - s[5] - l1 * v) * ib;
        a[r2 + c] = (a[r2 + c] - s[6] - l2 * v) * ib;
        a[r3 + c] = (a[r3 + c] - s[7] - l3 * v) * ib;
      }
      for (; j < i0; j++) {
        const rj = j * n;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = 0; k < j; k++) {
          const v = a[rj + k];
          s0 += a[r0 + k] * v; s1 += a[r1 + k] * v; s2 += a[r2 + k] * v; s3 += a[r3 + k] * v;
        }
        const ij = inv[j];
        a[r0 + j] = (a[r0 + j] - s0) * ij; a[r1 + j] = (a[r1 + j] - s1) * ij;
        a[r2 + j] = (a[r2 + j] - s2) * ij; a[r3 + j] = (a[r3 + j] - s3) * ij;
      }
    } else {
      for (let j = 0; j < i0; j++) {
        const rj = j * n;
        for (let b = 0; b < nb; b++) {
          const ri = (i0 + b) * n;
          let s = 0;
          for (let k = 0; k < j; k++) s += a[ri + k] * a[rj + k];
          a[ri + j] = (a[ri + j] - s) * inv[j];
        }
      }
    }
    // the diagonal block
    for (let b = 0; b < nb; b++) {
      const i = i0 + b, ri = i * n;
      for (let j = i0; j <= i; j++) {
        const rj = j * n;
        let s = 0;
        for (let k = 0; k < j; k++) s += a[ri + k] * a[rj + k];
        const v = a[ri + j] - s;
        if (j < i) {
          a[ri + j] = v * inv[j];
        } else if (v > tolRel * a[ri + i]) {
          const d = Math.sqrt(v);
          a[ri + i] = d;
          inv[i] = 1 / d;
          rank++;
        } else {
          a[ri + i] = 0;
          inv[i] = 0;
        }
      }
    }
  }
  return rank;
}

/** Solves L Lᵀ x = b with the factor from {@link cholesky}; b is read from b[b0 .. b0+n). */
export function cholSolve(l: Float64Array, n: number, inv: Float64Array, b: Float64Array, b0: number, x: Float64Array): void {
  // L z = b (rows of L are contiguous)
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[b0 + i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * x[k];
    x[i] = s * inv[i];
  }
  // Lᵀ x = z, column-oriented so that it still walks rows of L
  for (let i = n - 1; i >= 0; i--) {
    const xi = x[i] * inv[i];
    x[i] = xi;
    if (xi !== 0) {
      const ri = i * n;
      for (let k = 0; k < i; k++) x[k] -= l[ri + k] * xi;
    }
  }
}
