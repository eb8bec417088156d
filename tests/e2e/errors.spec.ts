/**
 * Bad input gets a clear message and loses nothing: a file the browser cannot decode, no
 * microphone at all, and an AudioContext that may not start before a click.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../playwright.config.ts';
import { expect, expectPlayer, openApp, screenshot, state, tempDir, test } from './helpers.ts';

test('an undecodable file shows a message and the loaded song stays playable', async ({ page }) => {
  await openApp(page);
  const bogus = join(tempDir('errors'), 'song.mp3');
  writeFileSync(bogus, 'This is a text file with an .mp3 name, not audio.\n'.repeat(50));
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Open file', exact: true }).click();
  await (await chooser).setFiles(bogus);
  const alert = page.getByRole('alert').filter({ hasText: '“song.mp3” could not be decoded' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('“Twinkle, Twinkle, Little Star” is still loaded');
  await expect(page.locator('#song-title')).toHaveText('Twinkle, Twinkle, Little Star');
  expect((await state(page)).song?.name).toBe('demo-song');
  await screenshot(page, '07-error-undecodable-file');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expectPlayer(page, 'playing');
  await expect.poll(async () => (await state(page)).player!.position).toBeGreaterThan(0.3);
});

test('an empty file is refused the same way, by drag and drop too', async ({ page }) => {
  await openApp(page);
  // Drop an empty "audio" file on the page.
  const drop = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([], 'empty.wav', { type: 'audio/wav' }));
    return dt;
  });
  await page.dispatchEvent('body', 'drop', { dataTransfer: drop });
  await expect(page.getByRole('alert').filter({ hasText: '“empty.wav” is empty' })).toBeVisible();
  await expect(page.locator('#song-title')).toHaveText('Twinkle, Twinkle, Little Star');
});

test('no microphone at all shows its message', async ({ page, context }) => {
  // This browser has no fake capture device, and a headless machine has no real one.
  await context.grantPermissions(['microphone']);
  await openApp(page);
  const devices = await page.evaluate(async () => (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audioinput').length);
  test.skip(devices > 0, 'this machine has a real microphone');
  const mic = page.getByRole('button', { name: 'Microphone', exact: true });
  await mic.click();
  await expect(page.getByRole('alert').filter({ hasText: 'No microphone was found' })).toBeVisible();
  await expect(mic).toHaveAttribute('aria-pressed', 'false');
  expect((await state(page)).mic).toBeNull();
});

test('audio that may only start after a click says so, and starts on Play', async ({ playwright }) => {
  // A browser with the usual autoplay policy (the suite's default lets audio start without a gesture).
  const args = [...CHROMIUM_ARGS.filter((a) => !a.startsWith('--autoplay-policy')), '--autoplay-policy=document-user-activation-required'];
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM_PATH, args });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 940 } });
    await openApp(page);
    expect((await state(page)).context?.state).toBe('suspended');
    const status = page.getByRole('status', { name: 'Status', exact: true });
    await expect(status).toHaveText('Click Play to start audio.');
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await expectPlayer(page, 'playing');
    expect((await state(page)).context?.state).toBe('running');
    await expect(status).toHaveText('Playing through the separator.');
  } finally {
    await browser.close();
  }
});
