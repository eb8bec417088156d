/**
 * The page: wires the controls in index.html to the audio engine, the model store and the export.
 *
 * Order of start-up: the AudioContext (at the device's rate; suspended until a click where the
 * browser's autoplay policy wants one), the separator worklet, then in parallel the model (IndexedDB
 * or network) and the demo song. Every failure a person can meet ends as a message on the page
 * (an alert, or the status line) and leaves what was already loaded in place.
 */
import { decodeSong, DecodeError, type Song } from '../io/decode.ts';
import { DEFAULT_MIX, Engine, faderGain, type Mix } from '../audio/engine.ts';
import { download, ExportCancelled, exportPlan, exportSong, type ExportJob } from '../jobs/export/export.ts';
import { Microphone, MicrophoneError } from '../audio/microphone.ts';
import { FilePlayer } from '../audio/player.ts';
import {
  loadModel, loadUserModel, selectedModelId, selectModelId, SHIPPED_ID, type LoadedModel, type LoadModelFailure, type Notice,
} from '../store/models.ts';
import { el } from './dom.ts';
import { clock, decibels, khz, megabytes, timesRealTime } from './format.ts';
import { computeMode, gpuInfo, installGpuHandle } from './gpu-handle.ts';
import { TrainPanel } from './train-panel.ts';

export interface DemoInfo {
  title: string;
  file: string;
  seconds?: number;
  sampleRate?: number;
  channels?: number;
  credits: string;
  licence: string;
}

const BASE = import.meta.env.BASE_URL;
const SEEK_STEP = 5;

export class App {
  ctx: AudioContext | null = null;
  engine: Engine | null = null;
  player: FilePlayer | null = null;
  mic: Microphone | null = null;
  song: Song | null = null;
  demo: DemoInfo | null = null;
  model: LoadedModel | null = null;
  /** The separator's delay in context samples, once a model is running. */
  latency: number | null = null;
  mix: Mix = { ...DEFAULT_MIX };
  exportJob: ExportJob | null = null;
  exportUrls: string[] = [];
  /** The Train card and the Model row (made once start-up has a model, or has given up on one). */
  trainPanel: TrainPanel | null = null;
  /** Every message shown (alerts and notices), for the debug handle. */
  readonly messages: { level: Notice['level']; text: string }[] = [];
  /** Settles when start-up is over (model and demo loaded, or their failures reported). */
  readonly started: Promise<void>;

  private resolveStarted: () => void = () => {};
  private seeking = false;
  private voiceAnalyser: AnalyserNode | null = null;
  private accompAnalyser: AnalyserNode | null = null;
  private meterBuffer = new Float32Array(2048);
  private framesSeen = 0;

  private readonly ui = {
    alerts: el('alerts'),
    songTitle: el('song-title'),
    songMeta: el('song-meta'),
    songCredits: el('song-credits'),
    rateNote: el('rate-note'),
    openFile: el<HTMLButtonElement>('open-file'),
    fileInput: el<HTMLInputElement>('file-input'),
    loadDemo: el<HTMLButtonElement>('load-demo'),
    play: el<HTMLButtonElement>('play'),
    position: el<HTMLInputElement>('position'),
    timeCurrent: el('time-current'),
    timeTotal: el('time-total'),
    voice: el<HTMLInputElement>('voice'),
    voiceValue: el('voice-value'),
    voiceMeter: el('voice-meter'),
    accomp: el<HTMLInputElement>('accomp'),
    accompValue: el('accomp-value'),
    accompMeter: el('accomp-meter'),
    soloVoice: el<HTMLButtonElement>('solo-voice'),
    soloAccomp: el<HTMLButtonElement>('solo-accomp'),
    karaoke: el<HTMLButtonElement>('karaoke'),
    mic: el<HTMLButtonElement>('mic'),
    micStatus: el('mic-status'),
    exportBtn: el<HTMLButtonElement>('export'),
    exportCancel: el<HTMLButtonElement>('export-cancel'),
    exportProgress: el<HTMLProgressElement>('export-progress'),
    exportStatus: el('export-status'),
    exportMode: el('export-mode'),
    exportLinks: el('export-links'),
    status: el('status'),
    latency: el('latency'),
    modelLine: el('model-line'),
    audioLine: el('audio-line'),
  };

  constructor() {
    this.started = new Promise((r) => (this.resolveStarted = r));
  }

  // ----------------------------------------------------------------------------------------------
  // Start-up

  async start(): Promise<void> {
    installGpuHandle();
    this.wire();
    try {
      await this.startAudio();
      await Promise.all([this.initModel(), this.loadDemo()]);
      this.trainPanel = new TrainPanel(this);
    } finally {
      this.refreshStatus();
      this.resolveStarted();
    }
    this.animate();
    setInterval(() => void this.poll(), 1000);
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
    this.voiceAnalyser = new AnalyserNode(ctx, { fftSize: 2048, smoothingTimeConstant: 0 });
    this.accompAnalyser = new AnalyserNode(ctx, { fftSize: 2048, smoothingTimeConstant: 0 });
    engine.voiceBus.connect(this.voiceAnalyser);
    engine.accompBus.connect(this.accompAnalyser);
    engine.setMix(this.mix, false);
    this.ui.audioLine.textContent = `Audio runs at ${khz(ctx.sampleRate)}, the device's rate.`;
  }

  private async initModel(): Promise<void> {
    if (!this.engine) return;
    this.ui.modelLine.textContent = 'Model: loading…';
    // A model trained here and chosen under Model is used if it still loads; else the shipped one.
    const chosen = await selectedModelId();
    if (chosen && chosen !== SHIPPED_ID) {
      try {
        await this.applyModel(await loadUserModel(chosen));
        return;
      } catch (e) {
        this.alert('warning', `The model chosen on an earlier visit could not be used (${(e as Error).message}); the shipped model is used instead.`);
        await selectModelId(SHIPPED_ID).catch(() => {});
      }
    }
    let loaded: LoadedModel;
    try {
      loaded = await loadModel();
    } catch (e) {
      for (const n of (e as LoadModelFailure).notices ?? []) this.alert(n.level, n.text);
      this.ui.modelLine.textContent = 'Model: none';
      this.alert('error', `No separation model could be loaded: ${(e as Error).message}. Songs play unseparated (all in the accompaniment) until the page is reloaded with a network connection.`);
      return;
    }
    for (const n of loaded.notices) this.alert(n.level, n.text);
    try {
      await this.applyModel(loaded);
    } catch (e) {
      this.ui.modelLine.textContent = 'Model: refused';
      this.alert('error', `The separator refused the model: ${(e as Error).message}`);
    }
  }

  /**
   * Switches the separator to a stored model (SHIPPED_ID or a user model's id) and remembers the
   * choice. Throws (ModelError, a refusal by the worklet…) with the previous model still in use.
   */
  async useModel(id: string): Promise<void> {
    if (!this.engine) throw new Error('audio is not available in this browser');
    const loaded = id === SHIPPED_ID ? await loadModel() : await loadUserModel(id);
    for (const n of loaded.notices) this.alert(n.level, n.text);
    await this.applyModel(loaded);
    try {
      await selectModelId(id);
    } catch (e) {
      this.alert('warning', `${(e as Error).message} The model is in use for this visit.`);
    }
  }

  /**
   * Hands a model to the separator worklet (a copy: the page keeps the bytes). While sound goes
   * through, the output fades over the switch, as for a seek, so the new separator's empty start
   * is not heard. Throws if the worklet refuses it (the previous model stays).
   */
  private async applyModel(loaded: LoadedModel): Promise<void> {
    const engine = this.engine, ctx = this.ctx;
    if (!engine || !ctx) throw new Error('audio is not available in this browser');
    const live = this.model !== null && (this.player?.state === 'playing' || this.mic !== null);
    if (live) await engine.fadeOut();
    try {
      const ready = await engine.separator.setModel(loaded.bytes.slice(0));
      this.model = loaded;
      this.latency = ready.latency;
    } finally {
      if (live) engine.fadeIn((this.latency ?? 0) / ctx.sampleRate);
    }
    this.updateModelLine();
    this.updateLatency();
    this.updateSongNotes();
  }

  private updateModelLine(): void {
    const m = this.model;
    if (!m) return;
    const from = m.id !== SHIPPED_ID ? 'trained in this browser, from IndexedDB'
      : m.from === 'indexeddb' ? 'from IndexedDB' : m.stored ? 'downloaded and stored for offline use' : 'downloaded (not stored)';
    this.ui.modelLine.textContent = `Model: ${m.description} · ${from}`;
    this.ui.modelLine.dataset.from = m.from;
  }

  // ----------------------------------------------------------------------------------------------
  // Songs

  async loadDemo(): Promise<void> {
    if (!this.ctx) return;
    try {
      const r = await fetch(`${BASE}demo/demo.json`);
      if (!r.ok) throw new Error(`demo.json: HTTP ${r.status}`);
      const info = (await r.json()) as DemoInfo;
      const audio = await fetch(`${BASE}demo/${info.file}`);
      if (!audio.ok) throw new Error(`${info.file}: HTTP ${audio.status}`);
      const song = await decodeSong(this.ctx, await audio.arrayBuffer(), info.file, info.title);
      this.setSong(song, info);
    } catch (e) {
      this.alert('warning', `The demo song could not be loaded (${(e as Error).message}). Open a song of your own.`);
      if (!this.song) this.ui.songTitle.textContent = 'No song loaded';
    }
  }

  /** Opens a file the person picked or dropped. On failure the current song stays. */
  async openFile(file: File): Promise<void> {
    if (!this.ctx) {
      this.alert('error', 'Audio is not available in this browser, so no song can be opened.');
      return;
    }
    this.setStatus(`Opening “${file.name}”…`);
    try {
      const song = await decodeSong(this.ctx, await file.arrayBuffer(), file.name);
      this.setSong(song, null);
      this.refreshStatus();
    } catch (e) {
      const kept = this.song ? ` “${this.song.title}” is still loaded.` : '';
      const text = e instanceof DecodeError ? e.message : `“${file.name}” could not be opened: ${(e as Error).message}.`;
      this.alert('error', `${text}${kept}`);
      this.refreshStatus();
    }
  }

  private setSong(song: Song, demo: DemoInfo | null): void {
    this.player?.load(song.playback);
    if (!this.mic) this.engine?.separator.reset();
    this.song = song;
    this.demo = demo;
    const ui = this.ui;
    ui.songTitle.textContent = song.title;
    const ch = song.fileChannels === 1 ? 'mono' : song.fileChannels === 2 ? 'stereo' : `${song.fileChannels} channels`;
    ui.songMeta.textContent = `${clock(song.duration)} · ${khz(song.sampleRate)} · ${ch}${demo ? ' · demo song' : ''}`;
    if (demo) {
      const line = (text: string) => Object.assign(document.createElement('span'), { textContent: text });
      const licence = line(`Licence: ${demo.licence}. `);
      licence.append(Object.assign(document.createElement('a'), { href: `${BASE}demo/README.md`, textContent: 'Provenance and licence', target: '_blank', rel: 'noopener' }));
      ui.songCredits.replaceChildren(line(`Credits: ${demo.credits}.`), licence);
      ui.songCredits.hidden = false;
    } else {
      ui.songCredits.hidden = true;
      ui.songCredits.replaceChildren();
    }
    ui.position.max = String(song.duration);
    ui.position.disabled = false;
    ui.play.disabled = false;
    ui.exportBtn.disabled = this.exportJob !== null;
    ui.exportLinks.hidden = true;
    this.updateSongNotes();
    this.updateTransport();
  }

  /** The note about rates: the song's, the device's, the model's. */
  private updateSongNotes(): void {
    const song = this.song, ctx = this.ctx, note = this.ui.rateNote;
    const modelRate = this.model?.model.header.sampleRate;
    if (!song || !ctx || !modelRate) {
      note.hidden = true;
      return;
    }
    const parts: string[] = [];
    if (song.sampleRate !== modelRate) {
      parts.push(`The song is at ${khz(song.sampleRate)} and the model at ${khz(modelRate)}: the network hears a ${khz(modelRate)} copy, so the voice holds what lies below ${khz(modelRate / 2)}, and the accompaniment keeps the song's full band.`);
    }
    if (song.sampleRate !== ctx.sampleRate) parts.push(`It plays at ${khz(ctx.sampleRate)}, this device's rate; the export keeps ${khz(song.sampleRate)}.`);
    if (song.fileChannels > 2) parts.push(`The file has ${song.fileChannels} channels: playback mixes them to stereo, the export uses the first two.`);
    note.textContent = parts.join(' ');
    note.hidden = parts.length === 0;
  }

  // ----------------------------------------------------------------------------------------------
  // Transport

  /** Resumes a suspended context (needs a user gesture in most browsers). */
  private async resumeContext(): Promise<boolean> {
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

  async togglePlay(): Promise<void> {
    const player = this.player;
    if (!player || !this.song) return;
    if (player.state === 'playing') {
      player.pause();
    } else {
      if (!(await this.resumeContext())) return;
      if (this.mic) this.stopMic();
      player.play();
    }
    this.updateTransport();
    this.refreshStatus();
  }

  /** Seeks; while playing, fades out, restarts the separator at the new place, fades back in. */
  async seek(seconds: number): Promise<void> {
    const player = this.player, engine = this.engine;
    if (!player || !engine || !this.song) return;
    if (player.state === 'playing') {
      await engine.fadeOut();
      player.seek(seconds);
      engine.separator.reset();
      engine.fadeIn((this.latency ?? 0) / (this.ctx?.sampleRate ?? 48000));
    } else {
      player.seek(seconds);
    }
    this.updateTransport();
  }

  private updateTransport(): void {
    const player = this.player, ui = this.ui;
    const playing = player?.state === 'playing';
    ui.play.classList.toggle('playing', playing);
    (ui.play.querySelector('.label') as HTMLElement).textContent = playing ? 'Pause' : 'Play';
    const pos = player?.position ?? 0, dur = player?.duration ?? 0;
    if (!this.seeking) ui.position.value = String(pos);
    ui.timeCurrent.textContent = clock(this.seeking ? Number(ui.position.value) : pos);
    ui.timeTotal.textContent = clock(dur);
    ui.position.setAttribute('aria-valuetext', `${clock(this.seeking ? Number(ui.position.value) : pos)} of ${clock(dur)}`);
  }

  // ----------------------------------------------------------------------------------------------
  // Mixer

  private applyMix(): void {
    const { mix, ui } = this;
    this.engine?.setMix(mix);
    for (const [input, out, value] of [[ui.voice, ui.voiceValue, mix.voice], [ui.accomp, ui.accompValue, mix.accomp]] as const) {
      const db = decibels(faderGain(value));
      out.textContent = db;
      input.setAttribute('aria-valuetext', `${Math.round(value * 100)} %, ${db}`);
    }
    ui.karaoke.setAttribute('aria-checked', String(mix.karaoke));
    ui.soloVoice.setAttribute('aria-pressed', String(mix.solo === 'voice'));
    ui.soloAccomp.setAttribute('aria-pressed', String(mix.solo === 'accomp'));
    document.body.classList.toggle('karaoke', mix.karaoke);
  }

  setKaraoke(on: boolean): void {
    this.mix.karaoke = on;
    this.applyMix();
    this.refreshStatus();
  }

  // ----------------------------------------------------------------------------------------------
  // Microphone

  async toggleMic(): Promise<void> {
    if (this.mic) {
      this.stopMic();
      return;
    }
    const ctx = this.ctx, engine = this.engine;
    if (!ctx || !engine) {
      this.alert('error', 'Audio is not available in this browser, so the microphone cannot be used.');
      return;
    }
    if (!(await this.resumeContext())) return;
    if (this.player?.state === 'playing') {
      this.player.pause();
      this.updateTransport();
    }
    const btn = this.ui.mic;
    btn.disabled = true;
    this.setStatus('Asking for the microphone…');
    try {
      this.mic = await Microphone.open(ctx, engine.input);
      engine.separator.reset();
      btn.setAttribute('aria-pressed', 'true');
      this.ui.micStatus.textContent = `Listening to ${this.mic.label || 'the microphone'} at ${khz(ctx.sampleRate)}: echo cancellation, noise suppression and auto gain off.`;
    } catch (e) {
      this.alert('error', e instanceof MicrophoneError ? e.message : `The microphone could not be opened: ${(e as Error).message}`);
    } finally {
      btn.disabled = false;
      this.refreshStatus();
    }
  }

  stopMic(): void {
    if (!this.mic) return;
    this.mic.close();
    this.mic = null;
    this.engine?.separator.reset();
    this.ui.mic.setAttribute('aria-pressed', 'false');
    this.ui.micStatus.textContent = 'Microphone off.';
    this.refreshStatus();
  }

  // ----------------------------------------------------------------------------------------------
  // Export

  async startExport(): Promise<void> {
    const song = this.song, model = this.model, ui = this.ui;
    if (!song || this.exportJob) return;
    if (!model) {
      this.alert('error', 'Export needs a separation model, and none is loaded.');
      return;
    }
    for (const u of this.exportUrls) URL.revokeObjectURL(u);
    this.exportUrls = [];
    ui.exportLinks.hidden = true;
    ui.exportBtn.disabled = true;
    ui.exportCancel.hidden = false;
    ui.exportProgress.hidden = false;
    ui.exportProgress.value = 0;
    ui.exportProgress.setAttribute('aria-valuetext', '0 %');
    ui.exportStatus.textContent = `Separating “${song.title}”…`;
    // Where the work runs: the GPU where WebGL is hardware, else the CPU (src/gpu/detect.ts).
    const mode = computeMode();
    const plan = exportPlan(mode, model.model.header, gpuInfo());
    ui.exportMode.textContent = `Runs on the ${plan.label}.`;
    ui.exportMode.dataset.mode = mode;
    delete ui.exportStatus.dataset.speed;
    const started = performance.now();
    const job = exportSong(song, model.bytes, (f) => {
      const pct = Math.round(f * 100);
      ui.exportProgress.value = pct;
      ui.exportProgress.setAttribute('aria-valuetext', `${pct} %`);
      const elapsed = (performance.now() - started) / 1000;
      const speed = elapsed > 0.2 && f > 0 ? ` · ${timesRealTime((f * song.duration) / elapsed)} real time` : '';
      ui.exportStatus.textContent = `Separating “${song.title}”… ${pct} %${speed}`;
    }, plan.engine);
    this.exportJob = job;
    try {
      const r = await job.result;
      ui.exportProgress.value = 100;
      ui.exportProgress.setAttribute('aria-valuetext', '100 %');
      const links = ([[r.voice, r.voiceName, 'voice'], [r.accomp, r.accompName, 'accompaniment']] as const).map(([blob, name, what]) => {
        const url = URL.createObjectURL(blob);
        this.exportUrls.push(url);
        return Object.assign(document.createElement('a'), { href: url, download: name, textContent: `${name} (${megabytes(blob.size)})`, title: `Download the ${what}` });
      });
      ui.exportLinks.replaceChildren(...links);
      ui.exportLinks.hidden = false;
      ui.exportStatus.textContent = `Exported in ${r.seconds.toFixed(1)} s (${timesRealTime(r.speed)} real time). If the downloads did not start, use the links:`;
      ui.exportStatus.dataset.speed = String(r.speed);
      ui.exportMode.textContent = `Ran on the ${r.fallback ? 'CPU' : plan.label} (${r.ran}): ${timesRealTime(r.speed)} real time.`;
      ui.exportMode.dataset.ran = r.ran;
      if (r.fallback) this.alert('warning', `Export: ${r.fallback}.`);
      download(r.voice, r.voiceName);
      download(r.accomp, r.accompName);
    } catch (e) {
      if (e instanceof ExportCancelled) ui.exportStatus.textContent = 'Export cancelled.';
      else {
        ui.exportStatus.textContent = 'Export failed.';
        this.alert('error', `Export failed: ${(e as Error).message}`);
      }
      ui.exportProgress.hidden = true;
    } finally {
      this.exportJob = null;
      ui.exportCancel.hidden = true;
      ui.exportBtn.disabled = !this.song;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Messages

  /** Shows a message that stays until dismissed (errors and warnings are announced at once). */
  alert(level: Notice['level'], text: string): void {
    this.messages.push({ level, text });
    if (level === 'error') console.error(text);
    for (const a of this.ui.alerts.children) if ((a as HTMLElement).dataset.text === text) return;
    const box = document.createElement('div');
    box.className = `alert ${level}`;
    box.setAttribute('role', level === 'info' ? 'status' : 'alert');
    box.dataset.text = text;
    const p = document.createElement('p');
    p.textContent = text;
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = 'Dismiss';
    close.setAttribute('aria-label', 'Dismiss message');
    close.onclick = () => box.remove();
    box.append(p, close);
    this.ui.alerts.append(box);
  }

  private setStatus(text: string): void {
    if (this.ui.status.textContent !== text) this.ui.status.textContent = text;
  }

  /** The status line, from the state of things. */
  refreshStatus(): void {
    this.animate();
    const ctx = this.ctx;
    if (!ctx || !this.engine) return this.setStatus('Audio is not available.');
    if (ctx.state === 'suspended' && !(this.player?.state === 'playing' || this.mic)) {
      return this.setStatus(this.song ? 'Click Play to start audio.' : 'Open a song, then click Play to start audio.');
    }
    if (ctx.state === 'suspended') return this.setStatus('Click Play to start audio.');
    const sep = this.model ? 'through the separator' : 'unseparated (no model)';
    const k = this.mix.karaoke ? ', karaoke' : '';
    if (this.mic) return this.setStatus(`Microphone on, ${sep}${k}. Use headphones.`);
    if (this.player?.state === 'playing') return this.setStatus(`Playing ${sep}${k}.`);
    if (this.song && (this.player?.position ?? 0) > 0) return this.setStatus(`Paused at ${clock(this.player?.position ?? 0)}.`);
    if (this.song) return this.setStatus('Ready: press Play.');
    return this.setStatus('Open a song to start.');
  }

  private updateLatency(): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const out = ((ctx.outputLatency || 0) + (ctx.baseLatency || 0)) * 1000;
    const sep = this.latency === null ? '–' : `${Math.round((this.latency / ctx.sampleRate) * 1000)} ms`;
    const text = `Separator delay ${sep} · output latency ${Math.round(out)} ms`;
    if (this.ui.latency.textContent !== text) this.ui.latency.textContent = text;
    this.ui.latency.title = `Separator: ${this.latency ?? '–'} samples at ${khz(ctx.sampleRate)}. Output: the context's base latency ${(ctx.baseLatency * 1000).toFixed(1)} ms + the device's ${((ctx.outputLatency || 0) * 1000).toFixed(1)} ms.`;
  }

  /** Once a second: latency (the device's may change), the separator's counters. */
  private async poll(): Promise<void> {
    this.updateLatency();
    const ctx = this.ctx, engine = this.engine;
    if (!ctx || !engine || ctx.state !== 'running') return;
    const s = await engine.separator.stats();
    if (!s) return;
    this.framesSeen = s.frames;
    const bad = s.badSamples > 0 ? ` · ${s.badSamples} invalid input samples replaced by silence` : '';
    this.ui.audioLine.textContent = `Audio runs at ${khz(ctx.sampleRate)}, the device's rate · ${this.framesSeen.toLocaleString('en')} frames separated${bad}.`;
  }

  // ----------------------------------------------------------------------------------------------
  // Animation: position and meters

  private animating = false;

  /**
   * Runs the animation while sound flows (a song playing, the microphone on) and stops it
   * otherwise: an idle page then draws nothing, which leaves the CPU to an export or training
   * (where the browser renders in software, a frame of this page costs milliseconds).
   */
  private animate(): void {
    if (this.animating || !(this.player?.state === 'playing' || this.mic)) return;
    this.animating = true;
    requestAnimationFrame(this.tick);
  }

  private readonly tick = (): void => {
    const flowing = this.player?.state === 'playing' || this.mic !== null;
    if (this.player?.state === 'playing') this.updateTransport();
    this.meter(flowing ? this.voiceAnalyser : null, this.ui.voiceMeter);
    this.meter(flowing ? this.accompAnalyser : null, this.ui.accompMeter);
    if (flowing) requestAnimationFrame(this.tick);
    else this.animating = false;
  };

  /** Sets a level bar from its analyser (null: silence). */
  private meter(an: AnalyserNode | null, bar: HTMLElement): void {
    if (!an) {
      if (bar.style.width !== '0%') bar.style.width = '0%';
      return;
    }
    const buf = this.meterBuffer.subarray(0, an.fftSize) as Float32Array<ArrayBuffer>;
    an.getFloatTimeDomainData(buf);
    let s = 0;
    for (let i = 0; i < buf.length; i++) s += buf[i] * buf[i];
    const db = 10 * Math.log10(s / buf.length + 1e-12);
    const pct = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
    // Only a change is written: an unchanged style costs nothing, a written one a repaint each frame.
    const width = `${pct.toFixed(1)}%`;
    if (bar.style.width !== width) bar.style.width = width;
  }

  // ----------------------------------------------------------------------------------------------
  // Events

  private wire(): void {
    const ui = this.ui;
    ui.openFile.onclick = () => ui.fileInput.click();
    ui.fileInput.onchange = () => {
      const f = ui.fileInput.files?.[0];
      ui.fileInput.value = '';
      if (f) void this.openFile(f);
    };
    ui.loadDemo.onclick = async () => {
      this.setStatus('Loading the demo song…');
      await this.loadDemo();
      this.refreshStatus();
    };
    ui.play.onclick = () => void this.togglePlay();
    ui.position.oninput = () => {
      this.seeking = true;
      this.updateTransport();
    };
    // Arrow keys on the Position slider seek by 5 s (its fine step is for the mouse), Page keys by 30 s.
    ui.position.onkeydown = (e) => {
      const step = { ArrowLeft: -SEEK_STEP, ArrowDown: -SEEK_STEP, ArrowRight: SEEK_STEP, ArrowUp: SEEK_STEP, PageDown: -30, PageUp: 30 }[e.key];
      if (step === undefined || !this.player) return;
      e.preventDefault();
      void this.seek(this.player.position + step);
    };
    ui.position.onchange = () => {
      this.seeking = false;
      void this.seek(Number(ui.position.value));
    };
    ui.voice.oninput = () => {
      this.mix.voice = Number(ui.voice.value) / 100;
      this.applyMix();
    };
    ui.accomp.oninput = () => {
      this.mix.accomp = Number(ui.accomp.value) / 100;
      this.applyMix();
    };
    ui.karaoke.onclick = () => this.setKaraoke(!this.mix.karaoke);
    ui.soloVoice.onclick = () => {
      this.mix.solo = this.mix.solo === 'voice' ? null : 'voice';
      this.applyMix();
    };
    ui.soloAccomp.onclick = () => {
      this.mix.solo = this.mix.solo === 'accomp' ? null : 'accomp';
      this.applyMix();
    };
    ui.mic.onclick = () => void this.toggleMic();
    ui.exportBtn.onclick = () => void this.startExport();
    ui.exportCancel.onclick = () => this.exportJob?.cancel();

    // Keyboard shortcuts, when the focus is not in a control that uses the key itself.
    document.addEventListener('keydown', (e) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      const inControl = !!t?.closest('input, textarea, select, button, a, [role="switch"], [contenteditable="true"]');
      if (e.key === ' ' && !inControl) {
        e.preventDefault();
        void this.togglePlay();
      } else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && !inControl && this.player) {
        e.preventDefault();
        void this.seek(this.player.position + (e.key === 'ArrowLeft' ? -SEEK_STEP : SEEK_STEP));
      } else if ((e.key === 'k' || e.key === 'K') && !t?.closest('input, textarea, select, [contenteditable="true"]')) {
        e.preventDefault();
        this.setKaraoke(!this.mix.karaoke);
      }
    });

    // Drag and drop anywhere on the page.
    let depth = 0;
    const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    document.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      depth++;
      document.body.classList.add('dragging');
    });
    document.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) document.body.classList.remove('dragging');
    });
    document.addEventListener('dragover', (e) => {
      if (hasFiles(e)) e.preventDefault();
    });
    document.addEventListener('drop', (e) => {
      depth = 0;
      document.body.classList.remove('dragging');
      const f = e.dataTransfer?.files?.[0];
      if (!f) return;
      e.preventDefault();
      void this.openFile(f);
    });

    // The first gesture anywhere may start a context the autoplay policy held back.
    const unlock = () => {
      if (this.ctx?.state === 'suspended') void this.ctx.resume().then(() => this.refreshStatus());
    };
    document.addEventListener('pointerdown', unlock, { once: true });
    document.addEventListener('keydown', unlock, { once: true });
    this.applyMix();
  }
}
