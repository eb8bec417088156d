/** Where things are, for the Node tools and the tests. */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/**
 * The shared data folder (real stems, MIR-1K, BSS-eval vectors). It lives beside the checkout and is
 * never copied into the repository; VOICESPLIT_DATA points elsewhere if needed.
 */
export const sharedData = process.env.VOICESPLIT_DATA ?? resolve(repoRoot, '../shared/data');

export const shippedModelPath = resolve(repoRoot, 'public/models/default.nnrnmf');
