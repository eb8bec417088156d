/**
 * Training worker: fine-tunes a model on the page with src/core/network/train.ts itself (the code of
 * `npm run train`), on frames from src/core/signal/features.ts (via ./train-data.ts), off the main
 * thread. The matrix products run on our WebAssembly SIMD kernels ('wasm'), or on gpu.js kernels
 * on a hardware GPU ('webgl2' | 'webgl', through an OffscreenCanvas that gpu.js makes in a worker),
 * with the weights kept on the GPU and re-uploaded only after a step changes them.
 *
 * In: the model file, the decoded clips, the options. Out: progress at each validation, then the
 * trained model's file (encodeModel validates the model; the page decodes the file where it
 * arrives, ./train.ts). Cancelling is terminating the worker:
 * nothing it did is kept.
 */
import { setMatrixBackend } from '../../core/linalg/matrix.ts';
import { decodeModel, describeModel, encodeModel } from '../../core/model/model.ts';
import { trainNetwork, type Regime, type TrainProgress } from '../../core/network/train.ts';
import type { GpuJsMode } from '../../gpu/kernels.ts';
import { buildTrainData, TrainDataError, type TrainFiles } from './train-data.ts';

export interface TrainSettings {
  regime: Regime;
  steps: number;
  learningRate: number;
  dictUpdate: boolean;
  batch: number;
  seed: number;
}

export interface TrainRequest {
  type: 'start';
  model: ArrayBuffer;
  files: TrainFiles;
  settings: TrainSettings;
  compute: 'wasm' | GpuJsMode;
  /** Name for the trained model. */
  name: string;
}

export type TrainMessage =
  | { type: 'prepared'; trainFrames: number; valFrames: number; seconds: number; clips: number; ran: string; fallback: string | null }
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; model: ArrayBuffer; description: string; history: TrainProgress[]; seconds: number; ran: string }
  | { type: 'error'; message: string; data: boolean };

const post = (msg: TrainMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

self.onmessage = async (e: MessageEvent<TrainRequest>) => {
  const t0 = Date.now();
  const { settings } = e.data;
  try {
    // The page validated these bytes, but a Model cannot be posted: this thread rebuilds it.
    const model = decodeModel(e.data.model);
    const baseName = typeof model.info.name === 'string' ? model.info.name : 'model';
    const data = buildTrainData(settings.regime, e.data.files, model.header);
    let ran = 'WebAssembly SIMD', fallback: string | null = null;
    let release = () => {};
    if (e.data.compute !== 'wasm') {
      try {
        const { GpuMatrix } = await import('../../gpu/kernels.ts');
        const g = await GpuMatrix.create(e.data.compute);
        // The weights live on the GPU; each use checks them against what was uploaded (Adam
        // changes them after every step) and re-uploads what changed.
        g.setResident(Object.values(model.arrays).map((a) => a.data), true);
        setMatrixBackend(g);
        ran = g.name;
        release = () => {
          setMatrixBackend(null);
          g.destroy();
        };
      } catch (err) {
        fallback = `the GPU could not be used (${err instanceof Error ? err.message : String(err)}); training runs on the CPU`;
      }
    }
    post({ type: 'prepared', trainFrames: data.train.x.cols, valFrames: data.val.x.cols, seconds: data.seconds, clips: data.clips, ran, fallback });
    let history: TrainProgress[];
    try {
      history = trainNetwork(model, data.train, data.val, {
        regime: settings.regime, dictUpdate: settings.dictUpdate, steps: settings.steps, batch: settings.batch,
        learningRate: settings.learningRate, seed: settings.seed,
        // Structured models that were trained tied stay tied (one set of layer parameters).
        tied: model.header.tied,
        validateEvery: Math.max(1, Math.round(settings.steps / 25)),
        patience: 0,
        onProgress: (progress) => post({ type: 'progress', progress }),
      });
    } finally {
      release();
    }
    const first = history[0], last = history[history.length - 1];
    model.info = {
      ...model.info,
      name: e.data.name,
      base: baseName,
      regime: settings.regime,
      dictUpdate: settings.dictUpdate,
      trainedIn: `the browser (${ran})`,
      trainedAt: new Date().toISOString(),
      steps: settings.steps,
      learningRate: settings.learningRate,
      trainingSeconds: data.seconds,
      files: [...e.data.files.pairs.flatMap((p) => [p.voice.name, p.accomp.name]), ...e.data.files.voiceOnly.map((c) => c.name), ...e.data.files.accompOnly.map((c) => c.name), ...e.data.files.mixtures.map((c) => c.name)],
      validationLoss: { start: first.valLoss, best: last.bestValLoss, bestStep: last.bestStep },
    };
    // encodeModel checks the model; the page reads the file back where it receives it (./train.ts).
    const buffer = encodeModel(model).slice().buffer;
    post({ type: 'done', model: buffer, description: describeModel(model), history, seconds: (Date.now() - t0) / 1000, ran }, [buffer]);
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err), data: err instanceof TrainDataError });
  }
};
