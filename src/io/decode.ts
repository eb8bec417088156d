/**
 * Turns a file's bytes into a song: its samples at its own rate (for export, as the CLI would
 * read it) and an AudioBuffer at the context's rate (for playback). The training clips are read
 * by the same decodeAudioFile() (src/jobs/train/train.ts).
 *
 * WAV is read by src/io/wav.ts (exact samples, the same reader as the CLI's); everything else
 * (MP3, OGG, FLAC, AAC, …) by the browser's decodeAudioData. Failures become a DecodeError with a
 * message for the page; nothing that was loaded before is touched.
 */
import { decodeWav, isWav, type WavLayout } from './wav.ts';
import { sniffSampleRate } from './sniff.ts';

export interface Song {
  /** File name without its extension: export files are <name>-voice.wav, <name>-accompaniment.wav. */
  name: string;
  /** What the page shows. */
  title: string;
  /** The file's own rate. */
  sampleRate: number;
  /** Samples at the file's rate, one or two channels (more are reduced to the first two); none for a streamed song. */
  channels: Float32Array[];
  /** Channels in the file. */
  fileChannels: number;
  /** For playback: at the context's rate; null for a streamed song. */
  playback: AudioBuffer | null;
  duration: number;
  /**
   * A song too long to hold (song-file.ts), played and exported from its file, which is read in
   * pieces; `wav` is its layout when it is a WAV this reader knows. Null for a decoded song.
   */
  stream?: { file: Blob; wav: WavLayout | null } | null;
}

export class DecodeError extends Error {
  override name = 'DecodeError';
}

const stem = (fileName: string) => fileName.replace(/\.[^./\\]+$/, '') || 'song';

/** An AudioBuffer holding these samples. */
export function bufferOf(channels: Float32Array[], rate: number): AudioBuffer {
  const buf = new AudioBuffer({ numberOfChannels: channels.length, length: channels[0].length, sampleRate: rate });
  channels.forEach((ch, c) => buf.copyToChannel(ch as Float32Array<ArrayBuffer>, c));
  return buf;
}

/** Decodes with the browser, at `ctx`'s rate; rejects with a DecodeError. */
async function browserDecode(ctx: BaseAudioContext, bytes: Uint8Array, fileName: string): Promise<AudioBuffer> {
  try {
    // decodeAudioData detaches its argument: give it a copy.
    return await ctx.decodeAudioData(bytes.slice().buffer);
  } catch (e) {
    throw new DecodeError(`“${fileName}” could not be decoded: this browser cannot read it as audio (${(e as Error)?.message || 'unknown format'}). Try WAV, MP3, OGG or FLAC.`);
  }
}

/**
 * The channels in SharedArrayBuffers where the page is cross-origin isolated (the servers send
 * COOP/COEP): the export worker then reads the song where it lies, instead of the page copying
 * it for every export (about 0.2 s for a 3-minute stereo song). Else the channels as they are.
 */
export function shareable(channels: Float32Array[]): Float32Array[] {
  if (typeof SharedArrayBuffer === 'undefined' || !globalThis.crossOriginIsolated) return channels;
  return channels.map((ch) => {
    const shared = new Float32Array(new SharedArrayBuffer(ch.length * 4));
    shared.set(ch);
    return shared;
  });
}

/** A file's samples at its own rate, as decodeAudioFile() reads them. */
export interface DecodedFile {
  sampleRate: number;
  /** Every channel of the file. */
  channels: Float32Array[];
  /** The browser's AudioBuffer (at `sampleRate`) when the browser decoded the file, else null (WAV). */
  decoded: AudioBuffer | null;
}

/**
 * A file's samples at its own rate, every channel: WAV by src/io/wav.ts, anything else by the
 * browser, decoded at the rate its header gives (sniff.ts). Where the header gives none, or gives
 * the rate of `decoder`, the browser decodes with `decoder`: a context (the page's, so that its
 * AudioBuffer can be played as it is) or a rate. Throws DecodeError with a message for the page.
 * Used for the song (decodeSong) and for training clips (src/jobs/train/train.ts).
 */
export async function decodeAudioFile(input: ArrayBuffer | Uint8Array, fileName: string, decoder: BaseAudioContext | number): Promise<DecodedFile> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length === 0) throw new DecodeError(`“${fileName}” is empty.`);
  if (isWav(bytes)) {
    try {
      const wav = decodeWav(bytes, `“${fileName}”`);
      return { sampleRate: wav.sampleRate, channels: wav.channels, decoded: null };
    } catch {
      /* an encoding the reader does not know (ADPCM, …): let the browser try */
    }
  }
  const fileRate = sniffSampleRate(bytes);
  const ctx = typeof decoder === 'number' ? new OfflineAudioContext(1, 1, fileRate ?? decoder)
    : fileRate === null || fileRate === decoder.sampleRate ? decoder : new OfflineAudioContext(1, 1, fileRate);
  const decoded = await browserDecode(ctx, bytes, fileName);
  const channels = Array.from({ length: decoded.numberOfChannels }, (_, c) => decoded.getChannelData(c).slice());
  if (channels.length === 0 || decoded.length === 0) throw new DecodeError(`“${fileName}” holds no audio samples.`);
  return { sampleRate: decoded.sampleRate, channels, decoded };
}

/** A song from a file's bytes: the first two channels at the file's rate, and the buffer to play. */
export async function decodeSong(ctx: BaseAudioContext, input: ArrayBuffer | Uint8Array, fileName: string, title = fileName): Promise<Song> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  // 1. The samples at the file's own rate.
  const file = await decodeAudioFile(bytes, fileName, ctx);
  const channels = file.channels.slice(0, 2);

  // 2. The buffer to play, at the context's rate (the browser's resampler is better than the
  //    linear interpolation a source node would do).
  let played = file.decoded?.sampleRate === ctx.sampleRate ? file.decoded : null;
  if (!played) {
    if (file.sampleRate === ctx.sampleRate) played = bufferOf(channels, file.sampleRate);
    else {
      try {
        played = await browserDecode(ctx, bytes, fileName);
      } catch {
        played = bufferOf(channels, file.sampleRate);
      }
    }
  }
  return {
    name: stem(fileName), title, sampleRate: file.sampleRate, channels: shareable(channels), fileChannels: file.channels.length,
    playback: played, duration: channels[0].length / file.sampleRate, stream: null,
  };
}
