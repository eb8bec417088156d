/**
 * WAV files in and out: PCM 8/16/24/32-bit and IEEE float 32/64, plain or WAVE_FORMAT_EXTENSIBLE
 * headers, any chunk order, RIFF or RF64 (over 4 GiB). Written here rather than taken from
 * `wavefile`: that package packs one sample at a time and took 0.7 s to write 370 000 samples (a
 * 3-minute stereo song would take a minute); here reading is one pass over a DataView and writing
 * float is a copy. The header and the samples can also be read apart (readWavLayout, then
 * decodeWavFrames a piece at a time), for files too long to hold: src/cli/wav-file.ts.
 */

export interface Audio {
  sampleRate: number;
  /** One Float32Array per channel, samples nominally in [-1, 1]. */
  channels: Float32Array[];
}

export class AudioFormatError extends Error {
  override name = 'AudioFormatError';
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
/** A 32-bit size field that says "see the ds64 chunk" (RF64) or "unknown" (a stream written live). */
const SIZE_UNKNOWN = 0xffffffff;

const ascii = (b: Uint8Array, at: number, s: string) => at + s.length <= b.length && [...s].every((c, k) => b[at + k] === c.charCodeAt(0));
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * Whether the bytes start as a WAV file does: "RIFF", the length, "WAVE"; or RF64 (EBU Tech 3306,
 * and its BW64 variant: the same layout with 64-bit sizes in a "ds64" chunk, for files over 4 GiB).
 */
export function isWav(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && (ascii(bytes, 0, 'RIFF') || ascii(bytes, 0, 'RF64') || ascii(bytes, 0, 'BW64')) && ascii(bytes, 8, 'WAVE');
}

/** Where a WAV file's samples are and how they are stored: what reading them in pieces needs. */
export interface WavLayout {
  /** 1 (PCM integers) or 3 (IEEE float), after resolving WAVE_FORMAT_EXTENSIBLE. */
  format: number;
  channels: number;
  sampleRate: number;
  /** Bits per sample: PCM 8/16/24/32, float 32/64. */
  bits: number;
  /** Bytes per sample frame (one sample of every channel). */
  frameBytes: number;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
  /** Whole sample frames in the data chunk (as many as the file holds). */
  frames: number;
  /**
   * Sample frames the data chunk's header claims where that is more than the file holds (a file
   * cut short: a failed copy, an interrupted download), else null. Lengths of 0 and 0xFFFFFFFF
   * ("unknown", a stream written live) are not a claim.
   */
  claimedFrames: number | null;
}

/** `n` bytes of the file from byte `at` (fewer where the file ends). */
export type ByteSource = (at: number, n: number) => Uint8Array;

/**
 * Reads a WAV file's header (RIFF or RF64, any chunk order), from its bytes or from a file read in
 * pieces: only the chunk headers and the format chunk are read. `size` is the file's length.
 * Throws AudioFormatError with a readable reason for anything decodeWavFrames cannot read.
 */
export function readWavLayout(read: ByteSource, size: number, what = 'input'): WavLayout {
  const fail = (why: string): never => {
    throw new AudioFormatError(`${what}: ${why}`);
  };
  if (size < 12) fail('not a WAV file (too short)');
  const head = read(0, 12);
  if (!isWav(head)) fail(ascii(head, 0, 'RIFX') ? 'big-endian WAV (RIFX) is not supported' : 'not a WAV file (no RIFF/WAVE header)');
  const rf64 = !ascii(head, 0, 'RIFF');
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null;
  let ds64Data = -1;
  let dataAt = -1;
  let dataLen = 0;
  let claimed = -1;
  for (let at = 12; at + 8 <= size; ) {
    const h = read(at, 8);
    const id = String.fromCharCode(...h.subarray(0, 4));
    let len = view(h).getUint32(4, true);
    const body = at + 8;
    if (id === 'ds64' && rf64) {
      if (len < 28 || body + 28 > size) fail('RF64 "ds64" chunk is truncated');
      const d = view(read(body, 16));
      ds64Data = d.getUint32(8, true) + d.getUint32(12, true) * 2 ** 32;
    } else if (id === 'fmt ') {
      if (len < 16 || body + 16 > size) fail('WAV "fmt " chunk is truncated');
      const f = view(read(body, Math.min(len, 40)));
      let format = f.getUint16(0, true);
      if (format === FORMAT_EXTENSIBLE && len >= 40 && f.byteLength >= 26) format = f.getUint16(24, true);
      fmt = { format, channels: f.getUint16(2, true), rate: f.getUint32(4, true), bits: f.getUint16(14, true) };
    } else if (id === 'data') {
      if (rf64 && len === SIZE_UNKNOWN && ds64Data >= 0) len = ds64Data;
      dataAt = body;
      // Streams written live often leave the length at 0 or 0xFFFFFFFF: take what is there.
      dataLen = len === 0 || body + len > size ? size - body : len;
      claimed = len !== 0 && len !== SIZE_UNKNOWN && body + len > size ? len : -1;
      if (fmt) break;
    }
    at = body + len + (len & 1);
  }
  if (!fmt) return fail('WAV file has no "fmt " chunk');
  if (dataAt < 0) fail('WAV file has no "data" chunk');
  const { format, channels, rate, bits } = fmt;
  if (channels < 1 || rate < 1) fail(`WAV header is invalid (${channels} channels at ${rate} Hz)`);
  const supported =
    (format === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32)) ||
    (format === FORMAT_FLOAT && (bits === 32 || bits === 64));
  if (!supported) fail(`WAV encoding (format ${format}, ${bits} bits) is not supported: use PCM 8/16/24/32-bit or float 32/64`);
  const frameBytes = (bits / 8) * channels;
  const frames = Math.floor(dataLen / frameBytes);
  if (frames === 0) fail('WAV file holds no samples');
  const claimedFrames = claimed >= 0 ? Math.floor(claimed / frameBytes) : null;
  return { format, channels, sampleRate: rate, bits, frameBytes, dataOffset: dataAt, frames, claimedFrames: claimedFrames !== null && claimedFrames > frames ? claimedFrames : null };
}

/**
 * Converts `n` sample frames of a WAV file's data (`bytes`, from a frame boundary) to floats:
 * channel c into out[c] from index `to`. The one conversion for whole files and pieces alike.
 */
export function decodeWavFrames(layout: WavLayout, bytes: Uint8Array, n: number, out: readonly Float32Array[], to = 0): void {
  const { format, bits, frameBytes: frame } = layout;
  const bytesPer = bits / 8;
  if (bytes.length < n * frame) throw new RangeError(`decodeWavFrames: ${n} frames need ${n * frame} bytes, got ${bytes.length}`);
  const v = view(bytes);
  for (let c = 0; c < layout.channels; c++) {
    const ch = out[c];
    let at = c * bytesPer, i = to;
    const end = to + n;
    if (format === FORMAT_FLOAT) {
      if (bits === 32) for (; i < end; i++, at += frame) ch[i] = v.getFloat32(at, true);
      else for (; i < end; i++, at += frame) ch[i] = v.getFloat64(at, true);
    } else if (bits === 16) {
      for (; i < end; i++, at += frame) ch[i] = v.getInt16(at, true) / 32768;
    } else if (bits === 24) {
      for (; i < end; i++, at += frame) {
        const x = v.getUint8(at) | (v.getUint8(at + 1) << 8) | (v.getInt8(at + 2) << 16);
        ch[i] = x / 8388608;
      }
    } else if (bits === 32) {
      for (; i < end; i++, at += frame) ch[i] = v.getInt32(at, true) / 2147483648;
    } else {
      for (; i < end; i++, at += frame) ch[i] = (v.getUint8(at) - 128) / 128;
    }
  }
}

/** Decodes a WAV file. Throws AudioFormatError with a readable reason for anything it cannot read. */
export function decodeWav(bytes: Uint8Array, what = 'input'): Audio {
  const layout = readWavLayout((at, n) => bytes.subarray(at, at + n), bytes.length, what);
  const channels = Array.from({ length: layout.channels }, () => new Float32Array(layout.frames));
  decodeWavFrames(layout, bytes.subarray(layout.dataOffset), layout.frames, channels);
  return { sampleRate: layout.sampleRate, channels };
}

/**
 * The header of a 32-bit float WAV of `frames` samples per channel, as the WAV specification asks
 * of a non-PCM format: a "fmt " chunk of 18 bytes (cbSize = 0) and a "fact" chunk with the number of
 * sample frames; 58 bytes. Where the file would pass 4 GiB, RF64 (EBU Tech 3306): the same chunks
 * after a "ds64" chunk holding the 64-bit sizes, the 32-bit fields set to 0xFFFFFFFF; 94 bytes.
 * The samples follow the header.
 */
export function floatWavHeader(sampleRate: number, channels: number, frames: number): Uint8Array<ArrayBuffer> {
  const dataLen = frames * channels * 4;
  const rf64 = 50 + dataLen > SIZE_UNKNOWN - 1;
  const bytes = new Uint8Array(rf64 ? 94 : 58);
  const v = new DataView(bytes.buffer);
  let at = 0;
  const put = (s: string) => { for (let i = 0; i < 4; i++) v.setUint8(at++, s.charCodeAt(i)); };
  const u16 = (x: number) => { v.setUint16(at, x, true); at += 2; };
  const u32 = (x: number) => { v.setUint32(at, x, true); at += 4; };
  const u64 = (x: number) => { u32(x % 2 ** 32); u32(Math.floor(x / 2 ** 32)); };
  put(rf64 ? 'RF64' : 'RIFF');
  u32(rf64 ? SIZE_UNKNOWN : bytes.length - 8 + dataLen);
  put('WAVE');
  if (rf64) {
    put('ds64');
    u32(28);
    u64(bytes.length - 8 + dataLen); // the RIFF size
    u64(dataLen);
    u64(frames); // the fact chunk's sample count
    u32(0); // no table of other chunks' sizes
  }
  put('fmt ');
  u32(18);
  u16(FORMAT_FLOAT);
  u16(channels);
  u32(sampleRate);
  u32(sampleRate * channels * 4);
  u16(channels * 4);
  u16(32);
  u16(0); // cbSize: no extension
  put('fact');
  u32(4);
  u32(rf64 ? SIZE_UNKNOWN : frames);
  put('data');
  u32(rf64 ? SIZE_UNKNOWN : dataLen);
  return bytes;
}

/** Samples [from, from + n) of each channel, interleaved into `out` (a WAV file's data). */
export function interleave(channels: readonly Float32Array[], from: number, n: number, out: Float32Array = new Float32Array(n * channels.length)): Float32Array {
  const nch = channels.length;
  for (let c = 0; c < nch; c++) {
    const ch = channels[c];
    for (let i = 0, j = c; i < n; i++, j += nch) out[j] = ch[from + i];
  }
  return out;
}

/** Encodes 32-bit float WAV: lossless for what the separator computes. */
export function encodeWav(audio: Audio): Uint8Array {
  const nch = audio.channels.length, n = audio.channels[0]?.length ?? 0;
  for (const c of audio.channels) if (c.length !== n) throw new Error('encodeWav: channels differ in length');
  const header = floatWavHeader(audio.sampleRate, nch, n);
  const bytes = new Uint8Array(header.length + n * nch * 4);
  bytes.set(header);
  // The data starts at byte 58, not a multiple of 4: interleaved a piece at a time, then copied.
  const piece = Math.min(n, 65536), scratch = new Float32Array(piece * nch), raw = new Uint8Array(scratch.buffer);
  for (let from = 0; from < n; from += piece) {
    const k = Math.min(piece, n - from);
    interleave(audio.channels, from, k, scratch);
    bytes.set(raw.subarray(0, k * nch * 4), header.length + from * nch * 4);
  }
  return bytes;
}
