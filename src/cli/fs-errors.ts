/**
 * File-system errors as one line that names the path, for every command line: `path: what it was
 * doing: the reason (CODE)`. Node's errno errors carry the reason and code, and a path only where
 * the call had one (a write to a descriptor has none): FileError puts the path back.
 */

/** A file-system error with a message that names the file, and the errno code kept. */
export class FileError extends Error {
  override name = 'FileError';
  constructor(readonly path: string, readonly code: string, what: string) {
    super(`${path}: ${what}`);
  }
}

/** Whether `e` is one of Node's errno errors (code EACCES, ENOSPC, …) or a file-system ERR_FS_… error. */
export function isErrnoError(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return e instanceof Error && typeof code === 'string' && (/^E[A-Z0-9]+$/.test(code) || code.startsWith('ERR_FS_'));
}

/** `reason (CODE)` of a Node errno error, e.g. "no space left on device (ENOSPC)"; the message otherwise. */
export function errnoReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const m = /^([A-Z][A-Z0-9_]+): ([^,]+)/.exec(err?.message ?? '');
  if (m) return `${m[2]} (${m[1]})`;
  return err?.code ? `${err.message} (${err.code})` : String(err?.message ?? e);
}

/** One line for a Node errno error: its path (or destination) first where it has one. */
export function errnoLine(e: NodeJS.ErrnoException): string {
  const at = e.path ?? (e as { dest?: string }).dest;
  return `${at ? `${at}: ` : ''}${e.syscall ? `${e.syscall}: ` : ''}${errnoReason(e)}`;
}

/** Re-throws a Node errno error as a FileError naming `path`; anything else as it is. */
export function fileError(e: unknown, path: string, doing: string): never {
  if (!isErrnoError(e)) throw e;
  throw new FileError(path, e.code!, `${doing}: ${errnoReason(e)}`);
}

/** What a file-system entry is, for messages: "a folder", "a FIFO (named pipe)", "a file", … */
export function entryKind(st: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isFile()) return 'a file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}
