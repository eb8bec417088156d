/**
 * The demo's voice: the score sung by Festival (`text2wave -mode singing`), its output cleaned, and
 * a rough check of its pitch against the score.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWav } from '../../src/io/wav.ts';
import { biquad, rms } from './dsp.ts';
import { BEAT, festivalXml, hz, NOTES } from './score.ts';

export function singVoice(workDir: string): { voice16k: Float32Array; rate: number } {
  const xmlPath = join(workDir, 'score.xml'), wavPath = join(workDir, 'voice.wav');
  writeFileSync(xmlPath, festivalXml());
  try {
    execFileSync('text2wave', ['-eval', '(voice_kal_diphone)', '-mode', 'singing', xmlPath, '-o', wavPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('text2wave not found: apt-get install festival festvox-kallpc16k');
    throw new Error(`text2wave failed: ${err.stderr?.toString() ?? e}`);
  }
  const audio = decodeWav(readFileSync(wavPath), 'festival output');
  return { voice16k: audio.channels[0], rate: audio.sampleRate };
}

/**
 * Cleans Festival's output: repairs clipped peaks, takes out DC and rumble, fades the edges.
 *
 * Festival's residual-excited LPC resynthesis writes 16-bit samples and clips where the
 * overlap-added pitch periods exceed full scale (with this score: 1–3 samples at the top of each
 * period for about 0.1 s of "like"; `-scale` cannot help, it is applied after the clipping).
 * Each clipped run is redrawn with the cubic through the two samples on either side of it,
 * never below the clipped value.
 */
export function cleanVoice(x: Float32Array, rate: number): { y: Float32Array; clipped: number } {
  const y = x.slice();
  const full = 32766 / 32768;
  let clipped = 0;
  for (let i = 2; i < y.length - 2; i++) {
    if (Math.abs(x[i]) < full) continue;
    let j = i;
    while (j + 1 < y.length - 2 && Math.abs(x[j + 1]) >= full && Math.sign(x[j + 1]) === Math.sign(x[i])) j++;
    if (j + 2 >= y.length) break;
    const ts = [i - 2, i - 1, j + 1, j + 2], vs = ts.map((t) => x[t]);
    for (let k = i; k <= j; k++) {
      let v = 0; // Lagrange cubic through (ts, vs) at k
      for (let a = 0; a < 4; a++) {
        let l = 1;
        for (let b = 0; b < 4; b++) if (b !== a) l *= (k - ts[b]) / (ts[a] - ts[b]);
        v += vs[a] * l;
      }
      y[k] = Math.sign(x[k]) * Math.max(Math.abs(v), Math.abs(x[k]));
    }
    clipped += j - i + 1;
    i = j;
  }
  // DC and rumble: high-pass at 60 Hz (below the lowest sung note, 131 Hz).
  biquad(y, 'highpass', 60, Math.SQRT1_2, rate);
  const fade = Math.round(0.01 * rate);
  for (let i = 0; i < fade && i < y.length; i++) { const g = i / fade; y[i] *= g; y[y.length - 1 - i] *= g; }
  return { y, clipped };
}

/** Crude autocorrelation pitch per 50 ms and the share of voiced frames within a semitone of the score. */
export function pitchCheck(x: Float32Array, rate: number): string {
  const hop = Math.round(0.05 * rate), win = Math.round(0.04 * rate);
  const minLag = Math.floor(rate / 400), maxLag = Math.ceil(rate / 70);
  let peakRms = 0;
  for (let s = 0; s + win < x.length; s += hop) peakRms = Math.max(peakRms, rms(x.subarray(s, s + win)));
  const frames: { t: number; f0: number }[] = [];
  for (let s = 0; s + win + maxLag < x.length; s += hop) {
    const seg = x.subarray(s, s + win + maxLag);
    if (rms(seg.subarray(0, win)) < 0.1 * peakRms) continue;
    const r = new Float64Array(maxLag + 1);
    let best = 0;
    for (let lag = minLag; lag <= maxLag; lag++) {
      let xy = 0, xx = 0, yy = 0;
      for (let i = 0; i < win; i++) { xy += seg[i] * seg[i + lag]; xx += seg[i] * seg[i]; yy += seg[i + lag] * seg[i + lag]; }
      r[lag] = xy / Math.sqrt(xx * yy + 1e-20);
      best = Math.max(best, r[lag]);
    }
    if (best < 0.6) continue; // unvoiced
    // the shortest lag at a local maximum close to the best (avoids octave-down errors)
    let lag = minLag + 1;
    while (lag < maxLag && !(r[lag] >= 0.9 * best && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1])) lag++;
    const a = r[lag - 1], b = r[lag], c = r[lag + 1 < r.length ? lag + 1 : lag];
    const shift = a - 2 * b + c < 0 ? (0.5 * (a - c)) / (a - 2 * b + c) : 0;
    frames.push({ t: (s + win / 2) / rate, f0: rate / (lag + shift) });
  }
  const expected = (t: number) => NOTES.find((n) => t >= n.start * BEAT && t < (n.start + n.beats) * BEAT);
  const score = (offset: number) => {
    let ok = 0, octave = 0, n = 0;
    const cents: number[] = [];
    for (const f of frames) {
      const note = expected(f.t - offset);
      if (!note) continue;
      n++;
      const dev = 12 * Math.log2(f.f0 / hz(note.midi));
      if (Math.abs(dev) <= 1) { ok++; cents.push(100 * dev); }
      else if (Math.abs(Math.abs(dev) - 12) <= 1) octave++;
    }
    cents.sort((a, b) => a - b);
    const median = cents.length ? cents[cents.length >> 1] : NaN;
    const within = (c: number) => cents.filter((x) => Math.abs(x) <= c).length;
    return { ok, octave, n, median, within25: within(25) };
  };
  let bestOffset = 0, bestOk = -1;
  for (let o = -0.2; o <= 0.2 + 1e-9; o += 0.01) { const s = score(o); if (s.ok > bestOk) { bestOk = s.ok; bestOffset = o; } }
  const s0 = score(0);
  const pct = (k: number, n: number) => `${((100 * k) / Math.max(1, n)).toFixed(1)}%`;
  return `${s0.n} voiced 50 ms frames; within a semitone of the score: ${pct(s0.ok, s0.n)}, ` +
    `within 25 cents: ${pct(s0.within25, s0.n)}, median deviation ${s0.median.toFixed(0)} cents, ` +
    `octave errors ${pct(s0.octave, s0.n)}; best with the voice shifted ${(bestOffset * 1000).toFixed(0)} ms: ` +
    `${pct(bestOk, score(bestOffset).n)}`;
}
