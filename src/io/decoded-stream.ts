/**
 * A compressed song file (MP3, FLAC, Ogg, WebM, MP4/M4A, …) decoded a piece at a time, for a
 * worker that separates it as it goes (src/jobs/export/song-file.worker.ts): nothing here holds more
 * than one decoded packet and the demuxer's read cache (8 MiB), whatever the length of the song.
 *
 * Demuxing and decoding are Mediabunny's (a kept library: containers read from a Blob in pieces,
 * packets decoded by the browser's WebCodecs AudioDecoder, which workers have and decodeAudioData
 * does not). Where it cannot read a file (an unknown container, a codec this browser's WebCodecs
 * lacks) openDecodedStream returns null, and the caller decodes the file whole, as before.
 */
import { ADTS, AudioSampleSink, BlobSource, FLAC, Input, MATROSKA, MP3, MP4, OGG, QTFF, WAVE, WEBM, type AudioSample } from 'mediabunny';

/** The containers a song file comes in (not HLS or MPEG-TS streams: leaving them out keeps the worker smaller). */
const FORMATS = [MP3, FLAC, OGG, WEBM, MATROSKA, MP4, QTFF, ADTS, WAVE];

export interface DecodedStream {
  sampleRate: number;
  /** Channels in the file. */
  channels: number;
  /** The length the container states (s): for progress only; the decoded frames are what count. */
  seconds: number;
  /**
   * The decoded frames in order, each piece as planar channels (views into buffers reused for the
   * next piece: use them before asking for it). Frames before time 0 (a codec's priming, e.g.
   * Opus pre-skip) are left out, as a browser's decodeAudioData leaves them out.
   */
  pieces(): AsyncGenerator<Float32Array[]>;
  close(): void;
}

/** Why a file was not streamed; null where it was opened. */
export type OpenResult = { stream: DecodedStream; reason: null } | { stream: null; reason: string };

export async function openDecodedStream(file: Blob): Promise<OpenResult> {
  const input = new Input({ source: new BlobSource(file), formats: FORMATS });
  try {
    const track = await input.getPrimaryAudioTrack();
    if (!track) return refuse(input, 'no audio track this reader knows');
    if (!(await track.canDecode())) return refuse(input, `this browser cannot decode ${track.codec ?? 'its codec'} in a worker`);
    const sampleRate = track.sampleRate, channels = track.numberOfChannels;
    const seconds = await track.computeDuration();
    const sink = new AudioSampleSink(track);
    let planes = Array.from({ length: channels }, () => new Float32Array(0));
    /** The sample's frames from `skip` on, copied into `planes` (grown when a packet is longer). */
    const copy = (sample: AudioSample, skip: number): Float32Array[] => {
      const n = sample.numberOfFrames - skip;
      if (planes[0].length < n) planes = planes.map(() => new Float32Array(n));
      for (let c = 0; c < channels; c++) {
        sample.copyTo(planes[c], { planeIndex: c, format: 'f32-planar', frameOffset: skip, frameCount: n });
      }
      return planes.map((p) => p.subarray(0, n));
    };
    const stream: DecodedStream = {
      sampleRate, channels, seconds,
      async *pieces() {
        for await (const sample of sink.samples()) {
          try {
            // Frames before time 0 are priming, not song.
            const skip = sample.timestamp < 0 ? Math.min(sample.numberOfFrames, Math.round(-sample.timestamp * sampleRate)) : 0;
            if (skip < sample.numberOfFrames) yield copy(sample, skip);
          } finally {
            sample.close();
          }
        }
      },
      close: () => input.dispose(),
    };
    return { stream, reason: null };
  } catch (e) {
    return refuse(input, e instanceof Error ? e.message : String(e));
  }
}

function refuse(input: Input, reason: string): OpenResult {
  input.dispose();
  return { stream: null, reason };
}
