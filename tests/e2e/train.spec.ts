/**
 * Training on the page: a file the browser cannot decode is refused with a message, a cancelled
 * run stores nothing, and a short supervised run on real stems (../shared/data/stems, read in
 * place) gives a model that is stored in IndexedDB, chosen under Model, runs in the worklet, can be
 * downloaded, and is still the chosen one after a reload; switching models while the song plays
 * does not stop it, and deleting the trained model goes back to the shipped one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel } from '../../src/core/model/model.ts';
import { expect, expectPlayer, openApp, screenshot, sharedData, state, tempDir, test } from './helpers.ts';

const ITEM = join(sharedData, 'stems', 'music_delta_80s_rock'); // 6.8 s, 44.1 kHz, mono stems
const VOICE = join(ITEM, 'voice.wav');
const ACCOMP = join(ITEM, 'accomp.wav');

test('a model trained on the page is stored, chosen, used by the worklet and kept after a reload', async ({ page }) => {
  test.setTimeout(180_000);
  const bad = join(tempDir('train'), 'notes.wav');
  writeFileSync(bad, 'These are notes about the song, not audio.\n');

  await openApp(page);
  const status = page.locator('#train-status');
  const train = page.getByRole('button', { name: 'Train', exact: true });
  const modelSelect = page.getByLabel('Model', { exact: true });
  await expect(modelSelect).toHaveValue('default');
  await expect(modelSelect.locator('option')).toHaveCount(1);
  await expect(train).toBeDisabled();

  await page.getByLabel('Regime').selectOption('supervised');
  await page.getByLabel('Voice stems').setInputFiles(VOICE);
  await expect(page.locator('#train-files')).toContainText('accompaniment stem');
  await expect(train).toBeDisabled();

  // A text file named .wav: a clear message, nothing trained.
  await page.getByLabel('Accompaniment stems').setInputFiles(bad);
  await expect(page.locator('#train-files')).toContainText('1 pair');
  await train.click();
  await expect(status).toContainText('“notes.wav” could not be decoded');
  await expect(train).toBeEnabled();

  // Cancelled: nothing stored.
  await page.getByLabel('Accompaniment stems').setInputFiles(ACCOMP);
  await page.getByLabel('Steps').fill('20000');
  await train.click();
  await expect(page.getByLabel('Voice stems')).toBeDisabled();
  await expect(status).toContainText('Step ');
  await page.getByRole('button', { name: 'Cancel training' }).click();
  await expect(status).toContainText('Training cancelled');
  await expect(modelSelect.locator('option')).toHaveCount(1);

  // A short real run.
  await page.getByLabel('Steps').fill('20');
  await train.click();
  await expect(status).toContainText('Trained in', { timeout: 120_000 });
  const text = (await status.textContent()) ?? '';
  expect(text).toMatch(/validation loss \d[\d.e+-]* → \d[\d.e+-]*/);
  expect(text).toContain('now in use');
  await expect(page.getByLabel('Voice stems')).toBeEnabled();

  const link = page.locator('#train-links a');
  const fileName = (await link.getAttribute('download')) ?? '';
  expect(fileName).toMatch(/^voice-supervised-\d{4}-\d\d-\d\d-\d{4}\.nnrnmf$/);
  const name = fileName.replace(/\.nnrnmf$/, '');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const trained = decodeModel(readFileSync((await download.path())!));
  expect(trained.info.name).toBe(name);
  expect(trained.info.regime).toBe('supervised');

  await expect(modelSelect.locator('option')).toHaveCount(2);
  await expect(modelSelect).not.toHaveValue('default');
  await expect(modelSelect.locator('option:checked')).toContainText(name);
  await expect(page.locator('#model-line')).toContainText(name);
  await expect(page.getByRole('button', { name: 'Delete model' })).toBeVisible();
  expect((await state(page)).model?.description).toContain(name);

  // The worklet separates with it.
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expectPlayer(page, 'playing');
  const s0 = await page.evaluate(() => window.voicesplit.stats());
  await page.waitForTimeout(600);
  const s1 = await page.evaluate(() => window.voicesplit.stats());
  expect(s1?.ready).toBe(true);
  expect(s1?.failed).toBe(false);
  expect((s1?.frames ?? 0) - (s0?.frames ?? 0)).toBeGreaterThan(10);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await screenshot(page, 'train');

  // After a reload it comes from IndexedDB, still chosen.
  const id = await modelSelect.inputValue();
  await page.reload();
  await page.evaluate(() => window.voicesplit.started);
  await expect(modelSelect).toHaveValue(id);
  await expect(page.locator('#model-line')).toContainText('kept in this browser');
  expect((await state(page)).model?.description).toContain(name);
  await expect(page.getByRole('alert')).toHaveCount(0);

  // Switching models while the song plays: playback goes on; deleting goes back to the shipped one.
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expectPlayer(page, 'playing');
  await modelSelect.selectOption('default');
  await expect(page.locator('#model-line')).toContainText('from IndexedDB');
  await expect(page.locator('#model-line')).not.toContainText(name);
  await modelSelect.selectOption(id);
  await expect(page.locator('#model-line')).toContainText(name);
  await expectPlayer(page, 'playing');
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete model' }).click();
  await expect(modelSelect).toHaveValue('default');
  await expect(modelSelect.locator('option')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Delete model' })).toBeHidden();
  await expectPlayer(page, 'playing');
  const s2 = await page.evaluate(() => window.voicesplit.stats());
  await page.waitForTimeout(600);
  const s3 = await page.evaluate(() => window.voicesplit.stats());
  expect((s3?.frames ?? 0) - (s2?.frames ?? 0)).toBeGreaterThan(10);
});
