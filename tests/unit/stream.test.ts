/**
 * Separation and WAV files a block at a time, as `npm run separate` streams a song: the streamed
 * separation (core/separate/stream.ts) is separateChannels' exactly, with and without resampling and
 * for blocks that do not divide the length; the file reader (src/cli/wav-file.ts) gives decodeWav's
 * samples, also past 4 GiB; the writer leaves its destination untouched until commit.
 */
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { FloatWavFileWriter, WavFileReader } from '../../src/cli/wav-file.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { separateChannels } from '../../src/core/separate/separator.ts';
import { StreamSeparation } from '../../src/core/separate/stream.ts';
import { decodeWav, encodeWav, floatWavHeader } from '../../src/io/wav.ts';

const model = decodeModel(readFileSync(shippedModelPath));
const work = mkdtempSync(join(tmpdir(), 'voicesplit-stream-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The streamed separation of `input`, fed in blocks of `feed` samples to a StreamSeparation of block `block`. */
function streamed(rate: number, input: Float32Array[], feed: number, block: number) {
  const len = input[0].length, C = input.length;
  const voice = input.map(() => new Float32Array(len)), accomp = input.map(() => new Float32Array(len));
  let at = 0;
  const sink = (v: readonly Float32Array[], a: readonly Float32Array[], from: number, n: number) => {
    for (let c = 0; c < C; c++) {
      voice[c].set(v[c].subarray(from, from + n), at);
      accomp[c].set(a[c].subarray(from, from + n), at);
    }
    at += n;
  };
  const s = new StreamSeparation(model, rate, C, block);
  for (let i = 0; i < len; i += feed) s.push(input.map((c) => c.subarray(i, i + feed)), Math.min(feed, len - i), sink);
  s.finish(sink);
  expect(at).toBe(len);
  return { voice, accomp };
}

describe('StreamSeparation', () => {
  const clips = [
    ['a MIR-1K clip (16 kHz stereo, the model rate)', join(sharedData, 'mir1k/Wavfile/amy_3_08.wav')],
    ['real stems (44.1 kHz mono: resampled both ways)', join(sharedData, 'stems/music_delta_80s_rock/voice.wav')],
  ] as const;
  for (const [what, path] of clips) {
    it(`equals separateChannels exactly on ${what}, for blocks that do not divide the length`, () => {
      const { sampleRate, channels } = decodeWav(readFileSync(path));
      const ref = separateChannels(model, sampleRate, channels);
      for (const [feed, block] of [[10007, 4099], [65536, 65536], [777, 100000]]) {
        expect(channels[0].length % feed).not.toBe(0);
        const got = streamed(sampleRate, channels, feed, block);
        expect(got.voice).toEqual(ref.voice);
        expect(got.accomp).toEqual(ref.accomp);
      }
    });
  }

  it('gives an input shorter than its latency back at full length', () => {
    const x = [new Float32Array(100).map((_, i) => Math.sin(i / 3))];
    const ref = separateChannels(model, 44100, x);
    expect(streamed(44100, x, 100, 64)).toEqual(ref);
  });
});

describe('WavFileReader and FloatWavFileWriter', () => {
  it('reads a real file in blocks that do not divide it: decodeWav\'s samples', () => {
    const path = join(sharedData, 'stems/ikala_10161_chorus/accomp.wav');
    const whole = decodeWav(readFileSync(path));
    const r = WavFileReader.open(path);
    expect(r.layout.sampleRate).toBe(whole.sampleRate);
    const got = whole.channels.map((c) => new Float32Array(c.length));
    const buf = whole.channels.map(() => new Float32Array(3001));
    for (let at = 0, n; (n = r.read(buf, 3001)) > 0; at += n) got.forEach((c, k) => c.set(buf[k].subarray(0, n), at));
    r.close();
    expect(got).toEqual(whole.channels);
  });

  it('reads past 4 GiB: an RF64 file of 5 GiB (sparse on disk), its last samples', () => {
    const path = join(work, 'huge.wav');
    const frames = 5 * 2 ** 28 + 3; // stereo float: 5 GiB and 24 bytes of data
    const header = floatWavHeader(48000, 2, frames);
    const fd = openSync(path, 'w');
    writeSync(fd, header, 0, header.length, 0);
    ftruncateSync(fd, header.length + frames * 8);
    const tail = new Float32Array([0.25, -0.5, 0.125, 1, -1, 0.75]); // the last three frames
    writeSync(fd, new Uint8Array(tail.buffer), 0, 24, header.length + (frames - 3) * 8);
    closeSync(fd);
    const r = WavFileReader.open(path);
    expect(r.layout.frames).toBe(frames);
    r.seek(frames - 5); // to the end, without reading 5 GiB
    const out = [new Float32Array(8), new Float32Array(8)];
    expect(r.read(out, 8)).toBe(5);
    r.close();
    expect([...out[0].subarray(0, 5)]).toEqual([0, 0, 0.25, 0.125, -1]);
    expect([...out[1].subarray(0, 5)]).toEqual([0, 0, -0.5, 1, 0.75]);
    rmSync(path);
  });

  it('refuses a folder and a file cut short with a message that names it', () => {
    expect(() => WavFileReader.open(work)).toThrow(`${work}: is a folder, not a WAV file`);
    const wav = encodeWav({ sampleRate: 16000, channels: [new Float32Array(1000)] });
    const cut = join(work, 'cut.wav');
    writeFileSync(cut, wav);
    const r = WavFileReader.open(cut);
    writeFileSync(cut, wav.subarray(0, 2058)); // cut while being read
    expect(() => r.read([new Float32Array(1000)], 1000)).toThrow(/cut\.wav: ended at frame 500 of 1000/);
    r.close();
  });

  it('writes a temporary file beside the destination; the destination changes only on commit', () => {
    const dest = join(work, 'out.wav');
    writeFileSync(dest, 'the earlier file');
    const x = [new Float32Array([0.1, 0.2, 0.3]), new Float32Array([-0.1, -0.2, -0.3])];
    const w = new FloatWavFileWriter(dest, 22050, 2, 3);
    w.append(x, 0, 2);
    w.append(x, 2, 1);
    w.finish();
    expect(readFileSync(dest, 'utf8')).toBe('the earlier file');
    w.commit();
    expect(readFileSync(dest)).toEqual(Buffer.from(encodeWav({ sampleRate: 22050, channels: x })));
    const d = new FloatWavFileWriter(dest, 22050, 2, 3);
    d.append(x, 0, 1);
    d.discard();
    expect(readFileSync(dest)).toEqual(Buffer.from(encodeWav({ sampleRate: 22050, channels: x })));
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(d.temp)).toBe(false);
  });
});
