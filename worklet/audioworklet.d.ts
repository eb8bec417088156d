/**
 * The few AudioWorkletGlobalScope names the processors under worklet/ use. TypeScript's lib.dom
 * describes the page side (AudioWorkletNode) but not the scope a processor runs in.
 * https://webaudio.github.io/web-audio-api/#AudioWorkletGlobalScope
 */

/** Base class of every processor; `port` talks to the AudioWorkletNode's port on the page. */
declare abstract class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: AudioWorkletNodeOptions);
  /**
   * Called once per render quantum on the audio thread. inputs[i][c] / outputs[o][c] are the
   * channels of input i / output o; an input with nothing connected has no channels.
   * Returning true keeps the processor alive.
   */
  abstract process(inputs: Float32Array[][], outputs: Float32Array[][], parameters: Record<string, Float32Array>): boolean;
}

declare function registerProcessor(name: string, processorCtor: new (options: AudioWorkletNodeOptions) => AudioWorkletProcessor): void;

/** The context's sample rate (Hz). */
declare const sampleRate: number;
/** Frame index of the first sample of the quantum being processed. */
declare const currentFrame: number;
/** Context time (s) of the first sample of the quantum being processed. */
declare const currentTime: number;
