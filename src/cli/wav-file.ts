/**
 * WAV files on disk, a block at a time, for the command lines: a reader that parses the header from
 * the file descriptor and then reads the data chunk in pieces (src/io/wav.ts's readWavLayout and
 * decodeWavFrames: the same samples decodeWav gives), and a 32-bit float writer that writes to a
 * temporary file beside its destination and puts it in place by a rename only once it is whole.
 * Memory is one block, whatever the length; offsets are plain numbers (exact to 8 PiB).
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeWavFrames, floatWavHeader, interleave, readWavLayout, type WavLayout } from '../io/wav.ts';
import { entryKind, FileError, fileError } from './fs-errors.ts';

function readFully(fd: number, buf: Uint8Array, n: number, position: number, path: string): number {
  let got = 0;
  while (got < n) {
    let k: number;
    try {
      k = readSync(fd, buf, got, n - got, position + got);
    } catch (e) {
      fileError(e, path, 'cannot read');
    }
    if (k === 0) break;
    got += k;
  }
  return got;
}

function writeFully(fd: number, buf: Uint8Array, position: number, path: string): void {
  // A write may stop short (the disk filling, a file size limit): the next one says why.
  for (let done = 0; done < buf.length; ) {
    let k: number;
    try {
      k = writeSync(fd, buf, done, buf.length - done, position + done);
    } catch (e) {
      fileError(e, path, 'cannot write');
    }
    done += k;
  }
}

/** A WAV file opened for reading block by block. */
export class WavFileReader {
  readonly path: string;
  readonly layout: WavLayout;
  private fd: number;
  private next = 0;
  private raw = new Uint8Array(0);

  private constructor(path: string, fd: number, layout: WavLayout) {
    this.path = path;
    this.fd = fd;
    this.layout = layout;
  }

  /**
   * Opens a WAV file and reads its header. Throws FileError (cannot open, not a regular file) or
   * AudioFormatError (not a WAV file, an encoding it cannot read).
   */
  static open(path: string): WavFileReader {
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO opens at once (to be refused below) instead of waiting for a writer.
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      fileError(e, path, 'cannot open');
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new FileError(path, 'EINVAL', `is ${entryKind(st)}, not a WAV file`);
      const scratch = new Uint8Array(64);
      const read = (at: number, n: number) => {
        const b = n <= scratch.length ? scratch : new Uint8Array(n);
        return b.subarray(0, readFully(fd, b, n, at, path));
      };
      return new WavFileReader(path, fd, readWavLayout(read, st.size, path));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Frames not read yet. */
  get remaining(): number {
    return this.layout.frames - this.next;
  }

  /** The next read starts at this frame. */
  seek(frame: number): void {
    this.next = Math.max(0, Math.min(this.layout.frames, Math.floor(frame)));
  }

  /** Reads up to `max` frames into out[c] from index 0; returns how many (0 at the end). */
  read(out: readonly Float32Array[], max: number): number {
    const L = this.layout, n = Math.min(max, this.remaining);
    if (n <= 0) return 0;
    const bytes = n * L.frameBytes;
    if (this.raw.length < bytes) this.raw = new Uint8Array(bytes);
    const got = readFully(this.fd, this.raw, bytes, L.dataOffset + this.next * L.frameBytes, this.path);
    if (got < bytes) throw new FileError(this.path, 'EIO', `ended at frame ${this.next + Math.floor(got / L.frameBytes)} of ${L.frames} while being read (was it cut short?)`);
    decodeWavFrames(L, this.raw, n, out);
    this.next += n;
    return n;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

let tempCount = 0;
/** Temporary files not yet committed or discarded: removed if the process is interrupted. */
const live = new Set<FloatWavFileWriter>();

/**
 * A 32-bit float WAV written a block at a time to a temporary file in its destination's folder
 * (`.<name>.<pid>-<k>.tmp`); commit() writes the header, flushes it to the disk and renames it over
 * the destination, discard() removes it. The destination is never open for writing, so an earlier
 * file stays whole until a complete one replaces it.
 */
export class FloatWavFileWriter {
  readonly dest: string;
  readonly temp: string;
  private fd: number;
  private written = 0;
  private readonly header: Uint8Array;
  private scratch = new Float32Array(0);

  /** Creates the temporary file (never an existing one); throws FileError if it cannot. */
  constructor(dest: string, readonly sampleRate: number, readonly channels: number, readonly frames: number) {
    this.dest = dest;
    this.temp = join(dirname(dest), `.${basename(dest)}.${process.pid}-${++tempCount}.tmp`);
    this.header = floatWavHeader(sampleRate, channels, frames);
    try {
      this.fd = openSync(this.temp, 'wx');
    } catch (e) {
      fileError(e, dirname(dest), 'cannot create a file in this folder');
    }
    live.add(this);
  }

  /** Appends samples [from, from + n) of each channel. */
  append(chs: readonly Float32Array[], from: number, n: number): void {
    if (this.written + n > this.frames) throw new Error(`${this.dest}: more than the ${this.frames} frames announced`);
    const len = n * this.channels;
    if (this.scratch.length < len) this.scratch = new Float32Array(len);
    interleave(chs, from, n, this.scratch);
    writeFully(this.fd, new Uint8Array(this.scratch.buffer, 0, len * 4), this.header.length + this.written * this.channels * 4, this.dest);
    this.written += n;
  }

  /** Writes the header and makes the data durable; the file is complete but not yet in place. */
  finish(): void {
    if (this.written !== this.frames) throw new Error(`${this.dest}: ${this.written} of ${this.frames} frames written`);
    writeFully(this.fd, this.header, 0, this.dest);
    try {
      fsyncSync(this.fd);
    } catch (e) {
      fileError(e, this.dest, 'cannot write');
    }
    this.close();
  }

  /** Renames the finished file over its destination. */
  commit(): void {
    try {
      renameSync(this.temp, this.dest);
    } catch (e) {
      fileError(e, this.dest, 'cannot put the new file in place');
    }
    live.delete(this);
  }

  /** Closes and removes the temporary file (the destination is untouched). Never throws. */
  discard(): void {
    try { this.close(); } catch { /* already failing */ }
    try { unlinkSync(this.temp); } catch { /* gone already */ }
    live.delete(this);
  }

  private close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Whether process `pid` is alive (signal 0 tests without sending; EPERM: alive, another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files of `files` in `dir` that a run killed outright (SIGKILL, a power cut)
 * left: those of processes no longer alive. Those of a live process (a run in progress) stay.
 */
export function removeStaleTemporaries(dir: string, files: readonly string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^\.(.+)\.(\d+)-\d+\.tmp$/.exec(n);
    if (!m || !files.includes(m[1]) || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
    try { unlinkSync(join(dir, n)); } catch { /* gone already */ }
  }
}

/** Removes every temporary file still open (on Ctrl-C, or an unexpected exit). */
export function discardTemporaries(): void {
  for (const w of [...live]) w.discard();
}
