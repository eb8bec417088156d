/**
 * What the export says about its files (src/jobs/export/files.ts, src/ui/export-card.ts):
 * - they were handed to the browser (the page cannot see whether the browser saved them), never
 *   "Exported" as if they were saved;
 * - when the browser's blob storage refused them, the export failed, with the reason, and nothing
 *   is handed over.
 *
 * Playwright's browser contexts are off the record, as a private window is: Chromium keeps their
 * blobs in memory only, up to a limit for all of them at once (Chromium 156 here: 499 MiB in one
 * run, 2045 MiB in another; 2 GiB is its cap on a 64-bit desktop). The second test fills that
 * storage for real from the page before exporting (up to 2 GiB of memory, for a few seconds to
 * half a minute); no API is replaced.
 */
import { statSync } from 'node:fs';
import { collectDownloads, expect, openApp, state, test } from './helpers.ts';

test('an export hands its two files to the browser and says so, not that they were saved', async ({ page }) => {
  await openApp(page);
  const downloads = collectDownloads(page);
  const status = page.locator('#export-status');
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await expect.poll(() => downloads.length, { timeout: 90_000 }).toBe(2);
  await expect(status).toContainText('Separated “');
  await expect(status).toContainText('its two files were handed to the browser to save');
  await expect(status).toContainText('The page cannot see whether the browser saved them');
  await expect(status).not.toContainText('Exported');
  const song = (await state(page)).song!;
  // The browser saved both, whole: what was handed over was a readable file of the song's length.
  for (const d of downloads) {
    expect(await d.failure(), d.suggestedFilename()).toBeNull();
    const size = statSync((await d.path())!).size;
    const frames = Math.round(song.duration * song.sampleRate);
    expect(Math.abs(size - (58 + frames * song.channels * 4)), `${d.suggestedFilename()}: ${size} bytes`).toBeLessThanOrEqual(song.channels * 4);
  }
  await expect(page.locator('#export-links').getByRole('link')).toHaveCount(2);
});

test('files the browser cannot keep (blob storage full, as in a private window): the export fails, saying why', async ({ page }) => {
  await openApp(page);
  // Fill this context's blob storage to within 1 MiB of its limit: Blobs of decreasing size, each
  // kept only if the browser can read it back (a refused one reads as NotReadableError).
  const filled = await page.evaluate(async () => {
    const held: Blob[] = [];
    let total = 0, refusal = '';
    for (const size of [128, 32, 8, 2, 1].map((m) => m * 2 ** 20)) {
      for (;;) {
        const b = new Blob([new Uint8Array(size)]);
        try {
          await b.slice(b.size - 1).arrayBuffer();
        } catch (e) {
          refusal = `${(e as Error).name}`;
          break;
        }
        held.push(b);
        total += size;
      }
    }
    (window as unknown as { held: Blob[] }).held = held;
    return { mib: total / 2 ** 20, refusal };
  });
  console.log(`[export-files] blob storage filled with ${filled.mib} MiB before it refused (${filled.refusal})`);
  expect(filled.refusal, 'the browser refused a Blob once its storage was full').toBe('NotReadableError');

  const downloads = collectDownloads(page);
  const status = page.locator('#export-status');
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Export failed' });
  await expect(alert).toBeVisible({ timeout: 90_000 });
  await expect(alert).toContainText(/the browser could not keep the file demo-song-(voice|accompaniment)\.wav \([0-9.]+ MB\) in its storage \(NotReadableError/);
  await expect(alert).toContainText('private window');
  await expect(status).toHaveText('Export failed.');
  await expect(status).not.toContainText('Exported');
  await expect(page.locator('#export-links')).toBeHidden();
  await page.waitForTimeout(500);
  // Before, the page said "Exported" and the browser cancelled both downloads (failure() 'canceled').
  expect(await Promise.all(downloads.map(async (d) => `${d.suggestedFilename()}: ${await d.failure()}`)), 'nothing was handed to the browser').toEqual([]);
  await expect(page.getByRole('button', { name: 'Export', exact: true })).toBeEnabled();
});
