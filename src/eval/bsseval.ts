/**
 * BSS-eval v3 (SDR, SIR, SAR) as in mir_eval's `separation.py` (`bss_eval_sources`,
 * `bss_eval_sources_framewise`), in plain TypeScript, Float64 throughout.
 *
 * Vincent, Gribonval & Févotte, "Performance measurement in blind audio source separation",
 * IEEE TASLP 14(4), 2006, §III.B: an estimate ŝ_j is decomposed as
 *
 *     ŝ_j = s_target + e_interf + e_artif,
 *
 * where, with Π{y_1..y_k} the orthogonal projector onto the span of the signals y_1..y_k and
 * s_i^τ the reference s_i delayed by τ samples (zero-padded to N + L − 1 samples),
 *
 *     P_j    = Π{s_j^τ : 0 ≤ τ < L} ŝ_j                 (ŝ_j seen through a length-L filter of s_j)
 *     P      = Π{s_i^τ : all i, 0 ≤ τ < L} ŝ_j          (… through length-L filters of all s_i)
 *     s_target = P_j,  e_interf = P − P_j,  e_artif = ŝ_j − P,
 *
 *     SDR = 10 log10 ‖P_j‖² / ‖ŝ_j − P_j‖²
 *     SIR = 10 log10 ‖P_j‖² / ‖P − P_j‖²
 *     SAR = 10 log10 ‖P‖²   / ‖ŝ_j − P‖²
 *
 * (mir_eval's s_true + e_spat is P_j; the algebra is the same.) A projection onto the delayed
 * copies of references S solves the normal equations G c = D with the Gram matrix
 * G[(i,a),(k,b)] = ⟨s_i^a, s_k^b⟩ = Σ_n s_i[n] s_k[n+a−b] and D[(i,a)] = ⟨s_i^a, ŝ⟩ = Σ_n s_i[n] ŝ[n+a];
 * the projection is Σ_i c_i ∗ s_i. Both G and D are cross-correlations, computed by FFT as in
 * mir_eval; G depends on the references only, so {@link BssEval} builds and factors it once.
 *
 * Where this differs from mir_eval in how (never in what) it computes:
 * - The energies are taken in the frequency domain (Parseval) from P̂ = Σ_i Ĉ_i Ŝ_i instead of
 *   time-domain convolutions: with an FFT length ≥ N + L − 1 the circular products are the linear
 *   convolutions mir_eval computes, so the figures are the same up to rounding.
 * - G is solved by Cholesky (it is a Gram matrix, symmetric positive semi-definite) rather than LU;
 *   mir_eval falls back to least squares when LU meets an exactly singular G. Here a pivot that is
 *   not clearly positive (≤ size·ε·G_ii) marks a delayed reference that lies, to working precision,
 *   in the span of the ones before it: it is dropped (its filter tap set to zero). That gives a basic
 *   solution of the normal equations instead of lstsq's minimum-norm one, but the same projection
 *   onto the same span, and the projection is all that enters SDR/SIR/SAR.
 */
import { BssEval, type BssEvalResult } from './bss/prepared.ts';
import { checkSources, validate } from './bss/validate.ts';

export { BssEval, DEFAULT_FILTER_LENGTH, type BssEvalResult } from './bss/prepared.ts';
export { globalScores, type ClipScore } from './bss/global-scores.ts';
export { MAX_SOURCES, validate } from './bss/validate.ts';

/** Framewise figures: arrays of nsrc·nframes, row-major by source (element j·nframes + k). */
export interface BssEvalFramewiseResult extends BssEvalResult {
  nsrc: number;
  nframes: number;
}

/** mir_eval's `bss_eval_sources`: BSS-eval v3 with a 512-tap distortion filter. */
export function bssEvalSources(
  references: ArrayLike<number>[],
  estimates: ArrayLike<number>[],
  computePermutation = true,
): BssEvalResult {
  validate(references, estimates);
  return new BssEval(references).evaluate(estimates, computePermutation);
}

/**
 * mir_eval's `bss_eval_sources_framewise`: bss_eval_sources on windows of `window` samples every
 * `hop` samples. Like mir_eval:
 * - nframes = ⌊(N − window + hop) / hop⌋ whole windows; samples after the last whole window are
 *   not scored (no partial last window);
 * - with fewer than 2 windows the result is bss_eval_sources of the whole signals (nframes = 1),
 *   whatever the window;
 * - a window where any reference or estimate is all zeros gets NaN for every source (perm −1 here,
 *   NaN in mir_eval);
 * - computePermutation defaults to false, and the references are re-prepared for every window.
 */
export function bssEvalSourcesFramewise(
  references: ArrayLike<number>[],
  estimates: ArrayLike<number>[],
  window: number,
  hop: number,
  computePermutation = false,
): BssEvalFramewiseResult {
  if (!Number.isInteger(window) || window < 1 || !Number.isInteger(hop) || hop < 1) {
    throw new Error(`bss_eval: window and hop must be positive integers (samples), got window ${window}, hop ${hop}`);
  }
  const refs = checkSources(references, 'reference');
  const ests = checkSources(estimates, 'estimated', refs.length, refs[0].length);
  const nsrc = refs.length, n = refs[0].length;
  const nwin = Math.floor((n - window + hop) / hop);
  if (nwin < 2) {
    const r = new BssEval(refs).evaluate(ests, computePermutation);
    return { ...r, nsrc, nframes: 1 };
  }
  const sdr = new Float64Array(nsrc * nwin), sir = new Float64Array(nsrc * nwin), sar = new Float64Array(nsrc * nwin);
  const perm = new Int32Array(nsrc * nwin);
  const anySilent = (xs: Float64Array[]): boolean => xs.some((x) => x.every((v) => v === 0));
  for (let k = 0; k < nwin; k++) {
    const refWin = refs.map((x) => x.subarray(k * hop, k * hop + window));
    const estWin = ests.map((x) => x.subarray(k * hop, k * hop + window));
    if (anySilent(refWin) || anySilent(estWin)) {
      for (let j = 0; j < nsrc; j++) {
        sdr[j * nwin + k] = sir[j * nwin + k] = sar[j * nwin + k] = NaN;
        perm[j * nwin + k] = -1;
      }
      continue;
    }
    const r = new BssEval(refWin).evaluate(estWin, computePermutation);
    for (let j = 0; j < nsrc; j++) {
      sdr[j * nwin + k] = r.sdr[j];
      sir[j * nwin + k] = r.sir[j];
      sar[j * nwin + k] = r.sar[j];
      perm[j * nwin + k] = r.perm[j];
    }
  }
  return { sdr, sir, sar, perm, nsrc, nframes: nwin };
}
