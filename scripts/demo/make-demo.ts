/**
 * Builds the demo song the page opens with: public/demo/demo-song.wav and public/demo/demo.json.
 *
 *   npx tsx scripts/demo/make-demo.ts [--out DIR] [--stems DIR]
 *
 * "Twinkle, Twinkle, Little Star" (melody: the 18th-century French tune "Ah ! vous dirai-je,
 * maman"; words: Jane Taylor, 1806), sung by Festival's kal_diphone voice in singing mode
 * (`text2wave -mode singing`), over an accompaniment synthesised here: a plucked-string
 * arpeggio (Karplus–Strong, left), a soft additive pad (right), a bass (centre) and a drum kit
 * (kick, snare, hi-hat, crash) made of decaying sines and filtered seeded noise, with a little
 * stereo reverb. The voice is dry and in the centre, mixed 2 dB above the accompaniment (energy
 * over the whole file), and the mix peaks at −1 dBFS. 16-bit PCM, 44.1 kHz stereo, 28 s.
 *
 * Everything is deterministic: the noise is seeded and Festival's output is too, so a rerun
 * writes the same bytes. `--stems DIR` also writes the voice and accompaniment stems (float WAV,
 * scaled exactly as they are in the mix, so voice + accompaniment = mix before 16-bit rounding)
 * and the Festival score, for measuring how well the separator does on the demo.
 *
 * Needs Debian's `festival` and `festvox-kallpc16k` (`text2wave` on the PATH).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeWav, encodeWav } from '../../src/io/wav.ts';
import { resampleSignal } from '../../src/core/signal/resample.ts';
import { Random } from '../../src/core/linalg/random.ts';

const SR = 44100;
/** BPM attribute of the Festival score. */
const FESTIVAL_BPM = 100;
/**
 * Seconds per beat. Festival's singing-mode.scm converts beats to seconds with
 * bps = BPM / 50 (sic: "change this back to 60"), so BPM="100" gives 0.5 s beats (120 real BPM).
 */
const BEAT = 50 / FESTIVAL_BPM;
/** One bar (4/4) of accompaniment before the voice enters. */
const INTRO_BEATS = 4;
/** Seconds the final chord rings after the last sung note. */
const TAIL_SECONDS = 2;
/** Voice-to-accompaniment energy ratio of the mix (MIR-1K mixes at 0 dB). */
const VOICE_TO_ACCOMPANIMENT_DB = 2;
/** Peak of the mix. */
const PEAK_DBFS = -1;
const SEED = 20240601;

// ---------------------------------------------------------------------------------------------
// The score
// ---------------------------------------------------------------------------------------------

const NOTE_OFFSETS: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** MIDI number of a note in scientific pitch notation ("C4" = 60 = middle C). */
function midiOf(name: string): number {
  const m = /^([A-G])([#b]?)(-?\d)$/.exec(name);
  if (!m) throw new Error(`bad note ${name}`);
  return 12 * (Number(m[3]) + 1) + NOTE_OFFSETS[m[1]] + (m[2] === '#' ? 1 : m[2] === 'b' ? -1 : 0);
}

/** Festival's NOTE names count octaves from MIDI 0 (A5 = 440 Hz): one octave above scientific. */
function festivalNoteName(name: string): string {
  const m = /^([A-G][#b]?)(-?\d)$/.exec(name)!;
  return `${m[1]}${Number(m[2]) + 1}`;
}

const hz = (midi: number) => 440 * 2 ** ((midi - 69) / 12);

/** One word: a note and a length in beats for each of its syllables (as Festival's lexicon splits it). */
interface Word { text: string; notes: string[]; beats: number[] }

const w = (text: string, notes: string, beats: string): Word =>
  ({ text, notes: notes.split(' '), beats: beats.split(' ').map(Number) });

// Key of C, sung an octave below the written melody (C3–A3, a baritone range for a male voice).
const LINE_TWINKLE = [
  w('twinkle', 'C3 C3', '1 1'), w('twinkle', 'G3 G3', '1 1'), w('little', 'A3 A3', '1 1'), w('star', 'G3', '2'),
];
const LINE_WONDER = [
  w('how', 'F3', '1'), w('I', 'F3', '1'), w('wonder', 'E3 E3', '1 1'),
  w('what', 'D3', '1'), w('you', 'D3', '1'), w('are', 'C3', '2'),
];
const SCORE: Word[] = [
  ...LINE_TWINKLE,
  ...LINE_WONDER,
  w('up', 'G3', '1'), w('above', 'G3 F3', '1 1'), w('the', 'F3', '1'),
  w('world', 'E3', '1'), w('so', 'E3', '1'), w('high', 'D3', '2'),
  w('like', 'G3', '1'), w('a', 'G3', '1'), w('diamond', 'F3 F3', '1 1'),
  w('in', 'E3', '1'), w('the', 'E3', '1'), w('sky', 'D3', '2'),
  ...LINE_TWINKLE,
  ...LINE_WONDER,
];

/** The sung notes on the song's beat grid (beat 0 = the first sung note). */
const NOTES: { start: number; beats: number; midi: number }[] = [];
{
  let t = 0;
  for (const word of SCORE) {
    if (word.notes.length !== word.beats.length) throw new Error(`score: ${word.text}`);
    word.notes.forEach((n, i) => { NOTES.push({ start: t, beats: word.beats[i], midi: midiOf(n) }); t += word.beats[i]; });
  }
}
const SONG_BEATS = NOTES[NOTES.length - 1].start + NOTES[NOTES.length - 1].beats; // 48

function festivalXml(): string {
  const lines = SCORE.map((word) =>
    `<DURATION BEATS="${word.beats.join(',')}"><PITCH NOTE="${word.notes.map(festivalNoteName).join(',')}">${word.text}</PITCH></DURATION>`);
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" "Singing.v0_1.dtd" []>',
    `<SINGING BPM="${FESTIVAL_BPM}">`,
    ...lines,
    '</SINGING>',
    '',
  ].join('\n');
}

// Harmony: one chord per half bar (2 beats), on the whole timeline (intro bar, song, final chord).
interface Chord { bass: number; pad: number[]; pluck: number[] }
const CHORDS: Record<string, Chord> = {
  C: { bass: midiOf('C2'), pad: ['G3', 'C4', 'E4'].map(midiOf), pluck: ['E4', 'G4', 'C5', 'E5'].map(midiOf) },
  F: { bass: midiOf('F2'), pad: ['A3', 'C4', 'F4'].map(midiOf), pluck: ['F4', 'A4', 'C5', 'F5'].map(midiOf) },
  G: { bass: midiOf('G2'), pad: ['G3', 'B3', 'D4'].map(midiOf), pluck: ['D4', 'G4', 'B4', 'D5'].map(midiOf) },
  G7: { bass: midiOf('G2'), pad: ['F3', 'B3', 'D4'].map(midiOf), pluck: ['D4', 'F4', 'B4', 'D5'].map(midiOf) },
};
const INTRO_CHORDS = ['C', 'G7'];
const SONG_CHORDS = [
  'C', 'C', 'F', 'C', /* twinkle twinkle little star */
  'F', 'C', 'G', 'C', /* how I wonder what you are */
  'C', 'F', 'C', 'G', /* up above the world so high */
  'C', 'F', 'C', 'G', /* like a diamond in the sky */
  'C', 'C', 'F', 'C',
  'F', 'C', 'G7', 'C',
];
if (SONG_CHORDS.length * 2 !== SONG_BEATS) throw new Error('chords do not cover the song');

const TOTAL_SECONDS = (INTRO_BEATS + SONG_BEATS) * BEAT + TAIL_SECONDS;
const TOTAL = Math.round(TOTAL_SECONDS * SR);

// ---------------------------------------------------------------------------------------------
// Synthesis helpers
// ---------------------------------------------------------------------------------------------

class Bus {
  readonly L = new Float32Array(TOTAL);
  readonly R = new Float32Array(TOTAL);
  /** Adds a mono signal at sample `at`, equal-power panned (pan −1 left … +1 right). */
  add(x: ArrayLike<number>, at: number, gain: number, pan: number): void {
    const a = ((pan + 1) * Math.PI) / 4;
    const gl = gain * Math.cos(a) * Math.SQRT2, gr = gain * Math.sin(a) * Math.SQRT2;
    for (let i = 0; i < x.length; i++) {
      const j = at + i;
      if (j < 0) continue;
      if (j >= TOTAL) break;
      this.L[j] += gl * x[i];
      this.R[j] += gr * x[i];
    }
  }
  mixInto(dst: Bus, gain: number): void {
    for (let i = 0; i < TOTAL; i++) { dst.L[i] += gain * this.L[i]; dst.R[i] += gain * this.R[i]; }
  }
}

/** RBJ biquad, direct form I, in place. */
function biquad(x: Float32Array, type: 'lowpass' | 'highpass' | 'bandpass', f0: number, q: number, rate = SR): Float32Array {
  const w0 = (2 * Math.PI * f0) / rate, cw = Math.cos(w0), alpha = Math.sin(w0) / (2 * q);
  let b0: number, b1: number, b2: number;
  if (type === 'lowpass') { b0 = (1 - cw) / 2; b1 = 1 - cw; b2 = b0; }
  else if (type === 'highpass') { b0 = (1 + cw) / 2; b1 = -(1 + cw); b2 = b0; }
  else { b0 = alpha; b1 = 0; b2 = -alpha; }
  const a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    const y0 = (b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
    x2 = x1; x1 = x0; y2 = y1; y1 = y0;
    x[i] = y0;
  }
  return x;
}

const at = (seconds: number) => Math.round(seconds * SR);
/** Seconds of a beat on the whole timeline (beat 0 = start of the intro). */
const beatTime = (beat: number) => beat * BEAT;

/** Plucked string: Karplus–Strong with an allpass for exact tuning and a soft, seeded excitation. */
function pluck(rng: Random, f: number, seconds: number, brightness: number, decaySeconds: number): Float32Array {
  const n = at(seconds);
  const out = new Float32Array(n);
  const period = SR / f;
  const N = Math.floor(period - 0.5);
  const frac = period - 0.5 - N; // the averaging filter delays 0.5 samples, the allpass the rest
  const c = (1 - frac) / (1 + frac);
  const line = new Float32Array(N);
  // Excitation: seeded noise, low-passed (softer pick) and with its mean removed.
  let lp = 0, mean = 0;
  for (let i = 0; i < N; i++) { lp += brightness * (rng.next() * 2 - 1 - lp); line[i] = lp; mean += lp; }
  mean /= N;
  for (let i = 0; i < N; i++) line[i] -= mean;
  // Loop gain per period so that the string decays by 60 dB in decaySeconds.
  const g = 10 ** (-3 / (decaySeconds * f));
  let idx = 0, prev = 0, apX = 0, apY = 0;
  for (let i = 0; i < n; i++) {
    const cur = line[idx];
    const avg = 0.5 * (cur + prev) * g;
    prev = cur;
    const y = c * avg + apX - c * apY; // first-order allpass
    apX = avg; apY = y;
    line[idx] = y;
    idx = idx + 1 === N ? 0 : idx + 1;
    out[i] = cur;
  }
  // Short fade at the end so a cut-off string does not click.
  const fade = Math.min(n, at(0.02));
  for (let i = 0; i < fade; i++) out[n - 1 - i] *= i / fade;
  return out;
}

/** Soft pad: two slightly detuned additive saws with a gentle roll-off, slow attack and release. */
function padNote(rng: Random, f: number, holdSeconds: number, releaseSeconds: number): Float32Array {
  const n = at(holdSeconds + releaseSeconds), hold = at(holdSeconds);
  const out = new Float32Array(n);
  const attack = at(0.18), rel = at(releaseSeconds);
  for (const detune of [-0.004, 0.004]) {
    const fd = f * (1 + detune);
    for (let k = 1; k * fd < 5000; k++) {
      const amp = (1 / k) * Math.exp(-k / 5);
      const w0 = (2 * Math.PI * k * fd) / SR, ph = rng.next() * 2 * Math.PI;
      for (let i = 0; i < n; i++) out[i] += amp * Math.sin(w0 * i + ph);
    }
  }
  for (let i = 0; i < n; i++) {
    let e = i < attack ? Math.sin((0.5 * Math.PI * i) / attack) ** 2 : 1;
    if (i >= hold) e *= Math.cos((0.5 * Math.PI * (i - hold)) / rel) ** 2;
    // a slow swell inside the chord keeps it from sounding static
    out[i] *= 0.5 * e * (0.85 + 0.15 * Math.sin((2 * Math.PI * 0.7 * i) / SR));
  }
  return out;
}

/** Bass: a few harmonics with a plucked envelope, slightly saturated. */
function bassNote(f: number, holdSeconds: number): Float32Array {
  const release = 0.04;
  const n = at(holdSeconds + release), hold = at(holdSeconds);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    let s = 0;
    for (let k = 1; k <= 6; k++) s += (Math.exp(-t * (1.5 + 2.5 * k)) / k ** 1.3) * Math.sin(2 * Math.PI * k * f * t);
    let e = Math.min(1, t / 0.004);
    if (i >= hold) e *= 1 - (i - hold) / (n - hold);
    out[i] = Math.tanh(1.5 * s * e) / 1.5;
  }
  return out;
}

function kick(rng: Random): Float32Array {
  const n = at(0.45);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    phase += (2 * Math.PI * (48 + 95 * Math.exp(-t / 0.035))) / SR;
    out[i] = Math.sin(phase) * Math.exp(-t / 0.16) + (t < 0.004 ? 0.3 * (rng.next() * 2 - 1) * (1 - t / 0.004) : 0);
  }
  return out;
}

function snare(rng: Random): Float32Array {
  const n = at(0.3);
  const noise = new Float32Array(n);
  for (let i = 0; i < n; i++) noise[i] = rng.next() * 2 - 1;
  biquad(noise, 'highpass', 1200, 0.7);
  biquad(noise, 'lowpass', 9000, 0.7);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    out[i] = 0.8 * noise[i] * Math.exp(-t / 0.09)
      + 0.5 * Math.exp(-t / 0.05) * (Math.sin(2 * Math.PI * 185 * t) + 0.5 * Math.sin(2 * Math.PI * 330 * t));
  }
  return out;
}

/** Hi-hat (or crash, with a long decay): seeded noise high-passed above 7 kHz with a bright resonance. */
function metal(rng: Random, decaySeconds: number, highpassHz: number): Float32Array {
  const n = at(Math.min(decaySeconds * 7, 4));
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.next() * 2 - 1;
  biquad(x, 'highpass', highpassHz, 0.7);
  biquad(x, 'highpass', highpassHz, 0.7);
  const ring = biquad(x.slice(), 'bandpass', 10500, 3);
  for (let i = 0; i < n; i++) x[i] = (x[i] + 1.5 * ring[i]) * Math.exp(-i / SR / decaySeconds);
  return x;
}

/** A small Schroeder reverb (4 combs + 2 allpasses per side, different lengths left and right). */
function reverb(src: Bus, dst: Bus, wet: number): void {
  const side = (x: Float32Array, y: Float32Array, spread: number) => {
    const combs = [1557, 1617, 1491, 1422].map((d) => d + spread);
    const acc = new Float32Array(TOTAL);
    for (const d of combs) {
      const buf = new Float32Array(d);
      let idx = 0, lp = 0;
      for (let i = 0; i < TOTAL; i++) {
        const out = buf[idx];
        lp = out * 0.7 + lp * 0.3; // damping
        buf[idx] = x[i] + lp * 0.8;
        idx = idx + 1 === d ? 0 : idx + 1;
        acc[i] += out / combs.length;
      }
    }
    for (const d of [556 + spread, 441 + spread]) {
      const buf = new Float32Array(d);
      let idx = 0;
      for (let i = 0; i < TOTAL; i++) {
        const b = buf[idx];
        const out = -acc[i] + b;
        buf[idx] = acc[i] + b * 0.5;
        idx = idx + 1 === d ? 0 : idx + 1;
        acc[i] = out;
      }
    }
    for (let i = 0; i < TOTAL; i++) y[i] += wet * acc[i];
  };
  side(src.L, dst.L, 0);
  side(src.R, dst.R, 23);
}

function rms(...xs: Float32Array[]): number {
  let s = 0, n = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) { s += x[i] * x[i]; n++; }
  return Math.sqrt(s / Math.max(1, n));
}
const db = (x: number) => 20 * Math.log10(Math.max(x, 1e-12));

// ---------------------------------------------------------------------------------------------
// The accompaniment
// ---------------------------------------------------------------------------------------------

function renderAccompaniment(): { acc: Bus; levels: Record<string, number> } {
  const rng = new Random(SEED);
  const bass = new Bus(), pad = new Bus(), pl = new Bus(), drums = new Bus();
  const chords = [...INTRO_CHORDS, ...SONG_CHORDS];
  const endBeat = INTRO_BEATS + SONG_BEATS;

  chords.forEach((name, slot) => {
    const ch = CHORDS[name], b0 = slot * 2;
    // Pad: the chord held for its half bar, released into the next.
    for (const m of ch.pad) pad.add(padNote(rng, hz(m), 2 * BEAT, 0.35), at(beatTime(b0)), 1, 0.55);
    // Bass: root (quarter), root (eighth), fifth or octave (eighth).
    const isLast = slot === chords.length - 1;
    bass.add(bassNote(hz(ch.bass), 0.9 * BEAT), at(beatTime(b0)), 1, 0);
    bass.add(bassNote(hz(ch.bass), 0.45 * BEAT), at(beatTime(b0 + 1)), 0.8, 0);
    bass.add(bassNote(hz(ch.bass + (isLast ? 12 : 7)), 0.45 * BEAT), at(beatTime(b0 + 1.5)), 0.8, 0);
    // Plucked arpeggio in eighths, rolling up then turning round.
    const pattern = slot % 2 === 0 ? [0, 1, 2, 3] : [3, 2, 1, 2];
    pattern.forEach((p, k) => {
      const vel = k === 0 ? 1 : 0.72;
      pl.add(pluck(rng, hz(ch.pluck[p]), 1.6, 0.55, 1.4), at(beatTime(b0 + 0.5 * k)), vel, -0.55);
    });
  });

  // Drums: kick on 1 and 3 (and the "and" of 3 every other bar), snare on 2 and 4, hats in eighths.
  for (let bar = 0; bar * 4 < endBeat; bar++) {
    const b = bar * 4;
    drums.add(kick(rng), at(beatTime(b)), 0.9, 0);
    drums.add(kick(rng), at(beatTime(b + 2)), 0.8, 0);
    if (bar % 2 === 1) drums.add(kick(rng), at(beatTime(b + 2.5)), 0.5, 0);
    drums.add(snare(rng), at(beatTime(b + 1)), 0.45, -0.2);
    drums.add(snare(rng), at(beatTime(b + 3)), 0.45, -0.2);
    for (let k = 0; k < 8; k++) {
      const open = k === 7 && bar % 4 === 3;
      drums.add(metal(rng, open ? 0.12 : 0.03, 7000), at(beatTime(b + 0.5 * k)), k % 2 === 0 ? 0.35 : 0.22, 0.45);
    }
  }

  // Ending: a strummed C chord over a low C, a kick and a crash, ringing out.
  const end = beatTime(endBeat);
  const strum = [midiOf('C3'), midiOf('G3'), ...CHORDS.C.pluck, midiOf('G5')];
  strum.forEach((m, k) => pl.add(pluck(rng, hz(m), TAIL_SECONDS, 0.5, 2.2), at(end + 0.03 * k), 0.8, -0.55 + 0.1 * k));
  for (const m of CHORDS.C.pad) pad.add(padNote(rng, hz(m), 0.6, TAIL_SECONDS - 0.6), at(end), 1, 0.55);
  bass.add(bassNote(hz(CHORDS.C.bass), TAIL_SECONDS - 0.05), at(end), 1, 0);
  drums.add(kick(rng), at(end), 1, 0);
  drums.add(metal(rng, 0.5, 5000), at(end), 0.35, 0.3);

  const levels: Record<string, number> = {};
  for (const [name, bus] of Object.entries({ bass, pad, pluck: pl, drums })) levels[name] = db(rms(bus.L, bus.R));

  // Balance the parts by their RMS (dB relative to one another), then add a little reverb.
  const target: Record<string, number> = { bass: -1, pad: -8, pluck: -4, drums: -5 };
  const acc = new Bus(), send = new Bus();
  for (const [name, bus] of Object.entries({ bass, pad, pluck: pl, drums })) {
    const g = 10 ** ((target[name] - levels[name]) / 20);
    bus.mixInto(acc, g);
    if (name === 'pad' || name === 'pluck') bus.mixInto(send, g);
    if (name === 'drums') bus.mixInto(send, 0.3 * g);
  }
  reverb(send, acc, 0.35);

  // Fade the last half second to silence.
  const fade = at(0.5);
  for (let i = 0; i < fade; i++) { const g = i / fade; acc.L[TOTAL - 1 - i] *= g; acc.R[TOTAL - 1 - i] *= g; }
  return { acc, levels };
}

// ---------------------------------------------------------------------------------------------
// The voice
// ---------------------------------------------------------------------------------------------

function singVoice(workDir: string): { voice16k: Float32Array; rate: number } {
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
function cleanVoice(x: Float32Array, rate: number): { y: Float32Array; clipped: number } {
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

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/** Crude autocorrelation pitch per 50 ms and the share of voiced frames within a semitone of the score. */
function pitchCheck(x: Float32Array, rate: number): string {
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

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

function encodeWav16(L: Float32Array, R: Float32Array): Uint8Array {
  const n = L.length, dataLen = n * 4;
  const bytes = new Uint8Array(44 + dataLen);
  const v = new DataView(bytes.buffer);
  const put = (o: number, s: string) => { for (let i = 0; i < 4; i++) v.setUint8(o + i, s.charCodeAt(i)); };
  put(0, 'RIFF'); v.setUint32(4, 36 + dataLen, true); put(8, 'WAVE');
  put(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 2, true);
  v.setUint32(24, SR, true); v.setUint32(28, SR * 4, true); v.setUint16(32, 4, true); v.setUint16(34, 16, true);
  put(36, 'data'); v.setUint32(40, dataLen, true);
  const q = (s: number) => Math.max(-32768, Math.min(32767, Math.round(s * 32767)));
  for (let i = 0; i < n; i++) { v.setInt16(44 + 4 * i, q(L[i]), true); v.setInt16(46 + 4 * i, q(R[i]), true); }
  return bytes;
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const outDir = resolve(opt('--out') ?? join(root, 'public', 'demo'));
  const stemsArg = opt('--stems');
  const stemsDir = stemsArg ? resolve(stemsArg) : undefined;

  // 1. The voice, sung by Festival.
  const work = mkdtempSync(join(tmpdir(), 'voicesplit-demo-'));
  let raw: Float32Array, rate: number;
  try {
    ({ voice16k: raw, rate } = singVoice(work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`festival: ${(raw.length / rate).toFixed(2)} s at ${rate} Hz, peak ${db(raw.reduce((m, s) => Math.max(m, Math.abs(s)), 0)).toFixed(1)} dBFS, rms ${db(rms(raw)).toFixed(1)} dBFS`);
  console.log(`pitch check: ${pitchCheck(raw, rate)}`);
  const { y: clean, clipped: repaired } = cleanVoice(raw, rate);
  console.log(`clipped samples in Festival's output, redrawn: ${repaired}`);
  const voice44 = resampleSignal(clean, rate, SR);

  // 2. The accompaniment.
  const { acc, levels } = renderAccompaniment();
  console.log(`accompaniment parts (before balancing): ${Object.entries(levels).map(([k, v]) => `${k} ${v.toFixed(1)} dB`).join(', ')}`);

  // 3. The mix: voice centred from the first beat after the intro, at the chosen energy ratio.
  const voice = new Float32Array(TOTAL);
  const start = at(beatTime(INTRO_BEATS));
  voice.set(voice44.subarray(0, Math.min(voice44.length, TOTAL - start)), start);
  if (start + voice44.length > TOTAL) console.warn(`warning: voice runs ${((start + voice44.length - TOTAL) / SR).toFixed(2)} s past the end`);
  const voiceEnergy = 2 * rms(voice) ** 2, accEnergy = rms(acc.L) ** 2 + rms(acc.R) ** 2;
  const vg = Math.sqrt((accEnergy * 10 ** (VOICE_TO_ACCOMPANIMENT_DB / 10)) / voiceEnergy);
  const L = new Float32Array(TOTAL), R = new Float32Array(TOTAL);
  let peak = 0;
  for (let i = 0; i < TOTAL; i++) {
    L[i] = acc.L[i] + vg * voice[i];
    R[i] = acc.R[i] + vg * voice[i];
    peak = Math.max(peak, Math.abs(L[i]), Math.abs(R[i]));
  }
  const g = 10 ** (PEAK_DBFS / 20) / peak;
  for (let i = 0; i < TOTAL; i++) { L[i] *= g; R[i] *= g; voice[i] *= vg * g; acc.L[i] *= g; acc.R[i] *= g; }

  mkdirSync(outDir, { recursive: true });
  const wavPath = join(outDir, 'demo-song.wav');
  writeFileSync(wavPath, encodeWav16(L, R));
  const seconds = Math.round((TOTAL / SR) * 1000) / 1000;
  const meta = {
    title: 'Twinkle, Twinkle, Little Star',
    file: 'demo-song.wav',
    seconds,
    sampleRate: SR,
    channels: 2,
    credits: 'Twinkle, Twinkle, Little Star (trad. French tune, words by Jane Taylor, 1806), sung by the Festival kal_diphone voice (Alan W Black, Kevin Lenzo); accompaniment synthesised by voicesplit',
    licence: 'CC0-1.0 for the arrangement, accompaniment and mix; the sung voice is made from the Festival kal_diphone voice data, © 1998 Alan W Black and Kevin Lenzo, under its free licence (see README.md)',
  };
  writeFileSync(join(outDir, 'demo.json'), JSON.stringify(meta, null, 2) + '\n');

  if (stemsDir) {
    mkdirSync(stemsDir, { recursive: true });
    writeFileSync(join(stemsDir, 'voice.wav'), encodeWav({ sampleRate: SR, channels: [voice, voice.slice()] }));
    writeFileSync(join(stemsDir, 'accompaniment.wav'), encodeWav({ sampleRate: SR, channels: [acc.L, acc.R] }));
    writeFileSync(join(stemsDir, 'score.xml'), festivalXml());
  }

  // Checks on what was written.
  let clipped = 0, diff = 0, lr = 0, ll = 0, rr = 0, written = 0;
  for (let i = 0; i < TOTAL; i++) {
    written = Math.max(written, Math.abs(L[i]), Math.abs(R[i]));
    if (Math.abs(L[i]) >= 32767 / 32768 || Math.abs(R[i]) >= 32767 / 32768) clipped++;
    diff += (L[i] - R[i]) ** 2; lr += L[i] * R[i]; ll += L[i] * L[i]; rr += R[i] * R[i];
  }
  const vEnergy = 2 * rms(voice) ** 2, aEnergy = rms(acc.L) ** 2 + rms(acc.R) ** 2;
  console.log(`wrote ${relative(process.cwd(), wavPath) || wavPath}: ${seconds} s, ${statSync(wavPath).size} bytes, ` +
    `peak ${db(written).toFixed(2)} dBFS, clipped samples ${clipped}`);
  console.log(`voice/accompaniment ${(10 * Math.log10(vEnergy / aEnergy)).toFixed(2)} dB; L–R correlation ${(lr / Math.sqrt(ll * rr)).toFixed(3)}, ` +
    `side/mid energy ${(10 * Math.log10(diff / (ll + rr + 2 * lr))).toFixed(1)} dB`);
  if (stemsDir) console.log(`stems in ${stemsDir}`);
}

main();
