/**
 * Training on the page: runs ./train.worker.ts (src/core/network/train.ts on frames from
 * src/core/signal/features.ts) and hands back the trained model's file, validated here where it
 * enters the page (storing it then does not decode it again). Cancelling terminates the worker;
 * nothing is kept from it.
 */
import { validatedModel, type Model } from '../../core/model/model.ts';
import type { TrainProgress } from '../../core/network/train.ts';
import type { GpuJsMode } from '../../gpu/kernels.ts';
import { decodeAudioFile, DecodeError } from '../../io/decode.ts';
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
 * A training file's samples at its own rate, every channel (src/io/decode.ts, as the song is read;
 * a file whose header gives no rate is decoded at 44.1 kHz). Throws TrainInputError with a message
 * for the page.
 */
export async function decodeClip(file: Blob & { name: string }): Promise<AudioClip> {
  const bytes = await file.arrayBuffer();
  try {
    const { sampleRate, channels } = await decodeAudioFile(bytes, file.name, 44100);
    return { name: file.name, sampleRate, channels };
  } catch (e) {
    throw e instanceof DecodeError ? new TrainInputError(e.message) : e;
  }
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
          // The file enters the page here: decoded and validated once, for this thread.
          const model = validatedModel(m.model);
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
