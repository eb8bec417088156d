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

import { EmbeddedModule, WasmArena } from '../wasm/loader.ts';
import { resampleWasmBase64 } from '../wasm/resample.wasm.ts';

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

/** Filter tables already computed (read-only once made: several resamplers share one). */
const tables = new Map<string, Float32Array>();

/** The L phases × 2K taps of the windowed-sinc filter (memoised: the channels of a stream share it). */
function filterTable(L: number, K: number, fc: number, beta: number): Float32Array {
  const key = `${L}/${K}/${fc}/${beta}`;
  const cached = tables.get(key);
  if (cached) return cached;
  const taps = 2 * K;
  const table = new Float32Array(L * taps);
  const i0b = besselI0(beta);
  for (let phase = 0; phase < L; phase++) {
    const frac = phase / L;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const t = k - K + 1 - frac; // tap position relative to the output sample
      const r = t / K;
      const win = Math.abs(r) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0b;
      const x = fc * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const h = fc * sinc * win;
      table[phase * taps + k] = h;
      sum += h;
    }
    // Unit gain at DC for every phase: no ripple from the fractional position.
    for (let k = 0; k < taps; k++) table[phase * taps + k] /= sum;
  }
  if (tables.size >= 16) tables.delete(tables.keys().next().value!);
  tables.set(key, table);
  return table;
}

export interface ResamplerOptions {
  /** Zero crossings of the sinc on each side (filter length vs. sharpness). */
  zeroCrossings?: number;
  /** Passband edge as a fraction of the lower Nyquist frequency. */
  rolloff?: number;
  /** Kaiser β: 8.6 gives about 90 dB of stopband attenuation. */
  beta?: number;
  /**
   * Compute the filter's inner products with the WebAssembly SIMD kernel where it runs (default
   * true); false forces the plain JS loop. Outputs agree to f32 rounding (the kernel sums in f32,
   * the loop in f64); each is independent of the block sizes.
   */
  fast?: boolean;
  /**
   * Fast path: keep the table and history in this shared wasm memory (the caller commits it before
   * use); default a memory of its own. Input and output arrays that are views of the same memory
   * are then copied with memmove (or written in place) instead of JS loops.
   */
  arena?: WasmArena;
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
  private table: Float32Array; // L phases × 2K taps
  private history: Float32Array;
  /** The wasm kernel, with table and history in its memory (views replace the arrays above); null on the plain path. */
  private readonly kernel: ResampleKernel | null;
  /** Absolute input index of history[0]. */
  private base: number;
  /** Input samples received so far. */
  private received: number;
  /** Next output index to produce. */
  private next: number;
  /**
   * ⌊p_next⌋ and its phase (next·M − d = pos·L + phase): the fast path keeps both without dividing;
   * the plain path keeps pos (set where produce() stops), so that compact() needs no division.
   */
  private pos = 0;
  private phase = 0;

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
    const historyLength = taps + 4096 + Math.ceil(this.M / this.L) + 2;
    this.table = filterTable(this.L, this.K, fc, beta);
    this.history = new Float32Array(historyLength);
    this.base = 0;
    this.received = 0;
    this.next = 0;
    this.reset();
    this.kernel = (opts.fast ?? true) ? ResampleKernel.create(opts.arena, this.table, this.history, (table, history) => {
      this.table = table;
      this.history = history;
    }) : null;
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
    // `| 0`: small integers, never −0 (which would make the fields doubles).
    this.pos = Math.floor(-this.delayNumerator / this.L) | 0;
    this.phase = (-this.delayNumerator - this.pos * this.L) | 0;
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
      const heap = this.kernel?.arena.heap;
      if (heap && input.buffer === heap.buffer) {
        const from = input.byteOffset / 4 + i;
        heap.copyWithin(hist.byteOffset / 4 + writeAt, from, from + take);
      } else {
        for (let k = 0; k < take; k++) hist[writeAt + k] = input[i + k];
      }
      this.received += take;
      i += take;
      written += this.produce(out, outOffset + written);
    }
    return written;
  }

  private produce(out: Float32Array, at: number): number {
    if (this.kernel) return this.produceFast(out, at);
    const taps = 2 * this.K, table = this.table, hist = this.history;
    let count = 0;
    for (;;) {
      const j = this.next;
      const num = j * this.M - this.delayNumerator;
      const pos = Math.floor(num / this.L);
      if (pos + this.K + 1 > this.received) {
        this.pos = pos; // for compact()
        break;
      }
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

  // Only integer arithmetic here and in compact(): a fractional intermediate would be boxed (an
  // allocation) wherever this runs unoptimised, and compact() runs too rarely to be optimised.
  private produceFast(out: Float32Array, at: number): number {
    const k = this.kernel!, direct = out.buffer === k.arena.heap.buffer;
    let count = 0;
    for (;;) {
      const room = direct ? out.length - at - count : ResampleKernel.OUT;
      if (room <= 0) return count; // out is full (the caller promised room for everything)
      // Straight into `out` when it is a view of the same memory, else through the kernel's buffer.
      const st = k.state;
      st[0] = this.pos - this.K + 1 - this.base;
      st[1] = this.phase;
      const got = k.produce(2 * this.K, this.L, this.M, this.received - this.base, direct ? out.byteOffset + 4 * (at + count) : -1, room);
      this.pos = st[0] + this.K - 1 + this.base;
      this.phase = st[1];
      if (!direct) {
        const buf = k.out;
        for (let i = 0; i < got; i++) out[at + count + i] = buf[i];
      }
      count += got;
      this.next += got;
      if (got < room) return count;
    }
  }

  /** Drops input that no future output reads. */
  private compact(): void {
    // ⌊(next·M − d) / L⌋, kept by both paths: compact() runs too rarely to be optimised, and the
    // fractional quotient would be boxed (an allocation per call on the plain real-time path).
    const firstNeeded = this.pos - this.K + 1;
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

interface ResampleExports {
  produce(hist: number, table: number, taps: number, state: number, L: number, M: number, avail: number, out: number, maxOut: number): number;
}

const resampleWasm = new EmbeddedModule<ResampleExports>(resampleWasmBase64);

/** Compiles the resampler kernel asynchronously (for a page's main thread); resolves to availability. */
export function loadResampleKernel(): Promise<boolean> {
  return resampleWasm.preload();
}

/** Each arena's copies of the filter tables (filterTable's arrays, read-only): offset of each. */
const arenaTables = new WeakMap<WasmArena, Map<Float32Array, number>>();

/**
 * The offset of `table`'s copy in `arena`, reserved (and filled at commit) by the first resampler
 * that asks: resamplers with the same conversion share one copy. At 44.1 kHz stereo with the full
 * band, six resamplers use two tables (≈ 125 KB) instead of six copies (≈ 375 KB); the network's
 * weights stream through the same 512 KB L2 cache every frame, and the resamplers run faster on
 * tables that stay in it.
 */
function sharedTable(arena: WasmArena, table: Float32Array): number {
  let tables = arenaTables.get(arena);
  if (!tables) arenaTables.set(arena, (tables = new Map()));
  let at = tables.get(table);
  if (at === undefined) {
    const reserved = arena.reserve(table.length);
    arena.onCommit(() => arena.f32(reserved, table.length).set(table));
    tables.set(table, (at = reserved));
  }
  return at;
}

/** One resampler's kernel: its filter table (shared), history and output buffer live in a wasm arena. */
class ResampleKernel {
  static readonly OUT = 1024;
  /** The kernel's output buffer (a view of the arena, after commit). */
  out: Float32Array = new Float32Array(0);
  /** Where the next output reads: [start in the history, phase] (in and out of produce()). */
  state: Int32Array = new Int32Array(2);

  private constructor(readonly arena: WasmArena, private readonly k: ResampleExports, private readonly at: { table: number; history: number; out: number; state: number }) {}

  /**
   * Reserves the table, history and output buffer in `arena` (or in a memory of its own, committed
   * at once); at commit, copies table and history in and hands their views to `bind`. Null where
   * WebAssembly SIMD is unavailable (the caller keeps its arrays and the JS loop).
   */
  static create(arena: WasmArena | undefined, table: Float32Array, history: Float32Array, bind: (table: Float32Array, history: Float32Array) => void): ResampleKernel | null {
    const ar = arena ?? WasmArena.create();
    const k = ar?.instance(resampleWasm);
    if (!ar || !k) return null;
    const at = { table: sharedTable(ar, table), history: ar.reserve(history.length), out: ar.reserve(ResampleKernel.OUT), state: ar.reserve(2) };
    const kernel = new ResampleKernel(ar, k, at);
    ar.onCommit(() => {
      const t = ar.f32(at.table, table.length), h = ar.f32(at.history, history.length);
      h.set(history);
      kernel.out = ar.f32(at.out, ResampleKernel.OUT);
      kernel.state = ar.i32(at.state, 2);
      bind(t, h);
    });
    if (!arena && !ar.commit()) return null;
    return kernel;
  }

  /**
   * Every output the history allows, up to maxOut of them, into byte address `out` (−1: the
   * kernel's own buffer), from and advancing `state`; returns the count.
   */
  produce(taps: number, L: number, M: number, avail: number, out: number, maxOut: number): number {
    return this.k.produce(this.at.history, this.at.table, taps, this.at.state, L, M, avail, out < 0 ? this.at.out : out, maxOut);
  }
}
