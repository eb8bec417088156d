/**
 * separateChannels (separator.ts) a block at a time, for songs too long to hold: the same streaming
 * separator fed the input block by block and then `latency` zeros, its first `latency` output
 * samples dropped, so that the outputs are aligned with the input and exactly as long. The
 * separator is independent of the block sizes bit for bit, so the outputs are separateChannels'
 * exactly (tests/unit/stream.test.ts). Memory is the separator's and one block per channel.
 */
import type { Model } from '../model/model.ts';
import { Separator } from './separator.ts';

/** Receives outputs: samples [from, from + n) of each voice and accompaniment channel. */
export type StreamSink = (voice: readonly Float32Array[], accomp: readonly Float32Array[], from: number, n: number) => void;

export class StreamSeparation {
  readonly separator: Separator;
  /** Largest number of samples the separator is given at once (and the sink receives). */
  readonly block: number;
  private readonly voice: Float32Array[];
  private readonly accomp: Float32Array[];
  private readonly zeros: Float32Array[];
  /** Output samples still to drop: the separator's latency, at the start. */
  private skip: number;
  private finished = false;

  /** Throws where the separator does (a rate outside 3–768 kHz, more than two channels). */
  constructor(model: Model, sampleRate: number, channels: number, block = 65536) {
    this.separator = new Separator(model, sampleRate, channels);
    this.block = Math.max(1, Math.floor(block));
    this.voice = Array.from({ length: channels }, () => new Float32Array(this.block));
    this.accomp = Array.from({ length: channels }, () => new Float32Array(this.block));
    this.zeros = Array.from({ length: channels }, () => new Float32Array(this.block));
    this.skip = this.separator.latency;
  }

  /** Separates samples [0, n) of each input channel; the sink gets the outputs that are ready. */
  push(input: readonly Float32Array[], n: number, sink: StreamSink): void {
    if (this.finished) throw new Error('StreamSeparation: push after finish');
    for (let at = 0; at < n; ) {
      const k = Math.min(this.block, n - at);
      this.run(at === 0 ? input : input.map((c) => c.subarray(at)), k, sink);
      at += k;
    }
  }

  /** The end of the input: flushes the last `latency` samples of the outputs into the sink. */
  finish(sink: StreamSink): void {
    if (this.finished) return;
    this.finished = true;
    for (let left = this.separator.latency; left > 0; ) {
      const k = Math.min(this.block, left);
      this.run(this.zeros, k, sink);
      left -= k;
    }
  }

  private run(input: readonly Float32Array[], k: number, sink: StreamSink): void {
    this.separator.process(input, this.voice, this.accomp, k);
    const drop = Math.min(this.skip, k);
    this.skip -= drop;
    if (drop < k) sink(this.voice, this.accomp, drop, k - drop);
  }
}
