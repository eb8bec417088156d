/**
 * A small recorder for measurements (the page's debug handle and the end-to-end tests): records the
 * mean of its input's channels into a buffer allocated once, from 'start' until 'stop' or until
 * the buffer is full, then posts what it has. Its single output stays silent; connect it to the
 * destination so that the graph pulls it.
 *
 * process() allocates nothing; the copy posted on 'stop' is made in onmessage.
 */
import { RECORDER_PROCESSOR, type RecorderResult, type ToRecorder } from './protocol.ts';

class RecorderProcessor extends AudioWorkletProcessor {
  private readonly buffer: Float32Array;
  private length = 0;
  private recording = false;
  private startFrame = -1;

  constructor(options: AudioWorkletNodeOptions) {
    super(options);
    const seconds = Number((options.processorOptions as { seconds?: number } | undefined)?.seconds ?? 30);
    this.buffer = new Float32Array(Math.max(1, Math.ceil(Math.min(600, Math.max(0.1, seconds)) * sampleRate)));
    this.port.onmessage = (e: MessageEvent<ToRecorder>) => {
      if (e.data.type === 'start') {
        this.length = 0;
        this.startFrame = -1;
        this.recording = true;
      } else if (e.data.type === 'stop') {
        this.recording = false;
        const msg: RecorderResult = { type: 'recording', samples: this.buffer.slice(0, this.length), startFrame: this.startFrame };
        this.port.postMessage(msg, [msg.samples.buffer]);
      }
    };
  }

  process(inputs: Float32Array[][]): boolean {
    if (!this.recording) return true;
    const input = inputs[0];
    const n = input?.[0]?.length ?? 128;
    if (this.startFrame < 0) this.startFrame = currentFrame;
    const room = Math.min(n, this.buffer.length - this.length);
    const b = this.buffer, at = this.length;
    if (!input || input.length === 0) {
      for (let i = 0; i < room; i++) b[at + i] = 0;
    } else {
      const channels = input.length, scale = 1 / channels;
      for (let i = 0; i < room; i++) {
        let s = 0;
        for (let c = 0; c < channels; c++) s += input[c][i];
        b[at + i] = s * scale;
      }
    }
    this.length += room;
    return true;
  }
}

registerProcessor(RECORDER_PROCESSOR, RecorderProcessor);
