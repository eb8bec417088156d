/**
 * `window.voicesplit`: a small handle for tests and for curious people with a console.
 *
 *   await voicesplit.started                 start-up over (model and demo loaded or failed)
 *   voicesplit.state()                       what the page is doing: context, song, model, mix, position…
 *   await voicesplit.renderOffline(channels, sampleRate, { mix })   (with the song's Whole voice setting)
 *        renders samples through the real separator worklet and the page's graph in an
 *        OfflineAudioContext at `sampleRate`; returns voice, accompaniment and the mixed output
 *        (each one Float32Array per channel, stereo, aligned: the separator's latency is removed),
 *        and that latency in samples
 *   await voicesplit.record('output' | 'voice' | 'accomp' | 'input', seconds)
 *        records the realtime graph at that point (mean of the channels) for `seconds`
 *   await voicesplit.stats()                 the separator worklet's counters, with its timing of process()
 *   await voicesplit.timing.startClock('sleep' | 'spin' | 'auto' | 'date')
 *        gives the worklet a sub-millisecond clock (a Worker writing into a SharedArrayBuffer, see
 *        src/bench/clock.ts; 'date' = its own Date.now()); returns the clock as the worklet measured it
 *   await voicesplit.timing.reset()          starts the worklet's timing afresh
 *   voicesplit.timing.playback()             the AudioContext's playbackStats (underruns), where Chromium has them
 *   voicesplit.toBase64(f32) / fromBase64(s) Float32Array ⇄ base64 (to move audio in and out fast)
 *
 * Nothing here changes what the page does; it only reads it, or builds separate offline graphs.
 */
import { RECORDER_PROCESSOR, type RecorderResult } from '../../worklet/protocol.ts';
import { bufferOf } from '../io/decode.ts';
import { DEFAULT_MIX, Engine, type Mix } from '../audio/engine.ts';
import { loadRecorderModule } from '../audio/worklets.ts';
import { separatorLatency } from '../core/separate/latency.ts';
import { WHOLE_VOICE_RESIDUAL } from '../core/model/model.ts';
import type { App } from './app.ts';
import { attachClock, startClock, type ClockMode, type TimingClock } from '../bench/clock.ts';
import type { ClockInfo, SeparatorStats, ToSeparator } from '../../worklet/protocol.ts';

export interface OfflineRender {
  voice: Float32Array[];
  accomp: Float32Array[];
  output: Float32Array[];
  latency: number;
  sampleRate: number;
  /** The processor's description of the model it used. */
  model: string;
}

export type Tap = 'output' | 'voice' | 'accomp' | 'input';

/** AudioContext.playbackStats (Chromium): glitches of the realtime output. */
export interface PlaybackStats {
  underrunEvents: number;
  underrunDuration: number;
  totalDuration: number;
  averageLatency: number;
  minimumLatency: number;
  maximumLatency: number;
}

export interface TimingHandle {
  startClock(mode?: ClockMode): Promise<ClockInfo | null>;
  reset(): Promise<void>;
  playback(): PlaybackStats | null;
}

export interface DebugHandle {
  version: 1;
  started: Promise<void>;
  state(): ReturnType<typeof snapshot>;
  renderOffline(channels: Float32Array[], sampleRate: number, options?: { mix?: Partial<Mix> }): Promise<OfflineRender>;
  record(tap: Tap, seconds: number): Promise<{ samples: Float32Array; sampleRate: number; startTime: number }>;
  stats(): Promise<SeparatorStats | null>;
  timing: TimingHandle;
  toBase64(x: Float32Array): string;
  fromBase64(s: string): Float32Array;
}

function snapshot(app: App) {
  const ctx = app.ctx;
  return {
    context: ctx ? { state: ctx.state, sampleRate: ctx.sampleRate, currentTime: ctx.currentTime, outputLatency: ctx.outputLatency ?? 0, baseLatency: ctx.baseLatency } : null,
    song: app.song ? { name: app.song.name, title: app.song.title, sampleRate: app.song.sampleRate, channels: app.song.stream ? Math.min(2, app.song.fileChannels) : app.song.channels.length, streamed: !!app.song.stream, duration: app.song.duration } : null,
    player: app.player ? { state: app.player.state, position: app.player.position, duration: app.player.duration, starts: app.player.starts } : null,
    model: app.model ? { from: app.model.from, stored: app.model.stored, description: app.model.description, rate: app.model.model.header.sampleRate } : null,
    latency: app.latency,
    mix: { ...app.mix },
    mic: app.mic ? { label: app.mic.label } : null,
    exporting: app.exportJob !== null,
    messages: [...app.messages],
  };
}

function toBase64(x: Float32Array): string {
  const bytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): Float32Array {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

async function renderOffline(app: App, channels: Float32Array[], sampleRate: number, options: { mix?: Partial<Mix> } = {}): Promise<OfflineRender> {
  if (!app.model) throw new Error('no model is loaded');
  if (channels.length < 1 || channels.length > 2) throw new Error('renderOffline takes one or two channels');
  const n = channels[0].length;
  // The offline context's length is fixed up front: the latency, from the same core the worklet runs.
  const latency = separatorLatency(app.model.model.header, sampleRate);
  const ctx = new OfflineAudioContext({ numberOfChannels: 6, length: n + latency, sampleRate });
  const engine = await Engine.create(ctx, null);
  // What the page plays a song with: its model and its Whole voice setting (mixer.ts).
  engine.separator.setResidualWeight(app.wholeVoice.song ? WHOLE_VOICE_RESIDUAL : null);
  const ready = await engine.separator.setModel(app.model.bytes.slice(0));
  if (ready.latency !== latency) throw new Error(`the worklet reports a latency of ${ready.latency} samples, the page expected ${latency}`);
  engine.setMix({ ...DEFAULT_MIX, ...options.mix }, false);
  const source = new AudioBufferSourceNode(ctx, { buffer: bufferOf(channels, sampleRate) });
  source.connect(engine.input);
  source.start(0);
  // Six channels out: voice L/R, accompaniment L/R, output L/R.
  const merger = new ChannelMergerNode(ctx, { numberOfInputs: 6 });
  ([[engine.voiceBus, 0], [engine.accompBus, 2], [engine.output, 4]] as const).forEach(([node, at]) => {
    const split = new ChannelSplitterNode(ctx, { numberOfOutputs: 2 });
    node.connect(split);
    split.connect(merger, 0, at);
    split.connect(merger, 1, at + 1);
  });
  ctx.destination.channelInterpretation = 'discrete';
  merger.connect(ctx.destination);
  const out = await ctx.startRendering();
  const take = (c: number) => out.getChannelData(c).slice(latency, latency + n);
  return { voice: [take(0), take(1)], accomp: [take(2), take(3)], output: [take(4), take(5)], latency, sampleRate, model: ready.description };
}

async function record(app: App, tap: Tap, seconds: number) {
  const ctx = app.ctx, engine = app.engine;
  if (!ctx || !engine) throw new Error('audio is not running');
  await loadRecorderModule(ctx);
  const node = new AudioWorkletNode(ctx, RECORDER_PROCESSOR, {
    numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], processorOptions: { seconds: seconds + 1 },
  });
  const source = { output: engine.output, voice: engine.voiceBus, accomp: engine.accompBus, input: engine.input }[tap];
  source.connect(node);
  node.connect(ctx.destination);
  const result = new Promise<RecorderResult>((resolve) => {
    node.port.onmessage = (e: MessageEvent<RecorderResult>) => resolve(e.data);
  });
  node.port.postMessage({ type: 'start' });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  node.port.postMessage({ type: 'stop' });
  const r = await result;
  source.disconnect(node);
  node.disconnect();
  return { samples: r.samples, sampleRate: ctx.sampleRate, startTime: r.startFrame / ctx.sampleRate };
}

function timingHandle(app: App): TimingHandle {
  let clock: TimingClock | null = null;
  const separator = () => {
    const sep = app.engine?.separator;
    if (!sep) throw new Error('audio is not running');
    return sep;
  };
  return {
    async startClock(mode = 'sleep') {
      const sep = separator();
      clock?.stop();
      clock = await startClock(mode);
      attachClock(sep.node, clock);
      return (await sep.stats())?.timing.clock ?? null;
    },
    async reset() {
      const sep = separator();
      sep.node.port.postMessage({ type: 'reset-timing' } satisfies ToSeparator);
      await sep.stats(); // answered after the reset: messages are handled in order
    },
    playback() {
      const ps = (app.ctx as (AudioContext & { playbackStats?: PlaybackStats }) | null)?.playbackStats;
      if (!ps) return null;
      const { underrunEvents, underrunDuration, totalDuration, averageLatency, minimumLatency, maximumLatency } = ps;
      return { underrunEvents, underrunDuration, totalDuration, averageLatency, minimumLatency, maximumLatency };
    },
  };
}

export function installDebugHandle(app: App): DebugHandle {
  const handle: DebugHandle = {
    version: 1,
    started: app.started,
    state: () => snapshot(app),
    renderOffline: (channels, sampleRate, options) => renderOffline(app, channels, sampleRate, options),
    record: (tap, seconds) => record(app, tap, seconds),
    stats: async () => (await app.engine?.separator.stats()) ?? null,
    timing: timingHandle(app),
    toBase64,
    fromBase64,
  };
  (window as unknown as { voicesplit: DebugHandle }).voicesplit = handle;
  return handle;
}
