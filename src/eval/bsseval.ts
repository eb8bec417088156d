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
import FFT from 'fft.js';

/** mir_eval's MAX_SOURCES: beyond this the evaluation (and its permutation search) is refused. */
export const MAX_SOURCES = 100;
/** BSS-eval v3's distortion filter length (taps). */
export const DEFAULT_FILTER_LENGTH = 512;

export interface BssEvalResult {
  sdr: Float64Array;
  sir: Float64Array;
  sar: Float64Array;
  /** perm[j] = the estimate matched to reference j (identity without permutation search). */
  perm: Int32Array;
}

/** Framewise figures: arrays of nsrc·nframes, row-major by source (element j·nframes + k). */
export interface BssEvalFramewiseResult extends BssEvalResult {
  nsrc: number;
  nframes: number;
}

// ---------------------------------------------------------------------------------------------
// Validation

type Role = 'reference' | 'estimated';

/** Copies one source to Float64, rejecting non-finite samples; returns whether it is all zeros. */
function toFloat64(x: ArrayLike<number>, role: Role, index: number): { data: Float64Array; silent: boolean } {
  const n = x.length;
  const data = new Float64Array(n);
  let silent = true;
  for (let t = 0; t < n; t++) {
    const v = x[t];
    if (!Number.isFinite(v)) {
      throw new Error(`bss_eval: ${role} source ${index} has a non-finite value (${v}) at sample ${t}`);
    }
    data[t] = v;
    if (v !== 0) silent = false;
  }
  return { data, silent };
}

/** Checks a set of sources for shape and content; returns them as Float64Arrays. */
function checkSources(sources: ArrayLike<number>[], role: Role, expectCount?: number, expectLength?: number): Float64Array[] {
  if (sources.length === 0) {
    throw new Error(`bss_eval: ${role} sources are empty; expected nsrc ≥ 1 sources of nsampl ≥ 1 samples`);
  }
  if (expectCount !== undefined && sources.length !== expectCount) {
    throw new Error(
      `bss_eval: the shapes of the estimated and reference sources must match: ${expectCount} reference ` +
        `sources but ${sources.length} estimated sources`,
    );
  }
  if (sources.length > MAX_SOURCES) {
    throw new Error(`bss_eval: ${sources.length} ${role} sources is more than MAX_SOURCES = ${MAX_SOURCES}`);
  }
  const n = expectLength ?? sources[0].length;
  if (n === 0) throw new Error(`bss_eval: ${role} sources are empty (0 samples)`);
  const out: Float64Array[] = [];
  for (let i = 0; i < sources.length; i++) {
    if (sources[i].length !== n) {
      throw new Error(
        expectLength !== undefined
          ? `bss_eval: the shapes of the estimated and reference sources must match: estimated source ${i} ` +
              `has ${sources[i].length} samples, the references have ${n}`
          : `bss_eval: all ${role} sources must have the same length: source 0 has ${n} samples, ` +
              `source ${i} has ${sources[i].length}`,
      );
    }
    const { data, silent } = toFloat64(sources[i], role, i);
    if (silent) {
      throw new Error(
        role === 'reference'
          ? `bss_eval: reference source ${i} is silent (all zeros); every reference source must be non-silent, ` +
              'otherwise the evaluation is ambiguous (any number of all-zero sources could be added)'
          : `bss_eval: estimated source ${i} is silent (all zeros); with non-silent references this makes ` +
              'the decomposition underdetermined',
      );
    }
    out.push(data);
  }
  return out;
}

/**
 * mir_eval's `validate`, raising an Error with a readable reason: the same number of estimates as
 * references, all of one length, none empty, none all zeros, all finite, at most MAX_SOURCES.
 * (mir_eval only warns on empty input and returns empty arrays; here it is an error.)
 */
export function validate(references: ArrayLike<number>[], estimates: ArrayLike<number>[]): void {
  const refs = checkSources(references, 'reference');
  checkSources(estimates, 'estimated', refs.length, refs[0].length);
}

// ---------------------------------------------------------------------------------------------
// Linear algebra

/**
 * In-place Cholesky G = L Lᵀ of the n×n row-major symmetric matrix `a` (lower triangle read and
 * overwritten; upper triangle ignored). `inv[i]` gets 1/L_ii, or 0 where the pivot is not clearly
 * positive (see the module comment): that column is dropped, L's column i is zero, and the solves
 * give its unknown the value 0. Returns the numerical rank.
 *
 * Row-oriented (L_ij = (G_ij − Σ_{k<j} L_ik L_jk) / L_jj) with a 4-row × 2-column register tile so
 * that each streamed row j serves four rows i: about twice as fast as the plain loop for n ≥ 1024.
 */
function cholesky(a: Float64Array, n: number, inv: Float64Array): number {
  const tolRel = n * 2.220446049250313e-16;
  let rank = 0;
  for (let i0 = 0; i0 < n; i0 += 4) {
    const nb = Math.min(4, n - i0);
    if (nb === 4) {
      const r0 = i0 * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      let j = 0;
      for (; j + 1 < i0; j += 2) {
        const ra = j * n, rb = ra + n;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        for (let k = 0; k < j; k++) {
          const u = a[ra + k], v = a[rb + k];
          const x0 = a[r0 + k], x1 = a[r1 + k], x2 = a[r2 + k], x3 = a[r3 + k];
          a0 += x0 * u; a1 += x1 * u; a2 += x2 * u; a3 += x3 * u;
          b0 += x0 * v; b1 += x1 * v; b2 += x2 * v; b3 += x3 * v;
        }
        const ia = inv[j];
        const l0 = (a[r0 + j] - a0) * ia, l1 = (a[r1 + j] - a1) * ia;
        const l2 = (a[r2 + j] - a2) * ia, l3 = (a[r3 + j] - a3) * ia;
        a[r0 + j] = l0; a[r1 + j] = l1; a[r2 + j] = l2; a[r3 + j] = l3;
        // column j+1 also needs the k = j term, which was only just computed
        const v = a[rb + j], ib = inv[j + 1], c = j + 1;
        a[r0 + c] = (a[r0 + c] - b0 - l0 * v) * ib;
        a[r1 + c] = (a[r1 + c] - b1 - l1 * v) * ib;
        a[r2 + c] = (a[r2 + c] - b2 - l2 * v) * ib;
        a[r3 + c] = (a[r3 + c] - b3 - l3 * v) * ib;
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
function cholSolve(l: Float64Array, n: number, inv: Float64Array, b: Float64Array, b0: number, x: Float64Array): void {
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

// ---------------------------------------------------------------------------------------------
// FFTs

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

// ---------------------------------------------------------------------------------------------
// Prepared references

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

/** One clip's figures for the voice (or any one source), and the mixture's SDR for the same source. */
export interface ClipScore {
  seconds: number;
  sdr: number;
  sir: number;
  sar: number;
  sdrMixture: number;
}

/**
 * Duration-weighted global figures as in Sprechmann et al. 2012 (and `tools/score.py`): with
 * δ_i = seconds_i / Σ seconds,
 *
 *     GNSDR = Σ_i δ_i (SDR_i − SDR(mixture)_i),   GSDR = Σ_i δ_i SDR_i,
 *     GSIR  = Σ_i δ_i SIR_i,                      GSAR = Σ_i δ_i SAR_i.
 */
export function globalScores(clips: ClipScore[]): { gnsdr: number; gsir: number; gsar: number; gsdr: number; seconds: number; clips: number } {
  if (clips.length === 0) throw new Error('globalScores: no clips');
  let seconds = 0;
  for (const c of clips) {
    if (!(c.seconds > 0) || !Number.isFinite(c.seconds)) throw new Error(`globalScores: clip duration must be positive, got ${c.seconds}`);
    seconds += c.seconds;
  }
  let gnsdr = 0, gsir = 0, gsar = 0, gsdr = 0;
  for (const c of clips) {
    const w = c.seconds / seconds;
    gnsdr += w * (c.sdr - c.sdrMixture);
    gsdr += w * c.sdr;
    gsir += w * c.sir;
    gsar += w * c.sar;
  }
  return { gnsdr, gsir, gsar, gsdr, seconds, clips: clips.length };
}
