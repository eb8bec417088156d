/**
 * Offline for real, and updates (the service worker of vite.config.ts, registered by
 * src/ui/update-line.ts), against a server the test stops (pwa-server.ts): after one visit, with
 * the server gone — connection refused, for the page and its service worker alike, which is what a
 * person meets when the site is down or the laptop is offline; `context.setOffline` would only
 * emulate that, and route-to-abort would only cover the requests Playwright sees — a reload loads
 * the page, cross-origin isolated still, with its model and demo, and the demo plays through the
 * separator; without the stored model too (it comes from the service worker's cache). Then a new
 * version with a newer model: the page says a new version is ready, its Reload lets it in, and the
 * page says the newer model replaced the stored one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { crc32, decodeModel, describeModel } from '../../src/core/model/model.ts';
import { expect, expectPlayer, recordInPage, repoRoot, rms, screenshot, state, test } from './helpers.ts';
import { pwaServers } from './pwa-server.ts';

test.use({ serviceWorkers: 'allow' });

const pwa = pwaServers();

const started = (page: Page) => page.waitForFunction(() => typeof window.voicesplit !== 'undefined').then(() => page.evaluate(() => window.voicesplit.started));

/** The first visit: the page starts, its service worker installs (precaching everything) and controls it. */
async function firstVisit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await started(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 60_000 });
  await expect(page.locator('#offline-line')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.locator('#offline-line')).toHaveText(/^Works offline/);
}

/** Plays the loaded song and checks that the separator's two outputs carry sound. */
async function playsThroughTheSeparator(page: Page): Promise<{ voice: number; accomp: number }> {
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expectPlayer(page, 'playing');
  await page.waitForTimeout(500); // past the separator's warm-up
  const [voice, accomp] = await Promise.all([recordInPage(page, 'voice', 1.5), recordInPage(page, 'accomp', 1.5)]);
  const levels = { voice: rms(voice.samples), accomp: rms(accomp.samples) };
  expect(levels.voice, 'the separator puts the sung voice on the voice output').toBeGreaterThan(1e-3);
  expect(levels.accomp, 'and the rest on the accompaniment output').toBeGreaterThan(1e-3);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  return levels;
}

/** Removes the stored shipped model from IndexedDB (what a person's cleared site data does, short of the service worker). */
async function forgetStoredModel(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((done, fail) => {
    const open = indexedDB.open('voicesplit');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction('models', 'readwrite');
      tx.objectStore('models').delete('model:default');
      tx.oncomplete = () => (open.result.close(), done());
      tx.onerror = () => fail(tx.error);
    };
  }));
}

test('with the server gone, a reload loads the page, its model and the demo, and the demo plays', async ({ page }, info) => {
  test.setTimeout(180_000);
  const server = await pwa.serve();
  const url = server.url;
  await firstVisit(page, url);
  expect((await state(page)).model?.from).toBe('network');
  // Installable: Chromium finds nothing missing (web app manifest, icons, a service worker with a fetch handler)
  const cdp = await page.context().newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  // (but for 'in-incognito': Playwright's contexts are incognito-like).
  expect(installabilityErrors.filter((e) => e.errorId !== 'in-incognito')).toEqual([]);

  await server.stop();
  // The origin is gone: what the service worker does not keep fails (bench.html is not precached).
  const probe = await page.evaluate(() => fetch('/bench.html').then((r) => `HTTP ${r.status}`, () => 'failed'));
  expect(probe, 'nothing answers at the origin any more').toBe('failed');

  await page.reload();
  await started(page);
  await expect(page.locator('#song-title')).toHaveText('Twinkle, Twinkle, Little Star');
  const s = await state(page);
  expect(s.model?.from, 'the model from IndexedDB, as stored on the first visit').toBe('indexeddb');
  expect(s.messages.filter((m) => m.level !== 'info'), 'no warning or error on the offline page').toEqual([]);
  expect(await page.evaluate(() => crossOriginIsolated), 'the page served by the service worker is still cross-origin isolated').toBe(true);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  const first = await playsThroughTheSeparator(page);

  // Without the stored model (site data of IndexedDB cleared, say): the page fetches the shipped
  // model, and the service worker's cache answers.
  await forgetStoredModel(page);
  await page.reload();
  await started(page);
  const t = await state(page);
  expect(t.model?.from, 'the shipped model, from the service worker').toBe('network');
  expect(t.model?.stored).toBe(true);
  await expect(page.locator('#model-line')).toContainText('downloaded and stored for offline use');
  const second = await playsThroughTheSeparator(page);
  info.annotations.push({ type: 'figures', description: `offline: voice rms ${first.voice.toFixed(4)}, accompaniment ${first.accomp.toFixed(4)}; model from the SW cache: ${second.voice.toFixed(4)}, ${second.accomp.toFixed(4)}` });
});

test('a new version with a newer model: the page says it is ready, Reload lets it in, and the newer model replaces the stored one', async ({ page }) => {
  test.setTimeout(180_000);
  let server = await pwa.serve();
  const { port, url } = server;
  await firstVisit(page, url);
  const before = (await state(page)).model?.description;

  // Version 2 of the site: a newer model (the paper's dense network) and its manifest entry, and a
  // service worker whose precache lists their new revisions (as a build with them would).
  const bytes = readFileSync(join(repoRoot, 'models/paper/rnmf-dense-supervised.nnrnmf'));
  const newer = describeModel(decodeModel(bytes));
  expect(newer).not.toBe(before);
  const shipped = JSON.parse(readFileSync(join(pwa.build(), 'models/manifest.json'), 'utf8')) as { models: Record<string, unknown>[] };
  const manifest = { models: [{ ...shipped.models[0], name: 'NN RNMF dense (supervised)', bytes: bytes.length, crc32: (crc32(bytes) >>> 0).toString(16).padStart(8, '0') }] };
  let sw = readFileSync(join(pwa.build(), 'sw.js'), 'utf8'), bumped = 0;
  sw = sw.replace(/(url:\s*"models\/(?:default\.nnrnmf|manifest\.json)",\s*revision:\s*")([0-9a-f]+)"/g, (_m, head: string, rev: string) => (bumped++, `${head}${rev}2"`));
  expect(bumped, 'the service worker lists the model and its manifest with revisions').toBe(2);
  await server.stop();
  server = await pwa.serve({ port, overrides: { 'models/default.nnrnmf': bytes, 'models/manifest.json': JSON.stringify(manifest), 'sw.js': sw } });

  // The next visit finds the new version; until the person reloads, the page stays as it was.
  await page.reload();
  await started(page);
  const line = page.getByRole('status').filter({ hasText: 'A new version of voicesplit is ready' });
  await expect(line).toBeVisible({ timeout: 60_000 });
  expect((await state(page)).model?.description, 'the page keeps its model until it reloads').toBe(before);
  await screenshot(page, '12-update-ready');

  const reloaded = page.waitForEvent('load');
  await line.getByRole('button', { name: 'Reload', exact: true }).click();
  await reloaded;
  await started(page);
  const s = await state(page);
  expect(s.model?.description).toBe(newer);
  expect(s.messages.map((m) => m.text)).toContainEqual(expect.stringContaining('A newer model was shipped'));
  await expect(page.getByRole('status').filter({ hasText: 'A newer model was shipped' })).toBeVisible();
  await expect(page.locator('#update')).toBeHidden();
  await expect(page.locator('#model-line')).toContainText(newer);
});
