/**
 * Streaming sample-rate conversion by a rational factor, with a windowed-sinc polyphase filter.
 *
 * Written here rather than taken from a library because the separator needs three things at once:
 * it runs inside the AudioWorklet without allocating, its output is bit-for-bit the same whether
 * samples arrive 128 at a time or all at once (so the page and the CLI agree), and its delay is an
 * exact rational number of samples that the separator chooses (so the full-band accompaniment,
 * input − voice, lines up to the sample).
 *
 * Output sample j sits at input position p_j = (j·M − d) / L, where L/M = outRate/inRate in lowest
 * terms and d/L is the delay in input samples; it is Σ_k x[⌊p_j⌋ + k] h(k − frac(p_j)) with a
 * Kaiser-windowed sinc h whose cutoff is just below the lower of the two Nyquist frequencies.
 */

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function I0, for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1, term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

export interface ResamplerOptions {
  /** Zero crossings of the sinc on each side (filter length vs. sharpness). */
  zeroCrossings?: number;
  /** Passband edge as a fraction of the lower Nyquist frequency. */
  rolloff?: number;
  /** Kaiser β: 8.6 gives about 90 dB of stopband attenuation. */
  beta?: number;
  /** Delay numerator d: the delay is d / L input samples. Default: the filter's half length (causal). */
  delayNumerator?: number;
}

/** The most phases accepted (L); rates in use give L ≤ 2000 (e.g. 16 000 ↔ 44 056 Hz). */
const MAX_PHASES = 8192;

export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  /** Output/input = L/M in lowest terms. */
  readonly L: number;
  readonly M: number;
  /** Taps on each side: output j reads x[⌊p_j⌋ − K + 1 .. ⌊p_j⌋ + K]. */
  readonly K: number;
  readonly delayNumerator: number;
  private readonly table: Float32Array; // L phases × 2K taps
  private readonly history: Float32Array;
  /** Absolute input index of history[0]. */
  private base: number;
  /** Input samples received so far. */
  private received: number;
  /** Next output index to produce. */
  private next: number;

  constructor(inRate: number, outRate: number, opts: ResamplerOptions = {}) {
    if (!(Number.isInteger(inRate) && Number.isInteger(outRate) && inRate > 0 && outRate > 0)) {
      throw new Error(`sample rates must be positive integers (got ${inRate} → ${outRate})`);
    }
    const g = gcd(inRate, outRate);
    this.inRate = inRate;
    this.outRate = outRate;
    this.L = outRate / g;
    this.M = inRate / g;
    if (this.L > MAX_PHASES) {
      throw new Error(`cannot convert ${inRate} Hz to ${outRate} Hz: the ratio ${this.L}/${this.M} needs too many filter phases`);
    }
    const zc = opts.zeroCrossings ?? 16;
    const rolloff = opts.rolloff ?? 0.92;
    const beta = opts.beta ?? 8.6;
    // Cutoff in cycles per input sample × 2 (1 = input Nyquist).
    const fc = Math.min(1, this.L / this.M) * rolloff;
    this.K = Math.ceil(zc / fc);
    this.delayNumerator = opts.delayNumerator ?? this.K * this.L;
    const taps = 2 * this.K;
    this.table = new Float32Array(this.L * taps);
    const i0b = besselI0(beta);
    for (let phase = 0; phase < this.L; phase++) {
      const frac = phase / this.L;
      let sum = 0;
      for (let k = 0; k < taps; k++) {
        const t = k - this.K + 1 - frac; // tap position relative to the output sample
        const r = t / this.K;
        const win = Math.abs(r) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0b;
        const x = fc * t;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const h = fc * sinc * win;
        this.table[phase * taps + k] = h;
        sum += h;
      }
      // Unit gain at DC for every phase: no ripple from the fractional position.
      for (let k = 0; k < taps; k++) this.table[phase * taps + k] /= sum;
    }
    this.history = new Float32Array(taps + 4096 + Math.ceil(this.M / this.L) + 2);
    this.base = 0;
    this.received = 0;
    this.next = 0;
    this.reset();
  }

  /** Delay in input samples. */
  get delay(): number {
    return this.delayNumerator / this.L;
  }

  /** Input samples that must have arrived before output j can be computed. */
  inputNeededFor(j: number): number {
    return Math.floor((j * this.M - this.delayNumerator) / this.L) + this.K + 1;
  }

  /** How many outputs exist once `inputs` samples have arrived (pure: used to plan latency). */
  outputsAfter(inputs: number): number {
    // Largest j with inputNeededFor(j) ≤ inputs, plus one.
    let j = Math.max(0, Math.floor(((inputs - this.K) * this.L + this.delayNumerator) / this.M) - 2);
    while (this.inputNeededFor(j) <= inputs) j++;
    while (j > 0 && this.inputNeededFor(j - 1) > inputs) j--;
    return j;
  }

  reset(): void {
    this.history.fill(0);
    // Keep room for taps that reach before the first input sample (they read zeros).
    this.base = -(2 * this.K + Math.ceil(this.delayNumerator / this.L) + 1);
    this.received = 0;
    this.next = 0;
  }

  /**
   * Feeds n input samples and writes every output that becomes computable into out[outOffset..].
   * Returns the number written. `out` must have room for ⌈n·L/M⌉ + 1 samples.
   */
  process(input: Float32Array, n: number, out: Float32Array, outOffset = 0): number {
    let written = 0;
    let i = 0;
    while (i < n) {
      // Append as much input as fits, then compute what that allows.
      let writeAt = this.received - this.base;
      if (writeAt >= this.history.length) {
        this.compact();
        writeAt = this.received - this.base;
      }
      const take = Math.min(n - i, this.history.length - writeAt);
      const hist = this.history;
      for (let k = 0; k < take; k++) hist[writeAt + k] = input[i + k];
      this.received += take;
      i += take;
      written += this.produce(out, outOffset + written);
    }
    return written;
  }

  private produce(out: Float32Array, at: number): number {
    const taps = 2 * this.K, table = this.table, hist = this.history;
    let count = 0;
    for (;;) {
      const j = this.next;
      const num = j * this.M - this.delayNumerator;
      const pos = Math.floor(num / this.L);
      if (pos + this.K + 1 > this.received) break;
      const phase = num - pos * this.L;
      const start = pos - this.K + 1 - this.base;
      const row = phase * taps;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += hist[start + k] * table[row + k];
      out[at + count++] = acc;
      this.next = j + 1;
    }
    return count;
  }

  /** Drops input that no future output reads. */
  private compact(): void {
    const num = this.next * this.M - this.delayNumerator;
    const firstNeeded = Math.floor(num / this.L) - this.K + 1;
    const drop = Math.min(firstNeeded - this.base, this.received - this.base);
    if (drop <= 0) throw new Error('resampler history too small');
    this.history.copyWithin(0, drop, this.received - this.base);
    this.base += drop;
  }
}

/**
 * Whole-signal conversion with no delay (output j at input time j·M/L exactly): for training data
 * and offline tools. Length ⌈len·L/M⌉.
 */
export function resampleSignal(x: Float32Array, inRate: number, outRate: number): Float32Array {
  if (inRate === outRate) return x.slice();
  const r = new Resampler(inRate, outRate, { delayNumerator: 0 });
  const outLen = Math.ceil((x.length * r.L) / r.M);
  const out = new Float32Array(outLen + 2 * r.K + 2);
  let n = r.process(x, x.length, out);
  // Flush with zeros so the last outputs see their future taps.
  const zeros = new Float32Array(2 * r.K + 2);
  n += r.process(zeros, zeros.length, out, n);
  return out.slice(0, outLen);
}
