/**
 * Export worker for a streamed song (src/io/song-file.ts): the WAV file itself is the input, read
 * here in pieces (FileReaderSync on slices of the File, 2¹⁸ frames at a time) and separated as it
 * is read, so neither this worker nor the page ever holds the song. The separation is
 * core/separate/spans.ts's separateSpan, fed from the file instead of from arrays: the same
 * streaming separator over the same samples (its output does not depend on the block sizes), so
 * the files equal export.worker.ts's, and the CLI's, to f32 rounding. It speaks export.worker.ts's
 * protocol (progress, chunks of 32-bit float data as Blobs, done).
 */
import { decodeModel } from '../../core/model/model.ts';
import { Separator } from '../../core/separate/separator.ts';
import type { Span } from '../../core/separate/spans.ts';
import { decodeWavFrames, interleave, type WavLayout } from '../../io/wav.ts';
import type { ExportMessage } from './export.worker.ts';

export interface WavFileRequest {
  type: 'start';
  model: ArrayBuffer;
  file: Blob;
  layout: WavLayout;
  /** The part of the song this worker separates. */
  span: Span;
}

/** A worker's synchronous file reader (the page's DOM types, which this project compiles with, lack it). */
declare const FileReaderSync: { new (): { readAsArrayBuffer(blob: Blob): ArrayBuffer } };

const post = (msg: ExportMessage) => (self as unknown as Worker).postMessage(msg);

/** Frames read from the file at once. */
const PIECE = 1 << 18;
/** Frames per chunk posted (as export.worker.ts: 2²¹, 16 MB of a stereo file). */
const CHUNK_FRAMES = 1 << 21;

/** Frames of the file's first one or two channels, read a piece at a time, in order. */
class WavReader {
  private readonly reader = new FileReaderSync();
  private readonly all: Float32Array[];
  /** The first one or two channels of the piece held: frames [start, start + held). */
  readonly channels: Float32Array[];
  private start = 0;
  private held = 0;

  constructor(private readonly file: Blob, private readonly layout: WavLayout) {
    this.all = Array.from({ length: layout.channels }, () => new Float32Array(PIECE));
    this.channels = this.all.slice(0, 2);
  }

  /** Frames [at, at + n) (n ≤ PIECE, at + n ≤ frames) of each channel, as views into the piece held. */
  frames(at: number, n: number): Float32Array[] {
    if (at < this.start || at + n > this.start + this.held) {
      const L = this.layout, k = Math.min(PIECE, L.frames - at);
      const from = L.dataOffset + at * L.frameBytes;
      const bytes = new Uint8Array(this.reader.readAsArrayBuffer(this.file.slice(from, from + k * L.frameBytes)));
      const whole = Math.floor(bytes.length / L.frameBytes);
      if (whole < Math.min(n, k)) throw new Error('the song file could not be read to its end (was it moved or changed?)');
      decodeWavFrames(L, bytes, whole, this.all);
      this.start = at;
      this.held = whole;
    }
    return this.channels.map((c) => c.subarray(at - this.start, at - this.start + n));
  }
}

/** Interleaves output blocks into chunks of CHUNK_FRAMES and posts each as Blobs. */
class Chunks {
  private readonly voice: Float32Array<ArrayBuffer>;
  private readonly accomp: Float32Array<ArrayBuffer>;
  private filled = 0;

  constructor(private readonly nch: number, frames: number) {
    const size = Math.min(CHUNK_FRAMES, frames);
    this.voice = new Float32Array(size * nch);
    this.accomp = new Float32Array(size * nch);
  }

  add(voice: readonly Float32Array[], accomp: readonly Float32Array[], from: number, n: number): void {
    const size = this.voice.length / this.nch;
    while (n > 0) {
      const k = Math.min(n, size - this.filled), a = this.filled * this.nch, b = (this.filled + k) * this.nch;
      interleave(voice, from, k, this.voice.subarray(a, b));
      interleave(accomp, from, k, this.accomp.subarray(a, b));
      this.filled += k;
      from += k;
      n -= k;
      if (this.filled === size) this.flush();
    }
  }

  flush(): void {
    if (this.filled === 0) return;
    const end = this.filled * this.nch;
    post({ type: 'chunk', voice: new Blob([this.voice.subarray(0, end)]), accomp: new Blob([this.accomp.subarray(0, end)]) });
    this.filled = 0;
  }
}

/** separateSpan (core/separate/spans.ts) with the song read from the file. */
function run({ model: bytes, file, layout, span }: WavFileRequest): string {
  const model = decodeModel(bytes);
  const nch = Math.min(2, layout.channels), len = layout.frames;
  const sep = new Separator(model, layout.sampleRate, nch);
  const L = sep.latency, total = span.to + L - span.start;
  const block = Math.max(4096, Math.min(layout.sampleRate, 16384));
  const voice = Array.from({ length: nch }, () => new Float32Array(block)), accomp = Array.from({ length: nch }, () => new Float32Array(block));
  const zeros = Array.from({ length: nch }, () => new Float32Array(block));
  const reader = new WavReader(file, layout), out = new Chunks(nch, span.to - span.from);
  let lastPost = 0;
  for (let fed = 0; fed < total; ) {
    const at = span.start + fed;
    const n = at < len ? Math.min(block, len - at, total - fed) : Math.min(block, total - fed);
    sep.process(at < len ? reader.frames(at, n) : zeros, voice, accomp, n);
    const first = Math.max(0, span.from - (at - L)), last = Math.min(n, span.to - (at - L));
    if (last > first) out.add(voice, accomp, first, last - first);
    fed += n;
    const now = Date.now();
    if (now - lastPost > 250 || fed === total) {
      post({ type: 'progress', done: fed, total });
      lastPost = now;
    }
  }
  out.flush();
  return `stream, ${sep.fast ? 'WebAssembly SIMD' : 'JavaScript'}, read from the file`;
}

self.onmessage = (e: MessageEvent<WavFileRequest>) => {
  try {
    post({ type: 'done', ran: run(e.data), fallback: null });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
