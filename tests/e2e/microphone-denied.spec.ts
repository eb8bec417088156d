/**
 * A microphone the browser refuses. Chromium gets a (fake) device but no fake-UI flag and no
 * granted permission, so getUserMedia fails with NotAllowedError, as when a person clicks "Block".
 * (No device at all, NotFoundError, is in errors.spec.ts, whose browser has no fake device.)
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
