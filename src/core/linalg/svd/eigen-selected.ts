/**
 * Selected eigenvectors of a dense symmetric matrix: tridiagonalise, QL for the eigenvalues only,
 * inverse iteration for the wanted vectors of T, then the Householder reflectors applied to those
 * vectors alone (LAPACK's dsyevx route: dsytrd, dsterf, dstein, dormtr). Cheaper than the full
 * decomposition (./eigen.ts) when only some of the vectors are wanted.
 */
import type { Random } from '../random.ts';
import { sortedDescending, tql2, tred2 } from './eigen.ts';

export interface SelectedEigen {
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
export function selectedEigen(G: Float64Array, p: number, thr: number, rng: Random, maxCount = p): SelectedEigen | null {
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
