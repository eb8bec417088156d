/**
 * The page: starts the audio and holds the state its cards share (src/ui/page.ts); each card of
 * index.html is a module of its own (song-card.ts, transport.ts, status-line.ts, mixer.ts,
 * meters.ts, microphone-card.ts, export-card.ts, engine-card.ts, train-panel.ts; alerts.ts,
 * drop.ts, shortcuts.ts).
 *
 * Order of start-up: the AudioContext (at the device's rate; suspended until a click where the
 * browser's autoplay policy wants one), the separator worklet, then in parallel the model (IndexedDB
 * or network) and the demo song. Every failure a person can meet ends as a message on the page
 * (an alert, or the status line) and leaves what was already loaded in place.
 */
import type { Song } from '../io/decode.ts';
import { Engine } from '../audio/engine.ts';
import { FilePlayer } from '../audio/player.ts';
import type { Notice } from '../store/models.ts';
import { Alerts } from './alerts.ts';
import { wireDrop } from './drop.ts';
import { EngineCard } from './engine-card.ts';
import { ExportCard } from './export-card.ts';
import { installGpuHandle } from './gpu-handle.ts';
import { Meters } from './meters.ts';
import { MicrophoneCard } from './microphone-card.ts';
import { Mixer } from './mixer.ts';
import type { DemoInfo, Page, Source } from './page.ts';
import { wireShortcuts } from './shortcuts.ts';
import { SongCard } from './song-card.ts';
import { StatusLine } from './status-line.ts';
import { TrainPanel } from './train-panel.ts';
import { Transport } from './transport.ts';

export class App implements Page {
  ctx: AudioContext | null = null;
  engine: Engine | null = null;
  player: FilePlayer | null = null;
  song: Song | null = null;
  demo: DemoInfo | null = null;
  /** The Train card and the Model row (made once start-up has a model, or has given up on one). */
  trainPanel: TrainPanel | null = null;
  /** Settles when start-up is over (model and demo loaded, or their failures reported). */
  readonly started: Promise<void>;

  private resolveStarted: () => void = () => {};

  // The cards, top of the page first.
  private readonly alerts = new Alerts();
  private readonly songCard = new SongCard(this);
  private readonly transport = new Transport(this);
  private readonly statusLine = new StatusLine(this);
  private readonly mixer = new Mixer(this);
  private readonly meters = new Meters(this);
  private readonly micCard = new MicrophoneCard(this);
  private readonly exportCard = new ExportCard(this);
  private readonly engineCard = new EngineCard(this);

  constructor() {
    this.started = new Promise((r) => (this.resolveStarted = r));
  }

  // The state the cards keep, as the debug handle (src/ui/debug.ts) and the other cards read it.
  get mic() { return this.micCard.mic; }
  get model() { return this.engineCard.model; }
  get latency() { return this.engineCard.latency; }
  get mix() { return this.mixer.mix; }
  get wholeVoice() { return this.mixer.wholeVoice; }
  get exportJob() { return this.exportCard.job; }
  /** Every message shown (alerts and notices). */
  get messages() { return this.alerts.messages; }

  // ----------------------------------------------------------------------------------------------
  // Start-up

  async start(): Promise<void> {
    installGpuHandle();
    this.wire();
    try {
      await this.startAudio();
      await Promise.all([this.engineCard.init(), this.songCard.loadDemo()]);
      this.trainPanel = new TrainPanel(this);
    } finally {
      this.refreshStatus();
      this.resolveStarted();
    }
    this.meters.animate();
    // Once a second: latency (the device's may change), the separator's counters.
    setInterval(() => {
      this.updateLatency();
      void this.engineCard.pollStats();
    }, 1000);
  }

  private async startAudio(): Promise<void> {
    const AC = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!AC) {
      this.alert('error', 'This browser has no Web Audio API: use a current Chrome, Edge, Firefox or Safari.');
      return;
    }
    let ctx: AudioContext;
    try {
      ctx = new AC({ latencyHint: 'interactive' });
    } catch (e) {
      this.alert('error', `Audio could not be started: ${(e as Error).message}`);
      return;
    }
    this.ctx = ctx;
    ctx.onstatechange = () => this.refreshStatus();
    try {
      this.engine = await Engine.create(ctx);
    } catch (e) {
      this.alert('error', `The separator could not be loaded into the audio engine: ${(e as Error).message}`);
      return;
    }
    const engine = this.engine;
    engine.separator.onError = (message) => this.alert('error', `Separator: ${message}`);
    this.player = new FilePlayer(ctx, engine.input);
    this.player.onEnded = () => {
      this.updateTransport();
      this.refreshStatus();
    };
    this.player.onMediaError = (message) => this.alert('error', `“${this.song?.title ?? 'The song'}” cannot be played by this browser from its file (${message}). Try it as WAV, MP3, OGG or FLAC.`);
    this.meters.connect(ctx, engine);
    engine.setMix(this.mix, false);
    this.engineCard.showRate(ctx);
  }

  /** The page-wide listeners (the cards wired their own controls when they were made). */
  private wire(): void {
    wireShortcuts(this, this.transport, this.mixer);
    // A model file dropped on the page is imported; anything else is opened as a song.
    wireDrop((file) => {
      if (!/\.nnrnmf$/i.test(file.name)) void this.songCard.openFile(file);
      else if (this.trainPanel) void this.trainPanel.importModel(file);
      else this.alert('warning', `“${file.name}” was not imported: the page is still starting (or has no audio). Try again in a moment.`);
    });
    // The first gesture anywhere may start a context the autoplay policy held back.
    const unlock = () => {
      if (this.ctx?.state === 'suspended') void this.ctx.resume().then(() => this.refreshStatus());
    };
    document.addEventListener('pointerdown', unlock, { once: true });
    document.addEventListener('keydown', unlock, { once: true });
    this.mixer.apply();
  }

  // ----------------------------------------------------------------------------------------------
  // What the cards ask of the page (src/ui/page.ts)

  setSong(song: Song, demo: DemoInfo | null): void {
    // A streamed song (src/io/song-file.ts) plays from its file; a decoded one from its buffer.
    const source = song.stream?.file ?? song.playback;
    if (source) this.player?.load(source, song.duration);
    if (!this.mic) this.engine?.separator.reset();
    this.song = song;
    this.demo = demo;
    this.songCard.show(song, demo);
    this.transport.enable(song.duration);
    this.exportCard.songLoaded();
    this.updateSongNotes();
    this.updateTransport();
  }

  /** Resumes a suspended context (needs a user gesture in most browsers). */
  async resumeContext(): Promise<boolean> {
    const ctx = this.ctx;
    if (!ctx) return false;
    if (ctx.state === 'running') return true;
    try {
      await Promise.race([ctx.resume(), new Promise((r) => setTimeout(r, 1500))]);
    } catch {
      /* reported below */
    }
    const state = ctx.state as AudioContextState;
    if (state !== 'running') {
      this.alert('warning', 'The browser did not let audio start. Click Play again (audio can only start after a click or a key press on the page).');
      return false;
    }
    return true;
  }

  /**
   * Switches the separator to a stored model (SHIPPED_ID or a user model's id) and remembers the
   * choice. Throws (ModelError, a refusal by the worklet…) with the previous model still in use.
   */
  useModel(id: string): Promise<void> {
    return this.engineCard.use(id);
  }

  /** Shows a message that stays until dismissed (errors and warnings are announced at once). */
  alert(level: Notice['level'], text: string): void {
    this.alerts.show(level, text);
  }

  setStatus(text: string): void {
    this.statusLine.set(text);
  }

  /** The status line, from the state of things; starts the animation if sound now flows. */
  refreshStatus(): void {
    this.meters.animate();
    this.statusLine.refresh();
  }

  updateTransport(): void {
    this.transport.update();
  }

  updateLatency(): void {
    this.statusLine.updateLatency();
  }

  updateSongNotes(): void {
    this.songCard.updateNotes();
  }

  setSource(source: Source): void {
    this.mixer.setSource(source);
  }

  stopMic(): void {
    this.micCard.stop();
  }
}
