/**
 * The demo's accompaniment: the chords of the score played by the instruments of ./instruments.ts
 * (pad, bass, plucked arpeggio, drums, a final strummed chord), balanced, with a little reverb.
 */
import { Random } from '../../src/core/linalg/random.ts';
import { at, beatTime, Bus, db, reverb, rms } from './dsp.ts';
import { bassNote, kick, metal, padNote, pluck, snare } from './instruments.ts';
import { BEAT, CHORDS, hz, INTRO_BEATS, INTRO_CHORDS, midiOf, SONG_BEATS, SONG_CHORDS, TAIL_SECONDS, TOTAL } from './score.ts';

const SEED = 20240601;

export function renderAccompaniment(): { acc: Bus; levels: Record<string, number> } {
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
