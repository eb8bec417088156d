/**
 * The browser runs the same separation as the CLI, and karaoke works on real stems.
 *
 * The mixture is made from ../shared/data/stems/music_delta_80s_rock (44.1 kHz) in a temp folder:
 * a stereo mix (voice a little right of centre, accompaniment a little left) so that both
 * channels, and the mid-signal masking, are checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BssEval } from '../../src/eval/bsseval.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { Separator } from '../../src/core/separate/separator.ts';
import type { Audio } from '../../src/io/wav.ts';
import {
  collectDownloads, dB, expect, headroom, MODEL_PATH, loadStems, maxAbsDiff, openApp, openSongFile, readDownloads, renderInPage, rms,
  runCli, screenshot, tempDir, test, writeWav,
} from './helpers.ts';

const ITEM = 'music_delta_80s_rock';
const RATE = 44100;
const TOLERANCE = 1e-4;

test.describe.configure({ mode: 'serial' });

let dir = '';
let mixPath = '';
let mix: Audio;
let cli: { voice: Audio; accomp: Audio };
let stems: ReturnType<typeof loadStems>;

test.beforeAll(() => {
  stems = loadStems(ITEM);
  expect(stems.sampleRate).toBe(RATE);
  const { voice: v, accomp: a } = stems;
  const L = v.map((x, i) => 0.9 * x + 1.1 * a[i]);
  const R = v.map((x, i) => 1.1 * x + 0.9 * a[i]);
  const g = Math.min(headroom(L), headroom(R));
  mix = { sampleRate: RATE, channels: [L.map((x) => x * g), R.map((x) => x * g)] };
  dir = tempDir('separation');
  mixPath = writeWav(join(dir, 'rock-mix.wav'), mix);
  cli = runCli(mixPath, join(dir, 'cli'));
});

test('the worklet in an OfflineAudioContext gives the CLI’s output', async ({ page }, info) => {
  await openApp(page);
  const expectedLatency = new Separator(decodeModel(readFileSync(MODEL_PATH)), RATE, 2).latency;
  const r = await renderInPage(page, mix.channels, RATE);
  expect(r.latency, 'latency the worklet reports').toBe(expectedLatency);

  const diffs = {
    voiceL: maxAbsDiff(r.voice[0], cli.voice.channels[0]),
    voiceR: maxAbsDiff(r.voice[1], cli.voice.channels[1]),
    accompL: maxAbsDiff(r.accomp[0], cli.accomp.channels[0]),
    accompR: maxAbsDiff(r.accomp[1], cli.accomp.channels[1]),
  };
  const worst = Math.max(...Object.values(diffs));
  const levels = { voice: dB(rms(cli.voice.channels[0])), accomp: dB(rms(cli.accomp.channels[0])), mixture: dB(rms(mix.channels[0])) };
  info.annotations.push({
    type: 'figures',
    description: `latency ${r.latency} samples (${((r.latency / RATE) * 1000).toFixed(1)} ms); max |worklet − CLI| voice L/R ${diffs.voiceL.toExponential(2)}/${diffs.voiceR.toExponential(2)}, accompaniment L/R ${diffs.accompL.toExponential(2)}/${diffs.accompR.toExponential(2)}; levels (dBFS RMS) voice ${levels.voice.toFixed(1)}, accompaniment ${levels.accomp.toFixed(1)}, mixture ${levels.mixture.toFixed(1)}`,
  });
  console.log(`[worklet = CLI] ${info.annotations.at(-1)?.description}`);
  expect(worst).toBeLessThanOrEqual(TOLERANCE);
  // Not a vacuous match: the voice is there, and the two parts differ from each other and from the input.
  expect(rms(r.voice[0])).toBeGreaterThan(TOLERANCE);
  expect(maxAbsDiff(r.accomp[0], mix.channels[0])).toBeGreaterThan(TOLERANCE);
  // Stereo is kept: the left and right outputs are not the same signal.
  expect(maxAbsDiff(r.accomp[0], r.accomp[1])).toBeGreaterThan(1e-3);
});

test('Whole voice: the worklet gives `npm run separate -- --whole-voice`’s output, and a voice alone stays on the voice output', async ({ page }, info) => {
  await openApp(page);
  const whole = page.getByRole('switch', { name: 'Whole voice' });
  await expect(whole, 'off for a song').toHaveAttribute('aria-checked', 'false');
  await whole.click();
  await expect(whole).toHaveAttribute('aria-checked', 'true');
  await expect.poll(async () => (await page.evaluate(() => window.voicesplit.stats()))?.residualWeight, { message: 'the realtime worklet uses it' }).toBe(3);

  const cliWhole = runCli(mixPath, join(dir, 'cli-whole'), ['--whole-voice']);
  const r = await renderInPage(page, mix.channels, RATE);
  const worst = Math.max(...[0, 1].flatMap((c) => [maxAbsDiff(r.voice[c], cliWhole.voice.channels[c]), maxAbsDiff(r.accomp[c], cliWhole.accomp.channels[c])]));
  // The voice stem alone, as a singer at the microphone: its energy on each output.
  const alone = await renderInPage(page, [stems.voice], RATE);
  const below = dB(rms(alone.voice[0])) - dB(rms(alone.accomp[0]));
  info.annotations.push({
    type: 'figures',
    description: `max |worklet − CLI --whole-voice| = ${worst.toExponential(2)} (against the paper's mask: ${maxAbsDiff(r.voice[0], cli.voice.channels[0]).toExponential(2)}); the rock voice stem alone: accompaniment output ${below.toFixed(1)} dB below the voice output`,
  });
  console.log(`[whole voice] ${info.annotations.at(-1)?.description}`);
  expect(worst).toBeLessThanOrEqual(TOLERANCE);
  expect(maxAbsDiff(r.voice[0], cli.voice.channels[0]), 'not the paper mask’s output').toBeGreaterThan(1e-3);
  expect(below).toBeGreaterThanOrEqual(10);

  // The export separates the song as the page plays it: with Whole voice too.
  await openSongFile(page, mixPath);
  await expect(page.locator('#song-title')).toHaveText('rock-mix.wav');
  const downloads = collectDownloads(page);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
  await expect(page.locator('#export-mode')).toContainText('with Whole voice');
  const saved = await readDownloads(downloads, join(dir, 'whole'));
  const exported = Math.max(...[0, 1].map((c) => maxAbsDiff(saved['rock-mix-voice.wav'].channels[c], cliWhole.voice.channels[c])));
  console.log(`[whole voice] max |export − CLI --whole-voice| = ${exported.toExponential(2)}`);
  expect(exported).toBeLessThanOrEqual(TOLERANCE);
});

test('Export downloads voice and accompaniment WAVs equal to the CLI’s', async ({ page }, info) => {
  // The mix over and over for 110 s: on a machine with two cores or more the page cuts it in parts,
  // one export worker each (core/spans.ts), and each part is longer than one of the workers' chunks
  // (2²¹ frames), so the files are assembled from several of both.
  const long: Audio = {
    sampleRate: RATE,
    channels: mix.channels.map((c) => {
      const x = new Float32Array(110 * RATE);
      for (let at = 0; at < x.length; at += c.length) x.set(c.subarray(0, Math.min(c.length, x.length - at)), at);
      return x;
    }),
  };
  expect(long.channels[0].length).toBeGreaterThan(2 ** 21);
  const longPath = writeWav(join(dir, 'rock-long.wav'), long);
  const cliLong = runCli(longPath, join(dir, 'cli-long'));
  await openApp(page);
  await openSongFile(page, longPath);
  await expect(page.locator('#song-title')).toHaveText('rock-long.wav');

  const downloads = collectDownloads(page);
  const progress = page.getByRole('progressbar', { name: 'Export progress' });
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(progress).toBeVisible();
  await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
  await expect(progress).toHaveJSProperty('value', 100);
  await expect(page.locator('#export-links a')).toHaveCount(2);
  const names = downloads.map((d) => d.suggestedFilename()).sort();
  expect(names).toEqual(['rock-long-accompaniment.wav', 'rock-long-voice.wav']);

  const saved = await readDownloads(downloads, dir);
  const v = saved['rock-long-voice.wav'], a = saved['rock-long-accompaniment.wav'];
  expect(v.sampleRate).toBe(RATE);
  expect(v.channels.length).toBe(2);
  expect(v.channels[0].length).toBe(long.channels[0].length);
  const worst = Math.max(...[0, 1].flatMap((c) => [maxAbsDiff(v.channels[c], cliLong.voice.channels[c]), maxAbsDiff(a.channels[c], cliLong.accomp.channels[c])]));
  const ran = await page.locator('#export-mode').getAttribute('data-ran');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  if (cores >= 2) expect(ran, 'the export ran in parts, one worker each').toMatch(/, [2-8] workers$/);
  const status = `${await page.locator('#export-status').textContent()} (${ran})`;
  info.annotations.push({ type: 'figures', description: `max |export − CLI| = ${worst.toExponential(2)}; ${status}` });
  console.log(`[export = CLI] ${info.annotations.at(-1)?.description}`);
  expect(worst).toBeLessThanOrEqual(TOLERANCE);
  await screenshot(page, '06-export-done');
});

test('karaoke raises the SDR against the true accompaniment by at least 3 dB', async ({ page }, info) => {
  await openApp(page);
  const g = headroom(stems.voice, stems.accomp);
  const voice = stems.voice.map((x) => x * g), accomp = stems.accomp.map((x) => x * g);
  const mixture = voice.map((x, i) => x + accomp[i]);
  const r = await renderInPage(page, [mixture], RATE, { karaoke: true });
  // Karaoke is the accompaniment bus alone.
  expect(maxAbsDiff(r.output[0], r.accomp[0])).toBeLessThan(1e-6);

  const bss = new BssEval([voice, accomp]);
  const before = bss.evaluate([mixture, mixture], false).sdr[1];
  const after = bss.evaluate([mixture, r.output[0]], false).sdr[1];
  const voiceDrop = dB(rms(mixture)) - dB(rms(r.output[0]));
  info.annotations.push({
    type: 'figures',
    description: `SDR vs true accompaniment: mixture ${before.toFixed(2)} dB, karaoke output ${after.toFixed(2)} dB, gain ${(after - before).toFixed(2)} dB (output ${voiceDrop.toFixed(2)} dB below the mixture); model "${r.model}"`,
  });
  console.log(`[karaoke SDR] ${info.annotations.at(-1)?.description}`);
  expect(after - before).toBeGreaterThanOrEqual(3);
});
