/**
 * User models: trained on this page or imported from a file, stored beside the shipped one (in the
 * same IndexedDB store, see ./models.ts) under `user-model:<id>`, with the choice of model under
 * `selected-model` (absent: the shipped model).
 */
import { del, entries, get, set } from 'idb-keyval';
import { crc32, describeModel, ModelError, validatedModel } from '../core/model/model.ts';
import { checkStored, errorName, hex32, isQuota, store, toArrayBuffer, type LoadedModel, type StoredModel } from './models.ts';

/** What IndexedDB holds per user model. */
export interface StoredUserModel {
  format: 1;
  id: string;
  bytes: ArrayBuffer;
  crc32: string;
  name: string;
  description: string;
  storedAt: string;
  /** How it came here (absent in records from before imports: trained). */
  origin?: UserModelOrigin;
}

export type UserModelOrigin = 'trained' | 'imported';

/** A user model as the page lists it. */
export interface UserModelEntry {
  id: string;
  name: string;
  description: string;
  storedAt: string;
  bytes: number;
  origin: UserModelOrigin;
}

export const USER_PREFIX = 'user-model:';
export const SELECTED_KEY = 'selected-model';
/** The shipped model's id in the selection. */
export const SHIPPED_ID = 'default';

/** Storage refused a write; `full` when it is out of space. The message is for the page. */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(message: string, readonly full: boolean) {
    super(message);
  }
}

function storageError(e: unknown, what: string): StorageError {
  if (isQuota(e)) return new StorageError(`Browser storage is full: ${what} could not be saved. Free some space in the site settings (or delete models you no longer use) and try again.`, true);
  return new StorageError(`${what[0].toUpperCase()}${what.slice(1)} could not be saved in browser storage (${errorName(e) || (e as Error)?.message || 'unknown error'}).`, false);
}

/** A fresh id for a user model. */
export function newUserModelId(): string {
  return `${Date.now().toString(36)}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}

/**
 * Validates a model file (it must decode; a training result, validated where it came in, is not decoded
 * again) and stores it as a user model. Throws ModelError for an invalid file, StorageError when
 * storage refuses it (full, unavailable); stores nothing then.
 */
export async function saveUserModel(bytes: ArrayBuffer, name: string, origin: UserModelOrigin = 'trained', id = newUserModelId()): Promise<UserModelEntry> {
  const model = validatedModel(bytes);
  const rec: StoredUserModel = {
    format: 1, id, bytes: bytes.slice(0), crc32: hex32(crc32(new Uint8Array(bytes))), name, description: describeModel(model), storedAt: new Date().toISOString(), origin,
  };
  try {
    await set(USER_PREFIX + id, rec, store());
  } catch (e) {
    throw storageError(e, `the model “${name}”`);
  }
  return { id, name, description: rec.description, storedAt: rec.storedAt, bytes: bytes.byteLength, origin };
}

/** The user models stored here, oldest first ([] where storage is unavailable). */
export async function listUserModels(): Promise<UserModelEntry[]> {
  let all: [IDBValidKey, unknown][];
  try {
    all = await entries(store());
  } catch {
    return [];
  }
  const out: UserModelEntry[] = [];
  for (const [key, value] of all) {
    if (typeof key !== 'string' || !key.startsWith(USER_PREFIX)) continue;
    const rec = value as Partial<StoredUserModel> | undefined;
    const bytes = toArrayBuffer(rec?.bytes);
    out.push({
      id: key.slice(USER_PREFIX.length), name: typeof rec?.name === 'string' ? rec.name : 'unnamed model',
      description: typeof rec?.description === 'string' ? rec.description : '', storedAt: typeof rec?.storedAt === 'string' ? rec.storedAt : '',
      bytes: bytes?.byteLength ?? 0, origin: rec?.origin === 'imported' ? 'imported' : 'trained',
    });
  }
  return out.sort((a, b) => a.storedAt.localeCompare(b.storedAt));
}

/**
 * Reads and validates a stored user model. Throws ModelError when it is missing or damaged (the
 * record is left in place: the person decides whether to delete it).
 */
export async function loadUserModel(id: string): Promise<LoadedModel> {
  const rec = await get<StoredUserModel>(USER_PREFIX + id, store());
  if (!rec) throw new ModelError(`the model ${id} is not in this browser's storage any more`);
  const checked = checkStored(rec as unknown as StoredModel);
  if (!checked) throw new ModelError(`the model ${id} is not in this browser's storage any more`);
  if ('problem' in checked) throw new ModelError(`the stored model “${rec.name}” is damaged: ${checked.problem}`);
  return { id, bytes: checked.bytes, model: checked.model, description: describeModel(checked.model), from: 'indexeddb', stored: true, notices: [] };
}

export async function deleteUserModel(id: string): Promise<void> {
  await del(USER_PREFIX + id, store());
}

/** The selected model's id (SHIPPED_ID or a user model's), or null if none was chosen or storage is unavailable. */
export async function selectedModelId(): Promise<string | null> {
  try {
    const v = await get<string>(SELECTED_KEY, store());
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/** Remembers the choice (throws StorageError where storage refuses it). */
export async function selectModelId(id: string): Promise<void> {
  try {
    await set(SELECTED_KEY, id, store());
  } catch (e) {
    throw storageError(e, 'the choice of model');
  }
}
