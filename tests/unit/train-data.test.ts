/**
 * The page's training data (src/audio/train-data.ts): the files a person gives, turned into the
 * frame sets of src/core/train.ts for each regime, and every problem turned into a message.
 * Real stems from ../shared/data (44.1 kHz: resampled to the model's 16 kHz on the way).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTrainData, TrainDataError, type AudioClip, type TrainFiles } from '../../src/jobs/train/train-data.ts';
import { sharedData } from '../../src/cli/paths.ts';
import { clipFrames } from '../../src/core/signal/features.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { resampleSignal } from '../../src/core/signal/resample.ts';
import { decodeWav } from '../../src/io/wav.ts';

const header = decodeModel(readFileSync(resolve(import.meta.dirname, '../../public/models/default.nnrnmf'))).header;
const dir = join(sharedData, 'stems/music_delta_80s_rock');
const clip = (file: string, name = file): AudioClip => ({ name, ...decodeWav(readFileSync(join(dir, file))) });
const voice = clip('voice.wav'), accomp = clip('accomp.wav');
const none: TrainFiles = { pairs: [], voiceOnly: [], accompOnly: [], mixtures: [] };
const sum = (a: Float32Array, b: Float32Array) => a.map((x, i) => x + b[i]);

describe('training data from the page’s files', () => {
  it('supervised: mixture = voice + accompaniment, targets = each stem, the last fifth of each clip for validation', () => {
    const d = buildTrainData('supervised', { ...none, pairs: [{ voice, accomp }] }, header);
    const F = d.train.x.cols + d.val.x.cols;
    expect(d.val.x.cols).toBe(Math.round(F * 0.2));
    expect(d.train.voice!.cols).toBe(d.train.x.cols);
    // The same frames the CLI's feature code makes of that mixture.
    const v = resampleSignal(voice.channels[0], voice.sampleRate, header.sampleRate), a = resampleSignal(accomp.channels[0], accomp.sampleRate, header.sampleRate);
    const n = Math.min(v.length, a.length);
    const ref = clipFrames(sum(v.subarray(0, n), a.subarray(0, n)), [v.subarray(0, n), a.subarray(0, n)], header);
    expect(ref.x.cols).toBe(F);
    expect(Array.from(d.train.x.data.subarray(0, 2000))).toEqual(Array.from(ref.x.data.subarray(0, 2000)));
    expect(Array.from(d.val.voice!.data.subarray(0, 513))).toEqual(Array.from(ref.sources[0].data.subarray((F - d.val.x.cols) * 513, (F - d.val.x.cols + 1) * 513)));
    expect(d.clips).toBe(1);
  });

  it('semi-supervised: isolated recordings, the missing source zero', () => {
    const d = buildTrainData('semi-supervised', { ...none, voiceOnly: [voice], accompOnly: [accomp] }, header);
    let voiceOnlyCols = 0;
    for (let j = 0; j < d.train.x.cols; j++) {
      const col = (m: Float32Array) => m.subarray(j * 513, (j + 1) * 513);
      const x = col(d.train.x.data), v = col(d.train.voice!.data), a = col(d.train.accomp!.data);
      const isVoice = a.every((y) => y === 0);
      if (isVoice) voiceOnlyCols++;
      // Exactly one target is the frame itself, the other zero.
      expect(Array.from(isVoice ? v : a)).toEqual(Array.from(x));
      if (!isVoice) expect(v.every((y) => y === 0)).toBe(true);
    }
    expect(voiceOnlyCols).toBeGreaterThan(0);
    expect(voiceOnlyCols).toBeLessThan(d.train.x.cols);
  });

  it('unsupervised: mixtures only, no targets', () => {
    const mixture: AudioClip = { name: 'mix.wav', sampleRate: voice.sampleRate, channels: [sum(voice.channels[0], accomp.channels[0])] };
    const d = buildTrainData('unsupervised', { ...none, mixtures: [mixture] }, header);
    expect(d.train.voice).toBeUndefined();
    expect(d.train.x.cols).toBeGreaterThan(100);
  });

  it('each problem a person can meet has its message', () => {
    const fail = (regime: Parameters<typeof buildTrainData>[0], files: Partial<TrainFiles>) => {
      try {
        buildTrainData(regime, { ...none, ...files }, header);
      } catch (e) {
        expect(e).toBeInstanceOf(TrainDataError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(fail('supervised', {})).toMatch(/Choose voice and accompaniment stems/);
    expect(fail('supervised', { voiceOnly: [voice] })).toMatch(/add the accompaniment stems of “voice.wav”/);
    expect(fail('supervised', { mixtures: [voice] })).toMatch(/choose the unsupervised regime/);
    const short: AudioClip = { ...accomp, name: 'short.wav', channels: accomp.channels.map((c) => c.subarray(0, c.length - accomp.sampleRate)) };
    expect(fail('supervised', { pairs: [{ voice, accomp: short }] })).toMatch(/differ in length/);
    expect(fail('semi-supervised', { mixtures: [voice] })).toMatch(/with mixtures only, choose the unsupervised regime/);
    expect(fail('unsupervised', { voiceOnly: [voice] })).toMatch(/add mixtures, or choose the semi-supervised regime/);
    const tiny: AudioClip = { ...voice, name: 'tiny.wav', channels: [voice.channels[0].subarray(0, voice.sampleRate)] };
    expect(fail('unsupervised', { mixtures: [tiny] })).toMatch(/Too little audio to train on: 1.00 s/);
  });
});
