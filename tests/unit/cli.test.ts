/**
 * The command-line tools, run as a user runs them (`tsx src/cli/….ts`), on real clips from the
 * shared data: outputs in the promised place and shape, and a clear message with a non-zero exit
 * for each kind of bad input.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { separateChannels } from '../../src/core/separate/separator.ts';
import { decodeWav, encodeWav } from '../../src/io/wav.ts';
import { runCli } from './support.ts';

const cli = (tool: string, args: string[]) => runCli(tool, args);

const work = mkdtempSync(join(tmpdir(), 'voicesplit-cli-'));

/** A stereo 44.1 kHz song excerpt: the 80s rock stems, voice left of centre. */
function stereoSong(): string {
  const dir = join(sharedData, 'stems/music_delta_80s_rock');
  const v = decodeWav(readFileSync(join(dir, 'voice.wav'))).channels[0];
  const a = decodeWav(readFileSync(join(dir, 'accomp.wav'))).channels[0];
  const n = 3 * 44100;
  const left = new Float32Array(n), right = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    left[i] = 0.6 * v[i] + 0.5 * a[i];
    right[i] = 0.4 * v[i] + 0.5 * a[i];
  }
  const path = join(work, 'rock excerpt.wav');
  writeFileSync(path, encodeWav({ sampleRate: 44100, channels: [left, right] }));
  return path;
}

describe('npm run separate', () => {
  it('writes voice and accompaniment of a real MIR-1K clip and a stereo 44.1 kHz song, same rate, channels and length', () => {
    const mono = join(sharedData, 'mir1k/Wavfile/amy_3_08.wav'); // stereo file, 16 kHz
    const song = stereoSong();
    const out = join(work, 'out');
    const r = cli('separate', ['--out', out, mono, song]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/real time/);
    for (const [input, name] of [[mono, 'amy_3_08'], [song, 'rock excerpt']]) {
      const src = decodeWav(readFileSync(input));
      const voice = decodeWav(readFileSync(join(out, name, 'voice.wav')));
      const accomp = decodeWav(readFileSync(join(out, name, 'accompaniment.wav')));
      for (const y of [voice, accomp]) {
        expect(y.sampleRate).toBe(src.sampleRate);
        expect(y.channels.length).toBe(src.channels.length);
        expect(y.channels[0].length).toBe(src.channels[0].length);
      }
      // The files hold the core's separation, and the two parts add up to the input.
      const ref = separateChannels(decodeModel(readFileSync(shippedModelPath)), src.sampleRate, src.channels);
      for (let c = 0; c < src.channels.length; c++) {
        let diff = 0, sum = 0;
        for (let i = 0; i < src.channels[c].length; i++) {
          diff = Math.max(diff, Math.abs(voice.channels[c][i] - ref.voice[c][i]));
          sum = Math.max(sum, Math.abs(voice.channels[c][i] + accomp.channels[c][i] - src.channels[c][i]));
        }
        expect(diff).toBeLessThan(1e-6);
        expect(sum).toBeLessThan(1e-5);
      }
    }
  });

  it('says what is wrong, with a non-zero exit', () => {
    const missing = cli('separate', ['--out', join(work, 'x'), join(work, 'nope.wav')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope\.wav: no such file/);

    const text = join(work, 'notes.wav');
    writeFileSync(text, 'these are not samples');
    const unreadable = cli('separate', ['--out', join(work, 'x'), text]);
    expect(unreadable.code).not.toBe(0);
    expect(unreadable.stderr).toMatch(/notes\.wav: not a WAV file/);

    const corrupt = join(work, 'corrupt.nnrnmf');
    const bytes = readFileSync(shippedModelPath);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(corrupt, bytes);
    const bad = cli('separate', ['--model', corrupt, '--out', join(work, 'x'), join(sharedData, 'mir1k/Wavfile/amy_3_08.wav')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/corrupt\.nnrnmf: model file is corrupt: checksum/);

    const usage = cli('separate', [join(sharedData, 'mir1k/Wavfile/amy_3_08.wav')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--out DIR is required/);
  });
});

describe('npm run train and npm run eval', () => {
  it('train: a short supervised run on a stems folder writes a valid model that says how it was made', () => {
    // A tiny stems folder: two MIR-1K clips split into their stems (the stems layout).
    const data = join(work, 'stems');
    for (const clip of ['abjones_1_01', 'amy_1_01']) {
      const wav = decodeWav(readFileSync(join(sharedData, 'mir1k/Wavfile', `${clip}.wav`)));
      mkdirSync(join(data, clip), { recursive: true });
      writeFileSync(join(data, clip, 'accomp.wav'), encodeWav({ sampleRate: 16000, channels: [wav.channels[0]] }));
      writeFileSync(join(data, clip, 'voice.wav'), encodeWav({ sampleRate: 16000, channels: [wav.channels[1]] }));
    }
    const out = join(work, 'tiny.nnrnmf');
    const r = cli('train', ['--data', data, '--dictionary', shippedModelPath, '--regime', 'supervised', '--steps', '20',
      '--frames', '600', '--val-frames', '200', '--batch', '64', '--validate-every', '10', '--lr', '1e-3', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/step +20\/20/);
    const model = decodeModel(readFileSync(out));
    expect(model.header.structure).toBe('structured');
    expect(String(model.info.command)).toContain('--regime supervised');
    expect(model.info.summary).toMatch(/best validation loss/);
  }, 120_000);

  it('train and eval refuse a folder in neither layout', () => {
    const empty = join(work, 'empty');
    mkdirSync(empty, { recursive: true });
    copyFileSync(shippedModelPath, join(empty, 'model.nnrnmf'));
    const t = cli('train', ['--data', empty, '--out', join(work, 'm.nnrnmf')]);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toMatch(/wrong layout/);
    const e = cli('eval', ['--data', join(work, 'does-not-exist')]);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(/no such folder/);
  });

  it('eval: scores the shipped model and an ideal mask on real clips and prints the table', () => {
    const r = cli('eval', ['--data', join(sharedData, 'mir1k'), '--split', 'dev', '--pick', '1', '--methods', 'ideal-ratio,shipped']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Method'));
    expect(rows).toHaveLength(2);
    const gnsdr = (label: RegExp) => Number(rows.find((l) => label.test(l))!.split('|')[2]);
    // Ideal masks bound what a mask can do; the shipped model must separate, though less well.
    expect(gnsdr(/Ideal ratio/)).toBeGreaterThan(10);
    expect(gnsdr(/Shipped/)).toBeGreaterThan(3);
    expect(gnsdr(/Shipped/)).toBeLessThan(gnsdr(/Ideal ratio/));
    // The dev clips of the `extra` singers (a product model's training data) are also left out in a column of their own.
    expect(r.stdout).toMatch(/GNSDR, 13 clips of unseen singers/);
  }, 120_000);
});
