/**
 * ADMoM RPCA, the baseline of Huang et al. (ICASSP 2012) that the paper compares against:
 *
 *     min ‖L‖* + λ‖S‖₁   s.t.   X = L + S,
 *
 * solved by the inexact augmented Lagrange multiplier method of Lin, Chen & Ma (2010), exactly as
 * their `inexact_alm_rpca.m` does it. With the augmented Lagrangian
 *
 *     ℒ(L, S, Y, μ) = ‖L‖* + λ‖S‖₁ + ⟨Y, X − L − S⟩ + μ/2 ‖X − L − S‖²_F,
 *
 * each iteration minimises ℒ once over S and once over L (each in closed form), then
 *
 *     S ← shrink(X − L + Y/μ, λ/μ)          (entrywise soft threshold)
 *     L ← SVT(X − S + Y/μ, 1/μ)             (singular value threshold)
 *     Y ← Y + μ (X − L − S),   μ ← min(ρμ, μ̄)
 *
 * with Lin's constants: Y₀ = X / max(‖X‖₂, ‖X‖∞/λ) (so that Y₀ is dual feasible), μ₀ = 1.25/‖X‖₂,
 * ρ = 1.5, μ̄ = 10⁷ μ₀, L₀ = S₀ = 0; stop when ‖X − L − S‖_F / ‖X‖_F < tol = 1e-7, or after 1000
 * iterations. λ = 1/√max(m, n) as Huang et al. pass it (Lin's code defaults to 1/√m).
 *
 * One difference from the MATLAB code, on purpose: there the SVD is PROPACK's partial `lansvd` with a
 * predicted rank sv, and whenever all sv computed singular values exceed 1/μ the update of L is
 * truncated to sv terms for that iteration. Here every SVT is exact (see ./svt.ts), so the iterates are
 * those of the algorithm as published. Everything runs in Float64: the stopping test asks for a
 * residual of 1e-7 relative, which Float32 storage of L and S cannot represent reliably.
 *
 * Separation (Huang et al.): X is the magnitude spectrogram of the mixture; the voice is the binary
 * time-frequency mask |S| > gain·|L| applied to the complex STFT (see binaryMask).
 */
import { binaryMask as binaryMaskInto } from '../../core/signal/masks.ts';
import { mat, type Mat } from '../../core/linalg/matrix.ts';
import { spectralNorm } from '../../core/linalg/svd/lanczos.ts';
import { mat64 } from '../../core/linalg/svd/mat64.ts';
import { createSvtState, svtInto } from './svt.ts';

export interface RpcaAdmmOptions {
  /** Weight of ‖S‖₁; default 1/√max(m, n). */
  lambda?: number;
  /** Stop when ‖X − L − S‖_F / ‖X‖_F < tol; default 1e-7. */
  tol?: number;
  /** Default 1000. */
  maxIter?: number;
  /** Called after every iteration with its number (from 1) and the relative residual. */
  onIter?: (i: number, err: number) => void;
}

export interface RpcaResult {
  /** L: the low-rank part (accompaniment). */
  low: Mat;
  /** S: the sparse part (voice). */
  sparse: Mat;
  iterations: number;
}

export function rpcaAdmm(x: Mat, opts: RpcaAdmmOptions = {}): RpcaResult {
  const { rows: m, cols: n } = x;
  const size = m * n;
  const lambda = opts.lambda ?? 1 / Math.sqrt(Math.max(m, n, 1));
  const tol = opts.tol ?? 1e-7;
  const maxIter = opts.maxIter ?? 1000;
  if (!(lambda > 0)) throw new Error(`rpcaAdmm: lambda must be positive, got ${lambda}`);
  if (!(tol > 0)) throw new Error(`rpcaAdmm: tol must be positive, got ${tol}`);
  if (!(maxIter >= 1)) throw new Error(`rpcaAdmm: maxIter must be at least 1, got ${maxIter}`);

  const D = Float64Array.from(x.data);
  let dNorm = 0;
  let maxAbs = 0;
  for (let i = 0; i < size; i++) {
    const v = D[i];
    if (!Number.isFinite(v)) throw new Error('rpcaAdmm: input has a non-finite value');
    dNorm += v * v;
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
  }
  dNorm = Math.sqrt(dNorm);
  if (dNorm === 0) return { low: mat(m, n), sparse: mat(m, n), iterations: 0 };

  const normTwo = spectralNorm(mat64(m, n, D));
  const dualNorm = Math.max(normTwo, maxAbs / lambda);
  const Y = new Float64Array(size);
  for (let i = 0; i < size; i++) Y[i] = D[i] / dualNorm;
  let mu = 1.25 / normTwo;
  const muBar = mu * 1e7;
  const rho = 1.5;

  const L = mat64(m, n);
  const S = new Float64Array(size);
  const T = mat64(m, n);
  const svtState = createSvtState();
  let iter = 0;
  for (;;) {
    iter++;
    const invMu = 1 / mu;
    const thr = lambda * invMu;
    const A = L.data;
    const Tm = T.data;
    for (let i = 0; i < size; i++) {
      const yi = invMu * Y[i];
      const t = D[i] - A[i] + yi;
      const s = t > thr ? t - thr : t < -thr ? t + thr : 0;
      S[i] = s;
      Tm[i] = D[i] - s + yi;
    }
    svtInto(T, invMu, L, { state: svtState });
    let z2 = 0;
    for (let i = 0; i < size; i++) {
      const z = D[i] - A[i] - S[i];
      Y[i] += mu * z;
      z2 += z * z;
    }
    mu = Math.min(mu * rho, muBar);
    const err = Math.sqrt(z2) / dNorm;
    opts.onIter?.(iter, err);
    if (err < tol || iter >= maxIter) break;
  }
  return {
    low: mat(m, n, Float32Array.from(L.data)),
    sparse: mat(m, n, Float32Array.from(S)),
    iterations: iter,
  };
}

/**
 * Huang et al.'s binary time-frequency mask: 1 where |S| > gain·|L| (voice), else 0. The project
 * applies it (and 1 − mask for the accompaniment) to the complex STFT of the mixture.
 */
export function binaryMask(sparse: Mat, low: Mat, gain = 1): Mat {
  if (sparse.rows !== low.rows || sparse.cols !== low.cols) throw new Error('binaryMask: shape mismatch');
  const out = mat(sparse.rows, sparse.cols);
  binaryMaskInto(sparse.data, low.data, out.data, gain);
  return out;
}
