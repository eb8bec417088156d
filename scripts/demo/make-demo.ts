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
 *
 * The parts: ./score.ts (melody, words, chords, timeline), ./voice.ts (Festival and the clean-up),
 * ./accompaniment.ts on ./instruments.ts and ./dsp.ts; this file mixes them and writes the files.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav } from '../../src/io/wav.ts';
import { resampleSignal } from '../../src/core/signal/resample.ts';
import { renderAccompaniment } from './accompaniment.ts';
import { at, beatTime, db, rms } from './dsp.ts';
import { festivalXml, INTRO_BEATS, SR, TOTAL } from './score.ts';
import { cleanVoice, pitchCheck, singVoice } from './voice.ts';

/** Voice-to-accompaniment energy ratio of the mix (MIR-1K mixes at 0 dB). */
const VOICE_TO_ACCOMPANIMENT_DB = 2;
/** Peak of the mix. */
const PEAK_DBFS = -1;

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
