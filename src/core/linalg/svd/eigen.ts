/**
 * Symmetric eigendecomposition, dense: Householder tridiagonalisation (tred2) and implicit QL
 * (tql2), as EISPACK via JAMA, with the eigenvectors in column-major V. The building blocks are
 * exported for the selected-vector route (./eigen-selected.ts) and for Lanczos (./lanczos.ts),
 * which runs tql2 on its own tridiagonal matrices.
 */

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
export function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number, accumulate: boolean, hOut?: Float64Array): void {
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
export function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number, vrows: number): void {
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

/** Indices of d, by value, largest first. */
export function sortedDescending(d: Float64Array): number[] {
  return Array.from({ length: d.length }, (_, i) => i).sort((i, j) => d[j] - d[i]);
}
