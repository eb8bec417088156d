/**
 * A microphone the browser refuses. Chromium gets a (fake) device but no fake-UI flag and no
 * granted permission, so getUserMedia fails with NotAllowedError, as when a person clicks "Block".
 * (No device at all, NotFoundError, is in errors.spec.ts, whose browser has no fake device.) A
 * refusal leaves a playing song playing; the last test grants the same device, for contrast.
 */
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../playwright.config.ts';
import { expect, expectPlayer, openApp, screenshot, state, test } from './helpers.ts';

test.use({ launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream'] } });

test('a denied microphone shows its message and loses nothing', async ({ page, context }) => {
  await context.clearPermissions();
  await openApp(page);
  const mic = page.getByRole('button', { name: 'Microphone', exact: true });
  await mic.click();
  const alert = page.getByRole('alert').filter({ hasText: 'Microphone access was denied' });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('press Microphone again');
  await expect(mic).toHaveAttribute('aria-pressed', 'false');
  await expect(mic).toBeEnabled();
  expect((await state(page)).mic).toBeNull();
  await screenshot(page, '08-error-microphone-denied');
  // The song is still there and plays.
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expectPlayer(page, 'playing');
  // Dismissable.
  await alert.getByRole('button', { name: 'Dismiss message' }).click();
  await expect(alert).toHaveCount(0);
});

test('a refused microphone leaves the song playing, and says why', async ({ page, context }) => {
  await context.clearPermissions();
  await openApp(page);
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expectPlayer(page, 'playing');
  const before = (await state(page)).player!;
  await page.getByRole('button', { name: 'Microphone', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Microphone access was denied' })).toBeVisible();
  await page.waitForTimeout(500);
  const after = (await state(page)).player!;
  expect(after.state, 'the song plays on').toBe('playing');
  expect(after.starts, 'the song was not stopped and restarted').toBe(before.starts);
  expect(after.position).toBeGreaterThan(before.position + 0.3);
  await expect(page.getByRole('status', { name: 'Status', exact: true })).toContainText('Playing');
  // The Live input card says why too.
  await expect(page.locator('#mic-status')).toContainText('Microphone access was denied');
});

test('a granted microphone, for contrast, does pause the song', async ({ page, context }) => {
  await context.grantPermissions(['microphone']);
  await openApp(page);
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expectPlayer(page, 'playing');
  const mic = page.getByRole('button', { name: 'Microphone', exact: true });
  await mic.click();
  await expect(mic).toHaveAttribute('aria-pressed', 'true');
  await expectPlayer(page, 'paused');
  await expect(page.getByRole('status', { name: 'Status', exact: true })).toContainText('Microphone on');
});
