/**
 * Where a command will write, checked before the work starts, and a write that never throws the
 * work away: a long training run or evaluation that cannot write its result saves it elsewhere and
 * says where.
 */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './common.ts';

/** Throws a UsageError unless `path` can be created or replaced as a file (its folder exists and is writable). */
export function assertWritableFile(path: string, option: string): void {
  const dir = dirname(resolve(path));
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UsageError(`${option} ${path}: the folder ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new UsageError(`${option} ${path}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${option} ${path}: the folder ${dir} is not writable`);
  }
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${option} ${path}: is a folder, not a file`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // Not there yet: it will be created.
  }
}

/**
 * Writes finished work; if that fails (disk full, folder removed meanwhile), writes it to the
 * system's temporary folder instead and returns that path, so nothing computed is lost.
 */
export function writeFinished(path: string, bytes: Uint8Array | string): { path: string; rescued?: string } {
  try {
    writeFileSync(path, bytes);
    return { path };
  } catch (e) {
    const rescue = join(tmpdir(), `${Date.now()}-${basename(path)}`);
    writeFileSync(rescue, bytes);
    return { path: rescue, rescued: `could not write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); saved to ${rescue} instead` };
  }
}
