/**
 * The voice separator as an AudioWorkletProcessor: one input (mono or stereo), two stereo outputs,
 * 0 = voice and 1 = accompaniment.
 *
 * The separation itself is src/core/separate/separator.ts, the same code the CLI and the export run: it
 * buffers the input into 1024-sample windows every 256 samples (at the model's rate, resampling
 * from and to the context's rate as needed), runs the NN RNMF network on one frame at a time, and
 * overlap-adds the masked voice; accompaniment = the delayed input − voice. Stereo is kept: the
 * network sees the mid signal and its mask is applied to each channel.
 *
 * Guarantees:
 * - process() allocates nothing and never throws: every buffer is made in the constructor or in
 *   onmessage (where a model arrives), and an exception inside the separator is caught, turns the
 *   processor into a bypass (voice silent, accompaniment = dry input) and is reported once.
 * - Before a model is ready, voice is silent and the accompaniment is the dry input, so the page
 *   plays sound at once.
 * - Problems go to the page over the port ({@link SeparatorError}); statistics are answered from
 *   onmessage, never posted from process().
 * - Every process() call is timed (worklet/timing.ts): its wall time and the frames it ran go into
 *   preallocated counters and histograms, read out with the stats. The clock is Date.now() until the
 *   page hands over a SharedArrayBuffer clock ({type: 'clock'}); the timing costs two reads of
 *   each clock and a few typed-array writes per call.
 */
import { decodeModel, describeModel } from '../src/core/model/model.ts';
import { Separator } from '../src/core/separate/separator.ts';
import { SEPARATOR_PROCESSOR, type FromSeparator, type ToSeparator } from './protocol.ts';
import { ProcessTimer } from './timing.ts';

/** Longest render quantum handled (Web Audio uses 128; a future renderSizeHint may raise it). */
const MAX_QUANTUM = 8192;

class SeparatorProcessor extends AudioWorkletProcessor {
  private separator: Separator | null = null;
  /** The residual weight the page asked for (null: the model's own), for this model and the next. */
  private residualWeight: number | null = null;
  /** Set when process() caught an exception; cleared by reset or a new model. */
  private failed = false;
  private failureReported = false;
  private lastFailure = '';
  private exceptions = 0;
  private quanta = 0;
  private silentQuanta = 0;
  // Preallocated views handed to the separator: no arrays are built in process().
  private readonly silence = new Float32Array(MAX_QUANTUM);
  private readonly inputRefs: Float32Array[] = [this.silence, this.silence];
  private readonly voiceRefs: Float32Array[] = [];
  private readonly accompRefs: Float32Array[] = [];
  /** Stand-ins for output channels the engine did not give us (never expected with outputChannelCount [2, 2]). */
  private readonly spare = [0, 1, 2, 3].map(() => new Float32Array(MAX_QUANTUM));
  private readonly timer = new ProcessTimer();

  constructor(options: AudioWorkletNodeOptions) {
    super(options);
    this.voiceRefs.push(this.spare[0], this.spare[1]);
    this.accompRefs.push(this.spare[2], this.spare[3]);
    this.port.onmessage = (e: MessageEvent<ToSeparator>) => this.onMessage(e.data);
  }

  /** Runs between render quanta on the audio thread: may allocate, must not throw. */
  private onMessage(msg: ToSeparator): void {
    try {
      switch (msg.type) {
        case 'model':
          this.loadModel(msg.bytes);
          break;
        case 'residual-weight':
          this.separator?.setResidualWeight(msg.weight);
          this.residualWeight = msg.weight;
          break;
        case 'reset':
          this.separator?.reset();
          this.failed = false;
          this.failureReported = false;
          break;
        case 'stats': {
          const s = this.separator?.counters;
          this.post({
            type: 'stats', ready: this.separator !== null, frames: s?.frames ?? 0, badSamples: s?.badSamples ?? 0,
            clippedSamples: s?.clippedSamples ?? 0, badFrames: s?.badFrames ?? 0, residualWeight: this.separator?.residualWeight ?? null,
            quanta: this.quanta, silentQuanta: this.silentQuanta, failed: this.failed, exceptions: this.exceptions,
            timing: this.timer.snapshot(sampleRate),
          });
          if (msg.resetTiming) this.timer.reset();
          break;
        }
        case 'clock':
          this.timer.attach(msg.buffer ?? null, Math.min(Math.max(msg.probeMs ?? 1, 0), 20));
          break;
        case 'reset-timing':
          this.timer.reset();
          break;
        default:
          this.post({ type: 'error', stage: 'model', message: `the separator got an unknown message ${JSON.stringify((msg as { type?: unknown }).type)}` });
      }
    } catch (e) {
      this.post({ type: 'error', stage: 'model', message: `the separator could not handle "${msg?.type}": ${errorText(e)}` });
    }
  }

  /**
   * Rebuilds the Model from the file's bytes: a Model cannot be posted to the audio thread, so this
   * decode is needed (the page validated the bytes on its side). Its checks come with it: a bad
   * file is refused with the decoder's message, never thrown.
   */
  private loadModel(bytes: ArrayBuffer): void {
    let separator: Separator;
    try {
      const model = decodeModel(bytes);
      separator = new Separator(model, sampleRate, 2);
      separator.setResidualWeight(this.residualWeight);
      this.post({ type: 'ready', latency: separator.latency, sampleRate, modelRate: model.header.sampleRate, description: describeModel(model) });
    } catch (e) {
      this.post({ type: 'error', stage: 'model', message: `the model was refused: ${errorText(e)}` });
      return;
    }
    this.separator = separator;
    this.failed = false;
    this.failureReported = false;
    this.timer.reset(); // the figures describe the model in use
  }

  private post(msg: FromSeparator): void {
    this.port.postMessage(msg);
  }

  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    this.timer.begin();
    const sep = this.separator;
    const framesBefore = sep !== null ? sep.counters.frames : 0;
    const n = this.render(inputs, outputs);
    // Frames this call ran (a reset or a new model only arrives between calls).
    const frames = sep !== null ? sep.counters.frames - framesBefore : 0;
    this.timer.end(frames, currentTime, (n / sampleRate) * 1e6);
    return true;
  }

  /** One render quantum; returns its length. */
  private render(inputs: Float32Array[][], outputs: Float32Array[][]): number {
    this.quanta++;
    const input = inputs[0];
    const voiceOut = outputs[0], accompOut = outputs[1];
    const n = Math.min(voiceOut?.[0]?.length ?? accompOut?.[0]?.length ?? 128, MAX_QUANTUM);
    // Input channels: stereo as is, mono to both sides, nothing connected = silence.
    if (!input || input.length === 0) {
      this.inputRefs[0] = this.inputRefs[1] = this.silence;
      this.silentQuanta++;
    } else {
      this.inputRefs[0] = input[0];
      this.inputRefs[1] = input.length > 1 ? input[1] : input[0];
    }
    this.voiceRefs[0] = voiceOut?.[0] ?? this.spare[0];
    this.voiceRefs[1] = voiceOut?.[1] ?? this.spare[1];
    this.accompRefs[0] = accompOut?.[0] ?? this.spare[2];
    this.accompRefs[1] = accompOut?.[1] ?? this.spare[3];

    const sep = this.separator;
    if (sep && !this.failed) {
      try {
        sep.process(this.inputRefs, this.voiceRefs, this.accompRefs, n);
        return n;
      } catch (e) {
        this.failed = true;
        this.exceptions++;
        this.lastFailure = errorText(e);
      }
    }
    this.bypass(n);
    if (this.failed && !this.failureReported) {
      // Once per failure: the page shows it and can reset.
      this.failureReported = true;
      this.post({ type: 'error', stage: 'process', message: `the separator failed and now passes the sound through unseparated: ${this.lastFailure}` });
    }
    return n;
  }

  /** Voice silent, accompaniment = the dry input (no latency: there is nothing to align with). */
  private bypass(n: number): void {
    for (let c = 0; c < 2; c++) {
      const v = this.voiceRefs[c], a = this.accompRefs[c], x = this.inputRefs[c];
      for (let i = 0; i < n; i++) {
        const s = x[i];
        v[i] = 0;
        a[i] = s - s === 0 ? s : 0; // keep NaN/Infinity out of the speakers
      }
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

registerProcessor(SEPARATOR_PROCESSOR, SeparatorProcessor);
