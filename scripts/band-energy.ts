/**
 * npx tsx scripts/band-energy.ts [--model FILE] [--residual-weight B] [--model-band] [--no-presence-gate]
 *
 * Where a source alone goes, band by band: each voice and each accompaniment of ../shared/data/stems
 * goes through the separator by itself, and the energy of the input, the voice output and the
 * accompaniment output is printed per frequency band (dB, Hann-windowed 2048-point spectra). The
 * README's "why o is dead above 1.2 kHz" and "the band above 8 kHz" figures come from here;
 * --model-band leaves the band above the model's in the accompaniment (the separator's `fullBand: false`),
 * --no-presence-gate runs the network's mask without the presence gate (`presenceGate: false`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readModelFile } from '../src/cli/common.ts';
import { sharedData, shippedModelPath } from '../src/cli/paths.ts';
import { withResidualWeight } from '../src/core/model/model.ts';
import { bandEnergy } from '../src/eval/band-energy.ts';
import { separateChannels } from '../src/core/separate/separator.ts';
import { decodeWav } from '../src/io/wav.ts';

const EDGES = [0, 1000, 1600, 4000, 8000, 12000, 24000];

const { values: a } = parseArgs({ options: { model: { type: 'string' }, 'residual-weight': { type: 'string' }, 'model-band': { type: 'boolean' }, 'no-presence-gate': { type: 'boolean' } } });
let model = readModelFile(a.model ?? shippedModelPath);
if (a['residual-weight'] !== undefined) model = withResidualWeight(model, Number(a['residual-weight']));
const db = (x: number) => (x > 0 ? (10 * Math.log10(x)).toFixed(0) : '-inf').padStart(5);
console.log(`model ${a.model ?? shippedModelPath}, residual weight ${model.header.residualWeight}${a['model-band'] ? ', model band only' : ''}${a['no-presence-gate'] ? ', no presence gate' : ''}; energy in dB per band: input / voice output / accompaniment output`);
console.log(`${''.padEnd(34)}${EDGES.slice(0, -1).map((e, b) => `${e}–${EDGES[b + 1]} Hz`.padStart(20)).join('')}`);
for (const item of ['music_delta_80s_rock', 'ikala_10161_chorus']) {
  for (const part of ['voice', 'accomp']) {
    const audio = decodeWav(new Uint8Array(readFileSync(join(sharedData, 'stems', item, `${part}.wav`))));
    const r = separateChannels(model, audio.sampleRate, audio.channels, { fullBand: !a['model-band'], presenceGate: !a['no-presence-gate'] });
    const [x, v, acc] = [audio.channels[0], r.voice[0], r.accomp[0]].map((s) => bandEnergy(s, audio.sampleRate, EDGES));
    console.log(`${`${item}, ${part} alone`.padEnd(34)}${[...x].map((_, b) => `${db(x[b])}/${db(v[b])}/${db(acc[b])}`.padStart(20)).join('')}`);
  }
}
