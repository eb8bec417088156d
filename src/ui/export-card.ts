/**
 * The Export card: the loaded song's voice and accompaniment as WAV files, separated faster than
 * real time in a worker (src/jobs/export), on the GPU where WebGL is hardware, else the CPU.
 */
import { ExportCancelled, exportPlan, exportSong, type ExportJob } from '../jobs/export/export.ts';
import { checkFile, handOver } from '../jobs/export/files.ts';
import { megabytes, timesRealTime } from './format.ts';
import { computeMode, gpuInfo } from './gpu-handle.ts';
import { elements, showProgress } from './dom.ts';
import type { Page } from './page.ts';
import { modelFileWithResidualWeight, WHOLE_VOICE_RESIDUAL } from '../core/model/model.ts';

export class ExportCard {
  /** The export running, if one is. */
  job: ExportJob | null = null;
  /** The download links' object URLs, revoked when the next export starts. */
  private urls: string[] = [];
  private readonly ui = elements({
    button: 'button#export', cancel: 'button#export-cancel', progress: 'progress#export-progress',
    status: 'p#export-status', mode: 'p#export-mode', links: 'p#export-links',
  });

  constructor(private readonly page: Page) {
    this.ui.button.onclick = () => void this.start();
    this.ui.cancel.onclick = () => this.job?.cancel();
  }

  /** The card's words before any export (index.html's), said again when a new song comes. */
  private readonly idleText = this.ui.status.textContent ?? '';

  /**
   * A new song: it can be exported (once a running export is over, which goes on with its own
   * song); the finished export's links and words go.
   */
  songLoaded(): void {
    const ui = this.ui;
    ui.button.disabled = this.job !== null;
    if (this.job) return;
    ui.links.hidden = true;
    ui.progress.hidden = true;
    ui.status.textContent = this.idleText;
  }

  async start(): Promise<void> {
    const page = this.page, { song, model } = page, ui = this.ui;
    if (!song || this.job) return;
    if (!model) {
      page.alert('error', 'Export needs a separation model, and none is loaded.');
      return;
    }
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
    ui.links.hidden = true;
    ui.button.disabled = true;
    ui.cancel.hidden = false;
    ui.progress.hidden = false;
    showProgress(ui.progress, 0);
    ui.status.textContent = `Separating “${song.title}”…`;
    // Where the work runs: the GPU where WebGL is hardware, else the CPU (src/gpu/detect.ts).
    const mode = computeMode();
    const plan = exportPlan(mode, model.model.header, gpuInfo());
    // The song's Whole voice setting (mixer.ts), written into the model the workers get.
    const whole = this.page.wholeVoice.song;
    ui.mode.textContent = `Runs on the ${plan.label}${whole ? ', with Whole voice' : ''}.`;
    ui.mode.dataset.mode = mode;
    delete ui.status.dataset.speed;
    const started = performance.now();
    const bytes = whole ? modelFileWithResidualWeight(model.bytes, WHOLE_VOICE_RESIDUAL) : model.bytes;
    const job = exportSong(song, bytes, (f) => {
      const pct = Math.round(f * 100);
      showProgress(ui.progress, pct);
      const elapsed = (performance.now() - started) / 1000;
      const speed = elapsed > 0.2 && f > 0 ? ` · ${timesRealTime((f * song.duration) / elapsed)} real time` : '';
      ui.status.textContent = `Separating “${song.title}”… ${pct} %${speed}`;
    }, plan.engine);
    this.job = job;
    try {
      const r = await job.result;
      showProgress(ui.progress, 100);
      // The browser's blob storage may have refused the files (a private window, a long song): a
      // failure, said with its reason (jobs/export/files.ts).
      ui.status.textContent = `Checking the files of “${song.title}”…`;
      await checkFile(r.voice, r.voiceName);
      await checkFile(r.accomp, r.accompName);
      const links = ([[r.voice, r.voiceName, 'voice'], [r.accomp, r.accompName, 'accompaniment']] as const).map(([blob, name, what]) => {
        const url = URL.createObjectURL(blob);
        this.urls.push(url);
        return Object.assign(document.createElement('a'), { href: url, download: name, textContent: `${name} (${megabytes(blob.size)})`, title: `Download the ${what} of “${song.title}”` });
      });
      ui.links.replaceChildren(...links);
      ui.links.hidden = false;
      // The export finishes with the song it started with, even if another was opened meanwhile: its
      // files and this message name that song, and the one loaded now is said to be another.
      const now = page.song && page.song !== song ? ` “${page.song.title}” is loaded now: press Export to separate it.` : '';
      // Handed to the downloads: whether the browser saved them (or asked where, and was cancelled),
      // the page cannot know, so it does not say they were saved.
      ui.status.textContent = `Separated “${song.title}” in ${r.seconds.toFixed(1)} s (${timesRealTime(r.speed)} real time); its two files were handed to the browser to save.${now} ` +
        'The page cannot see whether the browser saved them: if they are not in your downloads, use the links:';
      ui.status.dataset.speed = String(r.speed);
      // What ran, as the workers said (a GPU that failed, or WebAssembly refused, leaves the CPU or JavaScript).
      ui.mode.textContent = `Ran on the ${r.fallback ? `CPU, ${/JavaScript/.test(r.ran) ? 'in JavaScript' : 'WebAssembly SIMD'}` : plan.label} (${r.ran})${whole ? ', with Whole voice' : ''}: ${timesRealTime(r.speed)} real time.`;
      ui.mode.dataset.ran = r.ran;
      if (r.fallback) page.alert('warning', `Export: ${r.fallback}.`);
      for (const a of links) handOver(a);
    } catch (e) {
      if (e instanceof ExportCancelled) ui.status.textContent = 'Export cancelled.';
      else {
        ui.status.textContent = 'Export failed.';
        page.alert('error', `Export failed: ${(e as Error).message}`);
      }
      ui.progress.hidden = true;
    } finally {
      this.job = null;
      ui.cancel.hidden = true;
      ui.button.disabled = !page.song;
    }
  }
}
