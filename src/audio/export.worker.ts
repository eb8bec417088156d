/**
 * Export worker: separates a whole song off the main thread, faster than real time, and encodes
 * voice and accompaniment as 32-bit float WAV.
 *
 * It runs core/separator.ts's Separator exactly as separateChannels() does (the CLI's path): the
 * song, then `latency` zeros to flush, and the first `latency` output samples dropped. Fed in
 * one-second blocks so it can report progress; the separator's output does not depend on the
 * block size, so the files equal the CLI's.
 */
import { decodeModel } from '../core/model.ts';
import { Separator } from '../core/separator.ts';
import { encodeWav } from '../io/wav.ts';

export interface ExportRequest {
  type: 'start';
  /** Model file bytes. */
  model: ArrayBuffer;
  sampleRate: number;
  /** One or two channels at `sampleRate`. */
  channels: Float32Array[];
}

export type ExportMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; voice: Uint8Array; accomp: Uint8Array; seconds: number; latency: number }
  | { type: 'error'; message: string };

const post = (msg: ExportMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

self.onmessage = (e: MessageEvent<ExportRequest>) => {
  const t0 = Date.now();
  try {
    const { sampleRate, channels } = e.data;
    const model = decodeModel(e.data.model);
    const sep = new Separator(model, sampleRate, channels.length);
    const len = channels[0].length, total = len + sep.latency;
    const voice = channels.map(() => new Float32Array(total));
    const accomp = channels.map(() => new Float32Array(total));
    const zeros = channels.map(() => new Float32Array(Math.max(1, sep.latency)));
    const block = Math.max(4096, sampleRate);
    let lastPost = 0;
    for (let at = 0; at < total; ) {
      const n = at < len ? Math.min(block, len - at) : total - at;
      const input = at < len ? channels.map((ch) => ch.subarray(at, at + n)) : zeros;
      sep.process(input, voice.map((v) => v.subarray(at, at + n)), accomp.map((a) => a.subarray(at, at + n)), n);
      at += n;
      const now = Date.now();
      if (now - lastPost > 50 || at === total) {
        post({ type: 'progress', done: at, total });
        lastPost = now;
      }
    }
    const cut = (xs: Float32Array[]) => xs.map((x) => x.subarray(sep.latency));
    const voiceWav = encodeWav({ sampleRate, channels: cut(voice) });
    const accompWav = encodeWav({ sampleRate, channels: cut(accomp) });
    post({ type: 'done', voice: voiceWav, accomp: accompWav, seconds: (Date.now() - t0) / 1000, latency: sep.latency }, [voiceWav.buffer, accompWav.buffer]);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
