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
 * The U rule is the split form of the paper's eq. (10) (README, Decisions worth knowing): eq. (10)
 * with Y = X − O can turn U negative where O > X; this one has the same fixed points and keeps
 * U ≥ 0. A small ε = 1e-12 is added to numerator and denominator alike: S ⊙ (b⁺ + ε)/(D + ε) is
 * still the exact minimiser of a (slightly larger) majoriser, so the descent guarantee survives
 * it, and 0/0 cannot happen.
 *
 * Each rule is a few dense products (UᵀX, UᵀO, X Sᵀ, (U S + O) Sᵀ, U S: about 6mqn multiply-adds
 * per iteration) through matrix.ts, which runs them as WebAssembly SIMD kernels: 500 iterations on
 * 10 000 frames take about half a minute. Float32 storage, as everywhere in training.
 */
import { gemm, gemmNT, gemmTN, mat, type Mat } from '../../core/linalg/matrix.ts';
import { Random } from '../../core/linalg/random.ts';

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
  const X = x.data;
  let xScale = 0;
  for (let i = 0; i < m * n; i++) {
    const v = X[i];
    if (!(v >= 0) || !Number.isFinite(v)) throw new Error('rnmf: X must be finite and non-negative');
    xScale += v;
  }
  xScale = m * n > 0 ? xScale / (m * n) : 0;

  // Initialisation: given factors are copied; the others are uniform draws scaled so that U S and O
  // start at about the mean of X (so neither starts negligible), O below X.
  const rng = new Random(opts.seed ?? 1);
  const U = fromInit(opts.init?.U, m, q, 'U') ?? randomFill(m, q, rng, Math.sqrt(xScale / q));
  const S = fromInit(opts.init?.S, q, n, 'S') ?? randomFill(q, n, rng, Math.sqrt(xScale / q));
  let O = fromInit(opts.init?.O, m, n, 'O');
  if (!O) {
    O = mat(m, n);
    for (let i = 0; i < m * n; i++) O.data[i] = 0.5 * X[i] * rng.next();
  }
  const fixU = opts.fixU ?? false;

  const UtX = mat(q, n), UtU = mat(q, q), den = mat(q, n);
  const XSt = mat(m, q), RSt = mat(m, q);
  const R = mat(m, n);
  for (let it = 1; it <= iterations; it++) {
    // S ← S ⊙ UᵀX / (UᵀU S + UᵀO + λ* S)
    gemmTN(U, x, UtX);
    gemmTN(U, U, UtU);
    gemmTN(U, O, den);
    gemm(UtU, S, den, 1);
    for (let i = 0; i < q * n; i++) S.data[i] *= (UtX.data[i] + EPS) / (den.data[i] + lambdaStar * S.data[i] + EPS);
    // U ← U ⊙ X Sᵀ / ((U S + O) Sᵀ + λ* U)
    if (!fixU) {
      gemmNT(x, S, XSt);
      gemm(U, S, R);
      for (let i = 0; i < m * n; i++) R.data[i] += O.data[i];
      gemmNT(R, S, RSt);
      for (let i = 0; i < m * q; i++) U.data[i] *= (XSt.data[i] + EPS) / (RSt.data[i] + lambdaStar * U.data[i] + EPS);
    }
    // O ← O ⊙ X / (U S + O + λ)
    gemm(U, S, R);
    let fit = 0, l1 = 0;
    for (let i = 0; i < m * n; i++) {
      const o = (O.data[i] * (X[i] + EPS)) / (R.data[i] + O.data[i] + lambda + EPS);
      O.data[i] = o;
      if (opts.onIter) {
        const res = X[i] - R.data[i] - o;
        fit += res * res;
        l1 += o;
      }
    }
    if (opts.onIter) opts.onIter(it, 0.5 * fit + 0.5 * lambdaStar * (sumSq(U.data) + sumSq(S.data)) + lambda * l1);
  }
  return { U, S, O };
}

/** F(U, S, O) of eq. (6), in Float64. */
export function rnmfObjective(x: Mat, U: Mat, S: Mat, O: Mat, lambda: number, lambdaStar: number): number {
  const { rows: m, cols: n } = x;
  const q = U.cols;
  if (U.rows !== m || S.rows !== q || S.cols !== n || O.rows !== m || O.cols !== n) {
    throw new Error('rnmfObjective: shape mismatch');
  }
  let fit = 0, l1 = 0;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      let r = 0;
      for (let l = 0; l < q; l++) r += U.data[i + l * m] * S.data[l + j * q];
      const o = O.data[i + j * m];
      const res = x.data[i + j * m] - r - o;
      fit += res * res;
      l1 += Math.abs(o);
    }
  }
  return 0.5 * fit + 0.5 * lambdaStar * (sumSq(U.data) + sumSq(S.data)) + lambda * l1;
}

function fromInit(a: Mat | undefined, rows: number, cols: number, name: string): Mat | null {
  if (!a) return null;
  if (a.rows !== rows || a.cols !== cols) throw new Error(`rnmf: init.${name} is ${a.rows}×${a.cols}, expected ${rows}×${cols}`);
  for (let i = 0; i < a.data.length; i++) {
    if (!(a.data[i] >= 0) || !Number.isFinite(a.data[i])) throw new Error(`rnmf: init.${name} must be finite and non-negative`);
  }
  return mat(rows, cols, a.data.slice());
}

function randomFill(rows: number, cols: number, rng: Random, scale: number): Mat {
  const a = mat(rows, cols);
  for (let i = 0; i < a.data.length; i++) a.data[i] = scale * (0.1 + rng.next());
  return a;
}

function sumSq(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}
