/**
 * Training data from the files a person gives the page: decoded clips in, the frame sets of
 * src/core/network/train.ts out (frames from src/core/signal/features.ts, normalised exactly as the separator
 * normalises them), with a validation split and every problem a person can meet turned into a
 * {@link TrainDataError} with a message for the page.
 *
 * Regimes (the paper's §3.1, as `npm run train` has them):
 *   supervised       voice + accompaniment stems in pairs (the same recording): mixture = their sum,
 *                    targets = each stem
 *   semi-supervised  isolated sources: voice-only files (accompaniment target 0) and
 *                    accompaniment-only files (voice target 0); the stems of a pair count as one
 *                    of each
 *   unsupervised     mixtures alone (and the sums of any pairs): the RNMF objective, no targets
 *
 * Each clip is mixed down to mono and resampled to the model's rate; the last fifth of each clip's
 * frames (a contiguous stretch, so validation frames are not neighbours of training frames) is kept
 * for validation.
 *
 * Pure TypeScript (no DOM): runs in the training worker, and in Node for tests.
 */
import { clipFrames } from '../../core/signal/features.ts';
import { colRange, mat, type Mat } from '../../core/linalg/matrix.ts';
import type { ModelHeader } from '../../core/model/model.ts';
import { resampleSignal } from '../../core/signal/resample.ts';
import type { FrameSet, Regime } from '../../core/network/train.ts';

/** A decoded file: its name (for messages), rate and channels. */
export interface AudioClip {
  name: string;
  sampleRate: number;
  channels: Float32Array[];
}

export interface TrainFiles {
  /** Voice and accompaniment stems of the same recordings, paired. */
  pairs: { voice: AudioClip; accomp: AudioClip }[];
  voiceOnly: AudioClip[];
  accompOnly: AudioClip[];
  mixtures: AudioClip[];
}

export class TrainDataError extends Error {
  override name = 'TrainDataError';
}

export interface TrainData {
  train: FrameSet;
  val: FrameSet;
  /** Seconds of audio the frames come from, and how many clips. */
  seconds: number;
  clips: number;
}

type HeaderLike = Pick<ModelHeader, 'fftSize' | 'hop' | 'sampleRate' | 'levelTau' | 'm'>;

/** At least this much usable audio, or training is refused. */
export const MIN_SECONDS = 2;
/** A voice/accompaniment pair may differ in length by this much (seconds); the longer is trimmed. */
export const PAIR_TOLERANCE = 0.1;
export const VAL_FRACTION = 0.2;

const seconds = (c: AudioClip) => (c.channels[0]?.length ?? 0) / c.sampleRate;
const fmt = (s: number) => `${s.toFixed(s < 10 ? 2 : 1)} s`;

/** Mono at the model's rate (the mean of the channels). */
export function monoAt(clip: AudioClip, rate: number): Float32Array {
  const chs = clip.channels, n = chs[0]?.length ?? 0;
  const mono = new Float32Array(n);
  for (const ch of chs) for (let i = 0; i < n; i++) mono[i] += ch[i] / chs.length;
  for (let i = 0; i < n; i++) if (!Number.isFinite(mono[i])) mono[i] = 0;
  return clip.sampleRate === rate ? mono : resampleSignal(mono, clip.sampleRate, rate);
}

/** One clip's frames: mixture x and, if given, targets (m × frames each). */
interface ClipSet {
  x: Mat;
  voice?: Mat;
  accomp?: Mat;
}

/** Which clips a regime uses, and what it says when it has none. */
function plan(regime: Regime, files: TrainFiles): { use: (header: HeaderLike) => ClipSet[]; count: number; seconds: number } {
  const { pairs, voiceOnly, accompOnly, mixtures } = files;
  const names = (cs: AudioClip[]) => cs.map((c) => `“${c.name}”`).join(', ');
  for (const p of pairs) {
    const dv = seconds(p.voice), da = seconds(p.accomp);
    if (Math.abs(dv - da) > PAIR_TOLERANCE) {
      throw new TrainDataError(`“${p.voice.name}” (${fmt(dv)}) and “${p.accomp.name}” (${fmt(da)}) differ in length: the voice and accompaniment of a pair must be stems of the same recording (pairs are made in file-name order).`);
    }
  }
  const pairAudio = (p: TrainFiles['pairs'][number], rate: number) => {
    const v = monoAt(p.voice, rate), a = monoAt(p.accomp, rate);
    const n = Math.min(v.length, a.length);
    return { v: v.subarray(0, n), a: a.subarray(0, n) };
  };
  if (regime === 'supervised') {
    if (pairs.length === 0) {
      throw new TrainDataError(voiceOnly.length || accompOnly.length
        ? `Supervised training needs voice and accompaniment stems in pairs: add the ${voiceOnly.length ? 'accompaniment' : 'voice'} stems of ${names(voiceOnly.length ? voiceOnly : accompOnly)}, or choose the semi-supervised regime.`
        : mixtures.length ? 'Supervised training needs voice and accompaniment stems; with mixtures only, choose the unsupervised regime.' : 'Choose voice and accompaniment stems to train on.');
    }
    return {
      count: pairs.length, seconds: pairs.reduce((s, p) => s + Math.min(seconds(p.voice), seconds(p.accomp)), 0),
      use: (h) => pairs.map((p) => {
        const { v, a } = pairAudio(p, h.sampleRate);
        const mix = v.map((x, i) => x + a[i]);
        const f = clipFrames(mix, [v, a], h);
        return { x: f.x, voice: f.sources[0], accomp: f.sources[1] };
      }),
    };
  }
  if (regime === 'semi-supervised') {
    const voices = [...voiceOnly, ...pairs.map((p) => p.voice)], accomps = [...accompOnly, ...pairs.map((p) => p.accomp)];
    if (voices.length + accomps.length === 0) {
      throw new TrainDataError(mixtures.length ? 'Semi-supervised training needs isolated voice or accompaniment recordings; with mixtures only, choose the unsupervised regime.' : 'Choose voice-only or accompaniment-only recordings to train on.');
    }
    const zero = (x: Mat) => mat(x.rows, x.cols);
    return {
      count: voices.length + accomps.length, seconds: [...voices, ...accomps].reduce((s, c) => s + seconds(c), 0),
      use: (h) => [
        ...voices.map((c) => {
          const x = clipFrames(monoAt(c, h.sampleRate), [], h).x;
          return { x, voice: x, accomp: zero(x) };
        }),
        ...accomps.map((c) => {
          const x = clipFrames(monoAt(c, h.sampleRate), [], h).x;
          return { x, voice: zero(x), accomp: x };
        }),
      ],
    };
  }
  if (mixtures.length + pairs.length === 0) {
    throw new TrainDataError(voiceOnly.length || accompOnly.length
      ? 'Unsupervised training learns from mixtures (songs with voice and accompaniment together): add mixtures, or choose the semi-supervised regime for isolated recordings.'
      : 'Choose mixtures (whole songs) to train on.');
  }
  return {
    count: mixtures.length + pairs.length, seconds: mixtures.reduce((s, c) => s + seconds(c), 0) + pairs.reduce((s, p) => s + Math.min(seconds(p.voice), seconds(p.accomp)), 0),
    use: (h) => [
      ...mixtures.map((c) => ({ x: clipFrames(monoAt(c, h.sampleRate), [], h).x })),
      ...pairs.map((p) => {
        const { v, a } = pairAudio(p, h.sampleRate);
        return { x: clipFrames(v.map((x, i) => x + a[i]), [], h).x };
      }),
    ],
  };
}

/** Concatenates the columns [from, to) of each clip's matrices. */
function gather(sets: ClipSet[], ranges: [number, number][], m: number, targets: boolean): FrameSet {
  const total = ranges.reduce((t, [a, b]) => t + b - a, 0);
  const x = mat(m, total), voice = targets ? mat(m, total) : undefined, accomp = targets ? mat(m, total) : undefined;
  let k = 0;
  sets.forEach((s, i) => {
    const [a, b] = ranges[i];
    if (b <= a) return;
    x.data.set(colRange(s.x, a, b).data, k * m);
    if (voice && s.voice) voice.data.set(colRange(s.voice, a, b).data, k * m);
    if (accomp && s.accomp) accomp.data.set(colRange(s.accomp, a, b).data, k * m);
    k += b - a;
  });
  return targets ? { x, voice, accomp } : { x };
}

/**
 * The training and validation frames for a regime; throws TrainDataError (with a message for the
 * page) for a missing kind of file, a pair whose stems differ in length, or too little audio.
 */
export function buildTrainData(regime: Regime, files: TrainFiles, header: HeaderLike): TrainData {
  const p = plan(regime, files);
  if (p.seconds < MIN_SECONDS) {
    throw new TrainDataError(`Too little audio to train on: ${fmt(p.seconds)} in all; at least ${MIN_SECONDS} s is needed (a minute or more gives a useful model).`);
  }
  const sets = p.use(header);
  const trainRanges: [number, number][] = [], valRanges: [number, number][] = [];
  for (const s of sets) {
    const F = s.x.cols;
    const val = F >= 5 ? Math.max(1, Math.round(F * VAL_FRACTION)) : 0;
    trainRanges.push([0, F - val]);
    valRanges.push([F - val, F]);
  }
  const targets = regime !== 'unsupervised';
  const train = gather(sets, trainRanges, header.m, targets), val = gather(sets, valRanges, header.m, targets);
  if (val.x.cols === 0 || train.x.cols === 0) {
    throw new TrainDataError(`Too little audio to train on: ${fmt(p.seconds)} in all; at least ${MIN_SECONDS} s is needed.`);
  }
  return { train, val, seconds: p.seconds, clips: p.count };
}
