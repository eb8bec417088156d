/**
 * What the page's cards (song-card.ts, transport.ts, mixer.ts, meters.ts, microphone-card.ts,
 * export-card.ts, engine-card.ts, status-line.ts) see of the page and of each other: the state the
 * App holds (src/ui/app.ts) and the few things one card asks another to do. It is an interface of
 * its own so that no card imports app.ts, which imports them.
 */
import type { Engine, Mix } from '../audio/engine.ts';
import type { Microphone } from '../audio/microphone.ts';
import type { FilePlayer } from '../audio/player.ts';
import type { Song } from '../io/decode.ts';
import type { LoadedModel, Notice } from '../store/models.ts';

/** What the separator is fed: the song or the microphone. */
export type Source = 'song' | 'microphone';

/** The demo song's description (public/demo/demo.json). */
export interface DemoInfo {
  title: string;
  file: string;
  seconds?: number;
  sampleRate?: number;
  channels?: number;
  credits: string;
  licence: string;
}

export interface Page {
  /** The realtime context, the separator's graph and the song player: null where audio could not start. */
  readonly ctx: AudioContext | null;
  readonly engine: Engine | null;
  readonly player: FilePlayer | null;
  /** The open microphone, while it is on. */
  readonly mic: Microphone | null;
  readonly song: Song | null;
  readonly model: LoadedModel | null;
  /** The separator's delay in context samples, once a model is running. */
  readonly latency: number | null;
  readonly mix: Mix;
  /** The Whole voice switch of each source (mixer.ts). */
  readonly wholeVoice: Readonly<Record<Source, boolean>>;

  /** Shows a message that stays until dismissed. */
  alert(level: Notice['level'], text: string): void;
  /** Writes the status line. */
  setStatus(text: string): void;
  /** The status line, from the state of things (and the animation, if sound now flows). */
  refreshStatus(): void;
  /** Resumes a suspended context (needs a user gesture in most browsers); false, with an alert, if it stays suspended. */
  resumeContext(): Promise<boolean>;
  /** Makes a decoded song the one that plays (and that the export separates). */
  setSong(song: Song, demo: DemoInfo | null): void;
  updateTransport(): void;
  updateLatency(): void;
  updateSongNotes(): void;
  stopMic(): void;
  /** The source now separated, the song or the microphone (its Whole voice setting applies). */
  setSource(source: Source): void;
}
