/**
 * `npm run train` and `npm run eval` check what can be checked before the work starts (a typo must
 * not cost a training run or loop for ever), say it in one line with no stack trace, and never
 * throw finished work away.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { decodeWav, encodeWav } from '../../src/io/wav.ts';
import { runCli } from './support.ts';

const work = mkdtempSync(join(tmpdir(), 'voicesplit-train-checks-'));

const cli = (tool: string, args: string[], timeout = 60_000) => runCli(tool, args, { timeout });

/** A tiny stems folder of two real clips (or their silence). */
function stems(name: string, silent = false): string {
  const data = join(work, name);
  for (const clip of ['abjones_1_01', 'amy_1_01']) {
    const wav = decodeWav(readFileSync(join(sharedData, 'mir1k/Wavfile', `${clip}.wav`)));
    const [a, v] = silent ? [new Float32Array(wav.channels[0].length), new Float32Array(wav.channels[1].length)] : wav.channels;
    mkdirSync(join(data, clip), { recursive: true });
    writeFileSync(join(data, clip, 'accomp.wav'), encodeWav({ sampleRate: 16000, channels: [a] }));
    writeFileSync(join(data, clip, 'voice.wav'), encodeWav({ sampleRate: 16000, channels: [v] }));
  }
  return data;
}

const quick = ['--dictionary', shippedModelPath, '--regime', 'supervised', '--steps', '4', '--frames', '300', '--val-frames', '100', '--batch', '32', '--validate-every', '2'];

describe('train refuses bad options before any work, in one line', () => {
  const data = stems('good');
  const cases: [string[], RegExp][] = [
    [['--batch', '0'], /--batch must be a whole number ≥ 1/],
    [['--frames', '0'], /--frames must be a whole number ≥ 1/],
    [['--layers', '0'], /--layers must be a whole number from 2/],
    [['--layers', '2.5'], /--layers must be a whole number/],
    [['--q', '0'], /--q must be a whole number from 1 to 513/],
    [['--input-rank', '1000'], /--input-rank must be a whole number from 0 to 513/],
    [['--steps=-3'], /--steps must be a whole number ≥ 1/],
    [['--lr', '0'], /--lr must be > 0/],
    [['--lambda', '5000'], /--lambda must be ≥ 0 and at most 1000/],
    [['--level-tau', '1e9'], /--level-tau must be > 0 and at most 3600/],
    [['--out', join(work, 'missing/dir/m.nnrnmf')], /the folder .*missing\/dir does not exist/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')}`, () => {
      const r = cli('train', ['--data', data, ...quick, '--out', join(work, 'm.nnrnmf'), ...args], 30_000);
      expect(r.timedOut, 'must not hang').toBe(false);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.stderr).not.toMatch(/loading \d+ clips|step +\d+\//); // refused before the data loads
    });
  }

  it('prints no NaN at step 0', () => {
    const out = join(work, 'fine.nnrnmf');
    const r = cli('train', ['--data', data, ...quick, '--out', out], 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/step +0\/4 +train – /);
    expect(r.stderr).not.toMatch(/NaN/);
    expect(decodeModel(readFileSync(out)).header.structure).toBe('structured');
  }, 120_000);

  it('refuses to train on silence', () => {
    const r = cli('train', ['--data', stems('silent', true), ...quick, '--out', join(work, 'silent.nnrnmf')], 120_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/training frames are silent/);
    expect(readdirSync(work)).not.toContain('silent.nnrnmf');
  }, 120_000);
});

describe('eval checks --json before the evaluation', () => {
  it('a --json in a missing folder is refused at once', () => {
    const r = cli('eval', ['--split', 'dev', '--pick', '1', '--methods', 'shipped', '--json', join(work, 'missing/dir/x.json')], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--json .*does not exist/);
    expect(r.stderr).not.toMatch(/scoring/);
  });
});

describe('train --average', () => {
  it('writes the mean of models of one shape, and refuses models of different shapes', () => {
    const a = join(repoRoot, 'models/quality/4-untied-finetune.nnrnmf'), b = join(repoRoot, 'models/quality/5-finetune-bin-weighted.nnrnmf');
    const out = join(work, 'mean.nnrnmf');
    const r = cli('train', ['--average', `${a},${b}`, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const [ma, mb, mean] = [a, b, out].map((f) => decodeModel(readFileSync(f)));
    for (const [name, arr] of Object.entries(mean.arrays)) {
      const i = arr.data.length >> 1;
      expect(arr.data[i], name).toBeCloseTo((ma.arrays[name].data[i] + mb.arrays[name].data[i]) / 2, 6);
    }
    const bad = cli('train', ['--average', `${a},${join(repoRoot, 'models/paper/rnmf-dense-supervised.nnrnmf')}`, '--out', join(work, 'bad.nnrnmf')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not shaped like/);
  });
});
