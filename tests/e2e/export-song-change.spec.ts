/**
 * A song opened while an export runs: the export finishes, and its files and its message name the
 * song they contain (not the one loaded now); the new song is exported on the next press. A song
 * opened once an export is over clears its links.
 */
import { expect, openApp, openSongFile, ownSongFile, state, tempDir, test } from './helpers.ts';

const FIRST = 'long-song.wav';

test('an export carries on when another song is opened, labelled for the song it contains', async ({ page }, info) => {
  const dir = tempDir('export-change');
  // A long song, so that its export is still running when the next song is open.
  const long = ownSongFile(dir, 'long-song', 240), short = ownSongFile(dir, 'my-song');
  await openApp(page);
  await openSongFile(page, long);
  await expect(page.locator('#song-title')).toHaveText('long-song.wav');
  const downloads: string[] = [];
  page.on('download', (d) => downloads.push(d.suggestedFilename()));
  const exportButton = page.getByRole('button', { name: 'Export', exact: true });
  const status = page.locator('#export-status'), links = page.locator('#export-links');
  await exportButton.click();
  await expect(page.getByRole('button', { name: 'Cancel export' })).toBeVisible();
  await openSongFile(page, short);
  await expect(page.locator('#song-title')).toHaveText('my-song.wav');
  expect((await state(page)).exporting, 'the first song was still being exported when the new song came').toBe(true);

  await expect.poll(() => downloads.length, { timeout: 90_000 }).toBe(2);
  info.annotations.push({ type: 'figures', description: `first export: ${await status.textContent()}` });
  console.log(`[export] ${info.annotations.at(-1)?.description}`);
  expect(downloads.sort()).toEqual(['long-song-accompaniment.wav', 'long-song-voice.wav']);
  await expect(status).toContainText(`Separated “${FIRST}”`);
  await expect(status).toContainText('“my-song.wav” is loaded now');
  await expect(links).toBeVisible();
  for (const link of await links.getByRole('link').all()) {
    await expect(link).toHaveText(/^long-song-/);
    await expect(link).toHaveAttribute('title', new RegExp(`of “${FIRST}”$`));
  }

  // The next press exports the song loaded now.
  await expect(exportButton).toBeEnabled();
  await exportButton.click();
  await expect.poll(() => downloads.length, { timeout: 90_000 }).toBe(4);
  expect(downloads.slice(2).sort()).toEqual(['my-song-accompaniment.wav', 'my-song-voice.wav']);
  await expect(status).toContainText('Separated “my-song.wav”');
  await expect(status).not.toContainText('loaded now');
  // A song opened after an export is over: that export's links and words go.
  await openSongFile(page, long);
  await expect(page.locator('#song-title')).toHaveText('long-song.wav');
  await expect(links).toBeHidden();
  await expect(status).toHaveText('Voice and accompaniment of the loaded song as WAV files, rendered faster than real time.');
});
