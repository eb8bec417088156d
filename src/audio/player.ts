/**
 * Plays a decoded song into a node, with play / pause / seek and a position.
 *
 * An AudioBufferSourceNode plays once, so every start (play, resume, seek) makes a new one at the
 * right offset. Each source has its own short gain envelope (a few ms in, a few ms out) so that
 * starting and stopping mid-waveform does not click.
 *
 * A song too long to hold (src/io/song-file.ts) plays from its file instead: a media element,
 * which decodes a few seconds ahead on the browser's media threads, through a
 * MediaElementAudioSourceNode into the same node, with the same envelope (media-track.ts).
 */
import { MediaTrack } from './media-track.ts';

export type PlayerState = 'empty' | 'paused' | 'playing';

const EDGE_TAU = 0.003;
const STOP_AFTER = 0.03;

interface Voice {
  source: AudioBufferSourceNode;
  envelope: GainNode;
}

export class FilePlayer {
  readonly ctx: BaseAudioContext;
  private readonly destination: AudioNode;
  private buffer: AudioBuffer | null = null;
  private current: Voice | null = null;
  /** The streamed song, when one is loaded (then `buffer` is null). */
  private media: MediaTrack | null = null;
  /** Song time (s) at context time `startedAt`. */
  private offset = 0;
  private startedAt = 0;
  /** How many sources were started: a change tells a test that playback was restarted. */
  starts = 0;
  /** Called when the song reaches its end on its own. */
  onEnded: () => void = () => {};
  /** Called when a streamed song's file cannot be played (the browser's reason). */
  onMediaError: (message: string) => void = () => {};

  constructor(ctx: BaseAudioContext, destination: AudioNode) {
    this.ctx = ctx;
    this.destination = destination;
  }

  get state(): PlayerState {
    if (this.media) return this.media.playing ? 'playing' : 'paused';
    if (!this.buffer) return 'empty';
    return this.current ? 'playing' : 'paused';
  }

  get duration(): number {
    return this.media?.duration ?? this.buffer?.duration ?? 0;
  }

  /** Song time (s) of the sample being fed to the separator now. */
  get position(): number {
    if (this.media) return this.media.position;
    if (!this.buffer) return 0;
    if (!this.current) return this.offset;
    return Math.min(this.buffer.duration, this.offset + Math.max(0, this.ctx.currentTime - this.startedAt));
  }

  /**
   * Replaces the song (stops the old one); the new one is paused at 0. A Blob is a song's file,
   * played by a media element (`duration`: its length, as the page found it).
   */
  load(song: AudioBuffer | Blob, duration = 0): void {
    this.stopVoice();
    this.media?.dispose();
    this.media = null;
    this.buffer = null;
    this.offset = 0;
    if (song instanceof AudioBuffer) this.buffer = song;
    else {
      const media = new MediaTrack(this.ctx, this.destination, song, duration);
      media.onEnded = () => this.onEnded();
      media.onError = (message) => this.onMediaError(message);
      this.media = media;
    }
  }

  play(): void {
    if (this.media) {
      if (this.media.start()) this.starts++;
      return;
    }
    if (!this.buffer || this.current) return;
    if (this.offset >= this.buffer.duration - 0.01) this.offset = 0;
    this.startVoice(this.offset);
  }

  pause(): void {
    if (this.media) return this.media.stop();
    if (!this.current) return;
    this.offset = this.position;
    this.stopVoice();
  }

  /** Moves to `seconds` (clamped); keeps playing if it was. */
  seek(seconds: number): void {
    if (this.media) {
      if (this.media.seek(seconds)) this.starts++;
      return;
    }
    if (!this.buffer) return;
    const t = Math.min(Math.max(0, seconds), this.buffer.duration);
    if (this.current) {
      this.stopVoice();
      this.startVoice(t);
    } else {
      this.offset = t;
    }
  }

  private startVoice(at: number): void {
    const ctx = this.ctx;
    const source = new AudioBufferSourceNode(ctx, { buffer: this.buffer });
    const envelope = new GainNode(ctx, { gain: 0 });
    source.connect(envelope).connect(this.destination);
    const now = ctx.currentTime;
    envelope.gain.setValueAtTime(0, now);
    envelope.gain.setTargetAtTime(1, now, EDGE_TAU);
    const voice: Voice = { source, envelope };
    source.onended = () => {
      if (this.current !== voice) return; // stopped by us
      this.current = null;
      this.offset = this.buffer?.duration ?? 0;
      envelope.disconnect();
      this.onEnded();
    };
    source.start(now, at);
    this.offset = at;
    this.startedAt = now;
    this.current = voice;
    this.starts++;
  }

  private stopVoice(): void {
    const v = this.current;
    if (!v) return;
    this.current = null;
    const now = this.ctx.currentTime;
    v.envelope.gain.cancelScheduledValues(now);
    v.envelope.gain.setTargetAtTime(0, now, EDGE_TAU);
    try {
      v.source.stop(now + STOP_AFTER);
    } catch {
      /* already stopped */
    }
    setTimeout(() => v.envelope.disconnect(), (STOP_AFTER + 0.05) * 1000);
  }
}
