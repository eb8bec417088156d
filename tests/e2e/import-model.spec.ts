/**
 * Import model: a downloaded .nnrnmf comes back (the button, or dropped on the page), is stored in
 * IndexedDB beside the shipped model and used; a corrupt or mismatched file is refused with a
 * message and changes nothing (the model in use, the list, the storage).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { decodeModel } from '../../src/core/model/model.ts';
import { expect, openApp, repoRoot, state, tempDir, test } from './helpers.ts';

/** A real model other than the shipped one: the paper's dense supervised network. */
const otherModel = join(repoRoot, 'models/paper/rnmf-dense-supervised.nnrnmf');

/** The demo song's file (an audio file, not a model). */
const readdirWav = () => readdirSync(join(repoRoot, 'public/demo')).find((f) => f.endsWith('.wav'))!;

const listed = (page: Page) => page.locator('#model-select option').allTextContents();

async function storedKeys(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('voicesplit');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const keys = await new Promise<IDBValidKey[]>((res, rej) => {
      const r = db.transaction('models', 'readonly').objectStore('models').getAllKeys();
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    db.close();
    return keys.map(String).sort();
  });
}

test('Import model stores a downloaded model, uses it, and keeps it across a reload', async ({ page }) => {
  await openApp(page);
  const before = await state(page);
  await page.getByRole('button', { name: 'Import model' }).click();
  await page.locator('#model-import-input').setInputFiles(otherModel);
  const name = String(decodeModel(readFileSync(otherModel)).info.name);
  await expect(page.getByRole('status').filter({ hasText: `Imported “${name}”` })).toBeVisible();
  await expect(page.locator('#model-line')).toContainText('dense');
  expect((await state(page)).model?.description).not.toBe(before.model?.description);
  expect(await listed(page)).toContainEqual(expect.stringContaining(`${name} (imported`));
  // It is in IndexedDB, and chosen: a reload starts with it.
  expect((await storedKeys(page)).some((k) => k.startsWith('user-model:'))).toBe(true);
  await page.reload();
  await page.evaluate(() => window.voicesplit.started);
  await expect(page.locator('#model-line')).toContainText('dense');
});

test('a corrupt or mismatched model file is refused with a message and changes nothing', async ({ page }) => {
  await openApp(page);
  const dir = tempDir('import-');
  const good = readFileSync(otherModel);
  // Corrupt: one byte flipped in the arrays (the checksum no longer matches).
  const corrupt = Buffer.from(good);
  corrupt[corrupt.length - 100] ^= 0xff;
  // Mismatched: another kind of file under a model's name.
  const notAModel = readFileSync(join(repoRoot, 'public/demo', readdirWav()));
  const files: [string, Buffer, RegExp][] = [
    ['corrupt.nnrnmf', corrupt, /not a valid voicesplit model/],
    ['song.nnrnmf', notAModel, /not a valid voicesplit model/],
  ];
  const modelBefore = (await state(page)).model, listBefore = await listed(page), keysBefore = await storedKeys(page);
  for (const [file, bytes, message] of files) {
    const path = join(dir, file);
    writeFileSync(path, bytes);
    await page.locator('#model-import-input').setInputFiles(path);
    const alert = page.getByRole('alert').filter({ hasText: `“${file}” was not imported` });
    await expect(alert).toBeVisible();
    await expect(alert).toContainText(message);
    await expect(alert).toContainText('The model in use has not changed');
    expect((await state(page)).model).toEqual(modelBefore);
    expect(await listed(page)).toEqual(listBefore);
    expect(await storedKeys(page)).toEqual(keysBefore);
  }
});

test('a .nnrnmf dropped on the page is imported (not opened as a song)', async ({ page }) => {
  await openApp(page);
  const songBefore = (await state(page)).song;
  const b64 = readFileSync(otherModel).toString('base64');
  await page.evaluate((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'my-model.nnrnmf', { type: 'application/octet-stream' }));
    for (const type of ['dragenter', 'dragover', 'drop']) document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, b64);
  await expect(page.getByRole('status').filter({ hasText: 'Imported' })).toBeVisible();
  await expect(page.locator('#model-line')).toContainText('dense');
  expect((await state(page)).song).toEqual(songBefore);
});
