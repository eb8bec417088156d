/** The page on a phone (390×844 CSS px): nothing scrolls sideways; the first screen holds the song, Play and the mixer. */
import { expect, openApp, test } from './helpers.ts';

const WIDTH = 390, HEIGHT = 844;
test.use({ viewport: { width: WIDTH, height: HEIGHT } });

test('at 390 px the page fits its width and the first screen has the song, Play and the mixer', async ({ page }) => {
  await openApp(page);
  await page.screenshot({ path: '/tmp/voicesplit-phone-first-screen.png', animations: 'disabled', caret: 'hide' });
  await page.screenshot({ path: '/tmp/voicesplit-phone-full.png', fullPage: true, animations: 'disabled', caret: 'hide' });
  expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), 'no horizontal scroll').toBeLessThanOrEqual(WIDTH);
  const firstScreen = {
    'song title': page.locator('#song-title'),
    'Open file': page.getByRole('button', { name: 'Open file', exact: true }),
    Play: page.getByRole('button', { name: 'Play', exact: true }),
    'Voice fader': page.getByRole('slider', { name: 'Voice', exact: true }),
    'Accompaniment fader': page.getByRole('slider', { name: 'Accompaniment', exact: true }),
    Karaoke: page.getByRole('switch', { name: 'Karaoke', exact: true }),
  };
  // The song card keeps its role and name where the layout dissolves it into the page.
  await expect(page.getByRole('region', { name: 'Song', exact: true })).toHaveCount(1);
  for (const [what, loc] of Object.entries(firstScreen)) {
    const box = (await loc.boundingBox())!;
    expect(box, what).not.toBeNull();
    expect(box.y, `${what}: top on the first screen`).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height, `${what}: bottom on the first screen`).toBeLessThanOrEqual(HEIGHT);
    expect(box.x + box.width, `${what}: within the width`).toBeLessThanOrEqual(WIDTH);
  }
});
