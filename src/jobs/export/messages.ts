/** What the export workers (export.worker.ts, song-file.worker.ts) post to the page (export.ts). */
export type ExportMessage =
  | { type: 'progress'; done: number; total: number }
  /** The next stretch of both files' data, as Blobs of interleaved samples (chunks arrive in order). */
  | { type: 'chunk'; voice: Blob; accomp: Blob }
  | {
    type: 'done';
    /** What ran: e.g. "stream, WebAssembly SIMD" or "batch, gpu.js webgl2"; and why a fallback happened. */
    ran: string; fallback: string | null;
    /** What the files hold, where only the decoding could tell (a decoded stream: song-file.worker.ts). */
    audio?: { sampleRate: number; channels: number; frames: number };
  }
  /** A compressed file this worker cannot decode (song-file.worker.ts): the page decodes it whole instead. */
  | { type: 'unsupported'; reason: string }
  | { type: 'error'; message: string };
