/**
 * The frames a model sees, computed for a whole clip: magnitudes of the mixture (and of its true
 * sources, for training and ideal masks), normalised exactly as the streaming separator normalises
 * them (same STFT grid, same level tracker, same scale). A test holds the two to the same values.
 */
import { LevelTracker } from './level.ts';
import { mat, type Mat } from '../linalg/matrix.ts';
import type { ModelHeader } from '../model/model.ts';
import { frameCount, stft, StftKernel, windowPower, type Spectrogram } from './stft.ts';

export interface ClipFrames {
  /** Normalised mixture magnitudes, m × frames. */
  x: Mat;
  /** Normalised magnitudes of each source, with the mixture's per-frame gain. */
  sources: Mat[];
  /** The mixture's complex STFT (unnormalised), to apply masks to. */
  spectrum: Spectrogram;
  /** Per-frame gain that was applied (1/RMS · 1/√Σw²). */
  gain: Float32Array;
}

type HeaderLike = Pick<ModelHeader, 'fftSize' | 'hop' | 'sampleRate' | 'levelTau'>;

/** Per-frame gains of the level tracker over a signal: what the separator applies frame by frame. */
export function frameGains(mixture: Float32Array, header: HeaderLike, kernel = new StftKernel(header)): Float32Array {
  const { fftSize: n, hop, analysis } = kernel;
  const frames = frameCount(mixture.length, kernel);
  const scale2 = 1 / windowPower(analysis);
  const level = new LevelTracker(header.levelTau, header.sampleRate / header.hop);
  const gains = new Float32Array(frames);
  for (let j = 0; j < frames; j++) {
    const start = (j + 1) * hop - n;
    let power = 0;
    for (let i = 0; i < n; i++) {
      const t = start + i;
      const x = t >= 0 && t < mixture.length ? mixture[t] * analysis[i] : 0;
      power += x * x;
    }
    gains[j] = level.gain(power * scale2) * Math.sqrt(scale2);
  }
  return gains;
}

/** |X|·gain per frame. */
export function scaledMagnitude(spec: Spectrogram, gains: Float32Array): Mat {
  const m = spec.re.rows, frames = spec.re.cols;
  const out = mat(m, frames);
  const re = spec.re.data, im = spec.im.data, o = out.data;
  for (let j = 0; j < frames; j++) {
    const g = gains[j];
    for (let i = j * m; i < (j + 1) * m; i++) o[i] = Math.hypot(re[i], im[i]) * g;
  }
  return out;
}

/** Frames of a mono mixture and, optionally, of its sources (all at the model's sample rate). */
export function clipFrames(mixture: Float32Array, sources: Float32Array[], header: HeaderLike): ClipFrames {
  const kernel = new StftKernel(header);
  const gain = frameGains(mixture, header, kernel);
  const spectrum = stft(mixture, kernel);
  return {
    x: scaledMagnitude(spectrum, gain),
    sources: sources.map((s) => scaledMagnitude(stft(s, kernel), gain)),
    spectrum,
    gain,
  };
}
