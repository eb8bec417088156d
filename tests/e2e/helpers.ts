/**
 * Shared by the end-to-end specs: test audio made from ../shared/data (written to a temp folder,
 * never into the repository), the CLI, moving Float32Arrays in and out of the page, screenshots.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, expect, type Download, type Page } from '@playwright/test';
import { repoRoot, sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { crc32, decodeModel } from '../../src/core/model/model.ts';
import { resampleSignal } from '../../src/core/signal/resample.ts';
import { decodeWav, encodeWav, type Audio } from '../../src/io/wav.ts';

export { repoRoot, sharedData };

/**
 * The model the page is served and the Node side compares with: the shipped one, or a candidate
 * given as E2E_MODEL=/path/to/model.nnrnmf (served in place of public/models/default.nnrnmf, to
 * try a model in this suite before shipping it).
 */
export const MODEL_PATH = process.env.E2E_MODEL ? resolve(process.env.E2E_MODEL) : shippedModelPath;


export const SCREENSHOT_DIR = resolve(repoRoot, 'test-results/screenshots');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `voicesplit-${prefix}-`));
}

export function readWav(path: string): Audio {
  return decodeWav(readFileSync(path), path);
}

export function writeWav(path: string, audio: Audio): string {
  writeFileSync(path, encodeWav(audio));
  return path;
}

/** A canonical 44-byte PCM 16-bit header for `frames` frames, at the start of `b`. */
export function writePcm16Header(b: Buffer, nch: number, rate: number, frames: number): void {
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + frames * nch * 2, 4);
  b.write('WAVEfmt ', 8, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(nch, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * nch * 2, 28);
  b.writeUInt16LE(nch * 2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(frames * nch * 2, 40);
}

/** 16-bit PCM WAV (what every reader takes, Chromium's fake audio capture included). */
export function writeWav16(path: string, audio: Audio): string {
  const nch = audio.channels.length, n = audio.channels[0].length;
  const b = Buffer.alloc(44 + n * nch * 2);
  writePcm16Header(b, nch, audio.sampleRate, n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < nch; c++) b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(audio.channels[c][i] * 32767))), 44 + 2 * (i * nch + c));
  }
  writeFileSync(path, b);
  return path;
}

/** Voice and accompaniment of a stems item (mono, same rate and length). */
export function loadStems(item: string): { voice: Float32Array; accomp: Float32Array; sampleRate: number } {
  const dir = join(sharedData, 'stems', item);
  const v = readWav(join(dir, 'voice.wav')), a = readWav(join(dir, 'accomp.wav'));
  if (v.sampleRate !== a.sampleRate) throw new Error(`${item}: stems at different rates`);
  const n = Math.min(v.channels[0].length, a.channels[0].length);
  return { voice: v.channels[0].slice(0, n), accomp: a.channels[0].slice(0, n), sampleRate: v.sampleRate };
}

/** Scales signals alike so that their sum peaks at most at 0.99 (as the project's eval does). */
export function headroom(...xs: Float32Array[]): number {
  let peak = 0;
  for (let i = 0; i < xs[0].length; i++) {
    let s = 0;
    for (const x of xs) s += x[i];
    peak = Math.max(peak, Math.abs(s));
  }
  return peak > 0.99 ? 0.99 / peak : 1;
}

export function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

export const dB = (x: number) => 20 * Math.log10(Math.max(x, 1e-12));

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Saves downloaded WAV files into `dir` and reads them back, by suggested file name. */
export async function readDownloads(downloads: Download[], dir: string): Promise<Record<string, Audio>> {
  const saved: Record<string, Audio> = {};
  for (const d of downloads) {
    const p = join(dir, `download-${d.suggestedFilename()}`);
    await d.saveAs(p);
    saved[d.suggestedFilename()] = readWav(p);
  }
  return saved;
}

/** The page's downloads from now on, in the order they start (for readDownloads). */
export function collectDownloads(page: Page): Download[] {
  const downloads: Download[] = [];
  page.on('download', (d) => downloads.push(d));
  return downloads;
}

/** Runs the project's CLI (`npm run separate`) with MODEL_PATH on a WAV; returns its voice and accompaniment. */
export function runCli(input: string, outDir: string, extra: string[] = []): { voice: Audio; accomp: Audio } {
  execFileSync('npx', ['tsx', 'src/cli/separate.ts', '--quiet', '--model', MODEL_PATH, ...extra, '--out', outDir, input], { cwd: repoRoot, stdio: 'pipe' });
  const name = input.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '');
  return { voice: readWav(join(outDir, name, 'voice.wav')), accomp: readWav(join(outDir, name, 'accompaniment.wav')) };
}

export const toBase64 = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
export function fromBase64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.length / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** The page's debug handle (src/ui/debug.ts), as the specs use it inside page.evaluate. */
export interface Handle {
  started: Promise<void>;
  state(): {
    context: { state: string; sampleRate: number; currentTime: number; outputLatency: number; baseLatency: number } | null;
    song: { name: string; title: string; sampleRate: number; channels: number; duration: number } | null;
    player: { state: string; position: number; duration: number; starts: number } | null;
    model: { from: 'indexeddb' | 'network'; stored: boolean; description: string; rate: number } | null;
    latency: number | null;
    mix: { voice: number; accomp: number; karaoke: boolean; solo: string | null };
    mic: { label: string } | null;
    exporting: boolean;
    messages: { level: string; text: string }[];
  };
  renderOffline(channels: Float32Array[], sampleRate: number, options?: { mix?: Record<string, unknown> }): Promise<{
    voice: Float32Array[]; accomp: Float32Array[]; output: Float32Array[]; latency: number; sampleRate: number; model: string;
  }>;
  record(tap: string, seconds: number): Promise<{ samples: Float32Array; sampleRate: number; startTime: number }>;
  stats(): Promise<{ ready: boolean; frames: number; badSamples: number; failed: boolean; exceptions: number; quanta: number; residualWeight: number | null } | null>;
  toBase64(x: Float32Array): string;
  fromBase64(s: string): Float32Array;
}

declare global {
  interface Window {
    voicesplit: Handle;
  }
}

/** Playwright's test, plus a check that the page threw no uncaught error during the test. */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await use(errors);
      expect(errors, 'uncaught errors on the page').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** Opens the page and waits for start-up (model and demo). */
export async function openApp(page: Page, path = '/'): Promise<void> {
  if (MODEL_PATH !== shippedModelPath) await serveCandidateModel(page);
  await page.goto(path);
  await page.waitForFunction(() => typeof window.voicesplit !== 'undefined');
  await page.evaluate(() => window.voicesplit.started);
}

export const state = (page: Page) => page.evaluate(() => window.voicesplit.state());

/** Renders channels through the page's worklet graph in an OfflineAudioContext (see debug.ts). */
export async function renderInPage(page: Page, channels: Float32Array[], sampleRate: number, mix: Record<string, unknown> = {}) {
  const r = await page.evaluate(async ([b64, rate, m]) => {
    const vs = window.voicesplit;
    const out = await vs.renderOffline(b64.map((s) => vs.fromBase64(s)), rate, { mix: m });
    const enc = (xs: Float32Array[]) => xs.map((x) => vs.toBase64(x));
    return { voice: enc(out.voice), accomp: enc(out.accomp), output: enc(out.output), latency: out.latency, model: out.model };
  }, [channels.map(toBase64), sampleRate, mix] as const);
  const dec = (xs: string[]) => xs.map(fromBase64);
  return { voice: dec(r.voice), accomp: dec(r.accomp), output: dec(r.output), latency: r.latency, model: r.model };
}

/** Records a point of the realtime graph for `seconds` (mono). */
export async function recordInPage(page: Page, tap: 'output' | 'voice' | 'accomp' | 'input', seconds: number) {
  const r = await page.evaluate(async ([t, s]) => {
    const vs = window.voicesplit;
    const out = await vs.record(t, s);
    return { samples: vs.toBase64(out.samples), sampleRate: out.sampleRate, startTime: out.startTime };
  }, [tap, seconds] as const);
  return { ...r, samples: fromBase64(r.samples) };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' });
  return path;
}

/**
 * docs/screenshot.png (the README's) is refreshed from a test screenshot when it is missing or
 * when UPDATE_DOCS_SCREENSHOT=1, so a normal test run does not rewrite a tracked file.
 */
export function publishScreenshot(path: string): void {
  const target = resolve(repoRoot, 'docs/screenshot.png');
  if (existsSync(target) && process.env.UPDATE_DOCS_SCREENSHOT !== '1') return;
  mkdirSync(resolve(repoRoot, 'docs'), { recursive: true });
  copyFileSync(path, target);
}

/** Waits until the realtime player reports `state`. */
export async function expectPlayer(page: Page, playerState: 'playing' | 'paused'): Promise<void> {
  await expect.poll(async () => (await state(page)).player?.state).toBe(playerState);
}

/** Makes a mono signal at `rate` from a WAV channel, resampled with the project's resampler. */
export function at(rate: number, audio: Audio, channel = 0): Float32Array {
  const x = audio.channels[channel];
  return audio.sampleRate === rate ? x.slice() : resampleSignal(x, audio.sampleRate, rate);
}

/** Serves E2E_MODEL as the shipped model (and a manifest that matches it). */
export async function serveCandidateModel(page: Page): Promise<void> {
  const bytes = readFileSync(MODEL_PATH);
  const model = decodeModel(bytes);
  const manifest = {
    models: [{ id: 'default', file: 'default.nnrnmf', name: String(model.info.name ?? 'candidate'), bytes: bytes.length, crc32: (crc32(bytes) >>> 0).toString(16).padStart(8, '0'), sampleRate: model.header.sampleRate }],
  };
  await page.route('**/models/default.nnrnmf', (r) => r.fulfill({ body: bytes, contentType: 'application/octet-stream' }));
  await page.route('**/models/manifest.json', (r) => r.fulfill({ json: manifest }));
}

/** A song of one's own: the rock stems' mix, repeated to `seconds`, as a 16-bit WAV <dir>/<name>.wav. */
export function ownSongFile(dir: string, name: string, seconds = 8): string {
  const s = loadStems('music_delta_80s_rock');
  const g = headroom(s.voice, s.accomp);
  const mix = new Float32Array(Math.round(seconds * s.sampleRate));
  for (let i = 0; i < mix.length; i++) mix[i] = g * (s.voice[i % s.voice.length] + s.accomp[i % s.voice.length]);
  return writeWav16(join(dir, `${name}.wav`), { sampleRate: s.sampleRate, channels: [mix] });
}

/** Opens a file with the page's Open file button, as a person does. */
export async function openSongFile(page: Page, path: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open file', exact: true }).click();
  await (await chooser).setFiles(path);
}
