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
 */
import { LevelTracker } from './level.ts';
import { softMask } from './masks.ts';
import type { Model } from './model.ts';
import { createEncoder, type Encoder } from './network.ts';
import { gcd, Resampler } from './resample.ts';
import { FrameBuffer, OverlapAdd, StftKernel, windowPower } from './stft.ts';

/** Largest block handled in one pass; longer calls are split (bounds the scratch buffers). */
const CHUNK = 4096;

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
  // Scratch, all preallocated.
  private readonly clean: Float32Array[];
  private readonly modelIn: Float32Array[];
  private readonly windowed: Float64Array[];
  private readonly re: Float32Array[];
  private readonly im: Float32Array[];
  private readonly timeFrame: Float64Array[];
  private readonly modelVoice: Float32Array[];
  private readonly upOut: Float32Array[];
  private readonly mag: Float32Array;
  private readonly voiceMag: Float32Array;
  private readonly accompMag: Float32Array;
  private readonly mask: Float32Array;
  // Output side: a FIFO of voice at the input rate and a delay line of the input, per channel.
  private readonly fifo: Float32Array[];
  private readonly fifoMask: number;
  private fifoRead = 0;
  private fifoWrite = 0;
  private readonly delayLine: Float32Array[];
  private readonly delayMask: number;
  private delayWrite = 0;
  private readonly prefill: number;

  constructor(model: Model, inputRate: number, channels: number) {
    if (channels !== 1 && channels !== 2) throw new Error(`the separator takes mono or stereo input, not ${channels} channels`);
    if (!(Number.isInteger(inputRate) && inputRate >= 3000 && inputRate <= 768000)) throw new Error(`unsupported sample rate ${inputRate} Hz`);
    const h = model.header;
    this.model = model;
    this.inputRate = inputRate;
    this.channels = channels;
    this.kernel = new StftKernel({ fftSize: h.fftSize, hop: h.hop });
    this.encoder = createEncoder(model);
    this.level = new LevelTracker(h.levelTau, h.sampleRate / h.hop);
    this.spectrumScale = 1 / Math.sqrt(windowPower(this.kernel.analysis));
    const N = h.fftSize, H = h.hop, m = h.m;

    // Resampling with delays chosen so that the whole path delays by an integer number of input
    // samples: Δ = d/L + ((N − H)·M + a)/L, with L/M = modelRate/inputRate. d = 0; a is the
    // smallest non-negative value making (N − H)·M + a divisible by L.
    let delta: number;
    if (inputRate === h.sampleRate) {
      this.down = this.up = null;
      delta = N - H;
    } else {
      const g = gcd(inputRate, h.sampleRate);
      const L = h.sampleRate / g, M = inputRate / g;
      const a = (((-(N - H) * M) % L) + L) % L;
      this.down = Array.from({ length: channels }, () => new Resampler(inputRate, h.sampleRate, { delayNumerator: 0 }));
      this.up = Array.from({ length: channels }, () => new Resampler(h.sampleRate, inputRate, { delayNumerator: a }));
      delta = ((N - H) * M + a) / L;
    }
    this.prefill = this.planPrefill();
    this.latency = delta + this.prefill;

    this.frames = Array.from({ length: channels }, () => new FrameBuffer(N, H));
    this.ola = Array.from({ length: channels }, () => new OverlapAdd(this.kernel));
    const alloc32 = (n: number) => Array.from({ length: channels }, () => new Float32Array(n));
    this.clean = alloc32(CHUNK);
    this.modelIn = alloc32(Math.ceil((CHUNK * h.sampleRate) / inputRate) + 2);
    this.windowed = Array.from({ length: channels }, () => new Float64Array(N));
    this.re = alloc32(m);
    this.im = alloc32(m);
    this.timeFrame = Array.from({ length: channels }, () => new Float64Array(N));
    this.modelVoice = alloc32(H);
    this.upOut = alloc32(Math.ceil((H * inputRate) / h.sampleRate) + 2);
    this.mag = new Float32Array(m);
    this.voiceMag = new Float32Array(m);
    this.accompMag = new Float32Array(m);
    this.mask = new Float32Array(m);
    const fifoSize = nextPow2(this.prefill + CHUNK + this.upOut[0].length * (Math.ceil(this.modelIn[0].length / H) + 2) + 16);
    this.fifo = alloc32(fifoSize);
    this.fifoMask = fifoSize - 1;
    const delaySize = nextPow2(this.latency + CHUNK + 1);
    this.delayLine = alloc32(delaySize);
    this.delayMask = delaySize - 1;
    this.reset();
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
    const C = this.channels;
    // 1. Sanitise the input and remember it for the accompaniment.
    for (let c = 0; c < C; c++) {
      const src = input[c], dst = this.clean[c], line = this.delayLine[c];
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
    // 3. Frame by frame.
    for (let i = 0; i < count; i++) {
      let ready = false;
      for (let c = 0; c < C; c++) ready = this.frames[c].push(modelIn[c][i]);
      if (ready) this.frame();
    }
    // 4. Read voice from the FIFO; accompaniment = delayed input − voice.
    for (let c = 0; c < C; c++) {
      const fifo = this.fifo[c], line = this.delayLine[c], v = voice[c], a = accomp[c];
      let r = this.fifoRead;
      // The sample written `latency` samples before input i sits `latency` slots behind it.
      let d = (this.delayWrite - this.latency + this.delayMask + 1) & this.delayMask;
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
    const C = this.channels, k = this.kernel, N = k.fftSize, H = k.hop, m = k.bins;
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
    for (let c = 0; c < C; c++) {
      this.ola[c].add(this.timeFrame[c], this.modelVoice[c]);
      let produced = H;
      let src = this.modelVoice[c];
      if (this.up) {
        produced = this.up[c].process(this.modelVoice[c], H, this.upOut[c]);
        src = this.upOut[c];
      }
      const fifo = this.fifo[c];
      let wr = this.fifoWrite;
      for (let i = 0; i < produced; i++) {
        fifo[wr] = src[i];
        wr = (wr + 1) & this.fifoMask;
      }
      if (c === C - 1) this.fifoWrite = wr;
    }
    this.stats.frames++;
  }

  /**
   * Zeros the voice FIFO must start with so that it never runs dry, whatever the block sizes:
   * the largest shortfall, over every input count n, of voice samples produced after n inputs.
   */
  private planPrefill(): number {
    const H = this.model.header.hop;
    const down = this.down?.[0], up = this.up?.[0];
    // Production repeats every M·H input samples (L·H model samples: whole frames, whole phases);
    // two periods after the start-up cover every case.
    const period = down ? down.M * H : H;
    let worst = 0;
    for (let n = 1; n <= 2 * period + 2 * H; n++) {
      const modelSamples = down ? down.outputsAfter(n) : n;
      const voiceModel = Math.floor(modelSamples / H) * H;
      const produced = up ? up.outputsAfter(voiceModel) : voiceModel;
      worst = Math.max(worst, n - produced);
    }
    return worst;
  }
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
