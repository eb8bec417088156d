/**
 * Writes public/models/manifest.json from the model files beside it (Node):
 *
 *   npm run models:manifest           # rewrite the manifest
 *   npm run models:manifest --check   # exit 1 if it is out of date
 *
 * Each entry gets the file's size and CRC-32 (the whole file, as the page computes it) and the
 * model's name, rate and sizes from its header, how it was trained, and (kept from the previous
 * manifest while the file does not change) its figures on the dev split. The page tolerates a stale manifest (the model file is
 * the authority), but an up-to-date one is how visitors' stored copies learn that a newer model
 * ships. Entries keep their id; a new *.nnrnmf file gets its name without extension as id
 * ("default.nnrnmf" → "default").
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, decodeModel } from '../core/model/model.ts';
import type { Manifest, ManifestEntry } from '../store/models.ts';

const dir = join(import.meta.dirname, '../../public/models');
const path = join(dir, 'manifest.json');
const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');

let old: Manifest = { models: [] };
try {
  old = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
} catch {
  /* first run */
}
const files = readdirSync(dir).filter((f) => f.endsWith('.nnrnmf')).sort((a, b) => (a === 'default.nnrnmf' ? -1 : b === 'default.nnrnmf' ? 1 : a.localeCompare(b)));
const models: ManifestEntry[] = files.map((file) => {
  const bytes = readFileSync(join(dir, file));
  const model = decodeModel(bytes);
  const prev = old.models.find((m) => m.file === file);
  return {
    id: prev?.id ?? file.replace(/\.nnrnmf$/, ''),
    file,
    name: typeof model.info.name === 'string' ? model.info.name : file,
    bytes: bytes.length,
    crc32: hex(crc32(bytes)),
    sampleRate: model.header.sampleRate,
    sizes: (({ fftSize, hop, m, q, layers, variant, structure, inputRank, layerRank, tied }) => ({ fftSize, hop, m, q, layers, variant, structure, inputRank, layerRank, tied }))(model.header),
    ...(typeof model.info.trainedOn === 'string' ? { trainedOn: model.info.trainedOn } : {}),
    commands: [model.info.denseCommand, model.info.command].filter((c): c is string => typeof c === 'string'),
    // Measured by hand (see the README's Results): kept across rewrites while the file is the same.
    ...(prev?.figures && prev.crc32 === hex(crc32(bytes)) ? { figures: prev.figures } : {}),
  };
});
const text = `${JSON.stringify({ models }, null, 2)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(path, 'utf8'); } catch { /* missing */ }
  if (current !== text) {
    process.stderr.write(`public/models/manifest.json is out of date; run: npm run models:manifest\n`);
    process.exit(1);
  }
  process.stderr.write('public/models/manifest.json is up to date\n');
} else {
  writeFileSync(path, text);
  process.stderr.write(`wrote ${path}: ${models.map((m) => `${m.file} ${m.bytes} bytes crc ${m.crc32}`).join(', ')}\n`);
}
