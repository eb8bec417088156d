/**
 * Export worker for a streamed song (src/io/song-file.ts): the file itself is the input, read here
 * in pieces and separated as it is read, so neither this worker nor the page ever holds the song.
 *
 * - A WAV is read with FileReaderSync on slices of the File (2¹⁸ frames at a time), one span of
 *   the song per worker (core/separate/spans.ts).
 * - Any other format is decoded a packet at a time (src/io/decoded-stream.ts: Mediabunny and the
 *   browser's WebCodecs), by one worker over the whole song. Its length is known only when the
 *   decoder ends, so the 'done' message says what the files hold. A file the decoder cannot read
 *   gets 'unsupported', and the page decodes it whole instead (export.ts).
 *
 * Both feed core/separate/spans.ts's SpanSeparator: the same streaming separator over the same
 * samples (its output does not depend on the block sizes), so the files equal export.worker.ts's,
 * and the CLI's, to f32 rounding. It speaks export.worker.ts's protocol (progress, chunks of
 * 32-bit float data as Blobs, done).
 */
import { decodeModel } from '../../core/model/model.ts';
import { SpanSeparator, type Span } from '../../core/separate/spans.ts';
import { openDecodedStream } from '../../io/decoded-stream.ts';
import { decodeWavFrames, type WavLayout } from '../../io/wav.ts';
import { ChunkSender, throttledProgress } from './chunks.ts';
import type { ExportMessage } from './messages.ts';

export interface SongFileRequest {
  type: 'start';
  model: ArrayBuffer;
  file: Blob;
  /** The WAV's layout; null for a compressed file (decoded here). */
  layout: WavLayout | null;
  /** The part of the song this worker separates (a WAV's; a compressed file is one part). */
  span: Span;
}

/** A worker's synchronous file reader (the page's DOM types, which this project compiles with, lack it). */
declare const FileReaderSync: { new (): { readAsArrayBuffer(blob: Blob): ArrayBuffer } };

const post = (msg: ExportMessage) => (self as unknown as Worker).postMessage(msg);

/** Frames read from a WAV at once. */
const PIECE = 1 << 18;

/** The span of a WAV: its first one or two channels read a piece at a time, in order. */
function runWav(bytes: ArrayBuffer, file: Blob, layout: WavLayout, span: Span): string {
  const nch = Math.min(2, layout.channels), L = layout;
  const out = new ChunkSender(nch, span.to - span.from, post);
  const run = new SpanSeparator(decodeModel(bytes), L.sampleRate, nch, span, (v, a, offset, n) => out.add(v, a, offset, n));
  const reader = new FileReaderSync(), all = Array.from({ length: L.channels }, () => new Float32Array(PIECE));
  const end = Math.min(L.frames, span.to + run.separator.latency), total = end - span.start, report = throttledProgress(post);
  for (let at = span.start; at < end; ) {
    const k = Math.min(PIECE, end - at), from = L.dataOffset + at * L.frameBytes;
    const piece = new Uint8Array(reader.readAsArrayBuffer(file.slice(from, from + k * L.frameBytes)));
    if (piece.length < k * L.frameBytes) throw new Error('the song file could not be read to its end (was it moved or changed?)');
    decodeWavFrames(L, piece, k, all);
    run.feed(all, k);
    at += k;
    report(at - span.start, total);
  }
  run.finish(span.to);
  out.flush();
  return `stream, ${run.separator.fast ? 'WebAssembly SIMD' : 'JavaScript'}, read from the file`;
}

/** A compressed file, decoded packet by packet; its first one or two channels. */
async function runCompressed(bytes: ArrayBuffer, file: Blob): Promise<ExportMessage> {
  const opened = await openDecodedStream(file);
  if (!opened.stream) return { type: 'unsupported', reason: opened.reason };
  const stream = opened.stream, nch = Math.min(2, stream.channels), rate = stream.sampleRate;
  try {
    const estimate = Math.max(1, Math.round(stream.seconds * rate));
    const out = new ChunkSender(nch, estimate, post);
    const run = new SpanSeparator(decodeModel(bytes), rate, nch, { start: 0, from: 0, to: Infinity }, (v, a, offset, n) => out.add(v, a, offset, n));
    const report = throttledProgress(post);
    for await (const piece of stream.pieces()) {
      run.feed(piece, piece[0].length);
      report(run.fed, Math.max(estimate, run.fed + 1));
    }
    const frames = run.fed;
    if (frames === 0) throw new Error('the file holds no audio samples');
    run.finish();
    out.flush();
    report(frames, frames);
    const ran = `stream, ${run.separator.fast ? 'WebAssembly SIMD' : 'JavaScript'}, decoded from the file in pieces`;
    return { type: 'done', ran, fallback: null, audio: { sampleRate: rate, channels: nch, frames } };
  } finally {
    stream.close();
  }
}

self.onmessage = async (e: MessageEvent<SongFileRequest>) => {
  const { model, file, layout, span } = e.data;
  try {
    post(layout ? { type: 'done', ran: runWav(model, file, layout, span), fallback: null } : await runCompressed(model, file));
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
