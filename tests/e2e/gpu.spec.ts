/**
 * gpu.js on the page (src/gpu/): the WebGL detection, and the gpu.js kernels against the plain
 * products and the streaming separator, with WebGL2 really running (here on SwiftShader, Chromium's
 * software WebGL: slow, but the same shaders a hardware GPU runs). Then the page's Export forced
 * onto the GPU path (`?compute=gpu`) gives the CLI's files.
 *
 * Correctness only: speed is the bench's business (`npm run bench:page`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel } from '../../src/core/model/model.ts';
import type { GpuInfo } from '../../src/gpu/detect.ts';
import type { BatchCheck, ProductCheck } from '../../src/gpu/selftest.ts';
import type { Audio } from '../../src/io/wav.ts';
import {
  collectDownloads, expect, headroom, loadStems, MODEL_PATH, maxAbsDiff, openApp, openSongFile, readDownloads, runCli, tempDir, test, toBase64, writeWav,
} from './helpers.ts';

interface GpuHandle {
  detect(): GpuInfo;
  mode(): 'gpu' | 'wasm';
  checkProducts(mode: string): Promise<ProductCheck>;
  checkBatch(mode: string, modelBytes: ArrayBuffer, sampleRate: number, channels: Float32Array[], batch?: number): Promise<BatchCheck>;
}
declare global {
  interface Window {
    voicesplitGpu: GpuHandle;
  }
}

const RATE = 44100;
/** A short stereo excerpt: gpu.js on software WebGL separates about one song second per second. */
const SECONDS = 3;

let dir = '';
let mixPath = '';
let mix: Audio;

test.beforeAll(() => {
  const s = loadStems('music_delta_80s_rock');
  const n = SECONDS * s.sampleRate, from = 5 * s.sampleRate;
  const v = s.voice.subarray(from, from + n), a = s.accomp.subarray(from, from + n);
  const L = v.map((x, i) => 0.9 * x + 1.1 * a[i]), R = v.map((x, i) => 1.1 * x + 0.9 * a[i]);
  const g = Math.min(headroom(L), headroom(R));
  mix = { sampleRate: RATE, channels: [L.map((x) => x * g), R.map((x) => x * g)] };
  dir = tempDir('gpu');
  mixPath = writeWav(join(dir, 'gpu-mix.wav'), mix);
});

test('WebGL is detected, and software WebGL sends batch work to the CPU', async ({ page }, info) => {
  await openApp(page);
  const { gpu, mode } = await page.evaluate(() => ({ gpu: window.voicesplitGpu.detect(), mode: window.voicesplitGpu.mode() }));
  info.annotations.push({ type: 'detected', description: `${gpu.summary} → mode ${mode}` });
  console.log(`[gpu detect] ${gpu.summary} → mode ${mode}`);
  expect(gpu.api, 'Chromium offers WebGL here').not.toBeNull();
  expect(mode).toBe(gpu.software ? 'wasm' : 'gpu');
  if (/swiftshader/i.test(gpu.renderer ?? '')) expect(gpu.software).toBe(true);
  // ?compute=gpu forces the GPU path (how the next tests reach it on a machine without a GPU).
  await openApp(page, '/?compute=gpu');
  expect(await page.evaluate(() => window.voicesplitGpu.mode())).toBe('gpu');
});

test('gpu.js WebGL2 products equal the plain JavaScript ones (to 1e-5 of their scale)', async ({ page }, info) => {
  test.setTimeout(240_000);
  await openApp(page);
  const r = await page.evaluate(() => window.voicesplitGpu.checkProducts('webgl2'));
  const worst = r.cases.reduce((w, c) => (c.error > w.error ? c : w));
  info.annotations.push({ type: 'figures', description: `${r.cases.length} products on gpu.js ${r.backend} in ${(r.ms / 1000).toFixed(1)} s; worst relative error ${r.worst.toExponential(2)} (${worst.op} ${worst.shape}, beta ${worst.beta}${worst.resident ? ', resident weights' : ''})` });
  console.log(`[gpu products] ${info.annotations.at(-1)?.description}`);
  expect(r.backend, 'the kernels ran on WebGL2, not on a silent CPU fallback').toBe('webgl2');
  expect(r.cases.length).toBeGreaterThan(50);
  expect(r.worst).toBeLessThan(1e-5);
});

test('the batch separation on gpu.js WebGL2 equals the streaming separator', async ({ page }, info) => {
  test.setTimeout(240_000);
  await openApp(page);
  const model = readFileSync(MODEL_PATH);
  const r = await page.evaluate(async ([m, chans]) => {
    const bytes = Uint8Array.from(atob(m), (c) => c.charCodeAt(0)).buffer;
    const channels = chans.map((s) => window.voicesplit.fromBase64(s));
    return window.voicesplitGpu.checkBatch('webgl2', bytes, 44100, channels, 128);
  }, [model.toString('base64'), mix.channels.map((c) => toBase64(c.subarray(0, 2 * RATE)))] as const);
  info.annotations.push({ type: 'figures', description: `${r.frames} frames on gpu.js ${r.backend} in ${r.seconds.toFixed(1)} s; max |batch − streaming| = ${r.error.toExponential(2)}` });
  console.log(`[gpu batch] ${info.annotations.at(-1)?.description}`);
  expect(r.backend).toBe('webgl2');
  expect(r.frames).toBeGreaterThan(100);
  expect(r.error).toBeLessThan(1e-5);
  expect(decodeModel(model).header.sampleRate).toBe(16000);
});

test('Export on the GPU path (?compute=gpu) gives the CLI’s files', async ({ page }, info) => {
  test.setTimeout(240_000);
  const cli = runCli(mixPath, join(dir, 'cli'));
  await openApp(page, '/?compute=gpu');
  await openSongFile(page, mixPath);
  await expect(page.locator('#song-title')).toHaveText('gpu-mix.wav');
  const downloads = collectDownloads(page);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(page.locator('#export-mode')).toContainText('GPU');
  await expect.poll(() => downloads.length, { timeout: 180_000 }).toBe(2);
  const ran = await page.locator('#export-mode').getAttribute('data-ran');
  expect(ran, 'the export ran on gpu.js WebGL2').toContain('gpu.js webgl2');
  const saved = await readDownloads(downloads, dir);
  const v = saved['gpu-mix-voice.wav'], a = saved['gpu-mix-accompaniment.wav'];
  expect(v.channels.length).toBe(2);
  expect(v.channels[0].length).toBe(mix.channels[0].length);
  const worst = Math.max(...[0, 1].flatMap((c) => [maxAbsDiff(v.channels[c], cli.voice.channels[c]), maxAbsDiff(a.channels[c], cli.accomp.channels[c])]));
  info.annotations.push({ type: 'figures', description: `ran: ${ran}; max |export − CLI| = ${worst.toExponential(2)}; ${await page.locator('#export-mode').textContent()}` });
  console.log(`[gpu export] ${info.annotations.at(-1)?.description}`);
  expect(worst).toBeLessThanOrEqual(1e-4);
});
