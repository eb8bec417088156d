/**
 * Full band (issue 9): above the model's band (over 8 kHz for the 16 kHz model, at 44.1 kHz) the
 * voice takes the share its mask gives the model's top octave (src/core/separate/sample-path.ts).
 * On the real full-band stems: a voice alone now keeps much of its top band on the voice output
 * (it kept none), an accompaniment alone keeps its top band off it; the batch path does the same
 * (to f32 rounding), and voice + accompaniment is still the delayed input exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { separateBatch } from '../../src/core/separate/batch.ts';
import { separateChannels } from '../../src/core/separate/separator.ts';
import { bandEnergy } from '../../src/eval/band-energy.ts';
import { decodeWav } from '../../src/io/wav.ts';

const shipped = decodeModel(readFileSync(shippedModelPath));
const stem = (part: 'voice' | 'accomp') => decodeWav(new Uint8Array(readFileSync(join(sharedData, 'stems', 'music_delta_80s_rock', `${part}.wav`))));
/** dB of the energy above 8.5 kHz (clear of the resamplers' transition band) of `x` relative to `ref`'s. */
const topBand = (x: Float32Array, ref: Float32Array, rate: number) =>
  10 * Math.log10(bandEnergy(x, rate, [8500, rate / 2])[0] / bandEnergy(ref, rate, [8500, rate / 2])[0]);

describe('the band above the model\'s', () => {
  const voice = stem('voice'), accomp = stem('accomp');
  expect(voice.sampleRate).toBe(44100);

  it('a voice alone keeps its top band on the voice output (it kept none), an accompaniment alone keeps its top band off it', () => {
    const rate = voice.sampleRate, x = voice.channels[0], y = accomp.channels[0];
    const on = separateChannels(shipped, rate, [x]), off = separateChannels(shipped, rate, [x], { fullBand: false });
    const onDb = topBand(on.voice[0], x, rate), offDb = topBand(off.voice[0], x, rate);
    const lone = separateChannels(shipped, rate, [y]), loneDb = topBand(lone.voice[0], y, rate);
    console.log(`[full band] rock stems above 8.5 kHz on the voice output, dB of the input's: voice alone ${onDb.toFixed(1)} (model band only: ${offDb.toFixed(1)}); accompaniment alone ${loneDb.toFixed(1)}`);
    expect(onDb).toBeGreaterThan(-8);
    expect(offDb).toBeLessThan(-40);
    expect(loneDb).toBeLessThan(-40);
  });

  it('voice + accompaniment is the delayed input, exactly as before; the batch path gives the same to f32 rounding', () => {
    const rate = voice.sampleRate, n = 3 * rate;
    const mix = [voice.channels[0].subarray(0, n).map((v, i) => v + accomp.channels[0][i])];
    const stream = separateChannels(shipped, rate, mix);
    const batch = separateBatch(shipped, rate, mix);
    let sum = 0, diff = 0, peak = 0;
    for (let i = 0; i < n; i++) {
      sum = Math.max(sum, Math.abs(stream.voice[0][i] + stream.accomp[0][i] - mix[0][i]));
      diff = Math.max(diff, Math.abs(stream.voice[0][i] - batch.voice[0][i]));
      peak = Math.max(peak, Math.abs(stream.voice[0][i]));
    }
    expect(sum).toBeLessThan(1e-6);
    expect(diff / peak).toBeLessThan(1e-4);
  });
});
