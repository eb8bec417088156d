/**
 * Messages between the page (src/audio/separator-node.ts) and the separator processor
 * (worklet/separator.worklet.ts), over the AudioWorkletNode's port. Types only.
 */

/** The name the processor is registered under. */
export const SEPARATOR_PROCESSOR = 'voice-separator';
/** The name of the test/recording processor (worklet/recorder.worklet.ts). */
export const RECORDER_PROCESSOR = 'voicesplit-recorder';

export type ToSeparator =
  /** A model file's bytes (transferred): decoded in the worklet (a Model cannot be posted), which validates it, then used. */
  | { type: 'model'; bytes: ArrayBuffer }
  /** Forget the audio heard so far (after a seek or a source change). */
  | { type: 'reset' }
  /**
   * The mask's residual weight β (the Whole voice switch; src/core/signal/masks.ts), or null for the
   * model's own; kept for models loaded later. Applied from the next frame, without a reset.
   */
  | { type: 'residual-weight'; weight: number | null }
  /** Ask for a {@link SeparatorStats} answer; with resetTiming, the timing starts afresh after it is read. */
  | { type: 'stats'; resetTiming?: boolean }
  /**
   * Time process() with this clock: a SharedArrayBuffer a page thread keeps writing the time into
   * (see {@link CLOCK_INDEX}; src/bench/clock.ts), or null for Date.now() (1 ms steps). The
   * processor probes the clock for about `probeMs` (default 1 ms, blocking the audio thread that
   * long, once), resets the timing and reports the clock in the next stats.
   */
  | { type: 'clock'; buffer: SharedArrayBuffer | null; probeMs?: number }
  /** Start the timing afresh (counts, histograms, worst cases). */
  | { type: 'reset-timing' };

/**
 * The timing clock's SharedArrayBuffer, as an Int32Array: the writer stores the time in whole
 * microseconds (wrapping int32) at NOW and counts its writes at UPDATES; the page sets STOP to
 * end the writer; WAIT is the word the writer sleeps on between writes in 'sleep' mode.
 */
export const CLOCK_INDEX = { NOW: 0, UPDATES: 1, STOP: 2, WAIT: 3 } as const;
export const CLOCK_BYTES = 16;

/** The clock process() is timed with, as the processor measured it when it got it. */
export interface ClockInfo {
  /** 'shared': a SharedArrayBuffer written by a page thread; 'date': Date.now(). */
  kind: 'shared' | 'date';
  /** Smallest step seen while reading it in a tight loop (µs); null if it never moved. */
  resolutionUs: number | null;
  /** Mean time between its changes, as seen from the audio thread (µs). */
  updateIntervalUs: number | null;
  /** Cost of one read (ns). */
  readNs: number;
  /** Cost of the timing one process() call carries: two reads of each clock and the bookkeeping (ns). */
  overheadNs: number;
}

/**
 * Wall time of process() calls and of the STFT frames they ran, measured inside the processor
 * since the last timing reset (a new model, a new clock, or a request). Times in µs; context
 * times in s. Per-frame figures: a call that ran k frames counts k frames of duration / k.
 */
export interface SeparatorTiming {
  clock: ClockInfo;
  /** The context's rate. */
  sampleRate: number;
  /** Context time of the first and of the last timed call (null before any). */
  since: number | null;
  until: number | null;
  /** process() calls timed. */
  calls: number;
  /** STFT frames they ran, and how many calls ran at least one. */
  frames: number;
  frameCalls: number;
  /** A call's deadline: its quantum's duration (128 / sampleRate s). */
  deadlineUs: number;
  /** Audio processed (s): the quanta's durations summed. */
  audioSeconds: number;
  /** Wall time spent inside process() (s). */
  cpuSeconds: number;
  /** Real-time factor: audioSeconds / cpuSeconds (how many times faster than real time), null before any call. */
  rtf: number | null;
  /**
   * The same from Date.now() alone: whole-ms differences summed over the calls, an unbiased
   * estimate (calls start at every phase of the millisecond) that needs no writer thread; far from
   * cpuSeconds when the shared clock's writer was starved.
   */
  dateCpuSeconds: number;
  dateRtf: number | null;
  call: {
    medianUs: number | null;
    p99Us: number | null;
    meanUs: number | null;
    worstUs: number | null;
    /** Context time of the worst call, and the frames it ran. */
    worstAt: number | null;
    worstFrames: number;
    /** Mean of the calls that ran no frame (buffering and resampling only). */
    idleMeanUs: number | null;
    /** The longest calls, longest first (at most LONGEST of worklet/timing.ts): duration, context time, frames run. */
    longest: { us: number; at: number; frames: number }[];
  };
  frame: {
    medianUs: number | null;
    p99Us: number | null;
    /** All process() time over all frames (what `npm run bench` calls ms/frame). */
    meanUs: number | null;
    /** The same from Date.now() sums (see dateCpuSeconds). */
    dateMeanUs: number | null;
    /** Frame-running calls' time, less an idle call's mean each, over the frames: the frame's own cost. */
    netMeanUs: number | null;
    worstUs: number | null;
    worstAt: number | null;
  };
  /** Calls that took longer than their deadline. */
  overDeadline: number;
  /** Calls that took longer than half of it (the margin left). */
  overHalfDeadline: number;
  /** Calls where the shared clock disagreed with Date.now() by more than its 1 ms step (its writer was descheduled) and the Date.now() bound gave the duration instead. */
  stalls: number;
}

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
  /** Input samples beyond ±INPUT_LIMIT (+12 dBFS) clipped to it since the last reset. */
  clippedSamples: number;
  /** Frames whose mask was not a number in [0, 1] (a broken model), passed through as accompaniment, since the last reset. */
  badFrames: number;
  /** The mask's residual weight in use (0: the paper's mask; the Whole voice switch sets 3); null before a model. */
  residualWeight: number | null;
  /** Render quanta processed since the processor started. */
  quanta: number;
  /** Quanta that had no input connected (silence was fed). */
  silentQuanta: number;
  /** True while the processor falls back to dry sound after an exception (cleared by reset or a new model). */
  failed: boolean;
  /** Exceptions caught in process() since the processor started. */
  exceptions: number;
  /** Wall-time measurements of process() (see {@link SeparatorTiming}). */
  timing: SeparatorTiming;
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
