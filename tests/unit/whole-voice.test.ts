/**
 * Whole voice (issue 9: a voice alone stays on the voice output): the mask's residual voice
 * estimate max(o, x − β·Us) (masks.ts softMask, model header residualWeight), set live on a running
 * separator by the page's switch, or written into the model for the export and the CLI. Both ways
 * give the same samples, on both frame paths; and on the real full-band voice stems, a voice alone
 * stays on the voice output with it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { decodeModel, modelFileWithResidualWeight, WHOLE_VOICE_RESIDUAL, withResidualWeight } from '../../src/core/model/model.ts';
import { separateChannels, Separator } from '../../src/core/separate/separator.ts';
import { decodeWav } from '../../src/io/wav.ts';
import { runBlocks } from './support.ts';

const shipped = decodeModel(readFileSync(shippedModelPath));
const STEMS = ['music_delta_80s_rock', 'ikala_10161_chorus'];
const stem = (item: string, part: 'voice' | 'accomp') => decodeWav(new Uint8Array(readFileSync(join(sharedData, 'stems', item, `${part}.wav`))));
const energy = (x: Float32Array) => x.reduce((e, v) => e + v * v, 0);
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('Whole voice', () => {
  const rock = stem('music_delta_80s_rock', 'voice');
  const mix = [rock.channels[0].map((v, i) => v + stem('music_delta_80s_rock', 'accomp').channels[0][i])];
  const run = (sep: Separator) => runBlocks(sep, mix, (k) => [128, 1000, 37][k % 3]);

  for (const fast of [true, false]) {
    it(`set live = written into the model, sample for sample, and null gives the model's own (${fast ? 'fast' : 'plain'} path)`, () => {
      const live = new Separator(shipped, rock.sampleRate, 1, { fast });
      live.setResidualWeight(WHOLE_VOICE_RESIDUAL);
      expect(live.residualWeight).toBe(WHOLE_VOICE_RESIDUAL);
      const file = new Separator(decodeModel(modelFileWithResidualWeight(readFileSync(shippedModelPath), WHOLE_VOICE_RESIDUAL)), rock.sampleRate, 1, { fast });
      expect(file.fast).toBe(fast);
      const a = run(live), b = run(file);
      expect(maxDiff(a.voice[0], b.voice[0])).toBe(0);
      expect(maxDiff(a.accomp[0], b.accomp[0])).toBe(0);

      // Back to the model's own mask: the paper's (the shipped model's residual weight is 0).
      const paper = run(new Separator(shipped, rock.sampleRate, 1, { fast }));
      const back = new Separator(shipped, rock.sampleRate, 1, { fast });
      back.setResidualWeight(WHOLE_VOICE_RESIDUAL);
      back.setResidualWeight(null);
      expect(back.residualWeight).toBe(0);
      expect(maxDiff(run(back).voice[0], paper.voice[0])).toBe(0);
      // Not a vacuous match: the switch changes the voice.
      expect(maxDiff(a.voice[0], paper.voice[0])).toBeGreaterThan(1e-3);
    });
  }

  it('the fast and plain paths agree with it to f32 rounding', () => {
    const model = withResidualWeight(shipped, WHOLE_VOICE_RESIDUAL);
    const fast = run(new Separator(model, rock.sampleRate, 1, { fast: true }));
    const plain = run(new Separator(model, rock.sampleRate, 1, { fast: false }));
    expect(maxDiff(fast.voice[0], plain.voice[0])).toBeLessThan(1e-5);
  });

  it('refuses a residual weight outside its range, and keeps the one in use', () => {
    const sep = new Separator(shipped, 44100, 2);
    sep.setResidualWeight(2);
    expect(() => sep.setResidualWeight(-1)).toThrow(/residual weight -1: must be from 0 to 100/);
    expect(() => sep.setResidualWeight(Number.NaN)).toThrow(RangeError);
    expect(sep.residualWeight).toBe(2);
    expect(() => withResidualWeight(shipped, 1e9)).toThrow(/residualWeight = 1000000000 is out of range/);
  });

  it('a voice alone (the voice stems of stems/) stays on the voice output, ≥ 10 dB above the accompaniment output, with either mask; an accompaniment alone ≥ 10 dB with the default one', () => {
    const whole = withResidualWeight(shipped, WHOLE_VOICE_RESIDUAL);
    // Energy of [voice output, accompaniment output] for each source alone, summed over the stems.
    const sums = { voice: { paper: [0, 0], whole: [0, 0] }, accomp: { paper: [0, 0], whole: [0, 0] } };
    for (const item of STEMS) {
      for (const part of ['voice', 'accomp'] as const) {
        const x = stem(item, part);
        for (const [mask, model] of [['paper', shipped], ['whole', whole]] as const) {
          const r = separateChannels(model, x.sampleRate, x.channels);
          sums[part][mask][0] += energy(r.voice[0]);
          sums[part][mask][1] += energy(r.accomp[0]);
        }
      }
    }
    const below = (a: number, b: number) => 10 * Math.log10(a / b);
    const voiceAlone = { paper: below(sums.voice.paper[0], sums.voice.paper[1]), whole: below(sums.voice.whole[0], sums.voice.whole[1]) };
    const accompAlone = { paper: below(sums.accomp.paper[1], sums.accomp.paper[0]), whole: below(sums.accomp.whole[1], sums.accomp.whole[0]) };
    console.log(`[whole voice] voice alone: accompaniment output ${voiceAlone.paper.toFixed(1)} dB below the voice output (Whole voice ${voiceAlone.whole.toFixed(1)} dB); accompaniment alone: voice output ${accompAlone.paper.toFixed(1)} dB below (Whole voice ${accompAlone.whole.toFixed(1)} dB)`);
    expect(voiceAlone.paper).toBeGreaterThanOrEqual(10);
    expect(accompAlone.paper).toBeGreaterThanOrEqual(10);
    // What the switch is for: more of a voice alone on the voice output.
    expect(voiceAlone.whole).toBeGreaterThanOrEqual(voiceAlone.paper + 3);
  });
});
