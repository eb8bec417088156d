/**
 * The page side of the separator worklet: creates the AudioWorkletNode, hands it model bytes
 * (transferred, so the weights are not copied twice), and turns its port messages into promises
 * and callbacks.
 */
import {
  SEPARATOR_PROCESSOR, type FromSeparator, type SeparatorReady, type SeparatorStats, type ToSeparator,
} from '../../worklet/protocol.ts';
import { loadSeparatorModule } from './worklets.ts';

export type { SeparatorReady, SeparatorStats };

export class SeparatorNode {
  readonly node: AudioWorkletNode;
  /** Set once a model is loaded; null before. */
  ready: SeparatorReady | null = null;
  /** Problems the processor reports (a refused model, a failure in process()). */
  onError: (message: string, stage: 'model' | 'process') => void = () => {};

  private pendingModel: { resolve: (r: SeparatorReady) => void; reject: (e: Error) => void } | null = null;
  private pendingStats: ((s: SeparatorStats) => void)[] = [];

  private constructor(ctx: BaseAudioContext) {
    this.node = new AudioWorkletNode(ctx, SEPARATOR_PROCESSOR, {
      numberOfInputs: 1,
      numberOfOutputs: 2,
      outputChannelCount: [2, 2],
      // The processor always sees two channels: a mono source is up-mixed (both sides equal).
      channelCount: 2,
      channelCountMode: 'explicit',
      channelInterpretation: 'speakers',
    });
    this.node.port.onmessage = (e: MessageEvent<FromSeparator>) => this.onMessage(e.data);
    this.node.onprocessorerror = () => this.onError('the separator stopped unexpectedly; reload the page', 'process');
  }

  /** Loads the processor module into the context (once) and creates the node. */
  static async create(ctx: BaseAudioContext): Promise<SeparatorNode> {
    await loadSeparatorModule(ctx);
    return new SeparatorNode(ctx);
  }

  /**
   * Sends a model file to the processor, which decodes it (the page's Model cannot cross to the
   * audio thread; the decode validates it there too) and switches to it. The buffer is
   * transferred (detached here): pass a copy if you need to keep it. Resolves when the processor
   * is ready; rejects with the processor's reason if it refuses the model (the previous model,
   * if any, stays in use).
   */
  setModel(bytes: ArrayBuffer): Promise<SeparatorReady> {
    this.pendingModel?.reject(new Error('replaced by a newer model'));
    return new Promise<SeparatorReady>((resolve, reject) => {
      this.pendingModel = { resolve, reject };
      this.post({ type: 'model', bytes }, [bytes]);
    });
  }

  /**
   * The mask's residual weight β (the Whole voice switch), or null for the model's own: applied
   * from the next frame, to this model and the next.
   */
  setResidualWeight(weight: number | null): void {
    this.post({ type: 'residual-weight', weight });
  }

  /** Clears what the separator has heard (after a seek, or when the source changes). */
  reset(): void {
    this.post({ type: 'reset' });
  }

  /** Asks the processor for its counters. Resolves on its answer (or with null after 1 s without one). */
  stats(): Promise<SeparatorStats | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.pendingStats.indexOf(done);
        if (i >= 0) this.pendingStats.splice(i, 1);
        resolve(null);
      }, 1000);
      const done = (s: SeparatorStats) => {
        clearTimeout(timer);
        resolve(s);
      };
      this.pendingStats.push(done);
      this.post({ type: 'stats' });
    });
  }

  private post(msg: ToSeparator, transfer: Transferable[] = []): void {
    this.node.port.postMessage(msg, transfer);
  }

  private onMessage(msg: FromSeparator): void {
    switch (msg.type) {
      case 'ready':
        this.ready = msg;
        this.pendingModel?.resolve(msg);
        this.pendingModel = null;
        break;
      case 'error':
        if (msg.stage === 'model' && this.pendingModel) {
          this.pendingModel.reject(new Error(msg.message));
          this.pendingModel = null;
        } else {
          this.onError(msg.message, msg.stage);
        }
        break;
      case 'stats':
        this.pendingStats.shift()?.(msg);
        break;
    }
  }
}
