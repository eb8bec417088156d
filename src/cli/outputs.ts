/**
 * Where the command lines write, checked before any work: the output folder (made one level at a
 * time, each problem one line), and never over an input.
 */
import { accessSync, constants, mkdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { entryKind, FileError, fileError } from './fs-errors.ts';

const missingCodes = new Set(['ENOENT', 'ENOTDIR']);

/**
 * Makes a folder and the folders above it that are missing, after checking that the nearest one
 * that exists is a folder this process may write in (or, where the folder exists, that it may
 * write in it when `write` is set, else enter it). Not mkdirSync(…, { recursive: true }): that
 * spins forever where mkdir answers ENOENT under an existing folder (/proc/x). Throws FileError.
 */
export function makeFolder(dir: string, write = true): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const up = dirname(p);
      if (missingCodes.has((e as NodeJS.ErrnoException).code ?? '') && up !== p) {
        missing.push(p);
        p = up;
        continue;
      }
      fileError(e, p, 'cannot look at this folder');
    }
    if (!st.isDirectory()) throw new FileError(p, 'ENOTDIR', `is ${entryKind(st)}, not a folder`);
    break;
  }
  try {
    accessSync(p, missing.length || write ? constants.W_OK | constants.X_OK : constants.X_OK);
  } catch (e) {
    fileError(e, p, missing.length ? 'cannot create folders in this folder' : write ? 'cannot write in this folder' : 'cannot enter this folder');
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(m).isDirectory()) continue;
      fileError(e, m, 'cannot create this folder');
    }
  }
}

/** The directory entry a path names, the links in its folders resolved; null where its folder does not exist. */
function entryOf(p: string): string | null {
  try {
    return join(realpathSync(dirname(p)), basename(p));
  } catch {
    return null;
  }
}

/**
 * The entries that writing must never replace: each file's own entry, and the file a symbolic link
 * among them leads to.
 */
export function protectedEntries(paths: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    const e = entryOf(p);
    if (e) out.add(e);
    try {
      out.add(realpathSync(p));
    } catch { /* a missing file replaces nothing */ }
  }
  return out;
}

/** Whether renaming a new file to `target` would replace one of `entries`. */
export function wouldReplace(target: string, entries: ReadonlySet<string>): boolean {
  const e = entryOf(target);
  return e !== null && entries.has(e);
}

/** Throws FileError where `target` exists and is not a file a rename may replace (a folder, say). */
export function checkReplaceable(target: string): void {
  let st;
  try {
    st = statSync(target);
  } catch (e) {
    if (missingCodes.has((e as NodeJS.ErrnoException).code ?? '')) return;
    fileError(e, target, 'cannot look at this file');
  }
  if (!st.isFile()) throw new FileError(target, 'EISDIR', `is ${entryKind(st)}: it would not be replaced by a file`);
}
