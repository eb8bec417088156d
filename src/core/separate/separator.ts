/**
 * The separator: the whole real-time path, one sample block in and one out, used unchanged by the
 * AudioWorklet, the page's offline export, the CLI and the evaluation.
 *
 *   input (any rate, mono or stereo)
 *     ─► resample each channel to the model's rate (if needed)
 *     ─► every hop: STFT of each channel; the network sees the mid channel's magnitudes,
 *        normalised by the running input level; its voice/accompaniment estimates give one soft
 *        mask, applied to every channel's spectrum (the stereo image survives)
 *     ─► inverse STFT, overlap-add ─► voice at the model's rate ─► resample back (if needed)
 *   voice = that; accompaniment = input delayed by the same amount − voice
 *
 * The accompaniment keeps the input's full band (a 44.1 kHz song keeps its cymbals above 8 kHz) and
 * voice + accompaniment = the delayed input, exactly.
 *
 * Every buffer is allocated in the constructor; process() allocates nothing, never throws on bad
 * samples (non-finite input is replaced by 0 and counted), and produces exactly as many samples as
 * it takes, `latency` samples late.
 *
 * Two implementations of every step, chosen at construction (`{ fast }`, default true):
 * - fast: WebAssembly SIMD kernels (src/wasm/: the structured encoder, the resampler's inner
 *   products, the window/FFT/level/mask/overlap-add frame path, the input's delay line and the
 *   output FIFO), all working in one wasm memory so that buffers pass between them as memmoves;
 *   JS only orchestrates. No number crosses into JS per frame (V8 would box it: an allocation).
 * - plain: fft.js and JS loops: the reference, and what runs where WebAssembly SIMD does not.
 * They agree to f32 rounding (tests/unit/fastpath.test.ts holds them to 1e-5); each is independent
 * of the block sizes, bit for bit, and both have the same latency.
 */
import { LevelTracker } from '../signal/level.ts';
import { softMask } from '../signal/masks.ts';
import type { Model } from '../model/model.ts';
import { createEncoder, type Encoder } from '../network/encoders.ts';
import { gcd, loadResampleKernel, Resampler } from '../signal/resample.ts';
import { FrameBuffer, OverlapAdd, StftKernel, windowPower } from '../signal/stft.ts';
import { loadWasmEncoder } from '../network/encoder-wasm.ts';
import { WasmArena } from '../wasm/loader.ts';
import { loadWasmStft, WasmStft } from '../signal/stft-wasm.ts';

/** Largest block handled in one pass; longer calls are split (bounds the scratch buffers). */
const CHUNK = 4096;
/** The Web Audio render quantum: blocks of this size are copied in and out with one memcpy. */
const QUANTUM = 128;

export interface SeparatorOptions {
  /**
   * Use the fast paths where they run (default true): the WebAssembly SIMD encoder, resampler and
   * STFT frame path (window, FFT, masking, overlap-add). false forces the plain JS code everywhere
   * (tests and benchmarks compare the two; the outputs agree to f32 rounding). Where WebAssembly
   * SIMD is missing the plain code runs anyway.
   */
  fast?: boolean;
}

/**
 * Compiles the fast paths' wasm modules asynchronously. Optional: they compile synchronously on
 * first use, which works in Node, workers and the AudioWorklet; a page's main thread may refuse
 * synchronous compilation of modules over 4 KB (the encoder's is about 5 KB), so a page that builds
 * separators there can await this first. Resolves to true when all of them compiled.
 */
export async function loadFastPaths(): Promise<boolean> {
  const ok = await Promise.all([loadWasmEncoder(), loadResampleKernel(), loadWasmStft()]);
  return ok.every(Boolean);
}

/**
 * The delay of the resampling and STFT path, in input samples: resampling delays are chosen so that
 * the whole path delays by an integer number of them: Δ = d/L + ((N − H)·M + a)/L, with
 * L/M = modelRate/inputRate, d = 0 (the down-sampler) and a (the up-sampler's delay numerator) the
 * smallest non-negative value making (N − H)·M + a divisible by L.
 */
export function pathDelay(inputRate: number, h: { sampleRate: number; fftSize: number; hop: number }): { delta: number; a: number } {
  const N = h.fftSize, H = h.hop;
  if (inputRate === h.sampleRate) return { delta: N - H, a: 0 };
  const g = gcd(inputRate, h.sampleRate);
  const L = h.sampleRate / g, M = inputRate / g;
  const a = (((-(N - H) * M) % L) + L) % L;
  return { delta: ((N - H) * M + a) / L, a };
}

export interface SeparatorStats {
  frames: number;
  /** Non-finite input samples replaced by silence. */
  badSamples: number;
}

export class Separator {
  readonly model: Model;
  readonly inputRate: number;
  readonly channels: number;
  /** Output sample i is the separation of input sample i − latency. */
  readonly latency: number;
  readonly stats: SeparatorStats = { frames: 0, badSamples: 0 };

  private readonly kernel: StftKernel;
  private readonly encoder: Encoder;
  private readonly level: LevelTracker;
  private readonly spectrumScale: number;
  private readonly down: Resampler[] | null;
  private readonly up: Resampler[] | null;
  private readonly frames: FrameBuffer[];
  private readonly ola: OverlapAdd[];
  /**
   * The fast path's signal path in wasm (frames, FFT, masks, overlap-add, sample rings), with every
   * buffer below that it touches in one wasm memory shared with the encoder and the resamplers; null
   * on the plain path (fft.js and JS loops).
   */
  private readonly dsp: WasmStft | null;
  // Scratch, all preallocated (views of the wasm memory on the fast path, where noted).
  private readonly clean: Float32Array[]; // wasm
  private readonly modelIn: Float32Array[]; // wasm
  private readonly windowed: Float64Array[];
  private readonly re: Float32Array[];
  private readonly im: Float32Array[];
  private readonly timeFrame: Float64Array[];
  private readonly modelVoice: Float32Array[]; // wasm
  private readonly upOut: Float32Array[]; // wasm
  private readonly mag: Float32Array; // wasm
  private readonly voiceMag: Float32Array;
  private readonly accompMag: Float32Array;
  private readonly mask: Float32Array; // wasm
  /** Fast path: voice and accompaniment of a chunk (CHUNK samples), and views of their first QUANTUM (wasm). */
  private readonly voiceOut: Float32Array[];
  private readonly accompOut: Float32Array[];
  private readonly voiceQuantum: Float32Array[];
  private readonly accompQuantum: Float32Array[];
  // Output side: a FIFO of voice at the input rate and a delay line of the input, per channel (wasm).
  private readonly fifo: Float32Array[];
  private readonly fifoMask: number;
  private fifoRead = 0;
  private fifoWrite = 0;
  private readonly delayLine: Float32Array[];
  private readonly delayMask: number;
  private delayWrite = 0;
  private readonly prefill: number;

  constructor(model: Model, inputRate: number, channels: number, opts: SeparatorOptions = {}) {
    if (channels !== 1 && channels !== 2) throw new Error(`the separator takes mono or stereo input, not ${channels} channels`);
    if (!(Number.isInteger(inputRate) && inputRate >= 3000 && inputRate <= 768000)) throw new Error(`unsupported sample rate ${inputRate} Hz`);
    const h = model.header;
    this.model = model;
    this.inputRate = inputRate;
    this.channels = channels;
    this.kernel = new StftKernel({ fftSize: h.fftSize, hop: h.hop });
    this.level = new LevelTracker(h.levelTau, h.sampleRate / h.hop);
    this.spectrumScale = 1 / Math.sqrt(windowPower(this.kernel.analysis));
    const N = h.fftSize, H = h.hop, m = h.m;

    const { delta, a } = pathDelay(inputRate, h);
    const sizes = {
      modelIn: Math.ceil((CHUNK * h.sampleRate) / inputRate) + 2,
      upOut: Math.ceil((H * inputRate) / h.sampleRate) + 2,
    };

    // The parts that have a fast path, all in one wasm memory (an arena); the plain parts if the
    // fast path is off, unavailable, or its memory cannot be had.
    const parts = (fast: boolean) => {
      let arena = fast ? WasmArena.create() : null;
      const dsp = arena ? WasmStft.create(arena, this.kernel.analysis, this.kernel.synthesis, H, channels, h.levelTau, h.sampleRate / h.hop) : null;
      if (!dsp) arena = null;
      const shared = { fast, arena: arena ?? undefined };
      const encoder = createEncoder(model, shared);
      const down = inputRate === h.sampleRate ? null : Array.from({ length: channels }, () => new Resampler(inputRate, h.sampleRate, { delayNumerator: 0, ...shared }));
      const up = inputRate === h.sampleRate ? null : Array.from({ length: channels }, () => new Resampler(h.sampleRate, inputRate, { delayNumerator: a, ...shared }));
      const prefill = planPrefill(H, down?.[0] ?? null, up?.[0] ?? null);
      const latency = delta + prefill;
      const fifoSize = nextPow2(prefill + CHUNK + sizes.upOut * (Math.ceil(sizes.modelIn / H) + 2) + 16);
      const delaySize = nextPow2(latency + CHUNK + 1);
      // Buffers: in the arena (views once it commits) or plain arrays.
      const buffers: Record<'clean' | 'modelIn' | 'upOut' | 'fifo' | 'delayLine' | 'voiceOut' | 'accompOut', Float32Array[]> = {
        clean: [], modelIn: [], upOut: [], fifo: [], delayLine: [], voiceOut: [], accompOut: [],
      };
      const lengths = { clean: CHUNK, modelIn: sizes.modelIn, upOut: sizes.upOut, fifo: fifoSize, delayLine: delaySize, voiceOut: CHUNK, accompOut: CHUNK };
      for (const [name, len] of Object.entries(lengths) as [keyof typeof buffers, number][]) {
        for (let c = 0; c < channels; c++) {
          if (!arena) {
            if (name !== 'voiceOut' && name !== 'accompOut') buffers[name].push(new Float32Array(len));
            continue;
          }
          const ar = arena, at = ar.reserve(len);
          ar.onCommit(() => buffers[name].push(ar.f32(at, len)));
        }
      }
      if (arena && !arena.commit()) return null;
      return { dsp, encoder, down, up, prefill, latency, fifoSize, delaySize, buffers };
    };
    const p = parts(opts.fast ?? true) ?? parts(false)!;
    this.dsp = p.dsp;
    this.encoder = p.encoder;
    this.down = p.down;
    this.up = p.up;
    this.prefill = p.prefill;
    this.latency = p.latency;
    const dsp = p.dsp;
    this.frames = Array.from({ length: channels }, (_, c) => new FrameBuffer(N, H, dsp?.frames[c]));
    this.ola = Array.from({ length: channels }, () => new OverlapAdd(this.kernel));
    const alloc32 = (n: number) => Array.from({ length: channels }, () => new Float32Array(n));
    this.clean = p.buffers.clean;
    this.modelIn = p.buffers.modelIn;
    this.upOut = p.buffers.upOut;
    this.fifo = p.buffers.fifo;
    this.fifoMask = p.fifoSize - 1;
    this.delayLine = p.buffers.delayLine;
    this.delayMask = p.delaySize - 1;
    this.voiceOut = p.buffers.voiceOut;
    this.accompOut = p.buffers.accompOut;
    this.voiceQuantum = this.voiceOut.map((v) => v.subarray(0, QUANTUM));
    this.accompQuantum = this.accompOut.map((v) => v.subarray(0, QUANTUM));
    this.windowed = dsp ? [] : Array.from({ length: channels }, () => new Float64Array(N));
    this.re = dsp ? [] : alloc32(m);
    this.im = dsp ? [] : alloc32(m);
    this.timeFrame = dsp ? [] : Array.from({ length: channels }, () => new Float64Array(N));
    this.modelVoice = dsp ? dsp.out : alloc32(H);
    this.mag = dsp ? dsp.mag : new Float32Array(m);
    this.voiceMag = new Float32Array(m);
    this.accompMag = new Float32Array(m);
    this.mask = dsp ? dsp.mask : new Float32Array(m);
    this.reset();
  }

  /** True when the fast paths run (WebAssembly SIMD), false on the plain JS path. */
  get fast(): boolean {
    return this.dsp !== null;
  }

  /** The normalised magnitudes the network saw in the last frame (read-only; for tests and meters). */
  get networkInput(): Float32Array {
    return this.mag;
  }

  /** The voice mask of the last frame (read-only). */
  get lastMask(): Float32Array {
    return this.mask;
  }

  /** Back to silence: as if freshly constructed. */
  reset(): void {
    this.level.reset();
    for (const f of this.frames) f.reset();
    for (const o of this.ola) o.reset();
    this.dsp?.reset();
    for (const r of this.down ?? []) r.reset();
    for (const r of this.up ?? []) r.reset();
    for (const f of this.fifo) f.fill(0);
    for (const d of this.delayLine) d.fill(0);
    this.fifoRead = 0;
    this.fifoWrite = this.prefill;
    this.delayWrite = 0;
    this.stats.frames = 0;
    this.stats.badSamples = 0;
  }

  /**
   * Separates n samples of each input channel into voice and accompaniment (n samples each per
   * channel). Arrays may be longer than n; voice and accompaniment may not alias the input.
   */
  process(input: readonly Float32Array[], voice: readonly Float32Array[], accomp: readonly Float32Array[], n: number): void {
    for (let done = 0; done < n; ) {
      const len = Math.min(CHUNK, n - done);
      this.processChunk(input, voice, accomp, done, len);
      done += len;
    }
  }

  private processChunk(input: readonly Float32Array[], voice: readonly Float32Array[], accomp: readonly Float32Array[], at: number, n: number): void {
    const C = this.channels, dsp = this.dsp;
    // 1. Sanitise the input and remember it for the accompaniment.
    for (let c = 0; c < C; c++) {
      const src = input[c], dst = this.clean[c], line = this.delayLine[c];
      if (dsp) {
        if (at === 0 && src.length === n) dst.set(src); // a whole render quantum: one memcpy
        else for (let i = 0; i < n; i++) dst[i] = src[at + i];
        this.stats.badSamples += dsp.ingest(dst, n, line, this.delayWrite);
        continue;
      }
      let w = this.delayWrite;
      for (let i = 0; i < n; i++) {
        let x = src[at + i];
        if (x - x !== 0) { x = 0; this.stats.badSamples++; } // NaN or ±Infinity
        dst[i] = x;
        line[w] = x;
        w = (w + 1) & this.delayMask;
      }
    }
    // 2. To the model's rate (all channels' resamplers move in lockstep).
    let count = n;
    if (this.down) {
      for (let c = 0; c < C; c++) count = this.down[c].process(this.clean[c], n, this.modelIn[c]);
    }
    const modelIn = this.down ? this.modelIn : this.clean;
    // 3. Frame by frame (all channels' frame buffers fill in lockstep).
    for (let i = 0; i < count; ) {
      let taken = 0;
      for (let c = 0; c < C; c++) taken = this.frames[c].write(modelIn[c], i, count - i);
      i += taken;
      if (this.frames[0].full) this.frame();
    }
    // 4. Read voice from the FIFO; accompaniment = delayed input − voice.
    // The sample written `latency` samples before input i sits `latency` slots behind it.
    const d0 = (this.delayWrite - this.latency + this.delayMask + 1) & this.delayMask;
    for (let c = 0; c < C; c++) {
      const fifo = this.fifo[c], line = this.delayLine[c], v = voice[c], a = accomp[c];
      if (dsp) {
        const vo = this.voiceOut[c], ao = this.accompOut[c];
        dsp.emit(fifo, this.fifoRead, line, d0, vo, ao, n);
        if ((n === QUANTUM || n === CHUNK) && v.length >= at + n && a.length >= at + n) {
          // One memcpy each (views of exactly n samples exist for these two sizes).
          v.set(n === QUANTUM ? this.voiceQuantum[c] : vo, at);
          a.set(n === QUANTUM ? this.accompQuantum[c] : ao, at);
        } else {
          for (let i = 0; i < n; i++) {
            v[at + i] = vo[i];
            a[at + i] = ao[i];
          }
        }
        continue;
      }
      let r = this.fifoRead, d = d0;
      for (let i = 0; i < n; i++) {
        const y = fifo[r];
        v[at + i] = y;
        a[at + i] = line[d] - y;
        r = (r + 1) & this.fifoMask;
        d = (d + 1) & this.delayMask;
      }
    }
    this.fifoRead = (this.fifoRead + n) & this.fifoMask;
    this.delayWrite = (this.delayWrite + n) & this.delayMask;
  }

  /** One STFT frame: network on the mid spectrum, mask every channel, synthesise. */
  private frame(): void {
    const C = this.channels, H = this.kernel.hop;
    if (this.dsp) this.frameFast();
    else this.framePlain();
    for (let c = 0; c < C; c++) {
      let produced = H;
      let src = this.modelVoice[c];
      if (this.up) {
        produced = this.up[c].process(this.modelVoice[c], H, this.upOut[c]);
        src = this.upOut[c];
      }
      const fifo = this.fifo[c];
      let wr = this.fifoWrite;
      if (this.dsp) {
        // Both in wasm memory: at most two memmoves.
        const heap = this.dsp.arena.heap, s0 = src.byteOffset >> 2, f0 = fifo.byteOffset >> 2;
        const first = Math.min(produced, this.fifoMask + 1 - wr);
        heap.copyWithin(f0 + wr, s0, s0 + first);
        heap.copyWithin(f0, s0 + first, s0 + produced);
        wr = (wr + produced) & this.fifoMask;
      } else {
        for (let i = 0; i < produced; i++) {
          fifo[wr] = src[i];
          wr = (wr + 1) & this.fifoMask;
        }
      }
      if (c === C - 1) this.fifoWrite = wr;
    }
    this.stats.frames++;
  }

  /** The frame in wasm: the same steps as {@link framePlain}, in f32 SIMD (the level in f64, as in JS). */
  private frameFast(): void {
    const dsp = this.dsp!;
    dsp.analyze(); // window, FFT, level, magnitudes: no numbers cross (no boxed doubles, no allocation)
    for (let c = 0; c < this.channels; c++) this.frames[c].advance();
    this.encoder.run(this.mag, this.voiceMag, this.accompMag);
    softMask(this.voiceMag, this.accompMag, this.model.header.maskPower, this.mask);
    dsp.synthesize();
  }

  private framePlain(): void {
    const C = this.channels, k = this.kernel, N = k.fftSize, m = k.bins;
    const w = k.analysis;
    let power = 0;
    for (let c = 0; c < C; c++) {
      const src = this.frames[c].samples, dst = this.windowed[c];
      for (let i = 0; i < N; i++) dst[i] = src[i] * w[i];
    }
    // Level of the mid signal, from the windowed frames: Σ(w·mid)² / Σw².
    const mid0 = this.windowed[0], mid1 = this.windowed[C - 1];
    for (let i = 0; i < N; i++) {
      const x = 0.5 * (mid0[i] + mid1[i]);
      power += x * x;
    }
    power *= this.spectrumScale * this.spectrumScale;
    if (C === 2) k.fft.forwardPair(this.windowed[0], this.windowed[1], this.re[0], this.im[0], this.re[1], this.im[1]);
    else k.fft.forward(this.windowed[0], this.re[0], this.im[0]);
    for (const f of this.frames) f.advance();

    const g = this.level.gain(power) * this.spectrumScale;
    const re0 = this.re[0], im0 = this.im[0], re1 = this.re[C - 1], im1 = this.im[C - 1], mag = this.mag;
    for (let i = 0; i < m; i++) {
      const r = 0.5 * (re0[i] + re1[i]), im = 0.5 * (im0[i] + im1[i]);
      mag[i] = Math.sqrt(r * r + im * im) * g;
    }
    this.encoder.run(mag, this.voiceMag, this.accompMag);
    softMask(this.voiceMag, this.accompMag, this.model.header.maskPower, this.mask);

    const mask = this.mask;
    for (let c = 0; c < C; c++) {
      const re = this.re[c], im = this.im[c];
      for (let i = 0; i < m; i++) {
        re[i] *= mask[i];
        im[i] *= mask[i];
      }
    }
    if (C === 2) k.fft.inversePair(this.re[0], this.im[0], this.re[1], this.im[1], this.timeFrame[0], this.timeFrame[1]);
    else k.fft.inverse(this.re[0], this.im[0], this.timeFrame[0]);
    for (let c = 0; c < C; c++) this.ola[c].add(this.timeFrame[c], this.modelVoice[c]);
  }

}

/**
 * Zeros the voice FIFO must start with so that it never runs dry, whatever the block sizes:
 * the largest shortfall, over every input count n, of voice samples produced after n inputs.
 */
function planPrefill(H: number, down: Resampler | null, up: Resampler | null): number {
  // Production repeats every M·H input samples (L·H model samples: whole frames, whole phases);
  // two periods after the start-up cover every case. Walked incrementally: the model samples out of
  // n inputs (down.outputsAfter(n)) only grow with n, and the voice out of them changes once a hop.
  const period = down ? down.M * H : H;
  let worst = 0, modelSamples = 0, voiceModel = -1, produced = 0;
  for (let n = 1; n <= 2 * period + 2 * H; n++) {
    if (down) while (down.inputNeededFor(modelSamples) <= n) modelSamples++;
    else modelSamples = n;
    const v = Math.floor(modelSamples / H) * H;
    if (v !== voiceModel) {
      voiceModel = v;
      produced = up ? up.outputsAfter(v) : v;
    }
    worst = Math.max(worst, n - produced);
  }
  return worst;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * Whole-signal separation through the streaming separator: the offline path (CLI, evaluation,
 * export) is the real-time path, fed all at once and then flushed with `latency` zeros.
 */
export function separateChannels(model: Model, sampleRate: number, input: Float32Array[]): { voice: Float32Array[]; accomp: Float32Array[] } {
  const sep = new Separator(model, sampleRate, input.length);
  const len = input[0].length, total = len + sep.latency;
  const padded = input.map((ch) => {
    const p = new Float32Array(total);
    p.set(ch);
    return p;
  });
  const voiceFull = input.map(() => new Float32Array(total));
  const accompFull = input.map(() => new Float32Array(total));
  sep.process(padded, voiceFull, accompFull, total);
  return {
    voice: voiceFull.map((v) => v.slice(sep.latency)),
    accomp: accompFull.map((a) => a.slice(sep.latency)),
  };
}
