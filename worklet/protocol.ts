/**
 * Messages between the page (src/audio/separator-node.ts) and the separator processor
 * (worklet/separator.worklet.ts), over the AudioWorkletNode's port. Types only.
 */

/** The name the processor is registered under. */
export const SEPARATOR_PROCESSOR = 'voice-separator';
/** The name of the test/recording processor (worklet/recorder.worklet.ts). */
export const RECORDER_PROCESSOR = 'voicesplit-recorder';

export type ToSeparator =
  /** A model file's bytes (transferred): decoded and validated in the worklet, then used. */
  | { type: 'model'; bytes: ArrayBuffer }
  /** Forget the audio heard so far (after a seek or a source change). */
  | { type: 'reset' }
  /** Ask for a {@link SeparatorStats} answer. */
  | { type: 'stats' };

export interface SeparatorReady {
  type: 'ready';
  /** Output sample i is the separation of input sample i − latency (context samples). */
  latency: number;
  /** The context's rate, as the processor sees it. */
  sampleRate: number;
  /** The rate the network works at. */
  modelRate: number;
  /** describeModel() of the model in use. */
  description: string;
}

export interface SeparatorError {
  type: 'error';
  /** What went wrong, in words for the page. */
  message: string;
  /** 'model': the model was refused (the previous one, if any, stays); 'process': the audio path failed and fell back to dry sound. */
  stage: 'model' | 'process';
}

export interface SeparatorStats {
  type: 'stats';
  /** True once a model is loaded. */
  ready: boolean;
  /** STFT frames the network has processed since the last reset. */
  frames: number;
  /** Non-finite input samples replaced by silence since the last reset. */
  badSamples: number;
  /** Render quanta processed since the processor started. */
  quanta: number;
  /** Quanta that had no input connected (silence was fed). */
  silentQuanta: number;
  /** True while the processor falls back to dry sound after an exception (cleared by reset or a new model). */
  failed: boolean;
  /** Exceptions caught in process() since the processor started. */
  exceptions: number;
}

export type FromSeparator = SeparatorReady | SeparatorError | SeparatorStats;

export type ToRecorder = { type: 'start' } | { type: 'stop' };
export interface RecorderResult {
  type: 'recording';
  /** Mono (mean of the channels) samples recorded since 'start', up to the capacity. */
  samples: Float32Array;
  /** Context frame of the first recorded sample. */
  startFrame: number;
}
