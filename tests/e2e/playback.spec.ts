/**
 * The page as a person uses it, on the realtime AudioContext: the demo is ready, every control has
 * its accessible name, playback goes through the separator, faders and karaoke change the output
 * while it plays (no restart), pause / resume / seek work, and so does the keyboard.
 */
import type { Page } from '@playwright/test';
import { dB, expect, expectPlayer, openApp, publishScreenshot, recordInPage, rms, screenshot, state, test } from './helpers.ts';

/** The controls a person (or a screen reader) finds, by role and exact accessible name. */
const controls = (page: Page) => {
  const named = (role: 'button' | 'slider' | 'switch' | 'status', name: string) => page.getByRole(role, { name, exact: true });
  return {
    openFile: named('button', 'Open file'), play: named('button', 'Play'), pause: named('button', 'Pause'),
    position: named('slider', 'Position'), voice: named('slider', 'Voice'), accomp: named('slider', 'Accompaniment'),
    karaoke: named('switch', 'Karaoke'),
    soloVoice: named('button', 'Solo voice'), soloAccomp: named('button', 'Solo accompaniment'),
    mic: named('button', 'Microphone'), exportBtn: named('button', 'Export'),
    status: named('status', 'Status'),
  };
};

test('the demo song is ready, with credits, licence, latency and every control named', async ({ page }) => {
  await openApp(page);
  const c = controls(page);
  for (const [name, loc] of Object.entries(c)) if (name !== 'pause') await expect(loc, name).toBeVisible();
  await expect(c.play).toBeEnabled();
  await expect(c.exportBtn).toBeEnabled();
  await expect(c.karaoke).toHaveAttribute('aria-checked', 'false');
  await expect(page.locator('#song-title')).toHaveText('Twinkle, Twinkle, Little Star');
  // Provenance and licence on the page, with the file beside the demo linked.
  const credits = page.locator('#song-credits');
  await expect(credits).toContainText('Festival');
  await expect(credits).toContainText('CC0-1.0');
  await expect(credits.getByRole('link', { name: 'Provenance and licence' })).toHaveAttribute('href', /demo\/README\.md$/);
  await expect(page.locator('#rate-note')).toContainText('44.1 kHz');
  await expect(page.locator('#rate-note')).toContainText('16 kHz');
  await expect(page.locator('#latency')).toHaveText(/^Separator delay \d+ ms · output latency \d+ ms$/);
  await expect(page.locator('#model-line')).toContainText('downloaded and stored');
  await expect(c.status).toHaveText('Ready: press Play.');
  const s = await state(page);
  expect(s.context?.state).toBe('running');
  expect(s.latency).toBeGreaterThan(0);
  expect(await page.locator('#latency').textContent()).toContain(`Separator delay ${Math.round(((s.latency ?? 0) / (s.context?.sampleRate ?? 1)) * 1000)} ms`);
  await screenshot(page, '01-idle-demo-loaded');
  // Dark scheme, phone width.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(c.voice).toBeVisible();
  await screenshot(page, '10-dark-narrow');
});

test('faders and karaoke change the output live, without restarting playback', async ({ page }, info) => {
  await openApp(page);
  const c = controls(page);
  await c.play.click();
  await expect(c.pause).toBeVisible();
  await expectPlayer(page, 'playing');
  await page.waitForTimeout(600); // past the separator's warm-up
  await screenshot(page, '02-playing');
  const before = await state(page);

  // One continuous recording of the output (and of the separator's input, to measure the output
  // against it) while the faders move. Each move is bracketed by the context's clock just before
  // and just after it, so the level windows leave the moves out. With both faders at the same
  // position p the output is p² times the delayed input, whatever the model does (voice +
  // accompaniment = the delayed input), so those levels are exact.
  const now = () => page.evaluate(() => window.voicesplit.state().context?.currentTime ?? 0);
  const moves: { before: number; after: number }[] = [];
  const positions: number[] = [];
  const move = async (action: () => Promise<void>) => {
    const t0 = await now();
    await action();
    moves.push({ before: t0, after: await now() });
    positions.push((await state(page)).player?.position ?? 0);
  };
  const recordings = Promise.all([recordInPage(page, 'output', 7.5), recordInPage(page, 'input', 7.5)]);
  await page.waitForTimeout(1200);
  await move(async () => {
    // Both to 50 %: the voice with the mouse's way (fill), the accompaniment from the keyboard.
    await c.voice.fill('50');
    await c.accomp.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('PageDown');
  });
  await expect(c.accomp).toHaveValue('50');
  await page.waitForTimeout(1000);
  await move(() => c.voice.fill('0'));
  await page.waitForTimeout(1000);
  await move(async () => {
    await c.accomp.focus();
    await page.keyboard.press('Home');
  });
  await page.waitForTimeout(1000);
  await move(async () => {
    await c.voice.fill('100');
    await c.accomp.fill('100');
  });
  const [rec, input] = await recordings;
  const after = await state(page);

  const sr = rec.sampleRate;
  const lat = (before.latency ?? 0) / sr;
  const span = (x: { samples: Float32Array; startTime: number }, t0: number, t1: number) => [Math.round((t0 - x.startTime) * sr), Math.round((t1 - x.startTime) * sr)] as const;
  /** Output level in [t0, t1] relative to the input that produced it (dB), and absolute (dBFS). */
  const level = (t0: number, t1: number) => {
    const out = dB(rms(rec.samples, ...span(rec, t0, t1)));
    return { rel: out - dB(rms(input.samples, ...span(input, t0 - lat, t1 - lat))), abs: out };
  };
  const settle = 0.35; // separator delay + gain ramp
  const end = Math.min(rec.startTime, input.startTime) + rec.samples.length / sr;
  const first = Math.max(rec.startTime, input.startTime + lat);
  expect(moves[0].before - first, 'the recording started before the first move').toBeGreaterThan(0.3);
  expect(end - moves[3].after, 'the recording ended after the last move').toBeGreaterThan(settle + 0.3);
  const lv = {
    full: level(first + 0.05, moves[0].before),
    half: level(moves[0].after + settle, moves[1].before),
    accompHalf: level(moves[1].after + settle, moves[2].before),
    none: level(moves[2].after + settle, moves[3].before),
    fullAgain: level(moves[3].after + settle, end),
  };
  const f = (x: { rel: number; abs: number }) => `${x.rel.toFixed(2)} dB (${x.abs.toFixed(1)} dBFS)`;
  info.annotations.push({
    type: 'figures',
    description: `output vs input: faders 100/100 ${f(lv.full)}; 50/50 ${f(lv.half)}; voice 0, accompaniment 50 ${f(lv.accompHalf)}; 0/0 ${f(lv.none)}; 100/100 again ${f(lv.fullAgain)}; source starts ${before.player?.starts} → ${after.player?.starts}; position ${before.player?.position.toFixed(2)} → ${positions.map((p) => p.toFixed(2)).join(' → ')} → ${after.player?.position.toFixed(2)} s`,
  });
  console.log(`[faders] ${info.annotations.at(-1)?.description}`);
  expect(lv.full.abs).toBeGreaterThan(-40);
  expect(Math.abs(lv.full.rel)).toBeLessThan(0.2); // unity: output = delayed input
  expect(Math.abs(lv.half.rel - 20 * Math.log10(0.25))).toBeLessThan(0.2); // both at 50 %: −12 dB
  expect(lv.accompHalf.abs).toBeGreaterThan(lv.none.abs + 40); // the accompaniment alone still plays
  expect(lv.none.abs).toBeLessThan(-100); // both at 0: silence
  expect(Math.abs(lv.fullAgain.rel)).toBeLessThan(0.2);
  // The song kept playing throughout: same source, position advancing with the context's clock.
  expect(after.player?.starts).toBe(before.player?.starts);
  expect(after.player?.state).toBe('playing');
  const seq = [before.player?.position ?? 0, ...positions, after.player?.position ?? 0];
  for (let i = 1; i < seq.length; i++) expect(seq[i]).toBeGreaterThan(seq[i - 1]);
  expect(after.context!.currentTime - before.context!.currentTime).toBeGreaterThan(5);

  // Karaoke mutes the voice at once: the voice bus goes silent, the accompaniment plays on.
  await c.karaoke.click();
  await expect(c.karaoke).toHaveAttribute('aria-checked', 'true');
  await page.waitForTimeout(250);
  const [voiceBus, accompBus] = [await recordInPage(page, 'voice', 0.6), await recordInPage(page, 'accomp', 0.6)];
  const karaokeLevels = { voice: dB(rms(voiceBus.samples)), accomp: dB(rms(accompBus.samples)) };
  info.annotations.push({ type: 'figures', description: `karaoke on: voice bus ${karaokeLevels.voice.toFixed(1)} dBFS, accompaniment bus ${karaokeLevels.accomp.toFixed(1)} dBFS` });
  console.log(`[karaoke live] ${info.annotations.at(-1)?.description}`);
  expect(karaokeLevels.voice).toBeLessThan(-100);
  expect(karaokeLevels.accomp).toBeGreaterThan(-40);
  await expect(c.status).toContainText('karaoke');
  await screenshot(page, '03-karaoke-on');
  await c.karaoke.click();
  await expect(c.karaoke).toHaveAttribute('aria-checked', 'false');

  // Solo accompaniment silences the voice bus; solo voice silences the accompaniment bus.
  await c.soloVoice.click();
  await expect(c.soloVoice).toHaveAttribute('aria-pressed', 'true');
  await page.waitForTimeout(250);
  expect(dB(rms((await recordInPage(page, 'accomp', 0.4)).samples))).toBeLessThan(-100);
  await c.soloAccomp.click();
  await expect(c.soloVoice).toHaveAttribute('aria-pressed', 'false');
  await expect(c.soloAccomp).toHaveAttribute('aria-pressed', 'true');
  await page.waitForTimeout(250);
  expect(dB(rms((await recordInPage(page, 'voice', 0.4)).samples))).toBeLessThan(-100);
  expect(dB(rms((await recordInPage(page, 'accomp', 0.4)).samples))).toBeGreaterThan(-40);
  await c.soloAccomp.click();
  expect((await state(page)).player?.starts).toBe(before.player?.starts);
});

test('pause, resume, seek and the keyboard', async ({ page }) => {
  await openApp(page);
  const c = controls(page);
  await c.play.click();
  await expectPlayer(page, 'playing');
  await page.waitForTimeout(800);

  await c.pause.click();
  await expectPlayer(page, 'paused');
  await expect(c.play).toBeVisible();
  const paused = (await state(page)).player!.position;
  expect(paused).toBeGreaterThan(0.5);
  await page.waitForTimeout(500);
  expect((await state(page)).player!.position).toBe(paused);
  await expect(c.status).toHaveText(/^Paused at 0:0\d\.$/);

  // Resume continues from there.
  await c.play.click();
  await expectPlayer(page, 'playing');
  await page.waitForTimeout(300);
  const resumed = (await state(page)).player!.position;
  expect(resumed).toBeGreaterThan(paused);
  expect(resumed).toBeLessThan(paused + 1.5);

  // Seek with the Position slider, while playing.
  await c.position.fill('20');
  await expect.poll(async () => (await state(page)).player!.position).toBeGreaterThan(20);
  expect((await state(page)).player!.position).toBeLessThan(21.5);
  await expectPlayer(page, 'playing');
  await expect(page.locator('#time-current')).toHaveText(/^0:2\d$/);
  // The output is back after the seek (the fade-in after the separator's delay).
  await page.waitForTimeout(300);
  expect(dB(rms((await recordInPage(page, 'output', 0.4)).samples))).toBeGreaterThan(-40);

  // Keyboard: Space toggles play when the focus is not on a control; arrows seek; K is karaoke.
  await page.locator('#song-title').click();
  await page.keyboard.press('Space');
  await expectPlayer(page, 'paused');
  const p0 = (await state(page)).player!.position;
  await page.keyboard.press('ArrowLeft');
  await expect.poll(async () => (await state(page)).player!.position).toBeCloseTo(p0 - 5, 1);
  await page.keyboard.press('Space');
  await expectPlayer(page, 'playing');
  // Arrows on the Position slider seek by 5 s.
  const p1 = (await state(page)).player!.position;
  await c.position.press('ArrowRight');
  await expect.poll(async () => (await state(page)).player!.position).toBeGreaterThan(p1 + 4.5);
  await page.locator('#song-title').click();
  await page.keyboard.press('k');
  await expect(c.karaoke).toHaveAttribute('aria-checked', 'true');
  // Controls work from the keyboard: Tab to Karaoke, toggle with Space.
  await c.karaoke.focus();
  await page.keyboard.press('Space');
  await expect(c.karaoke).toHaveAttribute('aria-checked', 'false');
  await c.voice.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(c.voice).toHaveValue('99');
  await expect(c.voice).toHaveAttribute('aria-valuetext', '99 %, 0 dB');
  await c.pause.press('Enter');
  await expectPlayer(page, 'paused');
});

test('export of the demo shows its progress, then offers both files', async ({ page }) => {
  await openApp(page);
  const c = controls(page);
  const downloads: string[] = [];
  page.on('download', (d) => downloads.push(d.suggestedFilename()));
  // Cancelling stops it and offers nothing.
  await c.exportBtn.click();
  await page.getByRole('button', { name: 'Cancel export' }).click();
  await expect(page.locator('#export-status')).toHaveText('Export cancelled.');
  await expect(c.exportBtn).toBeEnabled();
  // Now the whole way.
  await c.exportBtn.click();
  const progress = page.getByRole('progressbar', { name: 'Export progress' });
  await expect(progress).toBeVisible();
  await expect(c.exportBtn).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Cancel export' })).toBeVisible();
  // Catch it midway for the screenshot (if the machine is fast enough to finish first, take it anyway).
  for (let i = 0; i < 100; i++) {
    const v = await progress.evaluate((p: HTMLProgressElement) => p.value);
    if (v >= 20 || downloads.length > 0) break;
    await page.waitForTimeout(50);
  }
  await screenshot(page, '05-export-in-progress');
  await expect.poll(() => downloads.length, { timeout: 90_000 }).toBe(2);
  await page.waitForTimeout(300);
  expect(downloads.length, 'the cancelled export offered no file').toBe(2);
  expect(downloads.sort()).toEqual(['demo-song-accompaniment.wav', 'demo-song-voice.wav']);
  await expect(progress).toHaveJSProperty('value', 100);
  await expect(page.locator('#export-status')).toContainText('× real time');
  await expect(c.exportBtn).toBeEnabled();
  await expect(page.getByRole('button', { name: 'Cancel export' })).toBeHidden();
});

test('screenshot for the README: playing, voice lowered', async ({ page }) => {
  await openApp(page);
  const c = controls(page);
  await c.voice.fill('45');
  await c.play.click();
  await expectPlayer(page, 'playing');
  await page.waitForTimeout(1500);
  publishScreenshot(await screenshot(page, '00-readme'));
});
