/**
 * BSS-eval's projections for one set of references (see ../bsseval.ts for the decomposition):
 * {@link BssEval} prepares the references once (their spectra, the Gram matrix of their delayed
 * copies and its factorisation) and scores any number of estimate sets against them.
 */
import FFT from 'fft.js';
import { cholesky, cholSolve } from './cholesky.ts';
import { checkSources } from './validate.ts';

/** BSS-eval v3's distortion filter length (taps). */
export const DEFAULT_FILTER_LENGTH = 512;

export interface BssEvalResult {
  sdr: Float64Array;
  sir: Float64Array;
  sar: Float64Array;
  /** perm[j] = the estimate matched to reference j (identity without permutation search). */
  perm: Int32Array;
}

const fftCache = new Map<number, FFT>();

/** fft.js instances hold only twiddle tables, so one per size is shared (a few sizes at most). */
function fftOfSize(size: number): FFT {
  let f = fftCache.get(size);
  if (!f) {
    if (fftCache.size >= 8) {
      const oldest = fftCache.keys().next().value;
      if (oldest !== undefined) fftCache.delete(oldest);
    }
    f = new FFT(size);
    fftCache.set(size, f);
  }
  return f;
}

/** 10 log10(num/den), +∞ when den = 0 (mir_eval's `_safe_db`). */
function safeDb(num: number, den: number): number {
  return den === 0 ? Infinity : 10 * Math.log10(num / den);
}

/**
 * Prepared references: caches what depends only on the references (their FFTs, the Gram matrix
 * and its factorisation), so many estimate sets can be scored cheaply against the same references.
 *
 * Spectra are half spectra (bins 0..nfft/2, re/im interleaved) of the zero-padded signals, with
 * nfft = 2^⌈log2(N + L − 1)⌉ as in mir_eval.
 */
export class BssEval {
  readonly nsrc: number;
  readonly nsampl: number;
  readonly filterLength: number;
  readonly nfft: number;
  /** Numerical rank of the full Gram matrix (nsrc·L when nothing had to be dropped). */
  readonly gramRank: number;

  private readonly fft: FFT;
  private readonly half: number;
  /** Reference half spectra, (nfft + 2) values each. */
  private readonly refSpec: Float64Array[];
  /** Cholesky factor of the full Gram matrix (nsrc·L square) and its inverse diagonal. */
  private readonly gram: Float64Array;
  private readonly gramInv: Float64Array;
  /** Cholesky factors of each reference's own L×L Gram block (shared with `gram` when nsrc = 1). */
  private readonly own: Float64Array[];
  private readonly ownInv: Float64Array[];

  // scratch, reused by every call
  private readonly realBuf: Float64Array; // zero-padded time signal (estimate), nfft
  private readonly filtBuf: Float64Array; // zero-padded filter, nfft (only the first L are ever written)
  private readonly cplxIn: Float64Array; // 2·nfft
  private readonly cplxOut: Float64Array; // 2·nfft
  private readonly estSpec: Float64Array; // 2·nfft (realTransform output, bins 0..half used)
  private readonly projSpec: Float64Array; // nfft + 2: P̂ = Σ_i Ĉ_i Ŝ_i
  private readonly ownSpec: Float64Array; // nfft + 2: P̂_j
  private readonly d: Float64Array; // nsrc·L: ⟨s_i^a, ŝ⟩
  private readonly coef: Float64Array; // nsrc·L: the filters
  private readonly coefOwn: Float64Array; // L
  /** ‖ŝ − P‖² and ‖P‖² of the loaded estimate. */
  private artifEnergy = 0;
  private projEnergy = 0;

  constructor(references: ArrayLike<number>[], filterLength: number = DEFAULT_FILTER_LENGTH) {
    if (!Number.isInteger(filterLength) || filterLength < 1) {
      throw new Error(`bss_eval: filter length must be a positive integer, got ${filterLength}`);
    }
    const refs = checkSources(references, 'reference');
    const nsrc = refs.length, nsampl = refs[0].length, L = filterLength;
    this.nsrc = nsrc;
    this.nsampl = nsampl;
    this.filterLength = L;
    let nfft = 2;
    while (nfft < nsampl + L - 1) nfft *= 2;
    this.nfft = nfft;
    this.half = nfft / 2;
    this.fft = fftOfSize(nfft);

    this.realBuf = new Float64Array(nfft);
    this.filtBuf = new Float64Array(nfft);
    this.cplxIn = new Float64Array(2 * nfft);
    this.cplxOut = new Float64Array(2 * nfft);
    this.estSpec = new Float64Array(2 * nfft);
    this.projSpec = new Float64Array(nfft + 2);
    this.ownSpec = new Float64Array(nfft + 2);
    this.d = new Float64Array(nsrc * L);
    this.coef = new Float64Array(nsrc * L);
    this.coefOwn = new Float64Array(L);

    this.refSpec = refs.map((s) => {
      this.realBuf.set(s);
      this.fft.realTransform(this.estSpec, this.realBuf);
      return this.estSpec.slice(0, nfft + 2);
    });
    this.realBuf.fill(0);

    // Gram matrix, lower block triangle: block (p, q), p ≥ q, element (a, b) = r_pq[a − b] with
    // r_pq[m] = Σ_n s_p[n] s_q[n+m] = IFFT(conj Ŝ_p · Ŝ_q)[m mod nfft]. Two correlations per complex IFFT.
    const n = nsrc * L;
    const g = new Float64Array(n * n);
    const pairs: [number, number][] = [];
    for (let p = 0; p < nsrc; p++) for (let q = 0; q <= p; q++) pairs.push([p, q]);
    const fill = (p: number, q: number, part: 0 | 1): void => {
      const out = this.cplxOut;
      for (let a = 0; a < L; a++) {
        const row = (p * L + a) * n + q * L;
        // within a diagonal block only b ≤ a is needed
        const bEnd = p === q ? a + 1 : L;
        for (let b = 0; b < bEnd; b++) {
          const m = a - b;
          g[row + b] = out[2 * (m >= 0 ? m : nfft + m) + part];
        }
      }
    };
    for (let t = 0; t < pairs.length; t += 2) {
      const [p1, q1] = pairs[t];
      const second = t + 1 < pairs.length ? pairs[t + 1] : null;
      this.correlate(this.refSpec[p1], this.refSpec[q1], second ? this.refSpec[second[0]] : null, second ? this.refSpec[second[1]] : null);
      fill(p1, q1, 0);
      if (second) fill(second[0], second[1], 1);
    }

    // each reference's own block, copied before the full matrix is factored in place
    this.own = [];
    this.ownInv = [];
    if (nsrc === 1) {
      this.gramInv = new Float64Array(n);
      this.gramRank = cholesky(g, n, this.gramInv);
      this.own.push(g);
      this.ownInv.push(this.gramInv);
    } else {
      for (let j = 0; j < nsrc; j++) {
        const blk = new Float64Array(L * L);
        for (let a = 0; a < L; a++) {
          const src = (j * L + a) * n + j * L;
          blk.set(g.subarray(src, src + a + 1), a * L);
        }
        const inv = new Float64Array(L);
        cholesky(blk, L, inv);
        this.own.push(blk);
        this.ownInv.push(inv);
      }
      this.gramInv = new Float64Array(n);
      this.gramRank = cholesky(g, n, this.gramInv);
    }
    this.gram = g;
  }

  /**
   * Scores estimates against the references (mir_eval's `bss_eval_sources`).
   *
   * With `computePermutation` (the default, as in mir_eval) every estimate is scored against every
   * reference and the assignment maximising the mean SIR is kept: permutations are tried in
   * lexicographic order (itertools.permutations) and the first maximum wins (numpy argmax).
   * Without it, estimate j is scored against reference j and perm is the identity.
   * Throws (like mir_eval's validate) on a count or length mismatch, an all-zero or a non-finite estimate.
   */
  evaluate(estimates: ArrayLike<number>[], computePermutation = true): BssEvalResult {
    const ests = checkSources(estimates, 'estimated', this.nsrc, this.nsampl);
    const nsrc = this.nsrc;
    const sdr = new Float64Array(nsrc), sir = new Float64Array(nsrc), sar = new Float64Array(nsrc);
    const perm = new Int32Array(nsrc);
    if (!computePermutation) {
      const crit = new Float64Array(3);
      for (let j = 0; j < nsrc; j++) {
        this.loadEstimate(ests[j]);
        this.criteria(j, crit);
        sdr[j] = crit[0];
        sir[j] = crit[1];
        sar[j] = crit[2];
        perm[j] = j;
      }
      return { sdr, sir, sar, perm };
    }

    // all[(jest·nsrc + jtrue)·3 + c]
    const all = new Float64Array(nsrc * nsrc * 3);
    for (let jest = 0; jest < nsrc; jest++) {
      this.loadEstimate(ests[jest]);
      for (let jtrue = 0; jtrue < nsrc; jtrue++) this.criteria(jtrue, all.subarray((jest * nsrc + jtrue) * 3, (jest * nsrc + jtrue) * 3 + 3));
    }
    const best = bestPermutation(nsrc, (jest, jtrue) => all[(jest * nsrc + jtrue) * 3 + 1]);
    for (let j = 0; j < nsrc; j++) {
      const at = (best[j] * nsrc + j) * 3;
      sdr[j] = all[at];
      sir[j] = all[at + 1];
      sar[j] = all[at + 2];
      perm[j] = best[j];
    }
    return { sdr, sir, sar, perm };
  }

  /**
   * Writes into `out` the two circular cross-correlations IFFT(conj Â · B̂) (real part of cplxOut)
   * and IFFT(conj Ĉ · D̂) (imaginary part), from half spectra, with one complex inverse FFT:
   * Z[k] = Y1[k] + i Y2[k], Z[N−k] = conj Y1[k] + i conj Y2[k].
   */
  private correlate(a: Float64Array, b: Float64Array, c: Float64Array | null, d: Float64Array | null): void {
    const nfft = this.nfft, half = this.half, z = this.cplxIn;
    for (let k = 0; k <= half; k++) {
      const k2 = 2 * k;
      const ar = a[k2], ai = a[k2 + 1], br = b[k2], bi = b[k2 + 1];
      let y1r = ar * br + ai * bi, y1i = ar * bi - ai * br;
      let y2r = 0, y2i = 0;
      if (c && d) {
        const cr = c[k2], ci = c[k2 + 1], dr = d[k2], di = d[k2 + 1];
        y2r = cr * dr + ci * di;
        y2i = cr * di - ci * dr;
      }
      if (k === 0 || k === half) {
        // DC and Nyquist of real signals are real: keep rounding out of the other channel
        y1i = 0;
        y2i = 0;
      }
      z[k2] = y1r - y2i;
      z[k2 + 1] = y1i + y2r;
      if (k !== 0 && k !== half) {
        const m2 = 2 * (nfft - k);
        z[m2] = y1r + y2i;
        z[m2 + 1] = y2r - y1i;
      }
    }
    this.fft.inverseTransform(this.cplxOut, z);
  }

  /**
   * Takes one estimate: its spectrum, D (its correlations with every delayed reference), the
   * filters c = G⁻¹ D and the projection P̂ = Σ_i Ĉ_i Ŝ_i onto all references, with ‖P‖² and ‖ŝ − P‖².
   */
  private loadEstimate(e: Float64Array): void {
    const nsrc = this.nsrc, L = this.filterLength, half = this.half;
    this.realBuf.set(e);
    this.fft.realTransform(this.estSpec, this.realBuf);
    // D[(i, a)] = Σ_n s_i[n] ŝ[n+a] = IFFT(conj Ŝ_i · Ê)[a]
    for (let i = 0; i < nsrc; i += 2) {
      const two = i + 1 < nsrc;
      this.correlate(this.refSpec[i], this.estSpec, two ? this.refSpec[i + 1] : null, two ? this.estSpec : null);
      const out = this.cplxOut;
      for (let a = 0; a < L; a++) {
        this.d[i * L + a] = out[2 * a];
        if (two) this.d[(i + 1) * L + a] = out[2 * a + 1];
      }
    }
    cholSolve(this.gram, nsrc * L, this.gramInv, this.d, 0, this.coef);
    const p = this.projSpec;
    p.fill(0);
    for (let i = 0; i < nsrc; i++) {
      const f = this.filterSpectrum(this.coef, i * L);
      const s = this.refSpec[i];
      for (let k2 = 0; k2 <= 2 * half; k2 += 2) {
        const fr = f[k2], fi = f[k2 + 1], sr = s[k2], si = s[k2 + 1];
        p[k2] += fr * sr - fi * si;
        p[k2 + 1] += fr * si + fi * sr;
      }
    }
    this.projEnergy = this.energy(p, null);
    this.artifEnergy = this.energy(this.estSpec, p);
  }

  /** Half spectrum of the L filter taps coef[c0 .. c0+L), zero-padded; returns cplxOut (bins 0..nfft/2 valid). */
  private filterSpectrum(coef: Float64Array, c0: number): Float64Array {
    this.filtBuf.set(coef.subarray(c0, c0 + this.filterLength));
    this.fft.realTransform(this.cplxOut, this.filtBuf);
    return this.cplxOut;
  }

  /** ‖x − y‖² (y optional) of real signals from their half spectra, by Parseval. */
  private energy(x: Float64Array, y: Float64Array | null): number {
    const half = this.half;
    let edge = 0, mid = 0;
    for (let k = 0; k <= half; k++) {
      const k2 = 2 * k;
      const re = y ? x[k2] - y[k2] : x[k2];
      const im = y ? x[k2 + 1] - y[k2 + 1] : x[k2 + 1];
      const e = re * re + im * im;
      if (k === 0 || k === half) edge += e;
      else mid += e;
    }
    return (edge + 2 * mid) / this.nfft;
  }

  /**
   * SDR, SIR, SAR of the loaded estimate against reference j (mir_eval's `_bss_decomp_mtifilt`
   * followed by `_bss_source_crit`) into out[0..2].
   */
  private criteria(j: number, out: Float64Array): void {
    const L = this.filterLength, half = this.half;
    const pj = this.ownSpec;
    if (this.nsrc === 1) {
      // the one reference is all the references: P_j is P, so e_interf is exactly zero (SIR = +∞)
      pj.set(this.projSpec);
    } else {
      cholSolve(this.own[j], L, this.ownInv[j], this.d, j * L, this.coefOwn);
      const f = this.filterSpectrum(this.coefOwn, 0);
      const s = this.refSpec[j];
      for (let k2 = 0; k2 <= 2 * half; k2 += 2) {
        const fr = f[k2], fi = f[k2 + 1], sr = s[k2], si = s[k2 + 1];
        pj[k2] = fr * sr - fi * si;
        pj[k2 + 1] = fr * si + fi * sr;
      }
    }
    const target = this.energy(pj, null);
    out[0] = safeDb(target, this.energy(this.estSpec, pj));
    out[1] = safeDb(target, this.energy(this.projSpec, pj));
    out[2] = safeDb(this.projEnergy, this.artifEnergy);
  }
}

/**
 * The permutation maximising mean_j score(perm[j], j), searched like mir_eval: all nsrc!
 * permutations in lexicographic order, the first maximum kept (a NaN mean wins, as in np.argmax).
 */
function bestPermutation(nsrc: number, score: (jest: number, jtrue: number) => number): Int32Array {
  const p = Int32Array.from({ length: nsrc }, (_, i) => i);
  const best = p.slice();
  let bestMean = -Infinity;
  let first = true;
  for (;;) {
    let sum = 0;
    for (let j = 0; j < nsrc; j++) sum += score(p[j], j);
    const mean = sum / nsrc;
    if (Number.isNaN(mean)) {
      best.set(p);
      break;
    }
    if (first || mean > bestMean) {
      bestMean = mean;
      best.set(p);
      first = false;
    }
    // next permutation in lexicographic order
    let i = nsrc - 2;
    while (i >= 0 && p[i] >= p[i + 1]) i--;
    if (i < 0) break;
    let k = nsrc - 1;
    while (p[k] <= p[i]) k--;
    [p[i], p[k]] = [p[k], p[i]];
    p.subarray(i + 1).reverse();
  }
  return best;
}
