/**
 * The streaming separator's sample side, at the input's rate, around the frame path (frame-path.ts):
 *
 *   input ─ingest()─► non-finite samples → 0, beyond ±INPUT_LIMIT → ±INPUT_LIMIT ─► delay line
 *                                          └──► resampled to the model's rate ─► modelIn (to the frames)
 *   frames' voice ─queue()─► resampled to the input's rate ─► voice FIFO
 *   voice FIFO, delay line ─emit()─► voice; accompaniment = the delayed input − voice
 *
 * Above the model's band (a 44.1 kHz song through a 16 kHz model: everything over 8 kHz), the
 * frames never see the input, and the voice would keep none of it. With `fullBand`, the voice
 * takes a share of it as well: the input above the band (the delayed input − the frames' own
 * input, band-limited by the same resampling, so aligned with the voice to the sample) times the
 * voice mask's mean over the model's top octave (4–8 kHz), weighted by the mixture's energy there,
 * ramped across each hop. Sibilants and breath above 8 kHz come with a voice whose 4–8 kHz is voice;
 * a band that is not voice there stays in the accompaniment.
 *
 * The FIFO starts with `prefill` zeros and the delay line is read `latency` samples behind its
 * newest sample (latency.ts), so the outputs are the separation of the input `latency` samples
 * earlier, whatever the block sizes.
 *
 * One class for both implementations; only the loops over samples differ ({@link SampleKernels}):
 * JS loops, or the wasm kernel's (WasmStft.ingest/emit/emitFullBand) with every buffer in the wasm arena, so that
 * the copies between them are memmoves and no number crosses into JS per sample or frame.
 */
import type { ModelHeader } from '../model/model.ts';
import { Resampler } from '../signal/resample.ts';
import type { WasmStft } from '../signal/stft-wasm.ts';
import type { WasmArena } from '../wasm/loader.ts';
import { nextPow2, type SeparatorDelays } from './latency.ts';

/**
 * The largest input magnitude the separator takes (+12 dBFS): a finite sample beyond it is clipped
 * to ±INPUT_LIMIT (and counted). Real audio, overs of decoded MP3s and float masters included, stays
 * below it and passes bit for bit; what it stops is garbage (1e30, 3.4e38, int16-scale samples)
 * reaching the level tracker (src/core/signal/level.ts), whose 4-second memory it would fill for
 * minutes, and overflowing the f32 FFT into NaN. With it the tracker's level never exceeds
 * INPUT_LIMIT², and every spectrum, and so every output, stays finite.
 */
export const INPUT_LIMIT = 4;

/**
 * One input sample as the separator takes it: non-finite → 0, beyond ±INPUT_LIMIT → ±INPUT_LIMIT,
 * anything else unchanged (the sample path's kernels, JS and wasm, and batch.ts compute exactly this).
 */
export function cleanSample(x: number): number {
  if (x <= INPUT_LIMIT && x >= -INPUT_LIMIT) return x;
  return x - x !== 0 ? 0 : x > 0 ? INPUT_LIMIT : -INPUT_LIMIT;
}

/** The count a sanitise kernel returns: non-finite + CLIPPED_UNIT · clipped (a block is < CLIPPED_UNIT samples). */
const CLIPPED_UNIT = 65536;

/**
 * The voice's gain above the model's band for one frame, into out[at]: its mask over the model's
 * top octave, weighted by the mixture's energy there (0 in silence). Written, not returned: a
 * double returned from a call V8 does not inline is boxed (an allocation on the audio thread).
 */
export function highBandGain(mask: Float32Array, mag: Float32Array, out: Float64Array, at: number): void {
  const m = mask.length;
  let num = 0, den = 0;
  for (let i = (m - 1) >> 1; i < m; i++) {
    const e = mag[i] * mag[i];
    num += mask[i] * e;
    den += e;
  }
  out[at] = den > 0 ? num / den : 0;
}

/** Largest block handled in one pass; longer calls are split (bounds the scratch buffers). */
export const CHUNK = 4096;
/** The Web Audio render quantum: blocks of this size are copied in and out with one memcpy. */
const QUANTUM = 128;

/** The per-sample loops of the sample path (rings are powers of two long and wrap). */
interface SampleKernels {
  /**
   * dst[i] = cleanSample(src[at + i]), also into ring from w on, for i < n; returns how many were
   * replaced, as non-finite + CLIPPED_UNIT · clipped.
   */
  sanitise(src: Float32Array, at: number, n: number, dst: Float32Array, ring: Float32Array, w: number): number;
  /** ring[w + i] = src[i] for i < n. */
  enqueue(src: Float32Array, n: number, ring: Float32Array, w: number): void;
  /** voice[at + i] = fifo[r + i], accomp[at + i] = line[d + i] − fifo[r + i] for i < n. */
  emit(fifo: Float32Array, r: number, line: Float32Array, d: number, voice: Float32Array, accomp: Float32Array, at: number, n: number): void;
  /**
   * emit() with the voice's share of the band above the model's: with x = line[d + i],
   * voice[at + i] = fifo[r + i] + gain[r + i]·(x − low[r + i]), accomp[at + i] = x − voice[at + i]
   * (fifo, low and gain: rings of one length), in f64 and rounded once (both kernels alike).
   */
  emitFullBand(fifo: Float32Array, low: Float32Array, gain: Float32Array, r: number, line: Float32Array, d: number, voice: Float32Array, accomp: Float32Array, at: number, n: number): void;
}

const plainKernels: SampleKernels = {
  sanitise(src, at, n, dst, ring, w) {
    const mask = ring.length - 1;
    let bad = 0, clipped = 0;
    for (let i = 0; i < n; i++) {
      let x = src[at + i];
      if (!(x <= INPUT_LIMIT && x >= -INPUT_LIMIT)) {
        if (x - x !== 0) bad++; // NaN or ±Infinity
        else clipped++;
        x = cleanSample(x);
      }
      dst[i] = x;
      ring[w] = x;
      w = (w + 1) & mask;
    }
    return bad + CLIPPED_UNIT * clipped;
  },
  enqueue(src, n, ring, w) {
    const mask = ring.length - 1;
    for (let i = 0; i < n; i++) {
      ring[w] = src[i];
      w = (w + 1) & mask;
    }
  },
  emit(fifo, r, line, d, voice, accomp, at, n) {
    const fifoMask = fifo.length - 1, lineMask = line.length - 1;
    for (let i = 0; i < n; i++) {
      const y = fifo[r];
      voice[at + i] = y;
      accomp[at + i] = line[d] - y;
      r = (r + 1) & fifoMask;
      d = (d + 1) & lineMask;
    }
  },
  emitFullBand(fifo, low, gain, r, line, d, voice, accomp, at, n) {
    const fifoMask = fifo.length - 1, lineMask = line.length - 1;
    for (let i = 0; i < n; i++) {
      const x = line[d], y = fifo[r] + gain[r] * (x - low[r]);
      voice[at + i] = y;
      accomp[at + i] = x - y;
      r = (r + 1) & fifoMask;
      d = (d + 1) & lineMask;
    }
  },
};

/** The wasm kernel's loops; every ring and buffer handed to them is a view of its arena. */
class WasmSampleKernels implements SampleKernels {
  /** The outputs of one channel's emit (CHUNK samples), and views of their first QUANTUM. */
  private voice: Float32Array = new Float32Array(0);
  private accomp: Float32Array = new Float32Array(0);
  private voiceQuantum: Float32Array = new Float32Array(0);
  private accompQuantum: Float32Array = new Float32Array(0);

  constructor(private readonly stft: WasmStft) {
    const arena = stft.arena, v = arena.reserve(CHUNK), a = arena.reserve(CHUNK);
    arena.onCommit(() => {
      this.voice = arena.f32(v, CHUNK);
      this.accomp = arena.f32(a, CHUNK);
      this.voiceQuantum = this.voice.subarray(0, QUANTUM);
      this.accompQuantum = this.accomp.subarray(0, QUANTUM);
    });
  }

  sanitise(src: Float32Array, at: number, n: number, dst: Float32Array, ring: Float32Array, w: number): number {
    if (at === 0 && src.length === n) dst.set(src); // a whole render quantum: one memcpy
    else for (let i = 0; i < n; i++) dst[i] = src[at + i];
    return this.stft.ingest(dst, n, ring, w, INPUT_LIMIT);
  }

  enqueue(src: Float32Array, n: number, ring: Float32Array, w: number): void {
    // Both in wasm memory: at most two memmoves.
    const heap = this.stft.arena.heap, s0 = src.byteOffset >> 2, r0 = ring.byteOffset >> 2;
    const first = Math.min(n, ring.length - w);
    heap.copyWithin(r0 + w, s0, s0 + first);
    heap.copyWithin(r0, s0 + first, s0 + n);
  }

  emit(fifo: Float32Array, r: number, line: Float32Array, d: number, voice: Float32Array, accomp: Float32Array, at: number, n: number): void {
    this.stft.emit(fifo, r, line, d, this.voice, this.accomp, n);
    this.copyOut(voice, accomp, at, n);
  }

  emitFullBand(fifo: Float32Array, low: Float32Array, gain: Float32Array, r: number, line: Float32Array, d: number, voice: Float32Array, accomp: Float32Array, at: number, n: number): void {
    this.stft.emitFullBand(fifo, low, gain, r, line, d, this.voice, this.accomp, n);
    this.copyOut(voice, accomp, at, n);
  }

  /** The kernel's n outputs into voice and accomp from index at. */
  private copyOut(voice: Float32Array, accomp: Float32Array, at: number, n: number): void {
    const vo = this.voice, ao = this.accomp;
    if ((n === QUANTUM || n === CHUNK) && voice.length >= at + n && accomp.length >= at + n) {
      // One memcpy each (views of exactly n samples exist for these two sizes).
      voice.set(n === QUANTUM ? this.voiceQuantum : vo, at);
      accomp.set(n === QUANTUM ? this.accompQuantum : ao, at);
    } else {
      for (let i = 0; i < n; i++) {
        voice[at + i] = vo[i];
        accomp[at + i] = ao[i];
      }
    }
  }
}

/** `channels` buffers of `length` floats: views of the arena once it commits, or plain arrays. */
function buffers(arena: WasmArena | undefined, channels: number, length: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) {
    if (!arena) {
      out.push(new Float32Array(length));
      continue;
    }
    const at = arena.reserve(length);
    arena.onCommit(() => out.push(arena.f32(at, length)));
  }
  return out;
}

export class SamplePath {
  /** The last ingest()'s samples at the model's rate, per channel. */
  readonly modelIn: Float32Array[];
  private readonly hop: number;
  private readonly latency: number;
  private readonly prefill: number;
  private readonly kernels: SampleKernels;
  private readonly down: Resampler[] | null;
  private readonly up: Resampler[] | null;
  private readonly clean: Float32Array[];
  private readonly upOut: Float32Array[];
  private readonly fifo: Float32Array[];
  private readonly fifoMask: number;
  private fifoRead = 0;
  private fifoWrite: number;
  private readonly line: Float32Array[];
  private readonly lineMask: number;
  private lineWrite = 0;
  /** The band above the model's (fullBand): the frames' input resampled as the voice is, into FIFOs beside the voice's, and a gain per output sample. */
  private readonly high: { up: Resampler[]; out: Float32Array[]; fifo: Float32Array[]; gain: Float32Array[]; gains: Float64Array } | null;

  /**
   * With `stft` (the wasm frame path), its kernels, and every buffer in its arena (the caller
   * commits it); otherwise JS loops. The resamplers take their fast path if `fast`.
   */
  constructor(channels: number, inputRate: number, h: Pick<ModelHeader, 'sampleRate' | 'hop'>, delays: SeparatorDelays, opts: { fast: boolean; stft: WasmStft | null; fullBand?: boolean }) {
    const H = h.hop, arena = opts.stft?.arena;
    this.hop = H;
    this.latency = delays.latency;
    this.prefill = delays.prefill;
    this.kernels = opts.stft ? new WasmSampleKernels(opts.stft) : plainKernels;
    const resampled = inputRate !== h.sampleRate, shared = { fast: opts.fast, arena };
    this.down = resampled ? Array.from({ length: channels }, () => new Resampler(inputRate, h.sampleRate, { delayNumerator: 0, ...shared })) : null;
    this.up = resampled ? Array.from({ length: channels }, () => new Resampler(h.sampleRate, inputRate, { delayNumerator: delays.a, ...shared })) : null;
    const modelIn = Math.ceil((CHUNK * h.sampleRate) / inputRate) + 2, upOut = Math.ceil((H * inputRate) / h.sampleRate) + 2;
    const fifoSize = nextPow2(delays.prefill + CHUNK + upOut * (Math.ceil(modelIn / H) + 2) + 16);
    const lineSize = nextPow2(delays.latency + CHUNK + 1);
    this.clean = buffers(arena, channels, CHUNK);
    this.modelIn = resampled ? buffers(arena, channels, modelIn) : this.clean;
    this.upOut = resampled ? buffers(arena, channels, upOut) : [];
    this.fifo = buffers(arena, channels, fifoSize);
    this.fifoMask = fifoSize - 1;
    this.fifoWrite = delays.prefill;
    this.line = buffers(arena, channels, lineSize);
    this.lineMask = lineSize - 1;
    this.high = opts.fullBand && inputRate > h.sampleRate ? {
      up: Array.from({ length: channels }, () => new Resampler(h.sampleRate, inputRate, { delayNumerator: delays.a, ...shared })),
      out: buffers(arena, channels, upOut),
      fifo: buffers(arena, channels, fifoSize),
      gain: buffers(arena, 1, fifoSize), // one ring, for every channel
      gains: new Float64Array(2),
    } : null;
  }

  /**
   * Takes input[c][at .. at + n) (n ≤ CHUNK): sanitised ({@link cleanSample}) into the delay line
   * and, at the model's rate, into {@link modelIn}. Adds the non-finite samples it replaced to
   * counts.badSamples and the clipped ones to counts.clippedSamples; returns how many model-rate
   * samples modelIn holds (all channels' resamplers move in lockstep).
   */
  ingest(input: readonly Float32Array[], at: number, n: number, counts: { badSamples: number; clippedSamples: number }): number {
    const C = this.clean.length;
    for (let c = 0; c < C; c++) {
      const replaced = this.kernels.sanitise(input[c], at, n, this.clean[c], this.line[c], this.lineWrite);
      if (replaced !== 0) {
        const clipped = (replaced / CLIPPED_UNIT) | 0;
        counts.clippedSamples += clipped;
        counts.badSamples += replaced - CLIPPED_UNIT * clipped;
      }
    }
    if (!this.down) return n;
    let count = n;
    for (let c = 0; c < C; c++) count = this.down[c].process(this.clean[c], n, this.modelIn[c]);
    return count;
  }

  /**
   * Appends a frame's hop voice samples per channel (at the model's rate) to the FIFO, at the
   * input's rate. With fullBand also the frame's oldest hop of input (`frames`: what an unmasked
   * synthesis would give for this hop) and the frame's mask and mixture magnitudes (m bins).
   */
  queue(voice: readonly Float32Array[], frames: readonly Float32Array[], mask: Float32Array, mag: Float32Array): void {
    let w = this.fifoWrite, produced = this.hop;
    for (let c = 0; c < voice.length; c++) {
      let src = voice[c];
      if (this.up) {
        produced = this.up[c].process(src, this.hop, this.upOut[c]);
        src = this.upOut[c];
      }
      this.kernels.enqueue(src, produced, this.fifo[c], this.fifoWrite);
      w = (this.fifoWrite + produced) & this.fifoMask;
    }
    const high = this.high;
    if (high) {
      for (let c = 0; c < voice.length; c++) {
        const k = high.up[c].process(frames[c], this.hop, high.out[c]);
        this.kernels.enqueue(high.out[c], k, high.fifo[c], this.fifoWrite);
      }
      // Ramped from the last hop's gain (gains[0]) to this one's (gains[1]).
      highBandGain(mask, mag, high.gains, 1);
      const g0 = high.gains[0], g = high.gains[1], gain = high.gain[0];
      for (let i = 0; i < produced; i++) gain[(this.fifoWrite + i) & this.fifoMask] = g0 + ((g - g0) * (i + 1)) / produced;
      high.gains[0] = g;
    }
    this.fifoWrite = w;
  }

  /** Writes the outputs of the n samples last ingested into voice[c] and accomp[c] from index at. */
  emit(voice: readonly Float32Array[], accomp: readonly Float32Array[], at: number, n: number): void {
    // The sample written `latency` samples before input i sits `latency` slots behind it.
    const d = (this.lineWrite - this.latency + this.lineMask + 1) & this.lineMask;
    const high = this.high, k = this.kernels;
    for (let c = 0; c < this.fifo.length; c++) {
      // With fullBand, the voice's share of the band above the model's: gain × (delayed input − its band-limited self).
      if (high) k.emitFullBand(this.fifo[c], high.fifo[c], high.gain[0], this.fifoRead, this.line[c], d, voice[c], accomp[c], at, n);
      else k.emit(this.fifo[c], this.fifoRead, this.line[c], d, voice[c], accomp[c], at, n);
    }
    this.fifoRead = (this.fifoRead + n) & this.fifoMask;
    this.lineWrite = (this.lineWrite + n) & this.lineMask;
  }

  reset(): void {
    for (const r of this.down ?? []) r.reset();
    for (const r of this.up ?? []) r.reset();
    for (const f of this.fifo) f.fill(0);
    if (this.high) {
      for (const r of this.high.up) r.reset();
      for (const f of this.high.fifo) f.fill(0);
      this.high.gain[0].fill(0);
      this.high.gains[0] = 0;
    }
    for (const l of this.line) l.fill(0);
    this.fifoRead = 0;
    this.fifoWrite = this.prefill;
    this.lineWrite = 0;
  }
}
