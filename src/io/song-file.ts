/**
 * A song from a file the person opened (a File: on disk, read only where it is needed).
 *
 * A song up to {@link LONG_SONG_SECONDS} is read whole and decoded as always (decode.ts's
 * decodeSong: exact samples in memory, an AudioBuffer to play). A longer one is not decoded at all
 * on opening: holding a 1-hour stereo song as floats takes 1.3 GB per copy (the page made three:
 * 4.45 GB), and decoding it whole took the page's thread for 6.7 s. It is a *streamed* song
 * instead: played by a media element from the file (src/audio/player.ts, the browser decoding a
 * few seconds ahead), and exported by workers that read the file in pieces, decoding it there
 * where it is compressed (src/jobs/export/song-file.worker.ts). Its length comes from the WAV header (read from the first bytes of the file) or, for
 * other formats, from a media element's metadata.
 *
 * A WAV whose data chunk claims more than the file holds is loaded as far as it goes, and the
 * song says so (`truncated`), for the page to tell the person.
 */
import { decodeSong, DecodeError, type Song } from './decode.ts';
import { sniffSampleRate } from './sniff.ts';
import { isWav, readWavLayout, type WavLayout } from './wav.ts';

/** Songs longer than this (s) are streamed from their file, not decoded into memory. */
export const LONG_SONG_SECONDS = 600;

/** Compressed files smaller than this are decoded whole without asking their length (under 8 minutes even at 128 kbit/s). */
const PROBE_BYTES = 8 * 1024 * 1024;

const stem = (fileName: string) => fileName.replace(/\.[^./\\]+$/, '') || 'song';

/** Where a cut-off WAV's header and contents disagree: seconds claimed and seconds there. */
export interface Truncation {
  claimedSeconds: number;
  seconds: number;
}

export interface OpenedSong {
  song: Song;
  truncated: Truncation | null;
}

/** A WAV header that did not fit in the bytes read so far. */
class NeedMore extends Error {}

/** The WAV layout from the first bytes of the file (reading more where the header is long); null if it is not a WAV this reader knows. */
async function wavLayout(file: Blob, name: string): Promise<WavLayout | null> {
  for (let n = 65536; ; n *= 16) {
    const head = new Uint8Array(await file.slice(0, Math.min(n, file.size)).arrayBuffer());
    if (!isWav(head)) return null;
    try {
      return readWavLayout((at, k) => {
        if (at + k > head.length && head.length < file.size) throw new NeedMore();
        return head.subarray(at, at + k);
      }, file.size, `“${name}”`);
    } catch (e) {
      if (e instanceof NeedMore && n < 64 * 1024 * 1024) continue;
      return null; // an encoding the reader does not know (ADPCM, …): the browser may
    }
  }
}

/** The length (s) a media element finds in the file's metadata; null if it cannot tell. */
function mediaDuration(file: Blob): Promise<number | null> {
  return new Promise((resolve) => {
    const el = new Audio();
    const url = URL.createObjectURL(file);
    const done = (d: number | null) => {
      clearTimeout(timer);
      el.removeAttribute('src');
      el.load();
      URL.revokeObjectURL(url);
      resolve(d);
    };
    const timer = setTimeout(() => done(null), 10_000);
    el.preload = 'metadata';
    el.onloadedmetadata = () => done(Number.isFinite(el.duration) && el.duration > 0 ? el.duration : null);
    el.onerror = () => done(null);
    el.src = url;
  });
}

/**
 * Opens a song file: streamed if it is longer than `longSeconds`, else decoded whole (exactly as
 * decodeSong). Throws DecodeError with a message for the page.
 */
export async function openSong(ctx: BaseAudioContext, file: File, longSeconds = LONG_SONG_SECONDS): Promise<OpenedSong> {
  const name = file.name;
  if (file.size === 0) throw new DecodeError(`“${name}” is empty.`);
  const wav = await wavLayout(file, name);
  const truncated = wav?.claimedFrames ? { claimedSeconds: wav.claimedFrames / wav.sampleRate, seconds: wav.frames / wav.sampleRate } : null;
  let seconds = wav ? wav.frames / wav.sampleRate : null;
  let fileChannels = wav?.channels ?? 0;
  let sampleRate = wav?.sampleRate ?? 0;
  if (!wav && (file.size > PROBE_BYTES || longSeconds < LONG_SONG_SECONDS)) {
    seconds = await mediaDuration(file);
    sampleRate = sniffSampleRate(new Uint8Array(await file.slice(0, 1 << 20).arrayBuffer())) ?? ctx.sampleRate;
    fileChannels = 0; // not known before decoding (the media element plays whatever the file has)
  }
  if (seconds === null || seconds <= longSeconds) {
    return { song: await decodeSong(ctx, await file.arrayBuffer(), name), truncated };
  }
  const song: Song = {
    name: stem(name), title: name, sampleRate, channels: [], fileChannels, playback: null, duration: seconds,
    stream: { file, wav },
  };
  return { song, truncated };
}
