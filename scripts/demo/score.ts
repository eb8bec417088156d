/**
 * The demo song's score and timeline: the sung melody and words (as Festival's singing mode reads
 * them), the chords of the accompaniment, and the beat grid both are placed on.
 */

/** Sample rate of the demo song (Hz). */
export const SR = 44100;
/** BPM attribute of the Festival score. */
const FESTIVAL_BPM = 100;
/**
 * Seconds per beat. Festival's singing-mode.scm converts beats to seconds with
 * bps = BPM / 50 (sic: "change this back to 60"), so BPM="100" gives 0.5 s beats (120 real BPM).
 */
export const BEAT = 50 / FESTIVAL_BPM;
/** One bar (4/4) of accompaniment before the voice enters. */
export const INTRO_BEATS = 4;
/** Seconds the final chord rings after the last sung note. */
export const TAIL_SECONDS = 2;

const NOTE_OFFSETS: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** MIDI number of a note in scientific pitch notation ("C4" = 60 = middle C). */
export function midiOf(name: string): number {
  const m = /^([A-G])([#b]?)(-?\d)$/.exec(name);
  if (!m) throw new Error(`bad note ${name}`);
  return 12 * (Number(m[3]) + 1) + NOTE_OFFSETS[m[1]] + (m[2] === '#' ? 1 : m[2] === 'b' ? -1 : 0);
}

/** Festival's NOTE names count octaves from MIDI 0 (A5 = 440 Hz): one octave above scientific. */
function festivalNoteName(name: string): string {
  const m = /^([A-G][#b]?)(-?\d)$/.exec(name)!;
  return `${m[1]}${Number(m[2]) + 1}`;
}

export const hz = (midi: number) => 440 * 2 ** ((midi - 69) / 12);

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
export const NOTES: { start: number; beats: number; midi: number }[] = [];
{
  let t = 0;
  for (const word of SCORE) {
    if (word.notes.length !== word.beats.length) throw new Error(`score: ${word.text}`);
    word.notes.forEach((n, i) => { NOTES.push({ start: t, beats: word.beats[i], midi: midiOf(n) }); t += word.beats[i]; });
  }
}
export const SONG_BEATS = NOTES[NOTES.length - 1].start + NOTES[NOTES.length - 1].beats; // 48

export function festivalXml(): string {
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
export const CHORDS: Record<string, Chord> = {
  C: { bass: midiOf('C2'), pad: ['G3', 'C4', 'E4'].map(midiOf), pluck: ['E4', 'G4', 'C5', 'E5'].map(midiOf) },
  F: { bass: midiOf('F2'), pad: ['A3', 'C4', 'F4'].map(midiOf), pluck: ['F4', 'A4', 'C5', 'F5'].map(midiOf) },
  G: { bass: midiOf('G2'), pad: ['G3', 'B3', 'D4'].map(midiOf), pluck: ['D4', 'G4', 'B4', 'D5'].map(midiOf) },
  G7: { bass: midiOf('G2'), pad: ['F3', 'B3', 'D4'].map(midiOf), pluck: ['D4', 'F4', 'B4', 'D5'].map(midiOf) },
};
export const INTRO_CHORDS = ['C', 'G7'];
export const SONG_CHORDS = [
  'C', 'C', 'F', 'C', /* twinkle twinkle little star */
  'F', 'C', 'G', 'C', /* how I wonder what you are */
  'C', 'F', 'C', 'G', /* up above the world so high */
  'C', 'F', 'C', 'G', /* like a diamond in the sky */
  'C', 'C', 'F', 'C',
  'F', 'C', 'G7', 'C',
];
if (SONG_CHORDS.length * 2 !== SONG_BEATS) throw new Error('chords do not cover the song');

const TOTAL_SECONDS = (INTRO_BEATS + SONG_BEATS) * BEAT + TAIL_SECONDS;
export const TOTAL = Math.round(TOTAL_SECONDS * SR);
