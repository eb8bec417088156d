/**
 * Robust non-negative matrix factorisation, the paper's eq. (6):
 *
 *     min over U ≥ 0, S ≥ 0, O ≥ 0 of
 *       F = ½‖X − U S − O‖²_F + (λ* / 2)(‖U‖²_F + ‖S‖²_F) + λ‖O‖₁,
 *
 * X (m×n) a magnitude spectrogram, U (m×q) the accompaniment dictionary, S (q×n) its codes, O (m×n)
 * the voice. Multiplicative updates, each the minimiser of a majorising quadratic (Lee & Seung's
 * argument with the gradient split into its positive and negative parts), so F never increases:
 *
 *     S ← S ⊙ (UᵀX) / (Uᵀ(U S + O) + λ* S)
 *     U ← U ⊙ (X Sᵀ) / ((U S + O) Sᵀ + λ* U)
 *     O ← O ⊙ X / (U S + O + λ)
 *
 * The U rule is the split form of DESIGN.md: the paper's eq. (10) with Y = X − O can turn U
 * negative where O > X; this one has the same fixed points and keeps U ≥ 0. A small ε = 1e-12 is
 * added to numerator and denominator alike: S ⊙ (b⁺ + ε)/(D + ε) is still the exact minimiser of a
 * (slightly larger) majoriser, so the descent guarantee survives it, and 0/0 cannot happen.
 *
 * Per column j and iteration: r = U sⱼ, the O rule and the terms of F at the new point; UᵀXⱼ and
 * UᵀOⱼ for the S rule; then (with the new sⱼ) the sums X Sᵀ, O Sᵀ, S Sᵀ that the U rule needs, as
 * (U S + O) Sᵀ = U (S Sᵀ) + O Sᵀ. That is 5mq multiply-adds per column (3mq with fixU), in one pass
 * over X and O per iteration (see the loop). Everything is Float64 inside.
 */
import { mat, type Mat } from '../matrix.ts';
import { Random } from '../random.ts';

export interface RnmfOptions {
  /** Number of dictionary columns (rank bound). */
  q: number;
  /** Weight of ‖O‖₁. */
  lambda: number;
  /** Weight of the Frobenius terms on U and S. */
  lambdaStar: number;
  iterations: number;
  /** Starting values (copied, not modified); missing ones are drawn from the seed. */
  init?: { U?: Mat; S?: Mat; O?: Mat };
  /** Keep U fixed (e.g. to code a new clip on a learned dictionary). */
  fixU?: boolean;
  /** Seed of the random initialisation; default 1. */
  seed?: number;
  /** Called after every iteration with its number (from 1) and F at the new point. */
  onIter?: (i: number, objective: number) => void;
}

export interface RnmfResult {
  U: Mat;
  S: Mat;
  O: Mat;
}

const EPS = 1e-12;

export function rnmf(x: Mat, opts: RnmfOptions): RnmfResult {
  const { rows: m, cols: n } = x;
  const { q, lambda, lambdaStar, iterations } = opts;
  if (!Number.isInteger(q) || q < 1) throw new Error(`rnmf: q must be a positive integer, got ${q}`);
  if (!(lambda >= 0) || !(lambdaStar >= 0)) throw new Error('rnmf: lambda and lambdaStar must be non-negative');
  if (!Number.isInteger(iterations) || iterations < 0) throw new Error(`rnmf: iterations must be a non-negative integer, got ${iterations}`);
  const X = new Float64Array(m * n);
  let xScale = 0;
  for (let i = 0; i < m * n; i++) {
    const v = x.data[i];
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error('rnmf: X must be finite and non-negative');
    X[i] = v;
    xScale += v;
  }
  xScale = m * n > 0 ? xScale / (m * n) : 0;

  // Initialisation: given factors are copied; the others are uniform draws scaled so that U S and O
  // start at about the mean of X (so neither starts negligible), O below X.
  const rng = new Random(opts.seed ?? 1);
  const U = fromInit(opts.init?.U, m, q, 'U') ?? randomFill(m * q, rng, Math.sqrt(xScale / q));
  const S = fromInit(opts.init?.S, q, n, 'S') ?? randomFill(q * n, rng, Math.sqrt(xScale / q));
  let O = fromInit(opts.init?.O, m, n, 'O');
  if (!O) {
    O = new Float64Array(m * n);
    for (let i = 0; i < m * n; i++) O[i] = 0.5 * X[i] * rng.next();
  }
  const fixU = opts.fixU ?? false;

  const UtU = new Float64Array(q * q);
  const XSt = new Float64Array(m * q);
  const OSt = new Float64Array(m * q);
  const SSt = new Float64Array(q * q);
  const ab = new Float64Array(2 * q);
  const r = new Float64Array(m);
  const den = new Float64Array(m * q);

  /** S rule for column j (with the current U, UtU and oⱼ). */
  const sRule = (j: number): void => {
    const so = j * q;
    dots2(U, m, q, X, O, j * m, ab);
    // ab[q + l] ← (Uᵀ(U sⱼ + oⱼ) + λ* sⱼ)_l from the old sⱼ, then the update.
    for (let l = 0; l < q; l++) {
      let d = ab[q + l] + lambdaStar * S[so + l];
      const ul = l * q;
      for (let k = 0; k < q; k++) d += UtU[ul + k] * S[so + k];
      ab[q + l] = d;
    }
    for (let l = 0; l < q; l++) S[so + l] *= (ab[l] + EPS) / (ab[q + l] + EPS);
  };
  /** X Sᵀ, O Sᵀ and S Sᵀ over columns [j0, j1) (new S, current O). */
  const accumulate = (j0: number, j1: number): void => {
    if (j1 - j0 === 4) accumulate4(XSt, OSt, m, q, X, O, S, j0);
    else for (let j = j0; j < j1; j++) accumulate1(XSt, OSt, m, q, X, O, S, j);
    for (let j = j0; j < j1; j++) {
      const so = j * q;
      for (let l = 0; l < q; l++) {
        const sl = S[so + l];
        const cl = l * q;
        for (let k = 0; k < q; k++) SSt[cl + k] += S[so + k] * sl;
      }
    }
  };
  const startSums = (): void => {
    syrkTN(U, m, q, UtU);
    XSt.fill(0);
    OSt.fill(0);
    SSt.fill(0);
  };
  /** U rule: U ⊙ X Sᵀ / (U S Sᵀ + O Sᵀ + λ* U). */
  const uRule = (): void => {
    gemmSmall(U, SSt, den, m, q);
    for (let i = 0; i < m * q; i++) U[i] *= (XSt[i] + EPS) / (den[i] + OSt[i] + lambdaStar * U[i] + EPS);
  };

  // Iteration t is S rule, U rule, O rule. The O rule of iteration t and the S rule of t + 1 use the
  // same U and touch the same column, so they share one pass over X and O: the loop below runs
  // [O rule t, S rule t+1 (+ sums)] per column, then U rule t+1. The first S and U rules run alone.
  if (iterations > 0) {
    startSums();
    for (let j0 = 0; j0 < n; j0 += 4) {
      const j1 = Math.min(n, j0 + 4);
      for (let j = j0; j < j1; j++) sRule(j);
      if (!fixU) accumulate(j0, j1);
    }
    if (!fixU) uRule();
  }
  for (let it = 1; it <= iterations; it++) {
    const more = it < iterations;
    if (more) startSums();
    let fit = 0, l1 = 0, s2 = 0;
    for (let j0 = 0; j0 < n; j0 += 4) {
      const j1 = Math.min(n, j0 + 4);
      for (let j = j0; j < j1; j++) {
        // O rule and the objective terms at (U_t, S_t, O_t).
        const xo = j * m;
        combine(U, m, q, S, j * q, r);
        for (let i = 0; i < m; i++) {
          const xi = X[xo + i];
          const oi = O[xo + i];
          const o = (oi * (xi + EPS)) / (r[i] + oi + lambda + EPS);
          O[xo + i] = o;
          const res = xi - r[i] - o;
          fit += res * res;
          l1 += o;
        }
        for (let l = 0; l < q; l++) s2 += S[j * q + l] * S[j * q + l];
        if (more) sRule(j);
      }
      if (more && !fixU) accumulate(j0, j1);
    }
    opts.onIter?.(it, 0.5 * fit + 0.5 * lambdaStar * (sumSq(U) + s2) + lambda * l1);
    if (more && !fixU) uRule();
  }
  return {
    U: mat(m, q, Float32Array.from(U)),
    S: mat(q, n, Float32Array.from(S)),
    O: mat(m, n, Float32Array.from(O)),
  };
}

/** F(U, S, O) of eq. (6), in Float64. */
export function rnmfObjective(x: Mat, U: Mat, S: Mat, O: Mat, lambda: number, lambdaStar: number): number {
  const { rows: m, cols: n } = x;
  const q = U.cols;
  if (U.rows !== m || S.rows !== q || S.cols !== n || O.rows !== m || O.cols !== n) {
    throw new Error('rnmfObjective: shape mismatch');
  }
  const u = Float64Array.from(U.data);
  const s = Float64Array.from(S.data);
  const r = new Float64Array(m);
  let fit = 0, l1 = 0;
  for (let j = 0; j < n; j++) {
    combine(u, m, q, s, j * q, r);
    for (let i = 0; i < m; i++) {
      const o = O.data[i + j * m];
      const res = x.data[i + j * m] - r[i] - o;
      fit += res * res;
      l1 += Math.abs(o);
    }
  }
  return 0.5 * fit + 0.5 * lambdaStar * (sumSq(u) + sumSq(s)) + lambda * l1;
}

// ---------------------------------------------------------------------------------------------
// Kernels (column-major; q is small, m and n are not).

function fromInit(a: Mat | undefined, rows: number, cols: number, name: string): Float64Array | null {
  if (!a) return null;
  if (a.rows !== rows || a.cols !== cols) {
    throw new Error(`rnmf: init.${name} is ${a.rows}×${a.cols}, expected ${rows}×${cols}`);
  }
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    const v = a.data[i];
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error(`rnmf: init.${name} must be finite and non-negative`);
    out[i] = v;
  }
  return out;
}

function randomFill(size: number, rng: { next(): number }, scale: number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = scale * (0.1 + rng.next());
  return out;
}

function sumSq(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/** C = UᵀU (q×q) for U (m×q). */
function syrkTN(U: Float64Array, m: number, q: number, C: Float64Array): void {
  for (let a = 0; a < q; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      const oa = a * m, ob = b * m;
      for (let i = 0; i < m; i++) s += U[oa + i] * U[ob + i];
      C[a + b * q] = s;
      C[b + a * q] = s;
    }
  }
}

/** ab[0..q) = Uᵀ X[:, j], ab[q..2q) = Uᵀ O[:, j] (column j starts at xo), four columns of U at a time. */
function dots2(U: Float64Array, m: number, q: number, X: Float64Array, O: Float64Array, xo: number, ab: Float64Array): void {
  let l = 0;
  for (; l + 4 <= q; l += 4) {
    const u0 = l * m, u1 = u0 + m, u2 = u1 + m, u3 = u2 + m;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (let i = 0; i < m; i++) {
      const x = X[xo + i], o = O[xo + i];
      const v0 = U[u0 + i], v1 = U[u1 + i], v2 = U[u2 + i], v3 = U[u3 + i];
      a0 += v0 * x; a1 += v1 * x; a2 += v2 * x; a3 += v3 * x;
      b0 += v0 * o; b1 += v1 * o; b2 += v2 * o; b3 += v3 * o;
    }
    ab[l] = a0; ab[l + 1] = a1; ab[l + 2] = a2; ab[l + 3] = a3;
    ab[q + l] = b0; ab[q + l + 1] = b1; ab[q + l + 2] = b2; ab[q + l + 3] = b3;
  }
  for (; l < q; l++) {
    const u0 = l * m;
    let a0 = 0, b0 = 0;
    for (let i = 0; i < m; i++) {
      const v = U[u0 + i];
      a0 += v * X[xo + i];
      b0 += v * O[xo + i];
    }
    ab[l] = a0;
    ab[q + l] = b0;
  }
}

/**
 * XSt += X[:, j0..j0+3] S[:, j0..j0+3]ᵀ and the same for O: four columns per pass over a column of
 * the (m×q) sums, which quarters their loads and stores.
 */
function accumulate4(XSt: Float64Array, OSt: Float64Array, m: number, q: number, X: Float64Array, O: Float64Array, S: Float64Array, j0: number): void {
  const x0 = j0 * m, x1 = x0 + m, x2 = x1 + m, x3 = x2 + m;
  const s0o = j0 * q, s1o = s0o + q, s2o = s1o + q, s3o = s2o + q;
  for (let l = 0; l < q; l++) {
    const s0 = S[s0o + l], s1 = S[s1o + l], s2 = S[s2o + l], s3 = S[s3o + l];
    const c = l * m;
    for (let i = 0; i < m; i++) {
      XSt[c + i] += X[x0 + i] * s0 + X[x1 + i] * s1 + X[x2 + i] * s2 + X[x3 + i] * s3;
      OSt[c + i] += O[x0 + i] * s0 + O[x1 + i] * s1 + O[x2 + i] * s2 + O[x3 + i] * s3;
    }
  }
}

function accumulate1(XSt: Float64Array, OSt: Float64Array, m: number, q: number, X: Float64Array, O: Float64Array, S: Float64Array, j: number): void {
  const xo = j * m, so = j * q;
  for (let l = 0; l < q; l++) {
    const s0 = S[so + l];
    const c = l * m;
    for (let i = 0; i < m; i++) {
      XSt[c + i] += X[xo + i] * s0;
      OSt[c + i] += O[xo + i] * s0;
    }
  }
}

/** r = U s for the column of S starting at so, eight columns of U at a time. */
function combine(U: Float64Array, m: number, q: number, S: Float64Array, so: number, r: Float64Array): void {
  r.fill(0);
  let l = 0;
  for (; l + 8 <= q; l += 8) {
    const s0 = S[so + l], s1 = S[so + l + 1], s2 = S[so + l + 2], s3 = S[so + l + 3];
    const s4 = S[so + l + 4], s5 = S[so + l + 5], s6 = S[so + l + 6], s7 = S[so + l + 7];
    const u0 = l * m, u1 = u0 + m, u2 = u1 + m, u3 = u2 + m, u4 = u3 + m, u5 = u4 + m, u6 = u5 + m, u7 = u6 + m;
    for (let i = 0; i < m; i++) {
      r[i] += U[u0 + i] * s0 + U[u1 + i] * s1 + U[u2 + i] * s2 + U[u3 + i] * s3 +
        U[u4 + i] * s4 + U[u5 + i] * s5 + U[u6 + i] * s6 + U[u7 + i] * s7;
    }
  }
  for (; l + 4 <= q; l += 4) {
    const s0 = S[so + l], s1 = S[so + l + 1], s2 = S[so + l + 2], s3 = S[so + l + 3];
    const u0 = l * m, u1 = u0 + m, u2 = u1 + m, u3 = u2 + m;
    for (let i = 0; i < m; i++) r[i] += U[u0 + i] * s0 + U[u1 + i] * s1 + U[u2 + i] * s2 + U[u3 + i] * s3;
  }
  for (; l < q; l++) {
    const s0 = S[so + l];
    const u0 = l * m;
    for (let i = 0; i < m; i++) r[i] += U[u0 + i] * s0;
  }
}

/** C = U B for U (m×q), B (q×q). */
function gemmSmall(U: Float64Array, B: Float64Array, C: Float64Array, m: number, q: number): void {
  C.fill(0);
  for (let j = 0; j < q; j++) {
    const cj = j * m;
    for (let l = 0; l < q; l++) {
      const s = B[l + j * q];
      const ul = l * m;
      for (let i = 0; i < m; i++) C[cj + i] += U[ul + i] * s;
    }
  }
}
