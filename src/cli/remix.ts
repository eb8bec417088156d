/**
 * More mixtures than there are clips: training items built from the voice of one clip and the
 * accompaniment of another, at random gains and a random circular shift, plus sources alone (a
 * singer at the microphone, an instrumental passage) so the network learns to leave a lone voice on
 * the voice output and a lone accompaniment on the other.
 *
 * Items are described first and built one at a time (`build`), so a run with thousands of remixes
 * holds one extra clip at a time, not all of them.
 */
import type { Random } from '../core/linalg/random.ts';
import type { Item } from './dataset.ts';

export interface RemixPlan {
  /** Voice-and-accompaniment mixtures of different clips. */
  mixtures: number;
  /** Voice alone (accompaniment silent): from the clips' voices and the extra voices. */
  voiceAlone: number;
  /** Accompaniment alone (voice silent). */
  accompAlone: number;
  /** Each source's gain is drawn uniformly in ±gainDb (so the voice-to-accompaniment ratio spans twice that). */
  gainDb: number;
}

export interface RemixRecipe {
  name: string;
  voice: number | null;
  accomp: number | null;
  voiceGain: number;
  accompGain: number;
  shift: number;
}

/**
 * Draws the recipes: sources are indices into `voices` and `accomps` (the training clips' sources,
 * plus any extra voices at the end of `voices`); a mixture never pairs a clip with itself.
 */
export function planRemixes(voices: Float32Array[], accomps: Float32Array[], plan: RemixPlan, rng: Random): RemixRecipe[] {
  const gain = () => 10 ** ((plan.gainDb * (2 * rng.next() - 1)) / 20);
  const recipes: RemixRecipe[] = [];
  for (let k = 0; k < plan.mixtures; k++) {
    const v = rng.int(voices.length);
    let a = rng.int(accomps.length);
    if (a === v && accomps.length > 1) a = (a + 1 + rng.int(accomps.length - 1)) % accomps.length;
    recipes.push({ name: `remix${k}`, voice: v, accomp: a, voiceGain: gain(), accompGain: gain(), shift: rng.int(accomps[a].length) });
  }
  for (let k = 0; k < plan.voiceAlone; k++) {
    recipes.push({ name: `voice${k}`, voice: rng.int(voices.length), accomp: null, voiceGain: gain(), accompGain: 0, shift: 0 });
  }
  for (let k = 0; k < plan.accompAlone; k++) {
    recipes.push({ name: `accomp${k}`, voice: null, accomp: rng.int(accomps.length), voiceGain: 0, accompGain: gain(), shift: 0 });
  }
  return recipes;
}

/** Length of the item a recipe builds: the voice's, or the accompaniment's when there is no voice. */
export function recipeLength(r: RemixRecipe, voices: Float32Array[], accomps: Float32Array[]): number {
  return r.voice !== null ? voices[r.voice].length : accomps[r.accomp!].length;
}

/** Builds one item: the accompaniment is shifted circularly and repeated to the voice's length. */
export function buildRemix(r: RemixRecipe, voices: Float32Array[], accomps: Float32Array[], sampleRate: number): Item {
  const n = recipeLength(r, voices, accomps);
  const voice = new Float32Array(n), accomp = new Float32Array(n);
  if (r.voice !== null) {
    const src = voices[r.voice];
    for (let i = 0; i < n; i++) voice[i] = r.voiceGain * src[i];
  }
  if (r.accomp !== null) {
    const src = accomps[r.accomp];
    for (let i = 0; i < n; i++) accomp[i] = r.accompGain * src[(i + r.shift) % src.length];
  }
  return { name: r.name, sampleRate, voice, accomp };
}

/** Cuts a long recording into pieces of about `seconds` (the last piece keeps the remainder). */
export function segments(signal: Float32Array, sampleRate: number, seconds: number): Float32Array[] {
  const size = Math.round(seconds * sampleRate);
  const out: Float32Array[] = [];
  for (let i = 0; i < signal.length; i += size) {
    const end = signal.length - (i + size) < size / 2 ? signal.length : i + size;
    out.push(signal.subarray(i, end));
    if (end === signal.length) break;
  }
  return out;
}
