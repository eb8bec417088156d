/**
 * The separator's delays, from the model's frame sizes and the input's rate alone: what the
 * streaming separator (separator.ts) builds its resamplers and voice FIFO with, and what the batch
 * separation and the page need to know without building one (no wasm memory, no encoder).
 */
import type { ModelHeader } from '../model/model.ts';
import { gcd, Resampler } from '../signal/resample.ts';

type FrameSizes = Pick<ModelHeader, 'sampleRate' | 'fftSize' | 'hop'>;

/**
 * The delay of the resampling and STFT path, in input samples: resampling delays are chosen so that
 * the whole path delays by an integer number of them: Δ = d/L + ((N − H)·M + a)/L, with
 * L/M = modelRate/inputRate, d = 0 (the down-sampler) and a (the up-sampler's delay numerator) the
 * smallest non-negative value making (N − H)·M + a divisible by L.
 */
export function pathDelay(inputRate: number, h: FrameSizes): { delta: number; a: number } {
  const N = h.fftSize, H = h.hop;
  if (inputRate === h.sampleRate) return { delta: N - H, a: 0 };
  const g = gcd(inputRate, h.sampleRate);
  const L = h.sampleRate / g, M = inputRate / g;
  const a = (((-(N - H) * M) % L) + L) % L;
  return { delta: ((N - H) * M + a) / L, a };
}

/**
 * Zeros the voice FIFO must start with so that it never runs dry, whatever the block sizes:
 * the largest shortfall, over every input count n, of voice samples produced after n inputs.
 */
export function planPrefill(H: number, down: Resampler | null, up: Resampler | null): number {
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

export interface SeparatorDelays {
  /** Δ: the resampling and STFT path's delay (input samples). */
  delta: number;
  /** The up-sampler's delay numerator (0 without resampling). */
  a: number;
  /** Zeros the voice FIFO starts with. */
  prefill: number;
  /** The separator's latency, Δ + prefill: output sample i is the separation of input sample i − latency. */
  latency: number;
}

/** The separator's delays for input at `inputRate`; throws on a rate it does not take. */
export function separatorDelays(inputRate: number, h: FrameSizes): SeparatorDelays {
  if (!(Number.isInteger(inputRate) && inputRate >= 3000 && inputRate <= 768000)) throw new Error(`unsupported sample rate ${inputRate} Hz`);
  const { delta, a } = pathDelay(inputRate, h);
  // Only the resamplers' phases matter here: plain JS ones (cheap; the fast ones step alike).
  const resampled = inputRate !== h.sampleRate;
  const down = resampled ? new Resampler(inputRate, h.sampleRate, { delayNumerator: 0, fast: false }) : null;
  const up = resampled ? new Resampler(h.sampleRate, inputRate, { delayNumerator: a, fast: false }) : null;
  const prefill = planPrefill(h.hop, down, up);
  return { delta, a, prefill, latency: delta + prefill };
}

/** The separator's latency in input samples (see {@link SeparatorDelays}). */
export function separatorLatency(h: FrameSizes, inputRate: number): number {
  return separatorDelays(inputRate, h).latency;
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}
