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

/** Receives the kept outputs, in order: samples [offset, offset + n) of the arrays, which are song outputs [at, at + n). */
export type EmitOutputs = (voice: Float32Array[], accomp: Float32Array[], offset: number, n: number, at: number) => void;

/**
 * The streaming separator fed a span's input in blocks of any size, as they come (from arrays,
 * from a file read in pieces, from a decoder), its outputs trimmed to song outputs [from, to)
 * and handed to `emit`. Output sample i of a block is the separation of input sample
 * at + i − latency, so a span's input runs to `to` + latency: {@link finish} feeds the zeros past
 * the song's end. `to` may be unknown until the input ends (a decoded stream): Infinity, and
 * finish() ends the outputs where the input ended.
 */
export class SpanSeparator {
  readonly separator: Separator;
  /** Song index of the next input sample. */
  private at: number;
  private readonly block: number;
  private readonly voice: Float32Array[];
  private readonly accomp: Float32Array[];
  private readonly zeros: Float32Array[];
  private readonly piece: Float32Array[];

  constructor(model: Model, sampleRate: number, channels: number, private readonly span: Span, private readonly emit: EmitOutputs) {
    this.separator = new Separator(model, sampleRate, channels);
    this.at = span.start;
    this.block = Math.max(4096, Math.min(sampleRate, 16384));
    const buffers = () => Array.from({ length: channels }, () => new Float32Array(this.block));
    this.voice = buffers();
    this.accomp = buffers();
    this.zeros = buffers();
    this.piece = Array.from({ length: channels }, () => new Float32Array(0));
  }

  /** Input samples fed so far past the span's start. */
  get fed(): number {
    return this.at - this.span.start;
  }

  /** The next n samples of each input channel. */
  feed(input: readonly Float32Array[], n: number): void {
    for (let done = 0; done < n; ) {
      const k = Math.min(this.block, n - done);
      for (let c = 0; c < this.piece.length; c++) this.piece[c] = input[c].subarray(done, done + k);
      this.step(this.piece, k, this.span.to);
      done += k;
    }
  }

  /** Feeds zeros until every output up to `to` (the span's end, or where the input ended) is out. */
  finish(to = Math.min(this.span.to, this.at)): void {
    const L = this.separator.latency;
    while (this.at - L < to) this.step(this.zeros, Math.min(this.block, to + L - this.at), to);
  }

  private step(input: readonly Float32Array[], n: number, to: number): void {
    const L = this.separator.latency;
    this.separator.process(input, this.voice, this.accomp, n);
    const first = Math.max(0, this.span.from - (this.at - L)), last = Math.min(n, to - (this.at - L));
    if (last > first) this.emit(this.voice, this.accomp, first, last - first, this.at - L + first);
    this.at += n;
  }
}

/**
 * Runs the streaming separator over one span of `channels` (the whole song) and hands the kept
 * outputs to `emit` block by block, in order. The whole song as one span ({start: 0, from: 0,
 * to: length}) gives separateChannels()'s output exactly. `onProgress(done, total)` counts
 * samples fed.
 */
export function separateSpan(
  model: Model, sampleRate: number, channels: readonly Float32Array[], span: Span, emit: EmitOutputs,
  onProgress?: (done: number, total: number) => void,
): Separator {
  const run = new SpanSeparator(model, sampleRate, channels.length, span, emit);
  const len = channels[0].length, L = run.separator.latency;
  // Fed: the song from `start` up to `to` + latency (zeros past its end).
  const end = Math.min(len, span.to + L), total = span.to + L - span.start;
  for (let at = span.start; at < end; at += 16384) {
    const n = Math.min(16384, end - at);
    run.feed(channels.map((c) => c.subarray(at, at + n)), n);
    onProgress?.(run.fed, total);
  }
  run.finish(span.to);
  onProgress?.(total, total);
  return run.separator;
}
