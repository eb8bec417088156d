/**
 * The demo's instruments, one note or hit at a time, as mono Float32 signals at SR: a plucked
 * string, a pad, a bass and a drum kit, their noise drawn from the caller's seeded Random.
 */
import type { Random } from '../../src/core/linalg/random.ts';
import { SR } from './score.ts';
import { at, biquad } from './dsp.ts';

/** Plucked string: Karplus–Strong with an allpass for exact tuning and a soft, seeded excitation. */
export function pluck(rng: Random, f: number, seconds: number, brightness: number, decaySeconds: number): Float32Array {
  const n = at(seconds);
  const out = new Float32Array(n);
  const period = SR / f;
  const N = Math.floor(period - 0.5);
  const frac = period - 0.5 - N; // the averaging filter delays 0.5 samples, the allpass the rest
  const c = (1 - frac) / (1 + frac);
  const line = new Float32Array(N);
  // Excitation: seeded noise, low-passed (softer pick) and with its mean removed.
  let lp = 0, mean = 0;
  for (let i = 0; i < N; i++) { lp += brightness * (rng.next() * 2 - 1 - lp); line[i] = lp; mean += lp; }
  mean /= N;
  for (let i = 0; i < N; i++) line[i] -= mean;
  // Loop gain per period so that the string decays by 60 dB in decaySeconds.
  const g = 10 ** (-3 / (decaySeconds * f));
  let idx = 0, prev = 0, apX = 0, apY = 0;
  for (let i = 0; i < n; i++) {
    const cur = line[idx];
    const avg = 0.5 * (cur + prev) * g;
    prev = cur;
    const y = c * avg + apX - c * apY; // first-order allpass
    apX = avg; apY = y;
    line[idx] = y;
    idx = idx + 1 === N ? 0 : idx + 1;
    out[i] = cur;
  }
  // Short fade at the end so a cut-off string does not click.
  const fade = Math.min(n, at(0.02));
  for (let i = 0; i < fade; i++) out[n - 1 - i] *= i / fade;
  return out;
}

/** Soft pad: two slightly detuned additive saws with a gentle roll-off, slow attack and release. */
export function padNote(rng: Random, f: number, holdSeconds: number, releaseSeconds: number): Float32Array {
  const n = at(holdSeconds + releaseSeconds), hold = at(holdSeconds);
  const out = new Float32Array(n);
  const attack = at(0.18), rel = at(releaseSeconds);
  for (const detune of [-0.004, 0.004]) {
    const fd = f * (1 + detune);
    for (let k = 1; k * fd < 5000; k++) {
      const amp = (1 / k) * Math.exp(-k / 5);
      const w0 = (2 * Math.PI * k * fd) / SR, ph = rng.next() * 2 * Math.PI;
      for (let i = 0; i < n; i++) out[i] += amp * Math.sin(w0 * i + ph);
    }
  }
  for (let i = 0; i < n; i++) {
    let e = i < attack ? Math.sin((0.5 * Math.PI * i) / attack) ** 2 : 1;
    if (i >= hold) e *= Math.cos((0.5 * Math.PI * (i - hold)) / rel) ** 2;
    // a slow swell inside the chord keeps it from sounding static
    out[i] *= 0.5 * e * (0.85 + 0.15 * Math.sin((2 * Math.PI * 0.7 * i) / SR));
  }
  return out;
}

/** Bass: a few harmonics with a plucked envelope, slightly saturated. */
export function bassNote(f: number, holdSeconds: number): Float32Array {
  const release = 0.04;
  const n = at(holdSeconds + release), hold = at(holdSeconds);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    let s = 0;
    for (let k = 1; k <= 6; k++) s += (Math.exp(-t * (1.5 + 2.5 * k)) / k ** 1.3) * Math.sin(2 * Math.PI * k * f * t);
    let e = Math.min(1, t / 0.004);
    if (i >= hold) e *= 1 - (i - hold) / (n - hold);
    out[i] = Math.tanh(1.5 * s * e) / 1.5;
  }
  return out;
}

export function kick(rng: Random): Float32Array {
  const n = at(0.45);
  const out = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    phase += (2 * Math.PI * (48 + 95 * Math.exp(-t / 0.035))) / SR;
    out[i] = Math.sin(phase) * Math.exp(-t / 0.16) + (t < 0.004 ? 0.3 * (rng.next() * 2 - 1) * (1 - t / 0.004) : 0);
  }
  return out;
}

export function snare(rng: Random): Float32Array {
  const n = at(0.3);
  const noise = new Float32Array(n);
  for (let i = 0; i < n; i++) noise[i] = rng.next() * 2 - 1;
  biquad(noise, 'highpass', 1200, 0.7);
  biquad(noise, 'lowpass', 9000, 0.7);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / SR;
    out[i] = 0.8 * noise[i] * Math.exp(-t / 0.09)
      + 0.5 * Math.exp(-t / 0.05) * (Math.sin(2 * Math.PI * 185 * t) + 0.5 * Math.sin(2 * Math.PI * 330 * t));
  }
  return out;
}

/** Hi-hat (or crash, with a long decay): seeded noise high-passed above 7 kHz with a bright resonance. */
export function metal(rng: Random, decaySeconds: number, highpassHz: number): Float32Array {
  const n = at(Math.min(decaySeconds * 7, 4));
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.next() * 2 - 1;
  biquad(x, 'highpass', highpassHz, 0.7);
  biquad(x, 'highpass', highpassHz, 0.7);
  const ring = biquad(x.slice(), 'bandpass', 10500, 3);
  for (let i = 0; i < n; i++) x[i] = (x[i] + 1.5 * ring[i]) * Math.exp(-i / SR / decaySeconds);
  return x;
}
