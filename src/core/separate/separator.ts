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
 * Above the model's band (over 8 kHz for a 16 kHz model, in a 44.1 kHz song) the voice takes the
 * share its mask gives the model's top octave, and the accompaniment keeps the rest (cymbals above
 * 8 kHz stay there; a singer's sibilants come with the voice): sample-path.ts. Voice +
 * accompaniment = the delayed input, exactly.
 *
 * Every buffer is allocated in the constructor; process() allocates nothing, never throws on bad
 * samples (non-finite input is replaced by 0, input beyond ±INPUT_LIMIT clipped, both counted), never
 * outputs NaN or ±Infinity (a frame whose mask is not in [0, 1] passes the mixture through as
 * accompaniment, counted), and produces exactly as many samples as it takes, `latency` samples late.
 *
 * The parts: the sample path (sample-path.ts: sanitising, the delay line, the resamplers, the voice
 * FIFO and the outputs), the frame path (frame-path.ts: analysis, mask, synthesis) and the encoder
 * (src/core/network/encoders.ts); the delays come from latency.ts.
 *
 * Two implementations of every part, chosen once, at construction (`{ fast }`, default true):
 * - fast: WebAssembly SIMD kernels (the structured encoder, the resampler's inner products, the
 *   frame path, the input's delay line and the output FIFO), all working in one wasm memory so that
 *   buffers pass between them as memmoves, and a frame goes from analysis through the network and
 *   the mask to synthesis without leaving wasm (a dense network's JS encoder reads and writes the
 *   same wasm buffers); JS only orchestrates. No number crosses into JS per frame (V8 would box it:
 *   an allocation).
 * - plain: fft.js and JS loops: the reference, and what runs where WebAssembly SIMD does not.
 * They agree to f32 rounding (tests/unit/fastpath.test.ts holds them to 1e-5); each is independent
 * of the block sizes, bit for bit, and both have the same latency.
 */
import { HEADER_RANGES, inRange, type Model } from '../model/model.ts';
import { createEncoder, type Encoder } from '../network/encoders.ts';
import { loadWasmEncoder } from '../network/encoder-wasm.ts';
import { PresenceGate } from '../signal/presence-gate.ts';
import { loadResampleKernel } from '../signal/resample.ts';
import { FrameBuffer, StftKernel } from '../signal/stft.ts';
import { loadWasmStft, WasmStft } from '../signal/stft-wasm.ts';
import { WasmArena } from '../wasm/loader.ts';
import { guardMask, PlainFramePath, type FramePath } from './frame-path.ts';
import { separatorDelays } from './latency.ts';
import { CHUNK, SamplePath } from './sample-path.ts';

export interface SeparatorOptions {
  /**
   * Use the fast paths where they run (default true): the WebAssembly SIMD encoder, resampler and
   * STFT frame path (window, FFT, masking, overlap-add). false forces the plain JS code everywhere
   * (tests and benchmarks compare the two; the outputs agree to f32 rounding). Where WebAssembly
   * SIMD is missing the plain code runs anyway.
   */
  fast?: boolean;
  /**
   * Above the model's band (input faster than twice its top frequency), give the voice its share
   * of the input there (sample-path.ts; default true). false leaves all of it in the accompaniment,
   * as the separator did before.
   */
  fullBand?: boolean;
  /**
   * Believe the voice mask above 1.6 kHz only while the voice is present below 1.2 kHz
   * (signal/presence-gate.ts; default true). false runs the network's mask as it is.
   */
  presenceGate?: boolean;
}

/**
 * Compiles the fast paths' wasm modules asynchronously. Optional: they compile synchronously on
 * first use, which works in Node, workers and the AudioWorklet; a page's main thread may refuse
 * synchronous compilation of modules over 4 KB (the encoder's and the frame path's are about 5 KB),
 * so a page that builds separators there can await this first. Resolves to true when all of them
 * compiled.
 */
export async function loadFastPaths(): Promise<boolean> {
  const ok = await Promise.all([loadWasmEncoder(), loadResampleKernel(), loadWasmStft()]);
  return ok.every(Boolean);
}

/** What the separator has done since it was built or reset. */
export interface SeparatorCounters {
  frames: number;
  /** Non-finite input samples replaced by silence. */
  badSamples: number;
  /** Finite input samples beyond ±INPUT_LIMIT (sample-path.ts), clipped to it. */
  clippedSamples: number;
  /** Frames whose mask was not a number in [0, 1] (a broken model): voice silent, mixture passed through as accompaniment. */
  badFrames: number;
}

export class Separator {
  readonly model: Model;
  readonly inputRate: number;
  readonly channels: number;
  /** Output sample i is the separation of input sample i − latency. */
  readonly latency: number;
  readonly counters: SeparatorCounters = { frames: 0, badSamples: 0, clippedSamples: 0, badFrames: 0 };

  private readonly path: FramePath;
  private readonly encoder: Encoder;
  private readonly samples: SamplePath;
  /** The frame path's frames, filled hop by hop. */
  private readonly frames: FrameBuffer[];
  private residual: number;
  private readonly gate: PresenceGate | null;

  constructor(model: Model, inputRate: number, channels: number, opts: SeparatorOptions = {}) {
    if (channels !== 1 && channels !== 2) throw new Error(`the separator takes mono or stereo input, not ${channels} channels`);
    const h = model.header;
    const delays = separatorDelays(inputRate, h);
    this.model = model;
    this.inputRate = inputRate;
    this.channels = channels;
    this.latency = delays.latency;
    const kernel = new StftKernel({ fftSize: h.fftSize, hop: h.hop });

    // The parts, all in one wasm memory (an arena) on the fast path; the plain parts if the fast
    // path is off, unavailable, or its memory cannot be had.
    const parts = (fast: boolean) => {
      const arena = fast ? WasmArena.create() : null;
      const stft = arena ? WasmStft.create(arena, kernel, channels, h) : null;
      const path: FramePath = stft ?? new PlainFramePath(kernel, channels, h);
      // The wasm encoder reads the frame path's magnitudes and writes its estimates in place.
      const encoder = createEncoder(model, stft ? { fast, arena: stft.arena, io: stft.encoderIo } : { fast });
      const samples = new SamplePath(channels, inputRate, h, delays, { fast, stft, fullBand: opts.fullBand ?? true });
      if (stft && !stft.arena.commit()) return null;
      return { path, encoder, samples };
    };
    const p = parts(opts.fast ?? true) ?? parts(false)!;
    this.path = p.path;
    this.encoder = p.encoder;
    this.samples = p.samples;
    this.frames = p.path.frames.map((storage) => new FrameBuffer(h.fftSize, h.hop, storage));
    this.residual = h.residualWeight;
    this.gate = (opts.presenceGate ?? true) ? new PresenceGate(h.sampleRate, h.fftSize, h.hop) : null;
    this.reset();
  }

  /** True when the fast paths run (WebAssembly SIMD), false on the plain JS path. */
  get fast(): boolean {
    return this.path.fast;
  }

  /** The normalised magnitudes the network saw in the last frame (read-only; for tests and meters). */
  get networkInput(): Float32Array {
    return this.path.mag;
  }

  /** The voice mask of the last frame (read-only). */
  get lastMask(): Float32Array {
    return this.path.mask;
  }

  /**
   * The mask's residual weight β (masks.ts softMask; the page's Whole voice switch) from the next
   * frame on, or null for the model's own (its header's). Changes nothing else: no reset, no click.
   */
  setResidualWeight(weight: number | null): void {
    const w = weight ?? this.model.header.residualWeight;
    const r = HEADER_RANGES.residualWeight;
    if (!inRange('residualWeight', w)) throw new RangeError(`residual weight ${w}: must be from ${r.min} to ${r.max}`);
    this.path.setResidualWeight(w);
    this.residual = w;
  }

  /** The mask's residual weight now in use. */
  get residualWeight(): number {
    return this.residual;
  }

  /** Back to silence: as if freshly constructed. */
  reset(): void {
    this.path.reset();
    this.gate?.reset();
    for (const f of this.frames) f.reset();
    this.samples.reset();
    this.counters.frames = 0;
    this.counters.badSamples = 0;
    this.counters.clippedSamples = 0;
    this.counters.badFrames = 0;
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
    const C = this.channels, samples = this.samples;
    // Sanitise, remember for the accompaniment, resample to the model's rate.
    const count = samples.ingest(input, at, n, this.counters);
    const modelIn = samples.modelIn;
    // Frame by frame (all channels' frame buffers fill in lockstep).
    for (let i = 0; i < count; ) {
      let taken = 0;
      for (let c = 0; c < C; c++) taken = this.frames[c].write(modelIn[c], i, count - i);
      i += taken;
      if (this.frames[0].full) this.frame();
    }
    // Voice from the FIFO; accompaniment = delayed input − voice.
    samples.emit(voice, accomp, at, n);
  }

  /** One STFT frame: network on the mid spectrum, mask every channel, synthesise. */
  private frame(): void {
    const path = this.path;
    path.analyze();
    this.encoder.run(path.mag, path.voice, path.accomp);
    path.softMask();
    this.counters.badFrames += guardMask(path.mask);
    this.gate?.apply(path.mask, path.mag);
    path.synthesize();
    // The frames' oldest hop is this hop's input as the synthesis delays it (for the band above the model's).
    this.samples.queue(path.out, path.frames, path.mask, path.mag);
    for (const f of this.frames) f.advance();
    this.counters.frames++;
  }
}

/**
 * Whole-signal separation through the streaming separator: the offline path (CLI, evaluation,
 * export) is the real-time path, fed all at once and then flushed with `latency` zeros.
 */
export function separateChannels(model: Model, sampleRate: number, input: Float32Array[], opts: SeparatorOptions = {}): { voice: Float32Array[]; accomp: Float32Array[] } {
  const sep = new Separator(model, sampleRate, input.length, opts);
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
