/**
 * The song that plays is the person's newest choice, whatever order the downloads finish in: the
 * demo arriving late (a slow network, made here by holding its request) does not replace a song
 * opened meanwhile, and clicking Demo song again while it downloads reuses that download.
 */
import type { Page } from '@playwright/test';
import { expect, openSongFile, ownSongFile, state, tempDir, test } from './helpers.ts';

/** Holds every request for the demo's audio until `release()`; counts them. */
async function slowDemo(page: Page) {
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const held = { requests: 0, release };
  await page.route('**/demo/demo-song.wav', async (route) => {
    held.requests++;
    await gate;
    await route.continue();
  });
  await page.goto('/');
  await page.waitForFunction(() => typeof window.voicesplit !== 'undefined');
  await expect.poll(() => held.requests, { message: 'the start-up demo download began' }).toBe(1);
  return held;
}

test('a song opened while the demo downloads stays when the demo arrives', async ({ page }) => {
  const demo = await slowDemo(page);
  await openSongFile(page, ownSongFile(tempDir('choice'), 'my-song'));
  await expect(page.locator('#song-title')).toHaveText('my-song.wav');
  demo.release();
  await page.evaluate(() => window.voicesplit.started);
  await page.waitForTimeout(500);
  await expect(page.locator('#song-title')).toHaveText('my-song.wav');
  expect((await state(page)).song?.name).toBe('my-song');
  await expect(page.locator('#song-meta')).not.toContainText('demo song');
});

test('Demo song clicked while the demo downloads reuses that download, and the newest choice wins', async ({ page }) => {
  const demo = await slowDemo(page);
  await openSongFile(page, ownSongFile(tempDir('choice'), 'my-song'));
  await expect(page.locator('#song-title')).toHaveText('my-song.wav');
  const demoButton = page.getByRole('button', { name: 'Demo song', exact: true });
  await demoButton.click();
  await demoButton.click();
  await page.waitForTimeout(500);
  expect(demo.requests, 'one download of the demo').toBe(1);
  demo.release();
  await expect(page.locator('#song-title')).toHaveText('Twinkle, Twinkle, Little Star');
  await page.evaluate(() => window.voicesplit.started);
  expect((await state(page)).song?.name).toBe('demo-song');
  expect(demo.requests, 'one download of the demo').toBe(1);
});
