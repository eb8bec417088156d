/**
 * The page's IndexedDB database ("voicesplit", one object store "models"), opened once per visit
 * for idb-keyval (./models.ts, ./user-models.ts):
 *
 *   no database yet            created with the store (as idb-keyval's createStore does)
 *   database without the store (made by an older version of the page, or damaged: opening it
 *                              plainly finds no store, and every read would fail with NotFoundError)
 *                              → closed and opened again one version up, the upgrade creating the
 *                                store; said once (takeRepairNotice)
 *   open never answers         (a wedged browser profile, a blocked upgrade held by another tab)
 *                              → after OPEN_TIMEOUT_MS every use fails with StorageTimeoutError, at
 *                                once from then on; the page goes on without storage (should the
 *                                database open later after all, later uses get it)
 *   indexedDB missing or refusing (a private window in some browsers) → every use fails
 *
 * Another tab upgrading the database (its own repair) makes this one close its connection, so that
 * upgrade is not blocked; the next use opens it again.
 */
import type { UseStore } from 'idb-keyval';

export const DB_NAME = 'voicesplit';
export const STORE_NAME = 'models';
/** How long the page waits for the database to open before going on without it. */
export const OPEN_TIMEOUT_MS = 4000;

/** IndexedDB did not open in time. */
export class StorageTimeoutError extends Error {
  override name = 'StorageTimeoutError';
}

interface Opening {
  promise: Promise<IDBDatabase>;
  db: IDBDatabase | null;
  timedOut: boolean;
}

let opening: Opening | null = null;
let repairNotice: string | null = null;

/** The words for a repair made since the last call (once), or null. */
export function takeRepairNotice(): string | null {
  const n = repairNotice;
  repairNotice = null;
  return n;
}

function request(r: IDBOpenDBRequest, onOpen: (db: IDBDatabase) => void, reject: (e: unknown) => void): void {
  r.onsuccess = () => onOpen(r.result);
  r.onerror = () => reject(r.error ?? new Error('IndexedDB refused to open the database'));
  // onblocked: another tab holds the old version open; it is asked to close (versionchange) and
  // the upgrade goes on when it does. Should it never, the timeout ends the wait.
}

/** Opens the database, repairing one without its store; `retry` once if another tab repaired it first. */
function openDatabase(retry = true): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const first = indexedDB.open(DB_NAME);
    first.onupgradeneeded = () => first.result.createObjectStore(STORE_NAME); // a new database
    request(first, (db) => {
      if (db.objectStoreNames.contains(STORE_NAME)) return resolve(db);
      const version = db.version + 1;
      db.close();
      const up = indexedDB.open(DB_NAME, version);
      up.onupgradeneeded = () => {
        if (!up.result.objectStoreNames.contains(STORE_NAME)) up.result.createObjectStore(STORE_NAME);
      };
      request(up, (fixed) => {
        repairNotice = `Browser storage held this page's database without its model store (made by an older version of the page, or damaged); it was repaired (version ${db.version} → ${fixed.version}).`;
        resolve(fixed);
      }, (e) => {
        // Another tab made the same repair first (the version is taken): open what it made.
        if (retry && (e as { name?: string })?.name === 'VersionError') openDatabase(false).then(resolve, reject);
        else reject(e);
      });
    }, reject);
  });
}

/** The open database: a use waits at most OPEN_TIMEOUT_MS; once one wait has timed out, later uses fail at once. */
function database(): Promise<IDBDatabase> {
  if (!opening) {
    const o: Opening = { promise: openDatabase(), db: null, timedOut: false };
    opening = o;
    o.promise.then((db) => {
      o.db = db;
      db.onversionchange = () => {
        db.close();
        if (opening === o) opening = null;
      };
    }, () => {});
  }
  const o = opening;
  if (o.db) return Promise.resolve(o.db);
  const timeout = () => new StorageTimeoutError(`Browser storage (IndexedDB) did not open within ${OPEN_TIMEOUT_MS / 1000} s`);
  if (o.timedOut) return Promise.reject(timeout());
  return new Promise<IDBDatabase>((resolve, reject) => {
    const timer = setTimeout(() => {
      o.timedOut = true;
      reject(timeout());
    }, OPEN_TIMEOUT_MS);
    o.promise.then((db) => {
      clearTimeout(timer);
      resolve(db);
    }, (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

const useStore: UseStore = (txMode, callback) => database().then((db) => callback(db.transaction(STORE_NAME, txMode).objectStore(STORE_NAME)));

/** The idb-keyval store; a missing indexedDB throws here (turned into a rejection by the callers). */
export function store(): UseStore {
  if (typeof indexedDB === 'undefined' || indexedDB === null) throw new Error('IndexedDB is not available in this browser window');
  return useStore;
}
