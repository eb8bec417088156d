/**
 * Whole-file separation organised for batch hardware: the same separation as
 * {@link separateChannels} (the streaming separator fed a whole song), to f32 rounding, but with the
 * network run on many frames at once through the matrix products (gemm / gemmTN / gemmNT), so that
 * a backend set with setMatrixBackend() — the gpu.js kernels of src/gpu/ on a hardware GPU — does
 * the heavy part.
 *
 *   stage A  (sequential, cheap)  sanitise, resample each channel to the model's rate (the same
 *            Resampler, same delay), frame on the streaming grid, window + FFT, and the level
 *            tracker's per-frame gains, frame after frame exactly as the streaming separator does:
 *            the normalised mid magnitudes of a block of frames, one column each
 *   stage B  (batch)  the network on the whole block: createTrainable(model, batch).forward (dense or
 *            structured, tied and low-rank included: the same code training runs), then U·s, all
 *            through the matrix products
 *   stage C  (sequential, cheap)  soft masks, applied to each channel's spectrum; inverse FFT and
 *            overlap-add; resample the voice back to the input's rate (same Resampler and delay as
 *            the streaming path); accompaniment = the (delayed) input − voice
 *
 * The work goes block by block (`batch` frames), so memory stays bounded for long songs; the level
 * tracker and the overlap-add carry over from one block to the next. Stages A and C run the
 * streaming separator's frame path (frame-path.ts), one instance each; stage C analyses each frame
 * again (a frame path keeps one spectrum at a time: recomputing it costs less than a copy of every
 * spectrum of the song).
 *
 * Fast path (default): the WebAssembly SIMD frame path and resampler of the streaming separator,
 * so stages A and C are the streaming separator's arithmetic exactly and the only difference is the
 * network's summation order (gemm, f32) against the per-frame encoder. Plain path (`fast: false`, or
 * where WebAssembly SIMD is missing): fft.js and JS loops, the separator's plain path.
 */
import { gemm, mat, type Mat } from '../linalg/matrix.ts';
import type { Model } from '../model/model.ts';
import { createTrainable } from '../network/train.ts';
import { PresenceGate } from '../signal/presence-gate.ts';
import { Resampler } from '../signal/resample.ts';
import { StftKernel } from '../signal/stft.ts';
import { WasmStft } from '../signal/stft-wasm.ts';
import { WasmArena } from '../wasm/loader.ts';
import { guardMask, PlainFramePath, type FramePath } from './frame-path.ts';
import { separatorDelays } from './latency.ts';
import { cleanSample, highBandGain } from './sample-path.ts';
export interface BatchOptions {
  /** WebAssembly SIMD frame kernel and resampler where they run (default true), as the separator's `fast`. */
  fast?: boolean;
  /** Frames per network call (default 1024). Larger batches suit a GPU; memory grows with it. */
  batch?: number;
  /** The voice's share of the band above the model's, as the separator's `fullBand` (default true). */
  fullBand?: boolean;
  /** The presence gate on the voice mask, as the separator's `presenceGate` (default true). */
  presenceGate?: boolean;
  /** Called after each block: frames done, frames in all. */
  onProgress?: (done: number, total: number) => void;
}

export interface BatchTimings {
  /** Seconds in stage A (resampling down, framing, FFT, level), B (the network) and C (masks, synthesis, resampling up). */
  analysis: number;
  network: number;
  synthesis: number;
}

export interface BatchResult {
  /** Voice and accompaniment, one array per input channel, as long as the input. */
  voice: Float32Array[];
  accomp: Float32Array[];
  /** The streaming separator's latency (samples at the input's rate), trimmed here as separateChannels trims it. */
  latency: number;
  /** Network frames (at the model's rate). */
  frames: number;
  /** True when the WebAssembly frame kernel ran (false: fft.js and JS loops). */
  fast: boolean;
  timings: BatchTimings;
  /** Frames whose mask was not a number in [0, 1] (a broken model), passed through as accompaniment (frame-path.ts guardMask). */
  badFrames: number;
}

const clock = (globalThis as { performance?: { now(): number } }).performance;
const now = (): number => (clock ? clock.now() : Date.now());

/**
 * Two frame paths, fast (in one wasm arena) or plain: one for stage A's analysis, one for stage C's
 * synthesis, which analyses each frame again (same frames, the same level tracker state) to have
 * the spectrum to mask: a frame path keeps one spectrum at a time.
 */
function framePaths(kernel: StftKernel, model: Model, channels: number, fast: boolean): [FramePath, FramePath] {
  const arena = fast ? WasmArena.create() : null;
  if (arena) {
    const a = WasmStft.create(arena, kernel, channels, model.header), s = WasmStft.create(arena, kernel, channels, model.header);
    if (a && s && arena.commit()) return [a, s];
  }
  return [new PlainFramePath(kernel, channels, model.header), new PlainFramePath(kernel, channels, model.header)];
}

/** Frame j of the padded model-rate channels into the frame path (samples j·hop .. j·hop + N). */
function load(path: FramePath, padded: Float32Array[], j: number, kernel: StftKernel): void {
  const at = j * kernel.hop;
  for (let c = 0; c < padded.length; c++) path.frames[c].set(padded[c].subarray(at, at + kernel.fftSize));
}

/**
 * Separates a whole signal (one or two channels at `sampleRate`) with the network run in batches.
 * Same output as separateChannels(model, sampleRate, input) to f32 rounding (tests/unit/batch.test.ts
 * holds them to 1e-5), same length as the input.
 */
export function separateBatch(model: Model, sampleRate: number, input: Float32Array[], opts: BatchOptions = {}): BatchResult {
  const C = input.length;
  if (C !== 1 && C !== 2) throw new Error(`the separator takes mono or stereo input, not ${C} channels`);
  const fast = opts.fast ?? true;
  const batch = Math.max(1, Math.floor(opts.batch ?? 1024));
  const h = model.header, N = h.fftSize, H = h.hop, m = h.m, q = h.q, n = m + q;
  const len = input[0].length;
  if (input.some((x) => x.length !== len)) throw new Error('the channels differ in length');
  const timings: BatchTimings = { analysis: 0, network: 0, synthesis: 0 };
  let badFrames = 0;
  let t0 = now();

  // The streaming separator's delays: Δ (resampling + STFT), then the prefill of its voice FIFO.
  const { delta, a, latency } = separatorDelays(sampleRate, h);
  const total = len + latency;

  // Stage A1: the input, sanitised (non-finite → 0, clipped to ±INPUT_LIMIT, as the separator does) and followed by `latency`
  // zeros (the flush separateChannels feeds), at the model's rate with the frame buffer's N − H
  // leading zeros.
  const clean = input.map((x) => {
    const y = new Float32Array(total);
    for (let i = 0; i < len; i++) y[i] = cleanSample(x[i]);
    return y;
  });
  let modelLen = total;
  const padded = clean.map((x) => {
    if (sampleRate === h.sampleRate) {
      const p = new Float32Array(N - H + total);
      p.set(x, N - H);
      return p;
    }
    const r = new Resampler(sampleRate, h.sampleRate, { delayNumerator: 0, fast });
    const p = new Float32Array(N - H + Math.ceil((total * r.L) / r.M) + 2);
    modelLen = r.process(x, total, p, N - H);
    return p;
  });
  const frames = Math.floor(modelLen / H);
  const kernel = new StftKernel({ fftSize: N, hop: H });
  const [analysis, synthesis] = framePaths(kernel, model, C, fast);
  const cols = Math.min(batch, Math.max(1, frames));
  const net = createTrainable(model, cols);
  const X = mat(m, cols), S = mat(q, cols), US = mat(m, cols);
  const voiceModel = clean.map(() => new Float32Array(frames * H));
  // The band above the model's (sample-path.ts): each frame's gain, from its mask's top octave.
  const fullBand = (opts.fullBand ?? true) && sampleRate > h.sampleRate;
  const gains = new Float64Array(fullBand ? frames : 0);
  // Frame after frame in stage C, as the separator runs it.
  const gate = (opts.presenceGate ?? true) ? new PresenceGate(h.sampleRate, h.fftSize, h.hop) : null;
  timings.analysis += now() - t0;

  for (let b0 = 0; b0 < frames; b0 += cols) {
    const count = Math.min(cols, frames - b0);
    // Stage A: normalised mid magnitudes of the block, one column per frame.
    t0 = now();
    for (let k = 0; k < count; k++) {
      load(analysis, padded, b0 + k, kernel);
      analysis.analyze();
      X.data.set(analysis.mag, k * m);
    }
    const t1 = now();
    timings.analysis += t1 - t0;
    // Stage B: the network on the whole block; voice o, accompaniment U s.
    const z = net.forward(X, count);
    const Z = z.data;
    for (let k = 0; k < count; k++) S.data.set(Z.subarray(k * n, k * n + q), k * q);
    const Sv: Mat = count === cols ? S : { rows: q, cols: count, data: S.data.subarray(0, q * count) };
    const USv: Mat = count === cols ? US : { rows: m, cols: count, data: US.data.subarray(0, m * count) };
    gemm(model.arrays.U, Sv, USv);
    const t2 = now();
    timings.network += t2 - t1;
    // Stage C: masks, synthesis.
    for (let k = 0; k < count; k++) {
      const j = b0 + k;
      load(synthesis, padded, j, kernel);
      synthesis.analyze();
      synthesis.voice.set(Z.subarray(k * n + q, (k + 1) * n));
      synthesis.accomp.set(US.data.subarray(k * m, (k + 1) * m));
      synthesis.softMask();
      badFrames += guardMask(synthesis.mask);
      gate?.apply(synthesis.mask, synthesis.mag);
      synthesis.synthesize();
      for (let c = 0; c < C; c++) voiceModel[c].set(synthesis.out[c], j * H);
      if (fullBand) highBandGain(synthesis.mask, synthesis.mag, gains, j);
    }
    timings.synthesis += now() - t2;
    opts.onProgress?.(b0 + count, frames);
  }

  // Stage C2: the voice back at the input's rate; output sample t is the streaming output t + latency.
  t0 = now();
  const voice: Float32Array[] = [], accomp: Float32Array[] = [];
  let gain: Float32Array | null = null;
  for (let c = 0; c < C; c++) {
    let v = voiceModel[c], available = frames * H;
    let low: Float32Array | null = null;
    if (sampleRate !== h.sampleRate) {
      const up = new Resampler(h.sampleRate, sampleRate, { delayNumerator: a, fast });
      const u = new Float32Array(Math.ceil((frames * H * up.L) / up.M) + 2);
      if (fullBand) {
        // Hop by hop, as the separator's FIFO is filled: the voice, the frames' oldest hop of
        // input (padded[c] from 0, resampled the same way) and, per output sample, the gain ramped
        // from the previous frame's to this frame's.
        const upLow = new Resampler(h.sampleRate, sampleRate, { delayNumerator: a, fast });
        low = new Float32Array(u.length);
        const g = gain === null ? (gain = new Float32Array(u.length)) : null;
        available = 0;
        let last = 0;
        for (let j = 0; j < frames; j++) {
          const k = up.process(v.subarray(j * H, (j + 1) * H), H, u, available);
          upLow.process(padded[c].subarray(j * H, (j + 1) * H), H, low, available);
          if (g) for (let i = 0; i < k; i++) g[available + i] = last + ((gains[j] - last) * (i + 1)) / k;
          last = gains[j];
          available += k;
        }
      } else {
        available = up.process(v, frames * H, u);
      }
      v = u;
    }
    if (available < len + delta) throw new Error(`batch separation: ${available} voice samples, ${len + delta} needed`);
    const vo = v.slice(delta, delta + len);
    const ao = new Float32Array(len), x = clean[c];
    if (low && gain) {
      for (let i = 0; i < len; i++) {
        const y = vo[i] + gain[delta + i] * (x[i] - low[delta + i]);
        vo[i] = y;
        ao[i] = x[i] - y;
      }
    } else {
      for (let i = 0; i < len; i++) ao[i] = x[i] - vo[i];
    }
    voice.push(vo);
    accomp.push(ao);
  }
  timings.synthesis += now() - t0;
  for (const k of Object.keys(timings) as (keyof BatchTimings)[]) timings[k] /= 1000;
  return { voice, accomp, latency, frames, fast: analysis.fast, timings, badFrames };
}
