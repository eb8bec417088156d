/**
 * Live input: Chromium's fake microphone plays a file made from the shared data (a real sung voice,
 * vocadito_1, over a real accompaniment, the 80s-rock stems, at 48 kHz) into the page, which
 * separates it live. The voice output's envelope must follow the file's voice.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../playwright.config.ts';
import type { Page } from '@playwright/test';
import {
  at, dB, expect, loadStems, openApp, readWav, recordInPage, rms, screenshot, sharedData, state, test, writeWav16,
} from './helpers.ts';

const FILE_RATE = 48000;
const FRAME_SECONDS = 0.02;

/** The fake microphone's file: voice at −20 dBFS RMS over accompaniment at −26 dBFS. Deterministic. */
function makeFakeMicFile() {
  const stems = loadStems('music_delta_80s_rock');
  const accompAll = at(FILE_RATE, { sampleRate: stems.sampleRate, channels: [stems.accomp] });
  const frame = Math.round(FRAME_SECONDS * FILE_RATE);
  const n = Math.floor(accompAll.length / frame) * frame;
  const sung = at(FILE_RATE, readWav(join(sharedData, 'voice_only/vocadito_1/voice.wav')));
  const start = Math.round(0.4 * FILE_RATE);
  const voice = sung.slice(start, start + n);
  const accomp = accompAll.slice(0, n);
  const gv = 0.1 / rms(voice), ga = 0.05 / rms(accomp);
  for (let i = 0; i < n; i++) {
    voice[i] *= gv;
    accomp[i] *= ga;
  }
  const mixture = voice.map((x, i) => x + accomp[i]);
  const path = join(tmpdir(), 'voicesplit-e2e-fake-mic.wav');
  writeWav16(path, { sampleRate: FILE_RATE, channels: [mixture] });
  return { path, voice, accomp, mixture };
}

const fake = makeFakeMicFile();

test.use({
  launchOptions: {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${fake.path}`],
  },
});

/** RMS envelope in frames of FRAME_SECONDS. */
function envelope(x: Float32Array, rate: number): Float64Array {
  const frame = Math.round(FRAME_SECONDS * rate);
  const env = new Float64Array(Math.floor(x.length / frame));
  for (let k = 0; k < env.length; k++) env[k] = rms(x, k * frame, (k + 1) * frame);
  return env;
}

/**
 * Best Pearson correlation of a recorded envelope with a looping reference envelope, over every
 * circular lag (the fake device loops its file, and the separator and the device add delay).
 */
function loopCorrelation(rec: Float64Array, ref: Float64Array): { r: number; lagSeconds: number } {
  const P = ref.length, n = Math.min(rec.length, P);
  let best = { r: -1, lagSeconds: 0 };
  const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const a = rec.subarray(rec.length - n), ma = mean(a);
  let va = 0;
  for (const x of a) va += (x - ma) ** 2;
  for (let lag = 0; lag < P; lag++) {
    let mb = 0;
    for (let i = 0; i < n; i++) mb += ref[(i + lag) % P];
    mb /= n;
    let cov = 0, vb = 0;
    for (let i = 0; i < n; i++) {
      const b = ref[(i + lag) % P] - mb;
      cov += (a[i] - ma) * b;
      vb += b * b;
    }
    const r = cov / Math.sqrt(va * vb + 1e-30);
    if (r > best.r) best = { r, lagSeconds: lag * FRAME_SECONDS };
  }
  return best;
}

test.describe.configure({ mode: 'serial' });

/** One page and one recording for the two checks below. */
let shared: Page;
const sharedErrors: string[] = [];
let measured: {
  sampleRate: number;
  frames: number;
  levels: { voice: number; accomp: number; input: number };
  inputVsMixture: { r: number; lagSeconds: number };
  voiceVsVoice: { r: number; lagSeconds: number };
  voiceVsAccomp: { r: number; lagSeconds: number };
  accompVsAccomp: { r: number; lagSeconds: number };
  /** The Whole voice switch and the residual weight the worklet used, with the microphone on. */
  wholeVoice: { checked: string | null; residualWeight: number | null };
};
const SECONDS = 6;

test.beforeAll(async ({ browser }) => {
  shared = await browser.newPage();
  shared.on('pageerror', (e) => sharedErrors.push(e.message));
  await openApp(shared);
  const mic = shared.getByRole('button', { name: 'Microphone', exact: true });
  await mic.click();
  await expect(mic).toHaveAttribute('aria-pressed', 'true');
  const stats0 = await shared.evaluate(() => window.voicesplit.stats());
  const frames0 = stats0?.frames ?? 0;
  const wholeVoice = { checked: await shared.getByRole('switch', { name: 'Whole voice' }).getAttribute('aria-checked'), residualWeight: stats0?.residualWeight ?? null };
  await shared.waitForTimeout(1500); // the level tracker settles
  await screenshot(shared, '04-microphone');
  const [voiceOut, accompOut, input] = await Promise.all([
    recordInPage(shared, 'voice', SECONDS), recordInPage(shared, 'accomp', SECONDS), recordInPage(shared, 'input', SECONDS),
  ]);
  const frames1 = (await shared.evaluate(() => window.voicesplit.stats()))?.frames ?? 0;
  const sr = voiceOut.sampleRate;
  const refs = { voice: envelope(fake.voice, FILE_RATE), accomp: envelope(fake.accomp, FILE_RATE), mixture: envelope(fake.mixture, FILE_RATE) };
  measured = {
    sampleRate: sr,
    frames: frames1 - frames0,
    levels: { voice: dB(rms(voiceOut.samples)), accomp: dB(rms(accompOut.samples)), input: dB(rms(input.samples)) },
    inputVsMixture: loopCorrelation(envelope(input.samples, sr), refs.mixture),
    voiceVsVoice: loopCorrelation(envelope(voiceOut.samples, sr), refs.voice),
    voiceVsAccomp: loopCorrelation(envelope(voiceOut.samples, sr), refs.accomp),
    accompVsAccomp: loopCorrelation(envelope(accompOut.samples, sr), refs.accomp),
    wholeVoice,
  };
  const m = measured;
  console.log(`[microphone] context ${m.sampleRate} Hz; envelope correlation (20 ms frames, best lag): mic input vs file mixture ${m.inputVsMixture.r.toFixed(3)}; voice output vs file voice ${m.voiceVsVoice.r.toFixed(3)}, vs file accompaniment ${m.voiceVsAccomp.r.toFixed(3)}; accompaniment output vs file accompaniment ${m.accompVsAccomp.r.toFixed(3)}; levels voice ${m.levels.voice.toFixed(1)} dBFS, accompaniment ${m.levels.accomp.toFixed(1)} dBFS, input ${m.levels.input.toFixed(1)} dBFS; ${m.frames} network frames in ${SECONDS + 1.5} s`);
});

test.afterAll(async () => {
  await shared?.close();
});

test('the fake microphone goes through the separator, live, and turns off', async ({}, info) => {
  const m = measured;
  info.annotations.push({ type: 'figures', description: `mic input vs file mixture envelope r = ${m.inputVsMixture.r.toFixed(3)}; ${m.frames} network frames; input ${m.levels.input.toFixed(1)} dBFS` });
  await expect(shared.getByRole('status', { name: 'Status', exact: true })).toContainText('Microphone on');
  await expect(shared.locator('#mic-warning')).toContainText('Use headphones');
  expect((await state(shared)).mic).not.toBeNull();
  // The fake device delivers the file, and the separator processed it all along (16 kHz / hop 256
  // = 62.5 frames per second; at least half that, whatever the load).
  expect(m.inputVsMixture.r).toBeGreaterThan(0.8);
  expect(m.frames).toBeGreaterThan(((SECONDS + 1.5) * 16000) / 256 / 2);
  // voice + accompaniment carry the input: the accompaniment output is there.
  expect(m.levels.accomp).toBeGreaterThan(-40);
  // A singer at the microphone: Whole voice is on (mixer.ts), and the worklet's mask uses it.
  expect(m.wholeVoice).toEqual({ checked: 'true', residualWeight: 3 });

  // Off again: the device is released and the input goes silent.
  const mic = shared.getByRole('button', { name: 'Microphone', exact: true });
  await mic.click();
  await expect(mic).toHaveAttribute('aria-pressed', 'false');
  expect((await state(shared)).mic).toBeNull();
  await shared.waitForTimeout(200);
  expect(dB(rms((await recordInPage(shared, 'input', 0.3)).samples))).toBeLessThan(-100);
  // Back to the song, and to the song's setting: off, the paper's mask.
  await expect(shared.getByRole('switch', { name: 'Whole voice' })).toHaveAttribute('aria-checked', 'false');
  expect((await shared.evaluate(() => window.voicesplit.stats()))?.residualWeight).toBe(0);
  expect(sharedErrors).toEqual([]);
});

test('the voice output follows the sung voice of the microphone', async ({}, info) => {
  const m = measured;
  info.annotations.push({
    type: 'figures',
    description: `voice output envelope vs file voice r = ${m.voiceVsVoice.r.toFixed(3)}, vs file accompaniment r = ${m.voiceVsAccomp.r.toFixed(3)}; voice output ${m.levels.voice.toFixed(1)} dBFS`,
  });
  expect(m.levels.voice).toBeGreaterThan(-60);
  expect(m.voiceVsVoice.r).toBeGreaterThan(0.6);
  // It follows the voice, not the accompaniment.
  expect(m.voiceVsVoice.r).toBeGreaterThan(m.voiceVsAccomp.r + 0.2);
});

test('Play turns the microphone off and plays the song', async ({ page }) => {
  await openApp(page);
  const mic = page.getByRole('button', { name: 'Microphone', exact: true });
  await mic.click();
  await expect(mic).toHaveAttribute('aria-pressed', 'true');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expect(mic).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(async () => (await state(page)).player?.state).toBe('playing');
});
