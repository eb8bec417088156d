/**
 * npx tsx scripts/listening-check.ts [--out DIR]
 *
 * The README's listening check, ready to play: for each song, the mixture and, before and now, the
 * voice solo and the karaoke track, as WAV files in DIR (default out/listening/). "Before" is the
 * model shipped until issue 9 (models/quality/0-before.nnrnmf) run as the separator ran it then
 * (the model's band only, no presence gate); "now" is the shipped model with the separator's
 * defaults, as the page runs it. Each file is what the page's faders give with one fader at zero.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readModelFile } from '../src/cli/common.ts';
import { listItems, mixture } from '../src/cli/dataset.ts';
import { repoRoot, sharedData, shippedModelPath } from '../src/cli/paths.ts';
import { separateChannels, type SeparatorOptions } from '../src/core/separate/separator.ts';
import { decodeWav, encodeWav, type Audio } from '../src/io/wav.ts';

const { values: a } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = a.out ?? join(repoRoot, 'out', 'listening');

const demo = join(repoRoot, 'public', 'demo', 'demo-song.wav');
const songs: { name: string; audio: Audio }[] = [
  { name: 'demo-song', audio: decodeWav(new Uint8Array(readFileSync(demo)), demo) },
  // The full-band stems (music_delta_80s_rock, ikala_10161_chorus): voice + accompaniment.
  ...listItems(join(sharedData, 'stems')).map((ref) => {
    const item = ref.load();
    return { name: item.name, audio: { sampleRate: item.sampleRate, channels: [mixture(item)] } };
  }),
];
const runs: { name: string; file: string; opts: SeparatorOptions }[] = [
  { name: 'before', file: join(repoRoot, 'models', 'quality', '0-before.nnrnmf'), opts: { fullBand: false, presenceGate: false } },
  { name: 'now', file: shippedModelPath, opts: {} },
];

for (const song of songs) {
  const dir = join(outDir, song.name);
  mkdirSync(dir, { recursive: true });
  const write = (name: string, channels: Float32Array[]) => writeFileSync(join(dir, `${name}.wav`), encodeWav({ sampleRate: song.audio.sampleRate, channels }));
  write('mixture', song.audio.channels);
  for (const run of runs) {
    const r = separateChannels(readModelFile(run.file), song.audio.sampleRate, song.audio.channels, run.opts);
    write(`${run.name}-voice-solo`, r.voice);
    write(`${run.name}-karaoke`, r.accomp);
  }
  console.log(`${dir}: mixture, before-voice-solo, before-karaoke, now-voice-solo, now-karaoke (.wav)`);
}
