/**
 * BSS-eval v3 against mir_eval: its own test vectors (shared data folder), a real MIR-1K clip scored
 * offline with mir_eval 0.7 (Debian python3-mir-eval), and sanity checks.
 *
 * The framewise figures of every vector set are checked when BSSEVAL_FULL=1 (about 30 s: a window
 * with 4 sources factors a 2048×2048 Gram matrix); by default a subset that covers 1, 2 and 3
 * sources and mono and stereo files.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData } from '../../src/cli/paths.ts';
import { decodeWav } from '../../src/io/wav.ts';
import {
  BssEval,
  bssEvalSources,
  bssEvalSourcesFramewise,
  globalScores,
  validate,
} from '../../src/eval/bsseval.ts';

const TOL = 0.01; // dB, mir_eval's own tolerance for these vectors

const vectorDir = join(sharedData, 'bss_eval_vectors');

/** One WAV as mir_eval.io.load_wav reads it: float, stereo files averaged to mono. */
function loadMono(path: string): Float64Array {
  const { channels } = decodeWav(readFileSync(path), path);
  const out = new Float64Array(channels[0].length);
  for (const ch of channels) for (let i = 0; i < out.length; i++) out[i] += ch[i] / channels.length;
  return out;
}

/** The WAVs of one folder, sorted by name, stacked as sources. */
function loadSources(folder: string): Float64Array[] {
  const dir = join(vectorDir, folder);
  return readdirSync(dir).filter((f) => f.endsWith('.wav')).sort().map((f) => loadMono(join(dir, f)));
}

interface Figures {
  'Source to Distortion': number[] | number[][];
  'Source to Interference': number[] | number[][];
  'Source to Artifact': number[] | number[][];
  'Source permutation': number[] | number[][];
}
interface Expected {
  Sources: Figures;
  Framewise: Figures & { win: number; hop: number };
}

/** Python's json writes Infinity and NaN, which JSON.parse refuses; 1e999 parses as Infinity. */
function readExpected(file: string): Expected {
  const text = readFileSync(join(vectorDir, file), 'utf8')
    .replace(/-Infinity/g, '-1e999')
    .replace(/Infinity/g, '1e999')
    .replace(/NaN/g, 'null');
  return JSON.parse(text) as Expected;
}

function expectClose(actual: ArrayLike<number>, expected: number[] | number[][], tol: number, what: string): void {
  const flat = (expected as (number | number[])[]).flat();
  expect(actual.length, `${what}: length`).toBe(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const e = flat[i], a = actual[i];
    if (!Number.isFinite(e)) expect(a, `${what}[${i}]`).toBe(e);
    else expect(Math.abs(a - e), `${what}[${i}]: got ${a}, expected ${e}`).toBeLessThanOrEqual(tol);
  }
}

function expectFigures(r: { sdr: Float64Array; sir: Float64Array; sar: Float64Array; perm: Int32Array }, f: Figures, what: string): void {
  expectClose(r.sdr, f['Source to Distortion'], TOL, `${what} SDR`);
  expectClose(r.sir, f['Source to Interference'], TOL, `${what} SIR`);
  expectClose(r.sar, f['Source to Artifact'], TOL, `${what} SAR`);
  expectClose(r.perm, f['Source permutation'], 0, `${what} perm`);
}

const vectorSets = readdirSync(vectorDir)
  .map((f) => /^output(\d+)\.json$/.exec(f)?.[1])
  .filter((nn): nn is string => nn !== undefined)
  .sort();
const framewiseSets = process.env.BSSEVAL_FULL === '1' ? vectorSets : vectorSets.filter((nn) => ['01', '05', '06', '07', '09'].includes(nn));

describe('bss_eval_sources: the mir_eval test vectors', () => {
  it('finds the vector sets', () => {
    expect(vectorSets.length).toBeGreaterThanOrEqual(8);
  });

  // mir_eval's test calls separation.evaluate(ref, est, window=win, hop=hop): bss_eval_sources runs with
  // its default compute_permutation=True, bss_eval_sources_framewise with its default False.
  for (const nn of vectorSets) {
    it(`set ${nn}: "Sources" (permutation search on)`, () => {
      const expected = readExpected(`output${nn}.json`);
      const r = bssEvalSources(loadSources(`ref${nn}`), loadSources(`est${nn}`));
      expectFigures(r, expected.Sources, `set ${nn}`);
    }, 30_000);
  }

  for (const nn of framewiseSets) {
    it(`set ${nn}: "Framewise" (permutation search off)`, () => {
      const { Framewise: f } = readExpected(`output${nn}.json`);
      const refs = loadSources(`ref${nn}`);
      const r = bssEvalSourcesFramewise(refs, loadSources(`est${nn}`), f.win, f.hop);
      expect(r.nsrc).toBe(refs.length);
      expect(r.nframes).toBe((f['Source to Distortion'] as number[][])[0].length);
      expectFigures(r, f, `set ${nn} framewise`);
    }, 60_000);
  }
});

/** Park–Miller generator, reproducible in Python for the offline mir_eval figures below. */
function lcg(): () => number {
  let seed = 1;
  return () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
}

describe('bss_eval_sources on a real MIR-1K clip (as tools/score.py scores it)', () => {
  // amy_3_08: left = accompaniment, right = voice; estimates are leaky, filtered, noisy mixes.
  const { channels } = decodeWav(readFileSync(join(sharedData, 'mir1k/Wavfile/amy_3_08.wav')));
  const acc = Float64Array.from(channels[0]), voice = Float64Array.from(channels[1]);
  const n = voice.length;
  const rnd = lcg();
  const ev = new Float64Array(n), ea = new Float64Array(n), mix = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = 0.8 * voice[i] + 0.3 * acc[i] + (i >= 3 ? 0.2 * voice[i - 3] : 0) + 0.05 * rnd();
  for (let i = 0; i < n; i++) ea[i] = acc[i] + 0.2 * voice[i] + (i >= 1 ? 0.1 * acc[i - 1] : 0) + 0.05 * rnd();
  for (let i = 0; i < n; i++) mix[i] = voice[i] + acc[i];
  // mir_eval 0.7: bss_eval_sources([voice, acc], ..., compute_permutation=False)
  const expected = {
    sdr: [9.395287133502558, 13.736979210793901],
    sir: [9.91421277170035, 14.83467545543153],
    sar: [19.300754647399827, 20.38766612792071],
  };
  const expectedMix = { sdr: [-0.04394082313828356, 0.006191785147499669], sir: [-0.04394082313827284, 0.006191785147504485] };

  it('matches mir_eval, and a prepared BssEval scores several estimate sets alike', () => {
    expect(n).toBe(102928);
    const b = new BssEval([voice, acc]);
    expect(b.nfft).toBe(131072);
    expect(b.gramRank).toBe(1024);
    for (let rep = 0; rep < 2; rep++) {
      const r = b.evaluate([ev, ea], false);
      expectClose(r.sdr, expected.sdr, TOL, 'SDR');
      expectClose(r.sir, expected.sir, TOL, 'SIR');
      expectClose(r.sar, expected.sar, TOL, 'SAR');
      expect(Array.from(r.perm)).toEqual([0, 1]);
      // the mixture as both estimates: its SAR is rounding noise (> 200 dB) in mir_eval and here alike
      const m = b.evaluate([mix, mix], false);
      expectClose(m.sdr, expectedMix.sdr, TOL, 'mixture SDR');
      expectClose(m.sir, expectedMix.sir, TOL, 'mixture SIR');
      expect(Math.min(m.sar[0], m.sar[1])).toBeGreaterThan(200);
    }
  }, 30_000);

  it('finds the swapped estimates with the permutation search', () => {
    const r = bssEvalSources([voice, acc], [ea, ev]);
    expect(Array.from(r.perm)).toEqual([1, 0]);
    expectClose(r.sdr, expected.sdr, TOL, 'SDR');
    expectClose(r.sir, expected.sir, TOL, 'SIR');
    expectClose(r.sar, expected.sar, TOL, 'SAR');
  }, 30_000);
});

function noise(n: number, rnd: () => number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = rnd();
  return x;
}

describe('bss_eval_sources: sanity', () => {
  it('gives a very high SDR to an estimate equal to its reference', () => {
    const rnd = lcg();
    const a = noise(4000, rnd), b = noise(4000, rnd);
    const r = bssEvalSources([a, b], [a, b], false);
    expect(r.sdr[0]).toBeGreaterThan(100);
    expect(r.sdr[1]).toBeGreaterThan(100);
    expect(r.sar[0]).toBeGreaterThan(100);
  });

  it('handles a singular Gram matrix (two identical references) like mir_eval', () => {
    const rnd = lcg();
    const a = noise(3000, rnd), b = noise(3000, rnd);
    const est0 = a.map((v, i) => v + 0.1 * b[i]), est1 = a.map((v, i) => v - 0.2 * b[i]);
    const ev = new BssEval([a, a]);
    expect(ev.gramRank).toBe(512); // the second reference's delays add nothing and are dropped
    const r = ev.evaluate([est0, est1], false);
    // mir_eval 0.7 (LU solve): SDR = SAR = these, SIR ≈ 290 dB of rounding noise
    expectClose(r.sdr, [20.693101778246678, 14.722197493550803], TOL, 'SDR');
    expectClose(r.sar, [20.693101778246685, 14.722197493550798], TOL, 'SAR');
    expect(Math.min(r.sir[0], r.sir[1])).toBeGreaterThan(200);
  });

  it('validate rejects mismatched shapes, empty, silent and non-finite input with a clear message', () => {
    const rnd = lcg();
    const a = noise(100, rnd), b = noise(100, rnd);
    expect(() => validate([a, b], [a, b.subarray(0, 99)])).toThrow(/estimated source 1 has 99 samples, the references have 100/);
    expect(() => validate([a, b.subarray(0, 90)], [a, b])).toThrow(/same length: source 0 has 100 samples, source 1 has 90/);
    expect(() => validate([a, b], [a])).toThrow(/2 reference sources but 1 estimated/);
    expect(() => validate([a, new Float64Array(100)], [a, b])).toThrow(/reference source 1 is silent \(all zeros\)/);
    expect(() => validate([a, b], [new Float32Array(100), b])).toThrow(/estimated source 0 is silent/);
    expect(() => validate([], [])).toThrow(/reference sources are empty/);
    expect(() => validate([new Float64Array(0)], [new Float64Array(0)])).toThrow(/empty/);
    const bad = a.slice();
    bad[7] = NaN;
    expect(() => validate([a, b], [bad, b])).toThrow(/estimated source 0 has a non-finite value \(NaN\) at sample 7/);
    bad[7] = Infinity;
    expect(() => new BssEval([bad, b])).toThrow(/reference source 0 has a non-finite value/);
    expect(() => bssEvalSources([a, b], [a, b.subarray(1)])).toThrow(/must match/);
    expect(() => new BssEval([a, b]).evaluate([a, new Float64Array(100)])).toThrow(/estimated source 1 is silent/);
  });

  it('framewise: whole windows only, silent windows are NaN, fewer than 2 windows = whole signal', () => {
    const rnd = lcg();
    const refs = [noise(55, rnd), noise(55, rnd)];
    const ests = refs.map((r) => r.map((v) => v + 0.3 * rnd()));
    // ⌊(55 − 20 + 15) / 15⌋ = 3 windows at 0, 15, 30; samples 50..54 are not scored
    const f = bssEvalSourcesFramewise(refs, ests, 20, 15);
    expect(f.nframes).toBe(3);
    for (let k = 0; k < 3; k++) {
      const w = bssEvalSources(refs.map((x) => x.subarray(15 * k, 15 * k + 20)), ests.map((x) => x.subarray(15 * k, 15 * k + 20)), false);
      for (let j = 0; j < 2; j++) {
        expect(f.sdr[j * 3 + k]).toBe(w.sdr[j]);
        expect(f.sir[j * 3 + k]).toBe(w.sir[j]);
        expect(f.sar[j * 3 + k]).toBe(w.sar[j]);
        expect(f.perm[j * 3 + k]).toBe(j);
      }
    }

    // a window larger than the signal, or a hop so long that only one window fits: the whole signal
    const whole = bssEvalSources(refs, ests, false);
    for (const [win, hop] of [[120, 20], [20, 120]]) {
      const g = bssEvalSourcesFramewise(refs, ests, win, hop);
      expect(g.nframes).toBe(1);
      expect(Array.from(g.sdr)).toEqual(Array.from(whole.sdr));
      expect(Array.from(g.sir)).toEqual(Array.from(whole.sir));
    }

    // mir_eval's test_partial_silence: windows 2 and 3 of 6 have a silent reference
    const sound = [noise(20, rnd), noise(20, rnd)];
    const silence = new Float64Array(20);
    const cat = (...xs: Float64Array[]): Float64Array => {
      const out = new Float64Array(xs.reduce((s, x) => s + x.length, 0));
      let at = 0;
      for (const x of xs) {
        out.set(x, at);
        at += x.length;
      }
      return out;
    };
    const s = bssEvalSourcesFramewise(
      sound.map((x) => cat(x, silence, x)),
      sound.map((x) => cat(x, x, x)),
      10,
      10,
    );
    expect(s.nframes).toBe(6);
    for (let j = 0; j < 2; j++) {
      for (let k = 0; k < 6; k++) {
        const silent = k === 2 || k === 3;
        expect(Number.isNaN(s.sdr[j * 6 + k]), `source ${j} frame ${k}`).toBe(silent);
        expect(Number.isNaN(s.sir[j * 6 + k])).toBe(silent);
        expect(Number.isNaN(s.sar[j * 6 + k])).toBe(silent);
        expect(s.perm[j * 6 + k]).toBe(silent ? -1 : j);
      }
    }
  }, 30_000);

  it('globalScores weights clips by duration', () => {
    const g = globalScores([
      { seconds: 10, sdr: 5, sir: 10, sar: 8, sdrMixture: 1 },
      { seconds: 30, sdr: 3, sir: 6, sar: 4, sdrMixture: 0 },
    ]);
    // δ = 1/4, 3/4: GNSDR = 4/4 + 3·3/4 = 3.25 (the unweighted mean would be 3.5)
    expect(g.gnsdr).toBeCloseTo(3.25, 12);
    expect(g.gsdr).toBeCloseTo(3.5, 12);
    expect(g.gsir).toBeCloseTo(7, 12);
    expect(g.gsar).toBeCloseTo(5, 12);
    expect(g.seconds).toBe(40);
    expect(g.clips).toBe(2);
    expect(() => globalScores([])).toThrow(/no clips/);
  });
});
