/**
 * The WAV codec (src/io/wav.ts): the float header the WAV specification asks of a non-PCM format
 * (fmt chunk of 18 bytes with cbSize = 0, a fact chunk), RF64 read and written, old files still
 * read, and the header and samples read apart (as the streaming reader does) giving decodeWav's
 * samples exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../src/cli/paths.ts';
import { decodeWav, decodeWavFrames, encodeWav, floatWavHeader, isWav, readWavLayout } from '../../src/io/wav.ts';

const text = (b: Uint8Array, at: number) => String.fromCharCode(...b.subarray(at, at + 4));
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** A header as encodeWav wrote it before: 44 bytes, a 16-byte fmt chunk, no fact chunk. */
function oldFloatWav(rate: number, channels: Float32Array[]): Uint8Array {
  const n = channels[0].length, C = channels.length, b = new Uint8Array(44 + n * C * 4), v = dv(b);
  b.set(new TextEncoder().encode('RIFF....WAVEfmt '));
  v.setUint32(4, 36 + n * C * 4, true);
  v.setUint32(16, 16, true);
  v.setUint16(20, 3, true);
  v.setUint16(22, C, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * C * 4, true);
  v.setUint16(32, C * 4, true);
  v.setUint16(34, 32, true);
  b.set(new TextEncoder().encode('data'), 36);
  v.setUint32(40, n * C * 4, true);
  for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) v.setFloat32(44 + (i * C + c) * 4, channels[c][i], true);
  return b;
}

/** The same PCM samples in an RF64 file: ds64 chunk with the sizes, 0xFFFFFFFF in the 32-bit fields. */
function rf64Of(wav: Uint8Array): Uint8Array {
  const L = readWavLayout((at, n) => wav.subarray(at, at + n), wav.length);
  const fmt = wav.subarray(12, 12 + 8 + dv(wav).getUint32(16, true)); // the fmt chunk, first in these files
  const data = wav.subarray(L.dataOffset, L.dataOffset + L.frames * L.frameBytes);
  const out = new Uint8Array(12 + 36 + fmt.length + 8 + data.length), v = dv(out);
  out.set(new TextEncoder().encode('RF64....WAVEds64'));
  v.setUint32(4, 0xffffffff, true);
  v.setUint32(16, 28, true);
  v.setBigUint64(20, BigInt(out.length - 8), true);
  v.setBigUint64(28, BigInt(data.length), true);
  v.setBigUint64(36, BigInt(L.frames), true);
  out.set(fmt, 48);
  out.set(new TextEncoder().encode('data'), 48 + fmt.length);
  v.setUint32(52 + fmt.length, 0xffffffff, true);
  out.set(data, 56 + fmt.length);
  return out;
}

describe('float WAV header', () => {
  const left = new Float32Array([0, 0.5, -0.25, 1e-3, -1]), right = new Float32Array([1, -0.5, 0.25, 2, 3]);
  const wav = encodeWav({ sampleRate: 44100, channels: [left, right] });

  it('has a fmt chunk of 18 bytes (cbSize 0) and a fact chunk with the frame count, as the spec asks of non-PCM formats', () => {
    const v = dv(wav);
    expect(text(wav, 0)).toBe('RIFF');
    expect(v.getUint32(4, true)).toBe(wav.length - 8);
    expect(text(wav, 8)).toBe('WAVE');
    expect(text(wav, 12)).toBe('fmt ');
    expect(v.getUint32(16, true)).toBe(18);
    expect(v.getUint16(20, true)).toBe(3); // IEEE float
    expect(v.getUint16(22, true)).toBe(2);
    expect(v.getUint32(24, true)).toBe(44100);
    expect(v.getUint32(28, true)).toBe(44100 * 8);
    expect(v.getUint16(32, true)).toBe(8);
    expect(v.getUint16(34, true)).toBe(32);
    expect(v.getUint16(36, true)).toBe(0); // cbSize
    expect(text(wav, 38)).toBe('fact');
    expect(v.getUint32(42, true)).toBe(4);
    expect(v.getUint32(46, true)).toBe(5); // sample frames
    expect(text(wav, 50)).toBe('data');
    expect(v.getUint32(54, true)).toBe(5 * 2 * 4);
    expect(wav.length).toBe(58 + 40);
    for (let i = 0; i < 5; i++) {
      expect(v.getFloat32(58 + 8 * i, true)).toBe(left[i]);
      expect(v.getFloat32(62 + 8 * i, true)).toBe(right[i]);
    }
  });

  it('is read back exactly, and so are files with the old 44-byte header', () => {
    for (const bytes of [wav, oldFloatWav(44100, [left, right])]) {
      const back = decodeWav(bytes);
      expect(back.sampleRate).toBe(44100);
      expect(back.channels).toEqual([left, right]);
    }
  });

  it('is RF64 (ds64 chunk with the 64-bit sizes) where a file would pass 4 GiB', () => {
    const small = floatWavHeader(48000, 2, 2 ** 29 - 8); // 4 GiB − 64 bytes of data: still fits
    expect(text(small, 0)).toBe('RIFF');
    expect(dv(small).getUint32(4, true)).toBe(50 + (2 ** 29 - 8) * 8);
    const frames = 2 ** 29; // 4 GiB of stereo float data
    const h = floatWavHeader(48000, 2, frames), v = dv(h);
    expect(h.length).toBe(94);
    expect(text(h, 0)).toBe('RF64');
    expect(v.getUint32(4, true)).toBe(0xffffffff);
    expect(text(h, 12)).toBe('ds64');
    expect(v.getBigUint64(20, true)).toBe(BigInt(94 - 8 + frames * 8));
    expect(v.getBigUint64(28, true)).toBe(BigInt(frames * 8));
    expect(v.getBigUint64(36, true)).toBe(BigInt(frames));
    expect(text(h, 48)).toBe('fmt ');
    expect(v.getUint32(52, true)).toBe(18);
    expect(text(h, 74)).toBe('fact');
    expect(text(h, 86)).toBe('data');
    expect(v.getUint32(90, true)).toBe(0xffffffff);
    // Its own reader takes it: the layout from the header, the size of the file it announces.
    const L = readWavLayout((at, n) => h.subarray(at, at + n), 94 + frames * 8);
    expect(L).toMatchObject({ format: 3, channels: 2, sampleRate: 48000, bits: 32, dataOffset: 94, frames });
  });
});

describe('reading', () => {
  const file = join(sharedData, 'mir1k/Wavfile/amy_3_08.wav');
  const bytes = new Uint8Array(readFileSync(file));
  const whole = decodeWav(bytes);

  it('reads RF64 (and BW64) files, with the data size from the ds64 chunk', () => {
    const rf64 = rf64Of(bytes);
    expect(isWav(rf64)).toBe(true);
    expect(decodeWav(rf64)).toEqual(whole);
    const bw64 = rf64.slice();
    bw64.set(new TextEncoder().encode('BW64'));
    expect(decodeWav(bw64)).toEqual(whole);
    // Trailing bytes after the data chunk are not samples: the ds64 size bounds the data.
    const longer = new Uint8Array(rf64.length + 7);
    longer.set(rf64);
    expect(decodeWav(longer).channels[0].length).toBe(whole.channels[0].length);
  });

  it('says what a big-endian RIFX file is', () => {
    const rifx = bytes.slice();
    rifx.set(new TextEncoder().encode('RIFX'));
    expect(() => decodeWav(rifx, 'x.wav')).toThrow('x.wav: big-endian WAV (RIFX) is not supported');
  });

  it('header and pieces apart give decodeWav exactly (16-bit PCM of a real clip, blocks that do not divide it)', () => {
    const L = readWavLayout((at, n) => bytes.subarray(at, at + n), bytes.length);
    expect(L.frames).toBe(whole.channels[0].length);
    const got = whole.channels.map((c) => new Float32Array(c.length));
    const block = 4099;
    for (let i = 0; i < L.frames; i += block) {
      const n = Math.min(block, L.frames - i), at = L.dataOffset + i * L.frameBytes;
      const out = got.map((c) => c.subarray(i));
      decodeWavFrames(L, bytes.subarray(at, at + n * L.frameBytes), n, out);
    }
    expect(got).toEqual(whole.channels);
  });
});

describe('a file cut short', () => {
  const frames = 1000, whole = oldFloatWav(8000, [new Float32Array(frames).map((_, i) => Math.sin(i / 7) / 2)]);
  const layoutOf = (b: Uint8Array) => readWavLayout((at, n) => b.subarray(at, at + n), b.length);

  it('is read as far as it goes, and its layout says how many frames the header claimed', () => {
    const cut = whole.subarray(0, 44 + 600 * 4 + 3); // 600 whole frames and part of the next
    const L = layoutOf(cut);
    expect(L.frames).toBe(600);
    expect(L.claimedFrames).toBe(frames);
    expect(decodeWav(cut).channels[0]).toEqual(decodeWav(whole).channels[0].subarray(0, 600));
  });

  it('claims nothing when whole, or when the length is 0 or 0xFFFFFFFF (a stream written live)', () => {
    expect(layoutOf(whole).claimedFrames).toBeNull();
    for (const len of [0, 0xffffffff]) {
      const live = whole.slice(0, 44 + 600 * 4);
      dv(live).setUint32(40, len, true);
      expect(layoutOf(live)).toMatchObject({ frames: 600, claimedFrames: null });
    }
  });
});
