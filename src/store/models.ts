/**
 * Models in IndexedDB (idb-keyval), so the page separates offline after its first visit.
 *
 *   first visit     fetch public/models/<file> → validatedModel (decodes and validates: magic,
 *                   version, length, checksum, shapes) → store in IndexedDB → use
 *   later visits    read IndexedDB → validate again → use (works with the network cut)
 *   stored model invalid (corrupt, truncated, from another format)
 *                   → delete it, fetch the shipped one, say so on the page
 *   manifest says a newer model ships (its CRC differs from the one the stored copy came with)
 *                   → fetch it, validate, replace the stored copy (kept if the fetch fails)
 *   IndexedDB unavailable (private mode), not opening within OPEN_TIMEOUT_MS, or full
 *   (QuotaExceededError)
 *                   → say so; the fetched model is still used for this visit, not stored
 *   the database without its store (an older version, damage) → repaired (./db.ts), said so, used
 *
 * The manifest (public/models/manifest.json) is advisory: the model file is the authority. If the
 * manifest's size or CRC does not match the file it lists (it is being updated), the file is still
 * used when it validates, and the stored copy remembers which manifest entry it came with so the
 * page does not fetch it again on every visit.
 */
import { del, get, set } from 'idb-keyval';
import { DB_NAME, OPEN_TIMEOUT_MS, STORE_NAME, StorageTimeoutError, store, takeRepairNotice } from './db.ts';
import { crc32, describeModel, ModelError, validatedModel, type Model } from '../core/model/model.ts';

export interface ManifestEntry {
  id: string;
  /** Relative to the manifest. */
  file: string;
  name: string;
  bytes: number;
  /** CRC-32 of the whole file, 8 hex digits. */
  crc32: string;
  sampleRate: number;
  /** What the page does not need but a person choosing a model does (written by write-manifest.ts). */
  sizes?: { fftSize: number; hop: number; m: number; q: number; layers: number; variant: string; structure: string; inputRank: number; layerRank: number; tied: boolean };
  trainedOn?: string;
  /** The commands that made the file (and the model it was derived from). */
  commands?: string[];
  /** Figures on data the model did not train on, with the command that printed them (kept from the previous manifest). */
  figures?: { command: string; [measure: string]: string | number };
}

export interface Manifest {
  models: ManifestEntry[];
}

/** What IndexedDB holds per model, under the key `model:<id>`. */
export interface StoredModel {
  format: 1;
  id: string;
  bytes: ArrayBuffer;
  /** CRC-32 of `bytes` when stored. */
  crc32: string;
  /** The manifest's CRC for this entry when it was fetched (null if the manifest was unavailable). */
  manifestCrc32: string | null;
  name: string;
  storedAt: string;
}

export type Notice = { level: 'info' | 'warning' | 'error'; text: string };

export interface LoadedModel {
  id: string;
  /** The file's bytes (keep them: the worklet gets transferred copies, the export worker too). */
  bytes: ArrayBuffer;
  model: Model;
  description: string;
  /** Where this visit got it from. */
  from: 'indexeddb' | 'network';
  /** Whether a copy is in IndexedDB now. */
  stored: boolean;
  notices: Notice[];
}

export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
}

/** What loadModel throws when no valid model is available: the reason, and the notices gathered on the way. */
export type LoadModelFailure = Error & { notices?: Notice[] };

export { DB_NAME, STORE_NAME, store };
export const keyFor = (id: string) => `model:${id}`;

export const hex32 = (x: number) => (x >>> 0).toString(16).padStart(8, '0');

export interface ModelStoreOptions {
  /** Base URL of public/models/ (default: the app's base + 'models/'). */
  baseUrl?: string;
  /** Which manifest entry (default 'default'). */
  id?: string;
  /** Used when the manifest cannot be read: the shipped default. */
  fallbackFile?: string;
  fetch?: typeof fetch;
}

export function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? '';
}

export function isQuota(e: unknown): boolean {
  const name = errorName(e);
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || /quota/i.test((e as Error)?.message ?? '');
}

async function readStored(id: string): Promise<StoredModel | undefined> {
  return (await get<StoredModel>(keyFor(id), store())) ?? undefined;
}

async function writeStored(rec: StoredModel): Promise<void> {
  await set(keyFor(rec.id), rec, store());
}

async function deleteStored(id: string): Promise<void> {
  await del(keyFor(id), store());
}

export function toArrayBuffer(x: unknown): ArrayBuffer | null {
  if (x instanceof ArrayBuffer) return x;
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength).slice().buffer;
  return null;
}

/** Validates a stored record: the bytes must match the CRC recorded with them, and decode (the file's own CRC too). */
export function checkStored(rec: StoredModel | undefined): { model: Model; bytes: ArrayBuffer } | { problem: string } | null {
  if (rec === undefined) return null;
  const bytes = toArrayBuffer(rec?.bytes);
  if (!bytes) return { problem: 'the stored record holds no model bytes' };
  const actual = hex32(crc32(new Uint8Array(bytes)));
  if (typeof rec.crc32 === 'string' && rec.crc32 !== actual) {
    return { problem: `its checksum ${actual} does not match the ${rec.crc32} it was stored with` };
  }
  try {
    return { model: validatedModel(bytes), bytes };
  } catch (e) {
    return { problem: e instanceof Error ? e.message : String(e) };
  }
}

async function fetchManifest(base: string, doFetch: typeof fetch): Promise<Manifest | null> {
  try {
    const r = await doFetch(`${base}manifest.json`, { cache: 'no-cache' });
    if (!r.ok) return null;
    const m = (await r.json()) as Manifest;
    return Array.isArray(m?.models) ? m : null;
  } catch {
    return null;
  }
}

async function fetchModelFile(base: string, entry: Pick<ManifestEntry, 'file' | 'name'>, doFetch: typeof fetch): Promise<{ bytes: ArrayBuffer; model: Model }> {
  const url = `${base}${entry.file}`;
  let r: Response;
  try {
    r = await doFetch(url, { cache: 'no-cache' });
  } catch (e) {
    throw new ModelUnavailableError(`could not download the model ${url} (${(e as Error).message || 'network error'})`);
  }
  if (!r.ok) throw new ModelUnavailableError(`could not download the model ${url}: HTTP ${r.status}`);
  const bytes = await r.arrayBuffer();
  try {
    return { bytes, model: validatedModel(bytes) };
  } catch (e) {
    throw new ModelError(`the shipped model ${entry.file} is invalid: ${(e as Error).message}`);
  }
}

/**
 * Gets the model to use, from IndexedDB or the network, following the rules at the top of this
 * file. Throws (ModelUnavailableError or ModelError, with the notices so far attached as
 * {@link LoadModelFailure}) only when there is no valid model at all; everything else is reported
 * in `notices`.
 */
export async function loadModel(opts: ModelStoreOptions = {}): Promise<LoadedModel> {
  const base = opts.baseUrl ?? `${import.meta.env.BASE_URL}models/`;
  const id = opts.id ?? 'default';
  const doFetch = opts.fetch ?? fetch.bind(globalThis);
  const notices: Notice[] = [];

  const manifestP = fetchManifest(base, doFetch);
  // 1. IndexedDB.
  let storageOk = true;
  let stored: StoredModel | undefined;
  try {
    stored = await readStored(id);
  } catch (e) {
    storageOk = false;
    notices.push({ level: 'warning', text: storageUnavailable(e) });
  }
  const repaired = takeRepairNotice();
  if (repaired) notices.push({ level: 'info', text: repaired });
  const manifest = await manifestP;
  const entry: ManifestEntry | undefined = manifest?.models.find((m) => m.id === id);
  const fileEntry = entry ?? { file: opts.fallbackFile ?? 'default.nnrnmf', name: id };

  const checked = checkStored(stored);
  let damaged: string | null = null;
  if (checked && 'problem' in checked) {
    damaged = checked.problem;
    try {
      await deleteStored(id);
    } catch {
      /* replaced below anyway */
    }
  } else if (checked && stored) {
    // 2. A valid stored copy: use it, unless the manifest announces a different shipped model.
    const newer = entry && entry.crc32 !== stored.manifestCrc32 && entry.crc32 !== stored.crc32;
    if (!newer) {
      return { id, bytes: checked.bytes, model: checked.model, description: describeModel(checked.model), from: 'indexeddb', stored: true, notices };
    }
    try {
      const fresh = await fetchModelFile(base, fileEntry, doFetch);
      const saved = await save(id, fresh.bytes, entry, notices, storageOk);
      notices.push({ level: 'info', text: `A newer model was shipped (${describeModel(fresh.model)}); it replaced the stored one.` });
      return { id, ...fresh, description: describeModel(fresh.model), from: 'network', stored: saved, notices };
    } catch (e) {
      if (e instanceof ModelError) notices.push({ level: 'warning', text: `${(e as Error).message}; the stored model stays in use.` });
      return { id, bytes: checked.bytes, model: checked.model, description: describeModel(checked.model), from: 'indexeddb', stored: true, notices };
    }
  }

  // 3. Nothing usable stored: the shipped model.
  let fresh: { bytes: ArrayBuffer; model: Model };
  try {
    fresh = await fetchModelFile(base, fileEntry, doFetch);
  } catch (e) {
    if (damaged) notices.push({ level: 'warning', text: `The model stored in this browser was damaged (${damaged}) and has been removed; the shipped model could not be downloaded to replace it.` });
    const failure: LoadModelFailure = e instanceof Error ? e : new ModelUnavailableError(String(e));
    failure.notices = notices;
    throw failure;
  }
  if (damaged) notices.push({ level: 'warning', text: `The model stored in this browser was damaged (${damaged}); it has been replaced by the shipped model.` });
  if (entry) {
    const actual = hex32(crc32(new Uint8Array(fresh.bytes)));
    if (actual !== entry.crc32 || fresh.bytes.byteLength !== entry.bytes) {
      console.warn(`models/manifest.json is out of date for ${entry.file}: it says ${entry.bytes} bytes, CRC ${entry.crc32}; the file has ${fresh.bytes.byteLength} bytes, CRC ${actual}. Using the file (it validates).`);
    }
  }
  const saved = await save(id, fresh.bytes, entry, notices, storageOk);
  return { id, ...fresh, description: describeModel(fresh.model), from: 'network', stored: saved, notices };
}

/** What the page says when the database cannot be used. */
function storageUnavailable(e: unknown): string {
  const after = 'the model could not be stored, so this visit uses the downloaded copy and the next one downloads it again.';
  if (e instanceof StorageTimeoutError) return `Browser storage (IndexedDB) did not open within ${OPEN_TIMEOUT_MS / 1000} s: ${after}`;
  const name = errorName(e);
  const refused = !name || name === 'Error' || name === 'SecurityError' || name === 'InvalidStateError';
  return refused
    ? `Browser storage (IndexedDB) is unavailable${name && name !== 'Error' ? ` (${name})` : ''}, as in a private window: ${after}`
    : `Browser storage (IndexedDB) is unavailable (${name}: ${(e as Error)?.message ?? ''}): ${after}`;
}

/** Stores a model; a full or failing storage becomes a notice. Returns whether it was stored. */
async function save(id: string, bytes: ArrayBuffer, entry: ManifestEntry | undefined, notices: Notice[], storageOk: boolean): Promise<boolean> {
  if (!storageOk) return false;
  const rec: StoredModel = {
    format: 1, id, bytes: bytes.slice(0), crc32: hex32(crc32(new Uint8Array(bytes))), manifestCrc32: entry?.crc32 ?? null,
    name: entry?.name ?? id, storedAt: new Date().toISOString(),
  };
  try {
    await writeStored(rec);
    return true;
  } catch (e) {
    notices.push({
      level: 'warning',
      text: isQuota(e)
        ? 'Browser storage is full: the model could not be saved for offline use (it will be downloaded again next visit). Free some space in the site settings to fix this.'
        : `The model could not be saved in browser storage (${errorName(e) || (e as Error)?.message || 'unknown error'}): it will be downloaded again next visit.`,
    });
    return false;
  }
}

/** Removes the stored copy (the next visit fetches the shipped model again). */
export async function forgetModel(id = 'default'): Promise<void> {
  await deleteStored(id);
}
