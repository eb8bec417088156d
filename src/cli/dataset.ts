/**
 * Data sets on disk, in either layout:
 *
 * - MIR-1K: DIR/Wavfile/*.wav, stereo, left = accompaniment, right = voice (the mixture is their
 *   sum); an optional DIR/splits.csv (clip,singer,split) selects a split.
 * - stems: DIR/<item>/voice.wav + DIR/<item>/accomp.wav (or accompaniment.wav), same rate and
 *   length; multichannel stems are averaged to mono.
 *
 * Items load lazily; every problem (missing folder, wrong layout, empty split, unreadable file)
 * raises a DataError with a message that names the path.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resampleSignal } from '../core/signal/resample.ts';
import { decodeWav, type Audio } from '../io/wav.ts';
import { entryKind, errnoReason } from './fs-errors.ts';

export class DataError extends Error {
  override name = 'DataError';
}

export interface ItemRef {
  name: string;
  /** Singer (MIR-1K) or item folder (stems): clips of one group never straddle train/validation. */
  group: string;
  load(): Item;
}

export interface Item {
  name: string;
  sampleRate: number;
  voice: Float32Array;
  accomp: Float32Array;
}

/**
 * Reads a whole file; a missing or unreadable one raises a DataError that names it, as does a folder
 * or a FIFO (which would wait for a writer forever).
 */
export function readBytes(path: string, what = 'file'): Uint8Array {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataError(`${path}: is ${entryKind(st)}, not a ${what}`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`${path}: no such ${what}`);
    if (code === 'ERR_FS_FILE_TOO_LARGE') throw new DataError(`${path}: too large to read whole (over 2 GiB)`);
    throw new DataError(`${path}: cannot read: ${errnoReason(e)}`);
  }
}

export function readAudioFile(path: string): Audio {
  return decodeWav(readBytes(path), path);
}

function mono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const out = new Float32Array(channels[0].length);
  for (const c of channels) for (let i = 0; i < out.length; i++) out[i] += c[i] / channels.length;
  return out;
}

function readSplits(dir: string): Map<string, string> | null {
  const path = join(dir, 'splits.csv');
  if (!existsSync(path)) return null;
  const rows = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const header = rows.shift()?.split(',') ?? [];
  const clip = header.indexOf('clip'), split = header.indexOf('split');
  if (clip < 0 || split < 0) throw new DataError(`${path}: expected the columns clip,split`);
  return new Map(rows.map((r) => r.split(',')).map((c) => [c[clip], c[split]]));
}

/**
 * The singers (clip-name prefixes) with clips in `split`, or an empty set where the folder has no
 * splits.csv or no such split. For the `extra` split: singers a product model may train on, so
 * their dev clips are not unseen singers for it.
 */
export function singersOfSplit(dir: string, split: string): Set<string> {
  const splits = readSplits(dir);
  return new Set([...(splits ?? new Map<string, string>())].filter(([, s]) => s === split).map(([clip]) => clip.split('_')[0]));
}

/** Lists the items of a data folder (optionally one split, or several joined by commas). */
export function listItems(dir: string, split?: string): ItemRef[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(`${dir}: no such folder`);
  const wavDir = join(dir, 'Wavfile');
  let refs: ItemRef[];
  if (existsSync(wavDir)) {
    const splits = split ? readSplits(dir) : null;
    if (split && !splits) throw new DataError(`${dir}: --split ${split} given but there is no splits.csv`);
    const wanted = split ? new Set(split.split(',')) : null;
    refs = readdirSync(wavDir)
      .filter((f) => f.toLowerCase().endsWith('.wav'))
      .sort()
      .map((f) => f.slice(0, -4))
      .filter((name) => !wanted || wanted.has(splits!.get(name) ?? ''))
      .map((name) => ({
        name,
        group: name.split('_')[0],
        load: (): Item => {
          const path = join(wavDir, `${name}.wav`);
          const a = readAudioFile(path);
          if (a.channels.length !== 2) throw new DataError(`${path}: MIR-1K clips are stereo (left accompaniment, right voice), this has ${a.channels.length} channel(s)`);
          return { name, sampleRate: a.sampleRate, accomp: a.channels[0], voice: a.channels[1] };
        },
      }));
  } else {
    if (split) throw new DataError(`${dir}: --split applies to MIR-1K folders (Wavfile/ + splits.csv); this folder has none`);
    refs = readdirSync(dir)
      .filter((d) => existsSync(join(dir, d, 'voice.wav')))
      .sort()
      .map((d) => ({
        name: d,
        group: d,
        load: (): Item => {
          const voicePath = join(dir, d, 'voice.wav');
          const accPath = ['accomp.wav', 'accompaniment.wav'].map((f) => join(dir, d, f)).find((p) => existsSync(p));
          if (!accPath) throw new DataError(`${join(dir, d)}: has voice.wav but no accomp.wav`);
          const v = readAudioFile(voicePath), a = readAudioFile(accPath);
          if (v.sampleRate !== a.sampleRate) throw new DataError(`${join(dir, d)}: voice at ${v.sampleRate} Hz, accompaniment at ${a.sampleRate} Hz`);
          const voice = mono(v.channels), accomp = mono(a.channels);
          const n = Math.min(voice.length, accomp.length);
          if (Math.abs(voice.length - accomp.length) > 1) throw new DataError(`${join(dir, d)}: voice and accompaniment differ in length (${voice.length} vs ${accomp.length} samples)`);
          return { name: d, sampleRate: v.sampleRate, voice: voice.subarray(0, n), accomp: accomp.subarray(0, n) };
        },
      }));
    if (refs.length === 0) {
      throw new DataError(`${dir}: wrong layout — expected MIR-1K (${basename(dir)}/Wavfile/*.wav) or stems (${basename(dir)}/<item>/voice.wav + accomp.wav)`);
    }
  }
  if (refs.length === 0) throw new DataError(`${dir}: no clips${split ? ` in split "${split}"` : ''}`);
  return refs;
}

/** Loads an item at the given rate (resampled if needed). */
export function loadAt(ref: ItemRef, rate: number): Item {
  const item = ref.load();
  if (item.sampleRate === rate) return item;
  return {
    name: item.name,
    sampleRate: rate,
    voice: resampleSignal(item.voice, item.sampleRate, rate),
    accomp: resampleSignal(item.accomp, item.sampleRate, rate),
  };
}

export function mixture(item: Item): Float32Array {
  const x = new Float32Array(item.voice.length);
  for (let i = 0; i < x.length; i++) x[i] = item.voice[i] + item.accomp[i];
  return x;
}

/** The recordings of a voice-only folder (DIR/<item>/voice.wav), each averaged to mono. */
export function listVoices(dir: string): { name: string; sampleRate: number; signal: Float32Array }[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(`${dir}: no such folder`);
  const names = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'voice.wav'))).sort();
  if (names.length === 0) throw new DataError(`${dir}: no <item>/voice.wav here`);
  return names.map((name) => {
    const a = readAudioFile(join(dir, name, 'voice.wav'));
    return { name, sampleRate: a.sampleRate, signal: mono(a.channels) };
  });
}
