/**
 * Training on the page: runs ./train.worker.ts (src/core/train.ts on frames from
 * src/core/features.ts) and hands back the trained model's file, decoded again here to be sure it
 * is valid. Cancelling terminates the worker; nothing is kept from it.
 */
import { decodeModel, type Model } from '../../core/model/model.ts';
import type { TrainProgress } from '../../core/network/train.ts';
import type { GpuJsMode } from '../../gpu/kernels.ts';
import { decodeWav } from '../../io/wav.ts';
import { sniffSampleRate } from '../../io/sniff.ts';
import type { AudioClip, TrainFiles } from './train-data.ts';
import type { TrainMessage, TrainRequest, TrainSettings } from './train.worker.ts';
import TrainWorker from './train.worker.ts?worker';

export type { TrainSettings };

export interface TrainResult {
  bytes: ArrayBuffer;
  model: Model;
  description: string;
  history: TrainProgress[];
  /** Wall-clock seconds, data preparation included. */
  seconds: number;
  /** Where the products ran ("WebAssembly SIMD", "gpu.js webgl2"). */
  ran: string;
}

export interface TrainPrepared {
  trainFrames: number;
  valFrames: number;
  seconds: number;
  clips: number;
  ran: string;
  fallback: string | null;
}

export interface TrainJob {
  result: Promise<TrainResult>;
  cancel(): void;
}

export class TrainCancelled extends Error {
  override name = 'TrainCancelled';
}

/** A problem with the files given (a message for the person, not a bug). */
export class TrainInputError extends Error {
  override name = 'TrainInputError';
}

/**
 * A training file's samples at its own rate, every channel: WAV by the project's reader, anything
 * else by the browser (decoded at the file's own rate where its header says it). Throws
 * TrainInputError with a message for the page.
 */
export async function decodeClip(file: Blob & { name: string }): Promise<AudioClip> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length === 0) throw new TrainInputError(`“${file.name}” is empty.`);
  const isWav = bytes.length >= 12 && String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...bytes.subarray(8, 12)) === 'WAVE';
  if (isWav) {
    try {
      const wav = decodeWav(bytes, `“${file.name}”`);
      if (wav.channels.length > 0 && wav.channels[0].length > 0) return { name: file.name, sampleRate: wav.sampleRate, channels: wav.channels };
    } catch {
      /* an encoding the reader does not know: let the browser try */
    }
  }
  const rate = sniffSampleRate(bytes) ?? 44100;
  let buffer: AudioBuffer;
  try {
    buffer = await new OfflineAudioContext(1, 1, rate).decodeAudioData(bytes.slice().buffer);
  } catch (e) {
    throw new TrainInputError(`“${file.name}” could not be decoded: this browser cannot read it as audio (${(e as Error)?.message || 'unknown format'}). Try WAV, MP3, OGG or FLAC.`);
  }
  if (buffer.length === 0) throw new TrainInputError(`“${file.name}” holds no audio samples.`);
  return { name: file.name, sampleRate: buffer.sampleRate, channels: Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c).slice()) };
}

export interface TrainCallbacks {
  onPrepared?: (p: TrainPrepared) => void;
  onProgress?: (p: TrainProgress) => void;
}

/**
 * Starts training `modelBytes` (copied) on `files` (their sample arrays are transferred to the
 * worker: the caller must not use them afterwards).
 */
export function startTraining(
  modelBytes: ArrayBuffer, files: TrainFiles, settings: TrainSettings, compute: 'wasm' | GpuJsMode, name: string, cb: TrainCallbacks = {},
): TrainJob {
  const worker = new TrainWorker();
  let rejectJob: (e: Error) => void = () => {};
  const result = new Promise<TrainResult>((resolve, reject) => {
    rejectJob = reject;
    worker.onmessage = (e: MessageEvent<TrainMessage>) => {
      const m = e.data;
      if (m.type === 'prepared') cb.onPrepared?.(m);
      else if (m.type === 'progress') cb.onProgress?.(m.progress);
      else if (m.type === 'done') {
        worker.terminate();
        try {
          const model = decodeModel(m.model);
          resolve({ bytes: m.model, model, description: m.description, history: m.history, seconds: m.seconds, ran: m.ran });
        } catch (err) {
          reject(new Error(`the trained model did not validate: ${(err as Error).message}`));
        }
      } else {
        worker.terminate();
        reject(m.data ? new TrainInputError(m.message) : new Error(m.message));
      }
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(e.message || 'the training worker failed to start'));
    };
  });
  const buffers = [...files.pairs.flatMap((p) => [p.voice, p.accomp]), ...files.voiceOnly, ...files.accompOnly, ...files.mixtures]
    .flatMap((c) => c.channels.map((ch) => ch.buffer as ArrayBuffer));
  const request: TrainRequest = { type: 'start', model: modelBytes.slice(0), files, settings, compute, name };
  worker.postMessage(request, [request.model, ...new Set(buffers)]);
  return {
    result,
    cancel() {
      worker.terminate();
      rejectJob(new TrainCancelled('training cancelled'));
    },
  };
}
