/**
 * The Song card: what is loaded (title, length, rate, the demo's credits, the note about rates)
 * and the ways to load a song: Open file, Demo song (and dropping a file: drop.ts). On failure the
 * song already loaded stays; of loads that overlap (a slow demo download, a long file), the newest
 * choice wins.
 */
import { decodeSong, DecodeError, type Song } from '../io/decode.ts';
import { LONG_SONG_SECONDS, openSong } from '../io/song-file.ts';
import { clock, khz } from './format.ts';
import { elements } from './dom.ts';
import type { DemoInfo, Page } from './page.ts';

const BASE = import.meta.env.BASE_URL;

/**
 * Songs longer than this many seconds are streamed from their file (song-file.ts); `?stream-over=S`
 * in the page's address lowers it, for tests of the streamed path with short files.
 */
function longSongSeconds(): number {
  const s = Number(new URLSearchParams(location.search).get('stream-over'));
  return Number.isFinite(s) && s > 0 ? s : LONG_SONG_SECONDS;
}

export class SongCard {
  private readonly ui = elements({
    title: 'p#song-title', meta: 'p#song-meta', credits: 'p#song-credits', rateNote: 'p#rate-note',
    openFile: 'button#open-file', fileInput: 'input#file-input', loadDemo: 'button#load-demo',
  });

  /**
   * How many songs the person has chosen (the demo at start-up counts as a choice): a load that
   * ends after a newer choice is dropped.
   */
  private choices = 0;
  /** The demo's download and decoding, while it runs. */
  private demoLoading: Promise<{ song: Song; info: DemoInfo }> | null = null;

  constructor(private readonly page: Page) {
    const ui = this.ui;
    ui.openFile.onclick = () => ui.fileInput.click();
    ui.fileInput.onchange = () => {
      const f = ui.fileInput.files?.[0];
      ui.fileInput.value = '';
      if (f) void this.openFile(f);
    };
    ui.loadDemo.onclick = async () => {
      page.setStatus('Loading the demo song…');
      await this.loadDemo();
      page.refreshStatus();
    };
  }

  /**
   * Makes the demo the song. A download already running (start-up's, or an earlier click's) is
   * shared, not repeated; if the person chose another song meanwhile, that one stays.
   */
  async loadDemo(): Promise<void> {
    const page = this.page, ctx = page.ctx;
    if (!ctx) return;
    const choice = ++this.choices;
    try {
      this.demoLoading ??= fetchDemo(ctx).finally(() => (this.demoLoading = null));
      const { song, info } = await this.demoLoading;
      if (choice === this.choices) page.setSong(song, info);
    } catch (e) {
      if (choice !== this.choices) return; // the person has moved on: the demo is not awaited
      page.alert('warning', `The demo song could not be loaded (${(e as Error).message}). Open a song of your own.`);
      if (!page.song) this.ui.title.textContent = 'No song loaded';
    }
  }

  /** Opens a file the person picked or dropped. On failure the current song stays. */
  async openFile(file: File): Promise<void> {
    const page = this.page, ctx = page.ctx;
    if (!ctx) {
      page.alert('error', 'Audio is not available in this browser, so no song can be opened.');
      return;
    }
    const choice = ++this.choices;
    page.setStatus(`Opening “${file.name}”…`);
    try {
      const { song, truncated } = await openSong(ctx, file, longSongSeconds());
      if (choice === this.choices) page.setSong(song, null);
      if (truncated) {
        page.alert('warning', `“${file.name}” is cut short: its header says ${clock(truncated.claimedSeconds)}, but the file holds only ${clock(truncated.seconds)} (an interrupted copy or download?). What is there was loaded.`);
      }
      page.refreshStatus();
    } catch (e) {
      // Said even if another song was chosen meanwhile: the person picked this file.
      const kept = page.song ? ` “${page.song.title}” is still loaded.` : '';
      const text = e instanceof DecodeError ? e.message : `“${file.name}” could not be opened: ${(e as Error).message}.`;
      page.alert('error', `${text}${kept}`);
      page.refreshStatus();
    }
  }

  /** Title, length, rate and channels of a song just loaded; the demo's credits and licence. */
  show(song: Song, demo: DemoInfo | null): void {
    const ui = this.ui;
    ui.title.textContent = song.title;
    // A streamed compressed file's channels are not known (0) until it is decoded.
    const ch = song.fileChannels === 0 ? '' : ` · ${song.fileChannels === 1 ? 'mono' : song.fileChannels === 2 ? 'stereo' : `${song.fileChannels} channels`}`;
    ui.meta.textContent = `${clock(song.duration)} · ${khz(song.sampleRate)}${ch}${demo ? ' · demo song' : ''}`;
    if (demo) {
      const line = (text: string) => Object.assign(document.createElement('span'), { textContent: text });
      const licence = line(`Licence: ${demo.licence}. `);
      licence.append(Object.assign(document.createElement('a'), { href: `${BASE}demo/README.md`, textContent: 'Provenance and licence', target: '_blank', rel: 'noopener' }));
      ui.credits.replaceChildren(line(`Credits: ${demo.credits}.`), licence);
      ui.credits.hidden = false;
    } else {
      ui.credits.hidden = true;
      ui.credits.replaceChildren();
    }
  }

  /** The note about rates: the song's, the device's, the model's. */
  updateNotes(): void {
    const { song, ctx } = this.page, note = this.ui.rateNote;
    const modelRate = this.page.model?.model.header.sampleRate;
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
}

/** Downloads and decodes the demo song (public/demo). */
async function fetchDemo(ctx: BaseAudioContext): Promise<{ song: Song; info: DemoInfo }> {
  const r = await fetch(`${BASE}demo/demo.json`);
  if (!r.ok) throw new Error(`demo.json: HTTP ${r.status}`);
  const info = (await r.json()) as DemoInfo;
  const audio = await fetch(`${BASE}demo/${info.file}`);
  if (!audio.ok) throw new Error(`${info.file}: HTTP ${audio.status}`);
  return { song: await decodeSong(ctx, await audio.arrayBuffer(), info.file, info.title), info };
}
