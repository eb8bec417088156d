/**
 * The sample rate a compressed or PCM file is stored at, read from its header.
 *
 * decodeAudioData always resamples to its context's rate; knowing the file's own rate lets the
 * page decode it a second time at that rate, so that an export has the song's rate (as the CLI's
 * output does) and the page can say when the song's rate differs from the model's.
 * Returns null for formats it does not know (AAC/M4A, …): the caller then uses the context's rate.
 */
import { isWav } from './wav.ts';

export function sniffSampleRate(bytes: Uint8Array): number | null {
  const b = bytes, n = b.length;
  const ascii = (at: number, s: string) => at + s.length <= n && [...s].every((c, i) => b[at + i] === c.charCodeAt(0));
  const u32le = (at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  const valid = (r: number) => (r >= 1000 && r <= 768000 ? r : null);

  if (isWav(b)) {
    for (let at = 12; at + 8 <= n; ) {
      const len = u32le(at + 4);
      if (ascii(at, 'fmt ') && at + 16 <= n) return valid(u32le(at + 12));
      at += 8 + len + (len & 1);
    }
    return null;
  }
  if (ascii(0, 'fLaC') && n >= 21) {
    // First metadata block is STREAMINFO: its 20-bit sample rate starts at byte 10 of its data.
    return valid((b[18] << 12) | (b[19] << 4) | (b[20] >> 4));
  }
  if (ascii(0, 'OggS') && n > 27) {
    const packet = 27 + b[26];
    if (ascii(packet, '\x01vorbis')) return valid(u32le(packet + 12));
    if (ascii(packet, 'OpusHead')) return 48000; // Opus always decodes at 48 kHz
    if (ascii(packet, '\x7fFLAC') && ascii(packet + 9, 'fLaC')) {
      const d = packet + 17; // 'fLaC' + 4-byte block header
      return valid((b[d + 10] << 12) | (b[d + 11] << 4) | (b[d + 12] >> 4));
    }
    return null;
  }
  // MP3: skip an ID3v2 tag, then find the first plausible frame header.
  let at = 0;
  if (ascii(0, 'ID3') && n >= 10) {
    const size = ((b[6] & 0x7f) << 21) | ((b[7] & 0x7f) << 14) | ((b[8] & 0x7f) << 7) | (b[9] & 0x7f);
    at = 10 + size + (b[5] & 0x10 ? 10 : 0);
  }
  const limit = Math.min(n - 4, at + 65536);
  for (; at < limit; at++) {
    if (b[at] !== 0xff || (b[at + 1] & 0xe0) !== 0xe0) continue;
    const version = (b[at + 1] >> 3) & 3, layer = (b[at + 1] >> 1) & 3;
    const bitrate = b[at + 2] >> 4, rateIndex = (b[at + 2] >> 2) & 3;
    if (version === 1 || layer === 0 || bitrate === 15 || bitrate === 0 || rateIndex === 3) continue;
    const base = [44100, 48000, 32000][rateIndex];
    return version === 3 ? base : version === 2 ? base / 2 : base / 4;
  }
  return null;
}
