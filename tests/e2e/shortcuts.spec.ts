/**
 * The footer's keyboard shortcuts (Space play/pause, ← → seek 5 s, K karaoke) after the mouse has
 * been used: a control that a click focused does not take the keys, one reached with Tab does.
 */
import type { Page } from '@playwright/test';
import { expect, expectPlayer, openApp, state, test } from './helpers.ts';

const named = (page: Page, role: 'button' | 'slider' | 'switch', name: string) => page.getByRole(role, { name, exact: true });
const position = async (page: Page) => (await state(page)).player!.position;

test('after a click on Play, a fader or a switch, Space and the arrows do what the footer says', async ({ page }) => {
  await openApp(page);
  const play = page.locator('#play'), voice = named(page, 'slider', 'Voice'), karaoke = named(page, 'switch', 'Karaoke');

  // Play clicked: the arrows seek, Space pauses (once: the button's own Space does not toggle it back).
  await play.click();
  await expectPlayer(page, 'playing');
  const p0 = await position(page);
  await page.keyboard.press('ArrowRight');
  // (Within a second: playing on would pass 4.5 s on its own.)
  await expect.poll(() => position(page), { timeout: 1000 }).toBeGreaterThan(p0 + 4.5);
  await page.keyboard.press('Space');
  await expectPlayer(page, 'paused');
  await page.waitForTimeout(300);
  expect((await state(page)).player?.state).toBe('paused');

  // A fader clicked: Space plays, the arrows seek, the fader stays where the click put it.
  await voice.click();
  const set = await voice.inputValue();
  await page.keyboard.press('Space');
  await expectPlayer(page, 'playing');
  const p1 = await position(page);
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => position(page)).toBeLessThan(p1 - 3);
  await expect(voice).toHaveValue(set);

  await page.keyboard.press('k');
  await expect(karaoke).toHaveAttribute('aria-checked', 'true');

  // The Karaoke switch clicked (off again): Space pauses, the switch stays as the click left it.
  await karaoke.click();
  await expect(karaoke).toHaveAttribute('aria-checked', 'false');
  await page.keyboard.press('Space');
  await expectPlayer(page, 'paused');
  await expect(karaoke).toHaveAttribute('aria-checked', 'false');
});

test('a control reached with Tab keeps its own keys', async ({ page }) => {
  await openApp(page);
  const voice = named(page, 'slider', 'Voice'), karaoke = named(page, 'switch', 'Karaoke');
  await page.locator('#play').click();
  await expectPlayer(page, 'playing');
  // From Play, Tab to the Position slider, then to the Voice fader: the arrows move the fader.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(voice).toBeFocused();
  const p0 = await position(page);
  await page.keyboard.press('ArrowLeft');
  await expect(voice).toHaveValue('99');
  expect(await position(page), 'the arrow moved the fader, not the song').toBeGreaterThan(p0);
  // On to Karaoke (past Solo, Accompaniment, Solo): Space switches it, the song plays on.
  for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
  await expect(karaoke).toBeFocused();
  await page.keyboard.press('Space');
  await expect(karaoke).toHaveAttribute('aria-checked', 'true');
  await page.waitForTimeout(300);
  expect((await state(page)).player?.state).toBe('playing');
});
