/**
 * The Engine card's lines: which model the separator runs (loading it at start-up, switching to
 * another) and the audio line (the device's rate, the frames separated). Its Model row, with the
 * Train card, is train-panel.ts.
 */
import { loadModel, type LoadedModel, type LoadModelFailure } from '../store/models.ts';
import { loadUserModel, selectedModelId, selectModelId, SHIPPED_ID } from '../store/user-models.ts';
import { khz } from './format.ts';
import { elements } from './dom.ts';
import type { Page } from './page.ts';

export class EngineCard {
  model: LoadedModel | null = null;
  /** The separator's delay in context samples, once a model is running. */
  latency: number | null = null;
  private readonly ui = elements({ modelLine: 'p#model-line', audioLine: 'p#audio-line' });

  constructor(private readonly page: Page) {}

  /** Start-up: the model chosen on an earlier visit, else the shipped one; every failure ends as an alert. */
  async init(): Promise<void> {
    const page = this.page;
    if (!page.engine) return;
    this.ui.modelLine.textContent = 'Model: loading…';
    // A model trained here and chosen under Model is used if it still loads; else the shipped one.
    const chosen = await selectedModelId();
    if (chosen && chosen !== SHIPPED_ID) {
      try {
        await this.apply(await loadUserModel(chosen));
        return;
      } catch (e) {
        page.alert('warning', `The model chosen on an earlier visit could not be used (${(e as Error).message}); the shipped model is used instead.`);
        await selectModelId(SHIPPED_ID).catch(() => {});
      }
    }
    let loaded: LoadedModel;
    try {
      loaded = await loadModel();
    } catch (e) {
      for (const n of (e as LoadModelFailure).notices ?? []) page.alert(n.level, n.text);
      this.ui.modelLine.textContent = 'Model: none';
      page.alert('error', `No separation model could be loaded: ${(e as Error).message}. Songs play unseparated (all in the accompaniment) until the page is reloaded with a network connection.`);
      return;
    }
    for (const n of loaded.notices) page.alert(n.level, n.text);
    try {
      await this.apply(loaded);
    } catch (e) {
      this.ui.modelLine.textContent = 'Model: refused';
      page.alert('error', `The separator refused the model: ${(e as Error).message}`);
    }
  }

  /**
   * Switches the separator to a stored model (SHIPPED_ID or a user model's id) and remembers the
   * choice. Throws (ModelError, a refusal by the worklet…) with the previous model still in use.
   */
  async use(id: string): Promise<void> {
    if (!this.page.engine) throw new Error('audio is not available in this browser');
    const loaded = id === SHIPPED_ID ? await loadModel() : await loadUserModel(id);
    for (const n of loaded.notices) this.page.alert(n.level, n.text);
    await this.apply(loaded);
    try {
      await selectModelId(id);
    } catch (e) {
      this.page.alert('warning', `${(e as Error).message} The model is in use for this visit.`);
    }
  }

  /**
   * Hands a model to the separator worklet (a copy: the page keeps the bytes). While sound goes
   * through, the output fades over the switch, as for a seek, so the new separator's empty start
   * is not heard. Throws if the worklet refuses it (the previous model stays).
   */
  private async apply(loaded: LoadedModel): Promise<void> {
    const page = this.page, { engine, ctx } = page;
    if (!engine || !ctx) throw new Error('audio is not available in this browser');
    const live = this.model !== null && (page.player?.state === 'playing' || page.mic !== null);
    if (live) await engine.fadeOut();
    try {
      const ready = await engine.separator.setModel(loaded.bytes.slice(0));
      this.model = loaded;
      this.latency = ready.latency;
    } finally {
      if (live) engine.fadeIn((this.latency ?? 0) / ctx.sampleRate);
    }
    this.updateModelLine();
    page.updateLatency();
    page.updateSongNotes();
  }

  private updateModelLine(): void {
    const m = this.model;
    if (!m) return;
    const from = m.id !== SHIPPED_ID ? 'kept in this browser, from IndexedDB'
      : m.from === 'indexeddb' ? 'from IndexedDB' : m.stored ? 'downloaded and stored for offline use' : 'downloaded (not stored)';
    this.ui.modelLine.textContent = `Model: ${m.description} · ${from}`;
    this.ui.modelLine.dataset.from = m.from;
  }

  /** The audio line once audio runs. */
  showRate(ctx: AudioContext): void {
    this.ui.audioLine.textContent = `Audio runs at ${khz(ctx.sampleRate)}, the device's rate.`;
  }

  /** Once a second while audio runs: the separator's counters on the audio line. */
  async pollStats(): Promise<void> {
    const { ctx, engine } = this.page;
    if (!ctx || !engine || ctx.state !== 'running') return;
    const s = await engine.separator.stats();
    if (!s) return;
    const bad = (s.badSamples > 0 ? ` · ${s.badSamples} invalid input samples replaced by silence` : '')
      + (s.clippedSamples > 0 ? ` · ${s.clippedSamples} input samples beyond +12 dBFS clipped` : '')
      + (s.badFrames > 0 ? ` · ${s.badFrames} frames the model could not separate (not a number), passed through` : '');
    this.ui.audioLine.textContent = `Audio runs at ${khz(ctx.sampleRate)}, the device's rate · ${s.frames.toLocaleString('en')} frames separated${bad}.`;
  }
}
