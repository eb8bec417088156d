/**
 * The export workers' output: progress, at most four times a second, and blocks of both files collected into interleaved chunks of at most
 * 2²¹ frames (48 s at 44.1 kHz, 16 MB of a stereo file), each posted as Blobs when it is full.
 * Making the Blob in the worker puts the copy into the browser's blob storage on the worker's
 * thread (not the page's, which would queue it behind every other part's); the chunk buffers are
 * reused, and sized to the song where its length is known, so a short song costs no more than
 * its length.
 */
import { interleave } from '../../io/wav.ts';
import type { ExportMessage } from './messages.ts';

const CHUNK_FRAMES = 1 << 21;

/** A progress reporter that posts at most four times a second, and always once done reaches total. */
export function throttledProgress(post: (msg: ExportMessage) => void): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last > 250 || done >= total) {
      post({ type: 'progress', done: Math.min(done, total), total });
      last = now;
    }
  };
}

export class ChunkSender {
  private readonly voice: Float32Array<ArrayBuffer>;
  private readonly accomp: Float32Array<ArrayBuffer>;
  private filled = 0;

  /** `frames`: the outputs to come, or an estimate (a decoded stream's): it only sizes the buffers. */
  constructor(private readonly channels: number, frames: number, private readonly post: (msg: ExportMessage) => void) {
    const size = Math.max(1, Math.min(CHUNK_FRAMES, Math.ceil(frames)));
    this.voice = new Float32Array(size * channels);
    this.accomp = new Float32Array(size * channels);
  }

  /** Frames [from, from + n) of each channel of voice and accompaniment. */
  add(voice: readonly Float32Array[], accomp: readonly Float32Array[], from: number, n: number): void {
    const nch = this.channels, size = this.voice.length / nch;
    while (n > 0) {
      const k = Math.min(n, size - this.filled), a = this.filled * nch, b = (this.filled + k) * nch;
      interleave(voice, from, k, this.voice.subarray(a, b));
      interleave(accomp, from, k, this.accomp.subarray(a, b));
      this.filled += k;
      from += k;
      n -= k;
      if (this.filled === size) this.flush();
    }
  }

  /** Posts what is collected (call once at the end). */
  flush(): void {
    if (this.filled === 0) return;
    const end = this.filled * this.channels;
    this.post({ type: 'chunk', voice: new Blob([this.voice.subarray(0, end)]), accomp: new Blob([this.accomp.subarray(0, end)]) });
    this.filled = 0;
  }
}
