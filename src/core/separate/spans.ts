/**
 * A long song separated in parts, one per core, as the streaming separator would separate it whole.
 *
 * The separator's state reaches back in two ways: the STFT, resampler and overlap-add look back a
 * few thousand samples, and the level tracker (level.ts) remembers the level with a time constant
 * τ (4 s). A part that starts at sample s is therefore fed from s − warm-up (on a step where the
 * resampler's phase and the frame grid are as in the whole stream), and its outputs before
 * s are dropped: with a warm-up of 12τ the tracker's memory of what came before weighs e⁻¹² ≈ 6·10⁻⁶
 * of its estimate, so the part's output equals the whole separation's to f32 rounding (tested).
 * A part also reads `latency` samples past its end, as the separator looks ahead that far.
 *
 * Pure TypeScript, no DOM: the export worker runs {@link separateSpan}, and so does the test.
 */
import type { Model, ModelHeader } from '../model/model.ts';
import { gcd } from '../signal/resample.ts';
import { Separator } from './separator.ts';

/** One part: outputs [from, to) of the song, from the input fed from `start`. */
export interface Span {
  start: number;
  from: number;
  to: number;
}

/** Warm-up in seconds for a level tracker of time constant `tau` (s). */
export const warmupSeconds = (tau: number): number => 12 * Math.max(tau, 0.25);

/**
 * The step, in input samples, at which a part may start: where the resampler is at the same phase
 * and the model-rate frame grid at the same offset as in the whole stream (a multiple of the
 * resampler's input period whose model-rate length is a whole number of hops).
 */
export function spanStep(sampleRate: number, header: Pick<ModelHeader, 'sampleRate' | 'hop'>): number {
  const g = gcd(sampleRate, header.sampleRate);
  const up = header.sampleRate / g, down = sampleRate / g;
  return down * (header.hop / gcd(up, header.hop));
}

/**
 * At most `parts` spans covering [0, length), each as much work as the others (warm-up included):
 * no more parts than the song holds warm-ups (below that, a part would spend more on warming up
 * than on its own samples), and one part when the song is short. Every part starts on a
 * {@link spanStep}.
 */
export function planSpans(length: number, sampleRate: number, header: Pick<ModelHeader, 'sampleRate' | 'hop' | 'levelTau'>, parts: number): Span[] {
  const step = spanStep(sampleRate, header);
  const warm = Math.ceil((warmupSeconds(header.levelTau) * sampleRate) / step) * step;
  const n = Math.max(1, Math.min(Math.floor(parts), Math.floor(length / warm)));
  // The same work per part: the first has no warm-up, so it takes `warm` more of the song.
  const first = (length + (n - 1) * warm) / n;
  const spans: Span[] = [];
  let from = 0;
  for (let k = 0; k < n; k++) {
    const to = k === n - 1 ? length : Math.round((first + k * (first - warm)) / step) * step;
    spans.push({ start: Math.max(0, from - warm), from, to });
    from = to;
  }
  return spans;
}

/**
 * Runs the streaming separator over one span of `channels` (the whole song) and hands the kept
 * outputs to `emit` block by block, in order: voice and accompaniment per channel, samples
 * [offset, offset + n) of the given arrays, which are outputs [at, at + n) of the song. The
 * whole song as one span ({start: 0, from: 0, to: length}) gives separateChannels()'s output
 * exactly. `onProgress(done, total)` counts samples fed.
 */
export function separateSpan(
  model: Model, sampleRate: number, channels: readonly Float32Array[], span: Span,
  emit: (voice: Float32Array[], accomp: Float32Array[], offset: number, n: number, at: number) => void,
  onProgress?: (done: number, total: number) => void,
): Separator {
  const sep = new Separator(model, sampleRate, channels.length);
  const len = channels[0].length, L = sep.latency;
  // Fed: the song from `start` up to `to` + latency, zeros past its end.
  const total = span.to + L - span.start;
  const block = Math.max(4096, Math.min(sampleRate, 16384));
  const voice = channels.map(() => new Float32Array(block)), accomp = channels.map(() => new Float32Array(block));
  const zeros = channels.map(() => new Float32Array(block));
  const input: Float32Array[] = channels.map(() => new Float32Array(0));
  for (let fed = 0; fed < total; ) {
    const at = span.start + fed; // song index of the block's first input sample
    const n = at < len ? Math.min(block, len - at, total - fed) : Math.min(block, total - fed);
    for (let c = 0; c < channels.length; c++) input[c] = at < len ? channels[c].subarray(at, at + n) : zeros[c];
    sep.process(input, voice, accomp, n);
    // Output sample i of this block is the separation of song sample at + i − latency.
    const first = Math.max(0, span.from - (at - L)), last = Math.min(n, span.to - (at - L));
    if (last > first) emit(voice, accomp, first, last - first, at - L + first);
    fed += n;
    onProgress?.(fed, total);
  }
  return sep;
}
