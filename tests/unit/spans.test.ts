/**
 * A song separated in parts (src/core/spans.ts, what export does on several cores) against the
 * whole separation: identical for one span, within f32 rounding for several.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../src/cli/paths.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { loadFastPaths, separateChannels } from '../../src/core/separate/separator.ts';
import { planSpans, separateSpan, SpanSeparator, spanStep, warmupSeconds, type Span } from '../../src/core/separate/spans.ts';
import { decodeWav } from '../../src/io/wav.ts';

const model = decodeModel(readFileSync(resolve(import.meta.dirname, '../../public/models/default.nnrnmf')));
const RATE = 44100;

/** 110 s of a full-band stereo song: the stems mixed, then the mixture in turns with its voice alone and its accompaniment alone (so the level changes). */
function longSong(): Float32Array[] {
  const dir = join(sharedData, 'stems/music_delta_80s_rock');
  const v = decodeWav(readFileSync(join(dir, 'voice.wav'))), a = decodeWav(readFileSync(join(dir, 'accomp.wav')));
  expect(v.sampleRate).toBe(RATE);
  const n = Math.min(v.channels[0].length, a.channels[0].length);
  const len = 110 * RATE;
  return [0, 1].map((c) => {
    const vc = v.channels[Math.min(c, v.channels.length - 1)], ac = a.channels[Math.min(c, a.channels.length - 1)];
    const out = new Float32Array(len);
    for (let i = 0; i < len; i++) {
      const k = i % n, turn = Math.floor(i / n) % 3;
      out[i] = (turn === 2 ? 0 : 0.6 * vc[k]) + (turn === 1 ? 0 : (c === 0 ? 0.7 : 0.5) * ac[k]);
    }
    return out;
  });
}

function runSpans(song: Float32Array[], spans: Span[]): { voice: Float32Array[]; accomp: Float32Array[] } {
  const voice = song.map((c) => new Float32Array(c.length)), accomp = song.map((c) => new Float32Array(c.length));
  let next = 0;
  for (const span of spans) {
    separateSpan(model, RATE, song, span, (v, a, offset, n, at) => {
      expect(at).toBe(next); // in order, no gap, no overlap
      for (let c = 0; c < song.length; c++) {
        voice[c].set(v[c].subarray(offset, offset + n), at);
        accomp[c].set(a[c].subarray(offset, offset + n), at);
      }
      next = at + n;
    });
  }
  expect(next).toBe(song[0].length);
  return { voice, accomp };
}

const worst = (a: Float32Array[], b: Float32Array[]) => {
  let e = 0, scale = 0;
  for (let c = 0; c < b.length; c++) for (let i = 0; i < b[c].length; i++) {
    scale = Math.max(scale, Math.abs(b[c][i]));
    e = Math.max(e, Math.abs(a[c][i] - b[c][i]));
  }
  return { abs: e, rel: e / scale };
};

let song: Float32Array[];
let whole: { voice: Float32Array[]; accomp: Float32Array[] };
beforeAll(async () => {
  await loadFastPaths();
  song = longSong();
  whole = separateChannels(model, RATE, song);
});

describe('a song in parts', () => {
  it('plans parts no shorter than the warm-up, covering the song', () => {
    const step = spanStep(RATE, model.header);
    expect(step).toBe(3528); // 441 input samples are 160 at 16 kHz; 8 of those periods are 5 hops
    const warm = Math.ceil((warmupSeconds(model.header.levelTau) * RATE) / step) * step;
    expect(planSpans(30 * RATE, RATE, model.header, 8)).toEqual([{ start: 0, from: 0, to: 30 * RATE }]);
    const spans = planSpans(song[0].length, RATE, model.header, 8);
    expect(spans.length).toBe(Math.floor(song[0].length / warm));
    expect(spans[0].from).toBe(0);
    expect(spans.at(-1)!.to).toBe(song[0].length);
    const work = spans.map((sp) => sp.to - sp.start);
    expect(Math.max(...work) - Math.min(...work)).toBeLessThanOrEqual(2 * step); // balanced
    for (let k = 1; k < spans.length; k++) {
      expect(spans[k].from).toBe(spans[k - 1].to);
      expect(spans[k].from - spans[k].start).toBe(warm);
      expect(spans[k].start % step).toBe(0);
    }
  });

  it('one span is separateChannels() exactly', () => {
    const r = runSpans(song, [{ start: 0, from: 0, to: song[0].length }]);
    expect(worst(r.voice, whole.voice).abs).toBe(0);
    expect(worst(r.accomp, whole.accomp).abs).toBe(0);
  });

  it('fed in pieces of any size, its end unknown until the input ends (a decoder\'s stream), it is separateChannels() exactly', () => {
    const voice = song.map((c) => new Float32Array(c.length)), accomp = song.map((c) => new Float32Array(c.length));
    let next = 0;
    const run = new SpanSeparator(model, RATE, song.length, { start: 0, from: 0, to: Infinity }, (v, a, offset, n, at) => {
      expect(at).toBe(next);
      for (let c = 0; c < song.length; c++) {
        voice[c].set(v[c].subarray(offset, offset + n), at);
        accomp[c].set(a[c].subarray(offset, offset + n), at);
      }
      next = at + n;
    });
    // Pieces as decoders give them: MP3's 1152 frames, FLAC's 4096, Opus's 960, and one past the separator's block.
    const sizes = [1152, 4096, 960, 40000, 1];
    for (let at = 0, k = 0; at < song[0].length; k++) {
      const n = Math.min(sizes[k % sizes.length], song[0].length - at);
      run.feed(song.map((c) => c.subarray(at, at + n)), n);
      at += n;
    }
    expect(next).toBeLessThan(song[0].length); // the latency's worth is still inside
    run.finish();
    expect(next).toBe(song[0].length);
    expect(worst(voice, whole.voice).abs).toBe(0);
    expect(worst(accomp, whole.accomp).abs).toBe(0);
  });

  it('two parts with the warm-up give the whole separation to f32 rounding', () => {
    const spans = planSpans(song[0].length, RATE, model.header, 2);
    expect(spans.length).toBe(2);
    const r = runSpans(song, spans);
    const v = worst(r.voice, whole.voice), a = worst(r.accomp, whole.accomp);
    console.log(`[spans] 2 parts of a 110 s song: max |parts − whole| voice ${v.abs.toExponential(2)} (${v.rel.toExponential(2)} of the peak), accompaniment ${a.abs.toExponential(2)}`);
    expect(v.rel).toBeLessThan(1e-5);
    expect(a.rel).toBeLessThan(1e-5);
  });

  it('with a short warm-up (0.4 s, on the step) the parts differ: the level tracker remembers', () => {
    const step = spanStep(RATE, model.header);
    const spans = planSpans(song[0].length, RATE, model.header, 2).map((s) => ({ ...s, start: Math.max(0, s.from - 5 * step) }));
    const r = runSpans(song, spans);
    expect(worst(r.voice, whole.voice).rel).toBeGreaterThan(1e-3);
  });
});
