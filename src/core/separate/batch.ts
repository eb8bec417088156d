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
 * tracker and the overlap-add carry over from one block to the next. Stage C repeats stage A's
 * analysis of each frame on the fast path (the WebAssembly frame kernel keeps one spectrum at a
 * time: recomputing it costs less than a copy of every spectrum of the song), and keeps the block's
 * spectra on the plain path.
 *
 * Fast path (default): the WebAssembly SIMD frame kernel and resampler of the streaming separator,
 * so stages A and C are the streaming separator's arithmetic exactly and the only difference is the
 * network's summation order (gemm, f32) against the per-frame encoder. Plain path (`fast: false`, or
 * where WebAssembly SIMD is missing): fft.js and JS loops, as the separator's plain path.
 */
import { LevelTracker } from '../signal/level.ts';
import { softMask } from '../signal/masks.ts';
import { gemm, mat, type Mat } from '../linalg/matrix.ts';
import type { Model } from '../model/model.ts';
import { Resampler } from '../signal/resample.ts';
import { pathDelay, Separator } from './separator.ts';
import { OverlapAdd, StftKernel, windowPower } from '../signal/stft.ts';
import { createTrainable } from '../network/train.ts';
import { WasmArena } from '../wasm/loader.ts';
import { WasmStft } from '../signal/stft-wasm.ts';

export interface BatchOptions {
  /** WebAssembly SIMD frame kernel and resampler where they run (default true), as the separator's `fast`. */
  fast?: boolean;
  /** Frames per network call (default 1024). Larger batches suit a GPU; memory grows with it. */
  batch?: number;
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
}

const clock = (globalThis as { performance?: { now(): number } }).performance;
const now = (): number => (clock ? clock.now() : Date.now());

/** One channel count's frame analysis and synthesis, fast (wasm) or plain (fft.js). */
interface FramePath {
  readonly fast: boolean;
  /** Analyses frame j (model-rate samples from j·hop in each padded channel); writes the normalised mid magnitudes into `mag`. */
  analyze(j: number, mag: Float32Array): void;
  /** Synthesises frame j with a voice mask; writes hop voice samples per channel into out[c] at j·hop. */
  synthesize(j: number, mask: Float32Array, out: Float32Array[]): void;
}

/** The streaming separator's frame path in wasm (src/wasm/stft.ts); two instances: analysis, synthesis. */
function wasmFramePath(kernel: StftKernel, model: Model, padded: Float32Array[]): FramePath | null {
  const h = model.header, N = kernel.fftSize, H = kernel.hop, C = padded.length;
  const arena = WasmArena.create();
  if (!arena) return null;
  const make = () => WasmStft.create(arena, kernel.analysis, kernel.synthesis, H, C, h.levelTau, h.sampleRate / H);
  const a = make(), s = make();
  if (!a || !s || !arena.commit()) return null;
  const load = (dsp: WasmStft, j: number) => {
    for (let c = 0; c < C; c++) dsp.frames[c].set(padded[c].subarray(j * H, j * H + N));
  };
  const m = kernel.bins;
  return {
    fast: true,
    analyze(j, mag) {
      load(a, j);
      a.analyze();
      mag.set(a.mag.subarray(0, m));
    },
    synthesize(j, mask, out) {
      // The same analysis again (same frames, same level tracker state): the spectrum to mask.
      load(s, j);
      s.analyze();
      s.mask.set(mask.subarray(0, m));
      s.synthesize();
      for (let c = 0; c < C; c++) out[c].set(s.out[c], j * H);
    },
  };
}

/** The streaming separator's plain frame path (Separator.framePlain), with a block of spectra kept between the stages. */
function plainFramePath(kernel: StftKernel, model: Model, padded: Float32Array[], batch: number): FramePath {
  const h = model.header, N = kernel.fftSize, H = kernel.hop, m = kernel.bins, C = padded.length;
  const level = new LevelTracker(h.levelTau, h.sampleRate / H);
  const spectrumScale = 1 / Math.sqrt(windowPower(kernel.analysis));
  const w = kernel.analysis;
  const windowed = Array.from({ length: C }, () => new Float64Array(N));
  const timeFrame = Array.from({ length: C }, () => new Float64Array(N));
  // Spectra of the block's frames (slot j mod batch), per channel: re, im.
  const re = Array.from({ length: C }, () => new Float32Array(m * batch));
  const im = Array.from({ length: C }, () => new Float32Array(m * batch));
  const ola = Array.from({ length: C }, () => new OverlapAdd(kernel));
  const fft = kernel.fft;
  return {
    fast: false,
    analyze(j, mag) {
      const slot = (j % batch) * m;
      for (let c = 0; c < C; c++) {
        const src = padded[c], dst = windowed[c], at = j * H;
        for (let i = 0; i < N; i++) dst[i] = src[at + i] * w[i];
      }
      let power = 0;
      const mid0 = windowed[0], mid1 = windowed[C - 1];
      for (let i = 0; i < N; i++) {
        const x = 0.5 * (mid0[i] + mid1[i]);
        power += x * x;
      }
      power *= spectrumScale * spectrumScale;
      const r0 = re[0].subarray(slot, slot + m), i0 = im[0].subarray(slot, slot + m);
      const r1 = re[C - 1].subarray(slot, slot + m), i1 = im[C - 1].subarray(slot, slot + m);
      if (C === 2) fft.forwardPair(windowed[0], windowed[1], r0, i0, r1, i1);
      else fft.forward(windowed[0], r0, i0);
      const g = level.gain(power) * spectrumScale;
      for (let i = 0; i < m; i++) {
        const r = 0.5 * (r0[i] + r1[i]), ii = 0.5 * (i0[i] + i1[i]);
        mag[i] = Math.sqrt(r * r + ii * ii) * g;
      }
    },
    synthesize(j, mask, out) {
      const slot = (j % batch) * m;
      const rs = re.map((x) => x.subarray(slot, slot + m)), is = im.map((x) => x.subarray(slot, slot + m));
      for (let c = 0; c < C; c++) {
        const r = rs[c], ii = is[c];
        for (let i = 0; i < m; i++) {
          r[i] *= mask[i];
          ii[i] *= mask[i];
        }
      }
      if (C === 2) fft.inversePair(rs[0], is[0], rs[1], is[1], timeFrame[0], timeFrame[1]);
      else fft.inverse(rs[0], is[0], timeFrame[0]);
      for (let c = 0; c < C; c++) ola[c].add(timeFrame[c], out[c], j * H);
    },
  };
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
  let t0 = now();

  // The streaming separator's delays: Δ (resampling + STFT), then the prefill of its voice FIFO.
  const latency = new Separator(model, sampleRate, C, { fast }).latency;
  const { delta, a } = pathDelay(sampleRate, h);
  const total = len + latency;

  // Stage A1: the input, sanitised (non-finite → 0, as the separator does) and followed by `latency`
  // zeros (the flush separateChannels feeds), at the model's rate with the frame buffer's N − H
  // leading zeros.
  const clean = input.map((x) => {
    const y = new Float32Array(total);
    for (let i = 0; i < len; i++) {
      const v = x[i];
      y[i] = v - v === 0 ? v : 0;
    }
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
  const path = (fast ? wasmFramePath(kernel, model, padded) : null) ?? plainFramePath(kernel, model, padded, batch);
  const cols = Math.min(batch, Math.max(1, frames));
  const net = createTrainable(model, cols);
  const X = mat(m, cols), S = mat(q, cols), US = mat(m, cols);
  const masks = new Float32Array(m * cols);
  const voiceModel = clean.map(() => new Float32Array(frames * H));
  timings.analysis += now() - t0;

  for (let b0 = 0; b0 < frames; b0 += cols) {
    const count = Math.min(cols, frames - b0);
    // Stage A: normalised mid magnitudes of the block, one column per frame.
    t0 = now();
    for (let k = 0; k < count; k++) path.analyze(b0 + k, X.data.subarray(k * m, (k + 1) * m));
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
      const mask = masks.subarray(k * m, (k + 1) * m);
      softMask(Z.subarray(k * n + q, (k + 1) * n), US.data.subarray(k * m, (k + 1) * m), h.maskPower, mask);
      path.synthesize(b0 + k, mask, voiceModel);
    }
    timings.synthesis += now() - t2;
    opts.onProgress?.(b0 + count, frames);
  }

  // Stage C2: the voice back at the input's rate; output sample t is the streaming output t + latency.
  t0 = now();
  const voice: Float32Array[] = [], accomp: Float32Array[] = [];
  for (let c = 0; c < C; c++) {
    let v = voiceModel[c], available = frames * H;
    if (sampleRate !== h.sampleRate) {
      const up = new Resampler(h.sampleRate, sampleRate, { delayNumerator: a, fast });
      const u = new Float32Array(Math.ceil((frames * H * up.L) / up.M) + 2);
      available = up.process(v, frames * H, u);
      v = u;
    }
    if (available < len + delta) throw new Error(`batch separation: ${available} voice samples, ${len + delta} needed`);
    const vo = v.slice(delta, delta + len);
    const ao = new Float32Array(len), x = clean[c];
    for (let i = 0; i < len; i++) ao[i] = x[i] - vo[i];
    voice.push(vo);
    accomp.push(ao);
  }
  timings.synthesis += now() - t0;
  for (const k of Object.keys(timings) as (keyof BatchTimings)[]) timings[k] /= 1000;
  return { voice, accomp, latency, frames, fast: path.fast, timings };
}
