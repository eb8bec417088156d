/**
 * npx tsx scripts/band-energy.ts [--model FILE] [--residual-weight B]
 *
 * Where a source alone goes, band by band: each voice and each accompaniment of ../shared/data/stems
 * goes through the separator by itself, and the energy of the input, the voice output and the
 * accompaniment output is printed per frequency band (dB, Hann-windowed 2048-point spectra). The
 * README's "why o is dead above 1.2 kHz" and "the band above 8 kHz" figures come from here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import FFT from 'fft.js';
import { readModelFile } from '../src/cli/common.ts';
import { sharedData, shippedModelPath } from '../src/cli/paths.ts';
import { withResidualWeight } from '../src/core/model/model.ts';
import { separateChannels } from '../src/core/separate/separator.ts';
import { decodeWav } from '../src/io/wav.ts';

const EDGES = [0, 1000, 1600, 4000, 8000, 12000, 24000];
const N = 2048;

/** Energy per band of EDGES (Hann windows, half overlap). */
function bandEnergy(x: Float32Array, rate: number): Float64Array {
  const fft = new FFT(N), out = fft.createComplexArray(), frame = new Array<number>(N).fill(0);
  const e = new Float64Array(EDGES.length - 1);
  for (let s = 0; s + N <= x.length; s += N / 2) {
    for (let i = 0; i < N; i++) frame[i] = x[s + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));
    fft.realTransform(out, frame);
    for (let k = 1; k < N / 2; k++) {
      const hz = (k * rate) / N, p = out[2 * k] ** 2 + out[2 * k + 1] ** 2;
      const b = EDGES.findIndex((edge, j) => hz >= edge && hz < EDGES[j + 1]);
      if (b >= 0) e[b] += p;
    }
  }
  return e;
}

const { values: a } = parseArgs({ options: { model: { type: 'string' }, 'residual-weight': { type: 'string' } } });
let model = readModelFile(a.model ?? shippedModelPath);
if (a['residual-weight'] !== undefined) model = withResidualWeight(model, Number(a['residual-weight']));
const db = (x: number) => (x > 0 ? (10 * Math.log10(x)).toFixed(0) : '-inf').padStart(5);
console.log(`model ${a.model ?? shippedModelPath}, residual weight ${model.header.residualWeight}; energy in dB per band: input / voice output / accompaniment output`);
console.log(`${''.padEnd(34)}${EDGES.slice(0, -1).map((e, b) => `${e}–${EDGES[b + 1]} Hz`.padStart(20)).join('')}`);
for (const item of ['music_delta_80s_rock', 'ikala_10161_chorus']) {
  for (const part of ['voice', 'accomp']) {
    const audio = decodeWav(new Uint8Array(readFileSync(join(sharedData, 'stems', item, `${part}.wav`))));
    const r = separateChannels(model, audio.sampleRate, audio.channels);
    const [x, v, acc] = [audio.channels[0], r.voice[0], r.accomp[0]].map((s) => bandEnergy(s, audio.sampleRate));
    console.log(`${`${item}, ${part} alone`.padEnd(34)}${[...x].map((_, b) => `${db(x[b])}/${db(v[b])}/${db(acc[b])}`.padStart(20)).join('')}`);
  }
}
