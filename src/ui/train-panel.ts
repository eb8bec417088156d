/**
 * The Train card and the Model row of the Engine card (index.html): training on the person's own
 * files in a worker (src/jobs/train/train.ts), storing the result as a user model
 * (src/store/user-models.ts), and choosing, downloading, importing or deleting the model the
 * separator uses.
 *
 * What the person gives per regime:
 *   supervised       voice + accompaniment stems, as many of each, paired in file-name order
 *   semi-supervised  voice-only and/or accompaniment-only recordings
 *   unsupervised     mixtures
 * Files of the other inputs are left out (and the file line says so).
 */
import { decodeClip, startTraining, TrainCancelled, TrainInputError, type TrainJob, type TrainResult } from '../jobs/train/train.ts';
import type { AudioClip, TrainFiles } from '../jobs/train/train-data.ts';
import { describeModel, ModelError, validatedModel } from '../core/model/model.ts';
import type { Regime } from '../core/network/train.ts';
import type { LoadedModel, Notice } from '../store/models.ts';
import {
  deleteUserModel, listUserModels, saveUserModel, SHIPPED_ID, StorageError, type UserModelEntry,
} from '../store/user-models.ts';
import { computeMode, gpuInfo } from './gpu-handle.ts';
import { elements, showProgress } from './dom.ts';

/** What the panel needs from the page (src/ui/app.ts). */
export interface ModelHost {
  readonly model: LoadedModel | null;
  /** Switches the separator to a stored model and remembers the choice; throws with the old one still in use. */
  useModel(id: string): Promise<void>;
  alert(level: Notice['level'], text: string): void;
}

/** Files sorted by name, so that the n-th voice stem pairs with the n-th accompaniment stem. */
const sortedFiles = (input: HTMLInputElement): File[] => [...(input.files ?? [])].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const stem = (fileName: string) => fileName.replace(/\.[^.]+$/, '');
/** A name that is also a safe file name. */
const slug = (s: string) => s.normalize('NFKD').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'model';
const loss = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : '–');

/** Training settings the page does not ask for (the CLI's defaults). */
const BATCH = 256;
const SEED = 1;
/** Larger than any model this page makes or ships (the dense paper network is 2.2 MB). */
const MAX_MODEL_BYTES = 64 * 2 ** 20;

export class TrainPanel {
  private job: TrainJob | null = null;
  private busy = false;
  private userModels: UserModelEntry[] = [];
  private modelUrl: string | null = null;
  private trainedUrl: string | null = null;

  private readonly ui = elements({
    regime: 'select#train-regime', voice: 'input#train-voice', accomp: 'input#train-accomp', mix: 'input#train-mix',
    steps: 'input#train-steps', lr: 'input#train-lr', dict: 'input#train-dict', files: 'p#train-files',
    start: 'button#train-start', cancel: 'button#train-cancel', progress: 'progress#train-progress',
    status: 'p#train-status', links: 'p#train-links',
    modelSelect: 'select#model-select', modelDownload: 'a#model-download', modelDelete: 'button#model-delete',
    modelImport: 'button#model-import', modelImportInput: 'input#model-import-input',
  });

  constructor(private readonly host: ModelHost) {
    const ui = this.ui;
    for (const input of [ui.regime, ui.voice, ui.accomp, ui.mix]) input.addEventListener('change', () => this.updateFiles());
    ui.start.onclick = () => void this.train();
    ui.cancel.onclick = () => this.job?.cancel();
    ui.modelSelect.onchange = () => void this.choose(ui.modelSelect.value);
    ui.modelDelete.onclick = () => void this.deleteSelected();
    ui.modelImport.onclick = () => ui.modelImportInput.click();
    ui.modelImport.disabled = false;
    ui.modelImportInput.onchange = () => {
      const f = ui.modelImportInput.files?.[0];
      ui.modelImportInput.value = '';
      if (f) void this.importModel(f);
    };
    this.updateFiles();
    void this.refreshModels();
  }

  // ----------------------------------------------------------------------------------------------
  // Files

  /** What the chosen files give the selected regime: the files, or why there are none. */
  private plan(): { files: File[][]; summary: string; ok: boolean } {
    const ui = this.ui, regime = ui.regime.value as Regime;
    const voice = sortedFiles(ui.voice), accomp = sortedFiles(ui.accomp), mix = sortedFiles(ui.mix);
    const unused = (what: string, n: number) => (n ? ` (${plural(n, what)} not used in this regime)` : '');
    if (regime === 'supervised') {
      const extra = unused('mixture', mix.length);
      if (!voice.length && !accomp.length) return { files: [], ok: false, summary: `Choose voice stems and their accompaniment stems.${extra}` };
      if (voice.length !== accomp.length) {
        return { files: [], ok: false, summary: `${plural(voice.length, 'voice stem')} and ${plural(accomp.length, 'accompaniment stem')}: supervised training needs one accompaniment stem per voice stem (paired in file-name order).${extra}` };
      }
      const shown = voice.slice(0, 3).map((v, i) => `${v.name} + ${accomp[i].name}`).join('; ');
      return { files: [voice, accomp], ok: true, summary: `${plural(voice.length, 'pair')}: ${shown}${voice.length > 3 ? '; …' : ''}.${extra}` };
    }
    if (regime === 'semi-supervised') {
      const extra = unused('mixture', mix.length);
      if (!voice.length && !accomp.length) return { files: [], ok: false, summary: `Choose voice-only and/or accompaniment-only recordings.${extra}` };
      return { files: [voice, accomp], ok: true, summary: `${plural(voice.length, 'voice recording')} and ${plural(accomp.length, 'accompaniment recording')}.${extra}` };
    }
    const extra = unused('stem', voice.length + accomp.length);
    if (!mix.length) return { files: [], ok: false, summary: `Choose mixtures (songs with voice and accompaniment together).${extra}` };
    return { files: [mix], ok: true, summary: `${plural(mix.length, 'mixture')}.${extra}` };
  }

  private updateFiles(): void {
    const p = this.plan();
    this.ui.files.textContent = this.host.model ? p.summary : 'Training starts from the current model, and none is loaded.';
    this.ui.start.disabled = this.busy || !p.ok || !this.host.model;
  }

  /** Steps and learning rate from their fields, or a message. */
  private settings(): { steps: number; learningRate: number } | string {
    const steps = Number(this.ui.steps.value), learningRate = Number(this.ui.lr.value);
    if (!Number.isInteger(steps) || steps < 1 || steps > 20000) return 'Steps must be a whole number from 1 to 20000.';
    if (!Number.isFinite(learningRate) || learningRate <= 0 || learningRate > 1) return 'The learning rate must be a number above 0 (and at most 1); 0.0001 is a good start.';
    return { steps, learningRate };
  }

  // ----------------------------------------------------------------------------------------------
  // Training

  /** Locks the card while training runs (Cancel is the only way in). */
  private setBusy(busy: boolean): void {
    const ui = this.ui;
    this.busy = busy;
    for (const c of [ui.regime, ui.voice, ui.accomp, ui.mix, ui.steps, ui.lr, ui.dict]) c.disabled = busy;
    ui.cancel.hidden = !busy;
    this.updateFiles();
  }

  private async train(): Promise<void> {
    const ui = this.ui, model = this.host.model, plan = this.plan();
    if (this.busy || !model || !plan.ok) return;
    const s = this.settings();
    if (typeof s === 'string') {
      ui.status.textContent = s;
      return;
    }
    const regime = ui.regime.value as Regime;
    if (this.trainedUrl) URL.revokeObjectURL(this.trainedUrl);
    this.trainedUrl = null;
    ui.links.hidden = true;
    ui.links.replaceChildren();
    this.setBusy(true);
    ui.progress.hidden = false;
    showProgress(ui.progress, 0);
    try {
      // Decode everything first: a file the browser cannot read stops here, before any work.
      const all = plan.files.flat();
      const clips = new Map<File, AudioClip>();
      for (const [i, f] of all.entries()) {
        ui.status.textContent = `Reading “${f.name}” (${i + 1} of ${all.length})…`;
        clips.set(f, await decodeClip(f));
      }
      const clip = (f: File) => clips.get(f)!;
      const [a = [], b = []] = plan.files;
      const files: TrainFiles = { pairs: [], voiceOnly: [], accompOnly: [], mixtures: [] };
      if (regime === 'supervised') files.pairs = a.map((v, i) => ({ voice: clip(v), accomp: clip(b[i]) }));
      else if (regime === 'semi-supervised') [files.voiceOnly, files.accompOnly] = [a.map(clip), b.map(clip)];
      else files.mixtures = a.map(clip);

      const name = `${slug(stem(all[0].name))}-${regime}-${new Date().toISOString().slice(0, 16).replace('T', '-').replace(':', '')}`;
      // The GPU where WebGL is hardware, else our WebAssembly kernels (src/gpu/detect.ts).
      const compute = computeMode() === 'gpu' ? gpuInfo().api ?? 'wasm' : 'wasm';
      let ran = '';
      ui.status.textContent = 'Preparing the training frames…';
      this.job = startTraining(model.bytes, files, { regime, steps: s.steps, learningRate: s.learningRate, dictUpdate: ui.dict.checked, batch: BATCH, seed: SEED }, compute, name, {
        onPrepared: (p) => {
          ran = p.ran;
          if (p.fallback) this.host.alert('warning', `Training: ${p.fallback}.`);
          ui.status.textContent = `Training on ${p.seconds.toFixed(1)} s of audio (${plural(p.clips, 'clip')}, ${p.trainFrames} frames, ${p.valFrames} for validation) · runs on ${ran}…`;
        },
        onProgress: (p) => {
          showProgress(ui.progress, (p.step / p.steps) * 100);
          ui.status.textContent = `Step ${p.step} of ${p.steps} · validation loss ${loss(p.valLoss)} (best ${loss(p.bestValLoss)}) · runs on ${ran}`;
        },
      });
      await this.finish(await this.job.result, name);
    } catch (e) {
      ui.progress.hidden = true;
      if (e instanceof TrainCancelled) ui.status.textContent = 'Training cancelled: nothing was stored.';
      else if (e instanceof TrainInputError) ui.status.textContent = `${e.message} Nothing was trained.`;
      else {
        ui.status.textContent = `Training failed: ${(e as Error).message}`;
        this.host.alert('error', `Training failed: ${(e as Error).message}`);
      }
    } finally {
      this.job = null;
      this.setBusy(false);
    }
  }

  /** Stores the trained model and switches to it; it is offered as a download whatever happens. */
  private async finish(r: TrainResult, name: string): Promise<void> {
    const ui = this.ui;
    showProgress(ui.progress, 100);
    const first = r.history[0], last = r.history[r.history.length - 1];
    const done = `Trained in ${r.seconds.toFixed(1)} s on ${r.ran}: validation loss ${loss(first?.valLoss ?? NaN)} → ${loss(last?.bestValLoss ?? NaN)} (best, step ${last?.bestStep ?? 0}).`;
    this.trainedUrl = URL.createObjectURL(new Blob([r.bytes], { type: 'application/octet-stream' }));
    const link = Object.assign(document.createElement('a'), { href: this.trainedUrl, download: `${name}.nnrnmf`, textContent: `${name}.nnrnmf (${Math.ceil(r.bytes.byteLength / 1024)} kB)`, title: 'Download the trained model' });
    ui.links.replaceChildren(link);
    ui.links.hidden = false;
    let entry: UserModelEntry;
    try {
      entry = await saveUserModel(r.bytes, name);
    } catch (e) {
      const why = e instanceof StorageError ? e.message : `It could not be stored: ${(e as Error).message}`;
      ui.status.textContent = `${done} ${why} Download it to keep it:`;
      return;
    }
    await this.refreshModels();
    try {
      await this.host.useModel(entry.id);
      ui.status.textContent = `${done} Stored in this browser as “${name}” and now in use. Download it:`;
    } catch (e) {
      ui.status.textContent = `${done} Stored in this browser as “${name}”, but the separator could not switch to it (${(e as Error).message}). Download it:`;
    }
    this.showSelected();
  }

  // ----------------------------------------------------------------------------------------------
  // The Model row

  /** Lists the shipped model and the user models, selecting the one in use. */
  async refreshModels(): Promise<void> {
    this.userModels = await listUserModels();
    const options = [
      new Option('Shipped model', SHIPPED_ID),
      ...this.userModels.map((m) => new Option(`${m.name} (${m.origin === 'imported' ? 'imported' : 'trained here'}${m.storedAt ? ` ${m.storedAt.slice(0, 10)}` : ''})`, m.id)),
    ];
    this.ui.modelSelect.replaceChildren(...options);
    this.showSelected();
  }

  /** Puts the select, the download link and the delete button in line with the model in use. */
  private showSelected(): void {
    const ui = this.ui, model = this.host.model;
    ui.modelSelect.disabled = !model;
    if (this.modelUrl) URL.revokeObjectURL(this.modelUrl);
    this.modelUrl = null;
    ui.modelDownload.hidden = !model;
    ui.modelDelete.hidden = !model || model.id === SHIPPED_ID;
    if (!model) return;
    ui.modelSelect.value = model.id;
    const info = model.model.info.name;
    this.modelUrl = URL.createObjectURL(new Blob([model.bytes], { type: 'application/octet-stream' }));
    ui.modelDownload.href = this.modelUrl;
    ui.modelDownload.download = `${slug(typeof info === 'string' ? info : model.id)}.nnrnmf`;
    this.updateFiles();
  }

  private async choose(id: string): Promise<void> {
    const select = this.ui.modelSelect;
    select.disabled = true;
    try {
      await this.host.useModel(id);
    } catch (e) {
      const why = `That model could not be used (${(e as Error).message}); the previous one stays in use.`;
      // A damaged user model can never be chosen, so this is the place to get rid of it.
      if (id !== SHIPPED_ID && e instanceof ModelError && confirm(`${why}\n\nDelete it from this browser?`)) {
        await deleteUserModel(id).catch(() => {});
        await this.refreshModels();
      } else {
        this.host.alert('error', why);
      }
    }
    this.showSelected();
  }

  private async deleteSelected(): Promise<void> {
    const model = this.host.model;
    if (!model || model.id === SHIPPED_ID) return;
    const name = this.userModels.find((m) => m.id === model.id)?.name ?? model.id;
    // A trained model cannot be made again exactly: ask first.
    if (!confirm(`Delete the model “${name}” from this browser? Download it first to keep a copy (Import model brings a downloaded copy back).`)) return;
    try {
      await this.host.useModel(SHIPPED_ID);
      await deleteUserModel(model.id);
      this.host.alert('info', `The model “${name}” was deleted; the shipped model is in use.`);
    } catch (e) {
      this.host.alert('error', `The model “${name}” could not be deleted: ${(e as Error).message}`);
    }
    await this.refreshModels();
  }

  /**
   * Import model (the button, or a .nnrnmf dropped on the page): the file must be a valid model the
   * separator accepts; it is then stored as a user model and used. A corrupt, mismatched or refused
   * file changes nothing: not the model in use, not the list, not the storage.
   */
  async importModel(file: File): Promise<void> {
    const refuse = (why: string) => this.host.alert('error', `“${file.name}” was not imported: ${why}. The model in use has not changed.`);
    if (file.size > MAX_MODEL_BYTES) return refuse(`it is ${Math.round(file.size / 2 ** 20)} MiB, larger than any model this page runs (at most ${MAX_MODEL_BYTES / 2 ** 20} MiB)`);
    let bytes: ArrayBuffer;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      return refuse(`it could not be read (${(e as Error).message})`);
    }
    let model;
    try {
      model = validatedModel(bytes);
    } catch (e) {
      return refuse(e instanceof ModelError ? `it is not a valid voicesplit model (${e.message})` : (e as Error).message);
    }
    const name = typeof model.info.name === 'string' && model.info.name ? model.info.name : file.name.replace(/\.nnrnmf$/i, '');
    let entry: UserModelEntry;
    try {
      entry = await saveUserModel(bytes, name, 'imported');
    } catch (e) {
      return refuse((e as Error).message);
    }
    try {
      await this.host.useModel(entry.id);
    } catch (e) {
      // The separator refused it (e.g. a model for another frame size): leave no trace of it.
      await deleteUserModel(entry.id).catch(() => {});
      await this.refreshModels();
      return refuse(`the separator refused it (${(e as Error).message})`);
    }
    await this.refreshModels();
    this.host.alert('info', `Imported “${name}” (${describeModel(model)}); it is stored in this browser and now in use.`);
  }
}
