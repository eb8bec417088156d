/**
 * The page's one validation of a model file per buffer (validatedModel) and the one RIFF/WAVE test
 * (isWav) that the WAV reader, the rate sniffer and the file decoder share.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, ModelError, validatedModel } from '../../src/core/model/model.ts';
import { sniffSampleRate } from '../../src/io/sniff.ts';
import { decodeWav, encodeWav, isWav } from '../../src/io/wav.ts';

const shipped = readFileSync(resolve(import.meta.dirname, '../../public/models/default.nnrnmf'));
/** A fresh ArrayBuffer holding the bytes (a Node Buffer's slice() would share its memory). */
const bufferOf = (b: Uint8Array) => new Uint8Array(b).buffer;

describe('validatedModel', () => {
  it('decodes a buffer once: the same buffer gives the same Model, a copy is decoded anew', () => {
    const bytes = bufferOf(shipped);
    const a = validatedModel(bytes);
    expect(validatedModel(bytes)).toBe(a);
    const b = validatedModel(bytes.slice(0));
    expect(b).not.toBe(a);
    expect(b.header).toEqual(decodeModel(shipped).header);
  });

  it('refuses what decodeModel refuses, and a buffer transferred away since', () => {
    const bad = bufferOf(shipped);
    new Uint8Array(bad)[200] ^= 1;
    expect(() => validatedModel(bad)).toThrow(ModelError);
    expect(() => validatedModel(bad)).toThrow(/corrupt: checksum/);
    const moved = bufferOf(shipped);
    validatedModel(moved);
    structuredClone(moved, { transfer: [moved] });
    expect(() => validatedModel(moved)).toThrow(/detached/);
  });
});

describe('isWav', () => {
  const wav = encodeWav({ sampleRate: 22050, channels: [new Float32Array([0, 0.5, -0.5])] });
  it('knows a WAV header, and only that', () => {
    expect(isWav(wav)).toBe(true);
    expect(isWav(wav.subarray(0, 11))).toBe(false);
    const avi = wav.slice();
    avi.set([0x41, 0x56, 0x49, 0x20], 8); // 'AVI '
    expect(isWav(avi)).toBe(false);
    expect(isWav(new TextEncoder().encode('RIFX....WAVEfmt '))).toBe(false);
  });
  it('is the test the reader and the sniffer use', () => {
    expect(decodeWav(wav).sampleRate).toBe(22050);
    expect(sniffSampleRate(wav)).toBe(22050);
    const avi = wav.slice();
    avi.set([0x41, 0x56, 0x49, 0x20], 8);
    expect(() => decodeWav(avi)).toThrow('not a WAV file (no RIFF/WAVE header)');
    expect(() => decodeWav(wav.subarray(0, 11))).toThrow('not a WAV file (too short)');
  });
});
