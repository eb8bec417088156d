/**
 * Signal helpers of the demo's synthesis: stereo buses on the song's timeline, a biquad filter, a
 * small reverb, levels, and the conversion of seconds and beats to samples.
 */
import { BEAT, SR, TOTAL } from './score.ts';

export class Bus {
  readonly L = new Float32Array(TOTAL);
  readonly R = new Float32Array(TOTAL);
  /** Adds a mono signal at sample `at`, equal-power panned (pan −1 left … +1 right). */
  add(x: ArrayLike<number>, at: number, gain: number, pan: number): void {
    const a = ((pan + 1) * Math.PI) / 4;
    const gl = gain * Math.cos(a) * Math.SQRT2, gr = gain * Math.sin(a) * Math.SQRT2;
    for (let i = 0; i < x.length; i++) {
      const j = at + i;
      if (j < 0) continue;
      if (j >= TOTAL) break;
      this.L[j] += gl * x[i];
      this.R[j] += gr * x[i];
    }
  }
  mixInto(dst: Bus, gain: number): void {
    for (let i = 0; i < TOTAL; i++) { dst.L[i] += gain * this.L[i]; dst.R[i] += gain * this.R[i]; }
  }
}

/** RBJ biquad, direct form I, in place. */
export function biquad(x: Float32Array, type: 'lowpass' | 'highpass' | 'bandpass', f0: number, q: number, rate = SR): Float32Array {
  const w0 = (2 * Math.PI * f0) / rate, cw = Math.cos(w0), alpha = Math.sin(w0) / (2 * q);
  let b0: number, b1: number, b2: number;
  if (type === 'lowpass') { b0 = (1 - cw) / 2; b1 = 1 - cw; b2 = b0; }
  else if (type === 'highpass') { b0 = (1 + cw) / 2; b1 = -(1 + cw); b2 = b0; }
  else { b0 = alpha; b1 = 0; b2 = -alpha; }
  const a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i];
    const y0 = (b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
    x2 = x1; x1 = x0; y2 = y1; y1 = y0;
    x[i] = y0;
  }
  return x;
}

export const at = (seconds: number) => Math.round(seconds * SR);
/** Seconds of a beat on the whole timeline (beat 0 = start of the intro). */
export const beatTime = (beat: number) => beat * BEAT;

/** A small Schroeder reverb (4 combs + 2 allpasses per side, different lengths left and right). */
export function reverb(src: Bus, dst: Bus, wet: number): void {
  const side = (x: Float32Array, y: Float32Array, spread: number) => {
    const combs = [1557, 1617, 1491, 1422].map((d) => d + spread);
    const acc = new Float32Array(TOTAL);
    for (const d of combs) {
      const buf = new Float32Array(d);
      let idx = 0, lp = 0;
      for (let i = 0; i < TOTAL; i++) {
        const out = buf[idx];
        lp = out * 0.7 + lp * 0.3; // damping
        buf[idx] = x[i] + lp * 0.8;
        idx = idx + 1 === d ? 0 : idx + 1;
        acc[i] += out / combs.length;
      }
    }
    for (const d of [556 + spread, 441 + spread]) {
      const buf = new Float32Array(d);
      let idx = 0;
      for (let i = 0; i < TOTAL; i++) {
        const b = buf[idx];
        const out = -acc[i] + b;
        buf[idx] = acc[i] + b * 0.5;
        idx = idx + 1 === d ? 0 : idx + 1;
        acc[i] = out;
      }
    }
    for (let i = 0; i < TOTAL; i++) y[i] += wet * acc[i];
  };
  side(src.L, dst.L, 0);
  side(src.R, dst.R, 23);
}

export function rms(...xs: Float32Array[]): number {
  let s = 0, n = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) { s += x[i] * x[i]; n++; }
  return Math.sqrt(s / Math.max(1, n));
}
export const db = (x: number) => 20 * Math.log10(Math.max(x, 1e-12));
