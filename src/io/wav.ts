/**
 * WAV files in and out: PCM 8/16/24/32-bit and IEEE float 32/64, plain or WAVE_FORMAT_EXTENSIBLE
 * headers, any chunk order. Written here rather than taken from `wavefile`: that package packs one
 * sample at a time and took 0.7 s to write 370 000 samples (a 3-minute stereo song would take a
 * minute); here reading is one pass over a DataView and writing float is one copy.
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

function fourcc(v: DataView, at: number): string {
  return String.fromCharCode(v.getUint8(at), v.getUint8(at + 1), v.getUint8(at + 2), v.getUint8(at + 3));
}

/** Whether the bytes start as a WAV file does: "RIFF", the length, "WAVE". */
export function isWav(bytes: Uint8Array): boolean {
  const at = (i: number, s: string) => [...s].every((c, k) => bytes[i + k] === c.charCodeAt(0));
  return bytes.length >= 12 && at(0, 'RIFF') && at(8, 'WAVE');
}

/** Decodes a WAV file. Throws AudioFormatError with a readable reason for anything it cannot read. */
export function decodeWav(bytes: Uint8Array, what = 'input'): Audio {
  const fail = (why: string): never => {
    throw new AudioFormatError(`${what}: ${why}`);
  };
  if (bytes.length < 12) fail('not a WAV file (too short)');
  if (!isWav(bytes)) fail('not a WAV file (no RIFF/WAVE header)');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { format: number; channels: number; rate: number; bits: number; blockAlign: number } | null = null;
  let dataAt = -1;
  let dataLen = 0;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = fourcc(v, at);
    const len = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (len < 16 || body + 16 > bytes.length) fail('WAV "fmt " chunk is truncated');
      let format = v.getUint16(body, true);
      if (format === FORMAT_EXTENSIBLE && len >= 40) format = v.getUint16(body + 24, true);
      fmt = {
        format,
        channels: v.getUint16(body + 2, true),
        rate: v.getUint32(body + 4, true),
        blockAlign: v.getUint16(body + 12, true),
        bits: v.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      dataAt = body;
      // Streams written live often leave the length at 0 or 0xFFFFFFFF: take what is there.
      dataLen = len === 0 || body + len > bytes.length ? bytes.length - body : len;
      if (fmt) break;
    }
    at = body + len + (len & 1);
  }
  if (!fmt) return fail('WAV file has no "fmt " chunk');
  if (dataAt < 0) fail('WAV file has no "data" chunk');
  const { format, channels: nch, rate, bits } = fmt;
  if (nch < 1 || rate < 1) fail(`WAV header is invalid (${nch} channels at ${rate} Hz)`);
  const bytesPer = bits / 8;
  const supported =
    (format === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32)) ||
    (format === FORMAT_FLOAT && (bits === 32 || bits === 64));
  if (!supported) fail(`WAV encoding (format ${format}, ${bits} bits) is not supported: use PCM 8/16/24/32-bit or float 32/64`);
  const frame = bytesPer * nch;
  const n = Math.floor(dataLen / frame);
  if (n === 0) fail('WAV file holds no samples');
  const channels = Array.from({ length: nch }, () => new Float32Array(n));
  for (let c = 0; c < nch; c++) {
    const out = channels[c];
    let at = dataAt + c * bytesPer;
    if (format === FORMAT_FLOAT) {
      if (bits === 32) for (let i = 0; i < n; i++, at += frame) out[i] = v.getFloat32(at, true);
      else for (let i = 0; i < n; i++, at += frame) out[i] = v.getFloat64(at, true);
    } else if (bits === 16) {
      for (let i = 0; i < n; i++, at += frame) out[i] = v.getInt16(at, true) / 32768;
    } else if (bits === 24) {
      for (let i = 0; i < n; i++, at += frame) {
        const x = v.getUint8(at) | (v.getUint8(at + 1) << 8) | (v.getInt8(at + 2) << 16);
        out[i] = x / 8388608;
      }
    } else if (bits === 32) {
      for (let i = 0; i < n; i++, at += frame) out[i] = v.getInt32(at, true) / 2147483648;
    } else {
      for (let i = 0; i < n; i++, at += frame) out[i] = (v.getUint8(at) - 128) / 128;
    }
  }
  return { sampleRate: rate, channels };
}

/** The 44-byte header of a 32-bit float WAV of `frames` samples per channel. */
export function floatWavHeader(sampleRate: number, channels: number, frames: number): Uint8Array<ArrayBuffer> {
  const dataLen = frames * channels * 4;
  const bytes = new Uint8Array(44);
  const v = new DataView(bytes.buffer);
  const put = (at: number, s: string) => { for (let i = 0; i < 4; i++) v.setUint8(at + i, s.charCodeAt(i)); };
  put(0, 'RIFF');
  v.setUint32(4, 36 + dataLen, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, FORMAT_FLOAT, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 4, true);
  v.setUint16(32, channels * 4, true);
  v.setUint16(34, 32, true);
  put(36, 'data');
  v.setUint32(40, dataLen, true);
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
  const bytes = new Uint8Array(44 + n * nch * 4);
  bytes.set(floatWavHeader(audio.sampleRate, nch, n));
  // The data starts at byte 44, a multiple of 4: a Float32Array view of it.
  interleave(audio.channels, 0, n, new Float32Array(bytes.buffer, 44, n * nch));
  return bytes;
}
