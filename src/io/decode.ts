/**
 * Turns a file's bytes into a song: its samples at its own rate (for export, as the CLI would
 * read it) and an AudioBuffer at the context's rate (for playback).
 *
 * WAV is read by src/io/wav.ts (exact samples, the same reader as the CLI's); everything else
 * (MP3, OGG, FLAC, AAC, …) by the browser's decodeAudioData. Failures become a DecodeError with a
 * message for the page; nothing that was loaded before is touched.
 */
import { decodeWav } from './wav.ts';
import { sniffSampleRate } from './sniff.ts';

export interface Song {
  /** File name without its extension: export files are <name>-voice.wav, <name>-accompaniment.wav. */
  name: string;
  /** What the page shows. */
  title: string;
  /** The file's own rate. */
  sampleRate: number;
  /** Samples at the file's rate, one or two channels (more are reduced to the first two). */
  channels: Float32Array[];
  /** Channels in the file. */
  fileChannels: number;
  /** For playback: at the context's rate. */
  playback: AudioBuffer;
  duration: number;
}

export class DecodeError extends Error {
  override name = 'DecodeError';
}

const stem = (fileName: string) => fileName.replace(/\.[^./\\]+$/, '') || 'song';

function channelsOf(buffer: AudioBuffer): Float32Array[] {
  return Array.from({ length: Math.min(2, buffer.numberOfChannels) }, (_, c) => buffer.getChannelData(c).slice());
}

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

export async function decodeSong(ctx: BaseAudioContext, input: ArrayBuffer | Uint8Array, fileName: string, title = fileName): Promise<Song> {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length === 0) throw new DecodeError(`“${fileName}” is empty.`);
  const name = stem(fileName);
  const fileRate = sniffSampleRate(bytes);

  // 1. The samples at the file's own rate.
  let native: { rate: number; channels: Float32Array[]; fileChannels: number } | null = null;
  let played: AudioBuffer | null = null;
  const isWav = bytes.length >= 12 && String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...bytes.subarray(8, 12)) === 'WAVE';
  if (isWav) {
    try {
      const wav = decodeWav(bytes, `“${fileName}”`);
      native = { rate: wav.sampleRate, channels: wav.channels.slice(0, 2), fileChannels: wav.channels.length };
    } catch {
      native = null; // an encoding the reader does not know (ADPCM, …): let the browser try
    }
  }
  if (!native) {
    if (fileRate && fileRate !== ctx.sampleRate) {
      const atRate = await browserDecode(new OfflineAudioContext(1, 1, fileRate), bytes, fileName);
      native = { rate: fileRate, channels: channelsOf(atRate), fileChannels: atRate.numberOfChannels };
    } else {
      played = await browserDecode(ctx, bytes, fileName);
      native = { rate: played.sampleRate, channels: channelsOf(played), fileChannels: played.numberOfChannels };
    }
  }
  if (native.channels.length === 0 || native.channels[0].length === 0) throw new DecodeError(`“${fileName}” holds no audio samples.`);

  // 2. The buffer to play, at the context's rate (the browser's resampler is better than the
  //    linear interpolation a source node would do).
  if (!played) {
    if (native.rate === ctx.sampleRate) played = bufferOf(native.channels, native.rate);
    else {
      try {
        played = await browserDecode(ctx, bytes, fileName);
      } catch {
        played = bufferOf(native.channels, native.rate);
      }
    }
  }
  return {
    name, title, sampleRate: native.rate, channels: shareable(native.channels), fileChannels: native.fileChannels,
    playback: played, duration: native.channels[0].length / native.rate,
  };
}
