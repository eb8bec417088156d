/**
 * The separator's per-frame signal path (src/core/separate/frame-path.ts) with f32x4 SIMD, for
 * src/core/signal/stft-wasm.ts: analysis window, one complex FFT for one or two real channels, their
 * half spectra, the level, the mid magnitudes, the soft mask, its application, the inverse FFT and
 * the weighted overlap-add; and the sample path's sanitising (non-finite → 0, clipped to ±limit)
 * and output loops.
 * AssemblyScript; compiled by wasm/build.mjs.
 *
 * The JS side lays out the buffers (an i32 table at `desc` whose slots src/core/wasm/stft-slots.ts
 * declares) and fills the windows, twiddles and bit-reversal table once. No allocation, no imports.
 *
 * FFT: radix-2 decimation in frequency on split real/imaginary arrays, natural order in,
 * bit-reversed order out (the unpacking and the overlap-add read through the bit-reversal table).
 * Stages with butterflies 8 or more apart run on 4 butterflies at a time with twiddles w_h[j] =
 * exp(−iπj/h) stored at tw[h + j]; the last two stages run inside each vector with shuffles.
 * The inverse transform is the forward one on the conjugate: ifft(Z) = conj(fft(conj Z)) / N.
 */

import * as D from '../../src/core/wasm/stft-slots';
import { slot, word } from './common';
export { scratchBase } from './common';

/** In-place forward FFT of (re, im), n points; output in bit-reversed order. */
function fft(re: usize, im: usize, twr: usize, twi: usize, n: i32): void {
  for (let h = n >> 1; h >= 4; h >>= 1) {
    const hb = <usize>h << 2;
    for (let b = 0; b < n; b += h << 1) {
      const pb = <usize>b << 2;
      for (let j: usize = 0; j < hb; j += 16) {
        const p = pb + j, q = p + hb;
        const ar = v128.load(re + p), ai = v128.load(im + p);
        const cr = v128.load(re + q), ci = v128.load(im + q);
        v128.store(re + p, f32x4.add(ar, cr));
        v128.store(im + p, f32x4.add(ai, ci));
        const dr = f32x4.sub(ar, cr), di = f32x4.sub(ai, ci);
        const wr = v128.load(twr + hb + j), wi = v128.load(twi + hb + j);
        v128.store(re + q, f32x4.sub(f32x4.mul(dr, wr), f32x4.mul(di, wi)));
        v128.store(im + q, f32x4.add(f32x4.mul(dr, wi), f32x4.mul(di, wr)));
      }
    }
  }
  // Butterflies 2 apart (twiddles 1, −i) then 1 apart, within each group of four.
  const end = <usize>n << 2;
  for (let p: usize = 0; p < end; p += 16) {
    const xr = v128.load(re + p), xi = v128.load(im + p);
    const lr = v128.shuffle<f32>(xr, xr, 0, 1, 0, 1), hr = v128.shuffle<f32>(xr, xr, 2, 3, 2, 3);
    const li = v128.shuffle<f32>(xi, xi, 0, 1, 0, 1), hi = v128.shuffle<f32>(xi, xi, 2, 3, 2, 3);
    // y = [x0 + x2, x1 + x3, x0 − x2, (x1 − x3)·(−i)]
    const sr = f32x4.add(lr, hr), dr = f32x4.sub(lr, hr);
    const si = f32x4.add(li, hi), di = f32x4.sub(li, hi);
    const yr = v128.shuffle<f32>(sr, v128.shuffle<f32>(dr, di, 2, 7, 2, 7), 0, 1, 4, 5);
    const yi = v128.shuffle<f32>(si, v128.shuffle<f32>(di, f32x4.neg(dr), 2, 7, 2, 7), 0, 1, 4, 5);
    // z = [y0 + y1, y0 − y1, y2 + y3, y2 − y3]
    const ar = v128.shuffle<f32>(yr, yr, 0, 0, 2, 2), br = v128.shuffle<f32>(yr, yr, 1, 1, 3, 3);
    const ai = v128.shuffle<f32>(yi, yi, 0, 0, 2, 2), bi = v128.shuffle<f32>(yi, yi, 1, 1, 3, 3);
    v128.store(re + p, v128.shuffle<f32>(f32x4.add(ar, br), f32x4.sub(ar, br), 0, 5, 2, 7));
    v128.store(im + p, v128.shuffle<f32>(f32x4.add(ai, bi), f32x4.sub(ai, bi), 0, 5, 2, 7));
  }
}

/**
 * Windows the newest frame of each channel, transforms it (channel 1 as the imaginary part),
 * splits the result into the half spectra A and B, updates the level tracker with the frame's
 * power Σ (w·mid)² / Σw², mid = (x0 + x1)/2 (x0 alone in mono), summed in f64, and writes the mid
 * magnitudes × gain. No f64 crosses to JS (it would be boxed there: an allocation per frame).
 */
export function analyze(desc: usize): void {
  const n = word(desc, D.N), m = word(desc, D.M), C = word(desc, D.C);
  const win = slot(desc, D.WIN), f0 = slot(desc, D.FRAME0), f1 = slot(desc, D.FRAME1);
  const re = slot(desc, D.RE), im = slot(desc, D.IM), rev = slot(desc, D.REV);
  const end = <usize>n << 2;
  let p0 = f64x2.splat(0), p1 = f64x2.splat(0);
  if (C == 2) {
    for (let p: usize = 0; p < end; p += 16) {
      const w = v128.load(win + p);
      const a = f32x4.mul(v128.load(f0 + p), w), b = f32x4.mul(v128.load(f1 + p), w);
      v128.store(re + p, a);
      v128.store(im + p, b);
      const lo = f64x2.mul(f64x2.add(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(b)), f64x2.splat(0.5));
      const a2 = v128.shuffle<f32>(a, a, 2, 3, 0, 1), b2 = v128.shuffle<f32>(b, b, 2, 3, 0, 1);
      const hi = f64x2.mul(f64x2.add(f64x2.promote_low_f32x4(a2), f64x2.promote_low_f32x4(b2)), f64x2.splat(0.5));
      p0 = f64x2.add(p0, f64x2.mul(lo, lo));
      p1 = f64x2.add(p1, f64x2.mul(hi, hi));
    }
  } else {
    const z = f32x4.splat(0);
    for (let p: usize = 0; p < end; p += 16) {
      const a = f32x4.mul(v128.load(f0 + p), v128.load(win + p));
      v128.store(re + p, a);
      v128.store(im + p, z);
      const lo = f64x2.promote_low_f32x4(a), hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(a, a, 2, 3, 0, 1));
      p0 = f64x2.add(p0, f64x2.mul(lo, lo));
      p1 = f64x2.add(p1, f64x2.mul(hi, hi));
    }
  }
  fft(re, im, slot(desc, D.TWR), slot(desc, D.TWI), n);
  // A[k] = (Z[k] + conj Z[N−k]) / 2,  B[k] = (Z[k] − conj Z[N−k]) / 2i
  const ar = slot(desc, D.AR), ai = slot(desc, D.AI), br = slot(desc, D.BR), bi = slot(desc, D.BI);
  const mask = n - 1;
  for (let k = 0; k < m; k++) {
    const p = <usize>load<i32>(rev + (<usize>k << 2)) << 2;
    const q = <usize>load<i32>(rev + (<usize>((n - k) & mask) << 2)) << 2;
    const zr = load<f32>(re + p), zi = load<f32>(im + p), wr = load<f32>(re + q), wi = load<f32>(im + q);
    const o = <usize>k << 2;
    store<f32>(ar + o, 0.5 * (zr + wr));
    store<f32>(ai + o, 0.5 * (zi - wi));
    store<f32>(br + o, 0.5 * (zi + wi));
    store<f32>(bi + o, 0.5 * (wr - zr));
  }
  const s = f64x2.add(p0, p1);
  // The level tracker (src/core/signal/level.ts LevelTracker.gain, operation for operation).
  const f = slot(desc, D.F64);
  const raw = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  store<f64>(f, raw, D.F_POWER << 3);
  const beta = load<f64>(f, D.F_BETA << 3), scale = load<f64>(f, D.F_SCALE << 3), gate = load<f64>(f, D.F_GATE << 3);
  const power = raw * (scale * scale);
  if (power >= gate) {
    store<f64>(f, beta * load<f64>(f, D.F_SUM << 3) + (1 - beta) * power, D.F_SUM << 3);
    store<f64>(f, beta * load<f64>(f, D.F_WEIGHT << 3) + (1 - beta), D.F_WEIGHT << 3);
  }
  const sum = load<f64>(f, D.F_SUM << 3), weight = load<f64>(f, D.F_WEIGHT << 3);
  const level = weight > 0 ? sum / weight : max(power, gate);
  const g = (1 / Math.sqrt(level)) * scale;
  store<f64>(f, g, D.F_GAIN << 3);
  magnitudes(desc, <f32>g);
}

/** mag = |mid spectrum| · g, mid = (A + B)/2 (A alone in mono). */
function magnitudes(desc: usize, g: f32): void {
  const mp = word(desc, D.MP), C = word(desc, D.C);
  const ar = slot(desc, D.AR), ai = slot(desc, D.AI), br = slot(desc, D.BR), bi = slot(desc, D.BI);
  const mag = slot(desc, D.MAG);
  const gv = f32x4.splat(g), half = f32x4.splat(0.5);
  const end = <usize>mp << 2;
  for (let p: usize = 0; p < end; p += 16) {
    let r = v128.load(ar + p), i = v128.load(ai + p);
    if (C == 2) {
      r = f32x4.mul(f32x4.add(r, v128.load(br + p)), half);
      i = f32x4.mul(f32x4.add(i, v128.load(bi + p)), half);
    }
    v128.store(mag + p, f32x4.mul(f32x4.sqrt(f32x4.add(f32x4.mul(r, r), f32x4.mul(i, i))), gv));
  }
}

/**
 * The voice mask vᵖ / (vᵖ + lᵖ) from the network's voice (o) and accompaniment (l) magnitudes, 0
 * where both are 0, with v = |o|, or max(|o|, x − β·|l|) for a residual weight β > 0 (x the mixture's
 * magnitudes): src/core/signal/masks.ts softMask, in f64 as there (the same bits for p = 1 and 2; for
 * other p, Mathf.pow of the f32 magnitudes, to f32 rounding), two bins at a time.
 */
export function softMask(desc: usize): void {
  const m = word(desc, D.M);
  const voice = slot(desc, D.VOICE), accomp = slot(desc, D.ACCOMP), mask = slot(desc, D.MASK), mag = slot(desc, D.MAG);
  const f = slot(desc, D.F64);
  const p = load<f64>(f, D.F_MASK_POWER << 3), beta = load<f64>(f, D.F_RESIDUAL << 3);
  const residual = beta > 0, b = f64x2.splat(beta);
  for (let k = 0; k < m; k += 2) {
    const o = <usize>k << 2;
    const l = f64x2.abs(f64x2.promote_low_f32x4(v128.load64_zero(accomp + o)));
    let v = f64x2.abs(f64x2.promote_low_f32x4(v128.load64_zero(voice + o)));
    if (residual) v = f64x2.max(v, f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(mag + o)), f64x2.mul(b, l)));
    const vp = power(v, p);
    const lp = power(l, p);
    const den = f64x2.add(vp, lp);
    const r = v128.and(f64x2.div(vp, den), f64x2.gt(den, f64x2.splat(0)));
    v128.store64_lane(mask + o, f32x4.demote_f64x2_zero(r), 0);
  }
}

/** xᵖ per lane (x ≥ 0). */
// @ts-ignore: decorator
@inline
function power(x: v128, p: f64): v128 {
  if (p == 2) return f64x2.mul(x, x);
  if (p == 1) return x;
  return powLanes(x, p);
}

/** xᵖ per lane for other p, in f32 (Mathf.pow: 1.4 KB of wasm where Math.pow would take 7). */
function powLanes(x: v128, p: f64): v128 {
  const a = Mathf.pow(<f32>f64x2.extract_lane(x, 0), <f32>p), b = Mathf.pow(<f32>f64x2.extract_lane(x, 1), <f32>p);
  return f64x2.replace_lane(f64x2.splat(<f64>a), 1, <f64>b);
}

/**
 * Applies the mask to both half spectra, inverse-transforms them (one complex FFT), adds
 * window·frame into each channel's accumulator and moves its H finished samples to out.
 */
export function synthesize(desc: usize): void {
  const n = word(desc, D.N), hop = word(desc, D.H), mp = word(desc, D.MP), C = word(desc, D.C);
  const ar = slot(desc, D.AR), ai = slot(desc, D.AI), br = slot(desc, D.BR), bi = slot(desc, D.BI);
  const maskp = slot(desc, D.MASK), re = slot(desc, D.RE), im = slot(desc, D.IM);
  const endM = <usize>mp << 2;
  for (let p: usize = 0; p < endM; p += 16) {
    const w = v128.load(maskp + p);
    v128.store(ar + p, f32x4.mul(v128.load(ar + p), w));
    v128.store(ai + p, f32x4.mul(v128.load(ai + p), w));
    if (C == 2) {
      v128.store(br + p, f32x4.mul(v128.load(br + p), w));
      v128.store(bi + p, f32x4.mul(v128.load(bi + p), w));
    }
  }
  // conj Z, with Z[k] = A[k] + i B[k] and Z[N−k] = conj A[k] + i conj B[k]; the imaginary parts of
  // the DC and Nyquist bins of a real signal are zero by definition.
  const half = n >> 1;
  for (let k = 0; k <= half; k++) {
    const o = <usize>k << 2;
    const edge = k == 0 || k == half;
    const xr = load<f32>(ar + o), xi: f32 = edge ? 0 : load<f32>(ai + o);
    const yr: f32 = C == 2 ? load<f32>(br + o) : 0, yi: f32 = C == 2 && !edge ? load<f32>(bi + o) : 0;
    store<f32>(re + o, xr - yi);
    store<f32>(im + o, -(xi + yr));
    if (!edge) {
      const o2 = <usize>(n - k) << 2;
      store<f32>(re + o2, xr + yi);
      store<f32>(im + o2, xi - yr);
    }
  }
  fft(re, im, slot(desc, D.TWR), slot(desc, D.TWI), n);
  // Sample t of channel 0 is re[rev t] / N, of channel 1 −im[rev t] / N (1/N is in the window).
  const syn = slot(desc, D.SYN), rev = slot(desc, D.REV);
  const acc0 = slot(desc, D.ACC0), acc1 = slot(desc, D.ACC1);
  const end = <usize>n << 2;
  for (let o: usize = 0; o < end; o += 4) {
    const p = <usize>load<i32>(rev + o) << 2;
    const w = load<f32>(syn + o);
    store<f32>(acc0 + o, load<f32>(acc0 + o) + w * load<f32>(re + p));
    if (C == 2) store<f32>(acc1 + o, load<f32>(acc1 + o) - w * load<f32>(im + p));
  }
  const hb = <usize>hop << 2;
  for (let c = 0; c < C; c++) {
    const acc = c == 0 ? acc0 : acc1;
    memory.copy(slot(desc, c == 0 ? D.OUT0 : D.OUT1), acc, hb);
    memory.copy(acc, acc + hb, end - hb);
    memory.fill(acc + end - hb, 0, hb);
  }
}

// ---------------------------------------------------------------------------------------------
// The sample path at the input rate: sanitising the input into the delay line, and the outputs.

/**
 * Sanitises src[0..n) in place: a non-finite sample becomes 0, one beyond ±limit becomes ±limit
 * (src/core/separate/sample-path.ts cleanSample, the same values); copies the samples into the ring
 * (ringMask + 1 floats, a power of two) from index w on. Returns how many were replaced, as
 * non-finite + 65536 · clipped (n < 65536; a small integer, so no number is boxed in JS).
 */
export function ingest(src: usize, n: i32, ring: usize, w: i32, ringMask: i32, limit: f32): i32 {
  let bad = 0, clipped = 0;
  const z = f32x4.splat(0), hi = f32x4.splat(limit), lo = f32x4.splat(-limit);
  for (let i = 0; i < n; ) {
    const run = min(n - i, ringMask + 1 - w);
    const s = src + (<usize>i << 2), d = ring + (<usize>w << 2);
    let k = 0;
    for (; k + 4 <= run; k += 4) {
      const x = v128.load(s + (<usize>k << 2));
      const ok = f32x4.eq(f32x4.sub(x, x), z); // false for NaN and ±Infinity
      const inside = v128.and(f32x4.le(x, hi), f32x4.ge(x, lo)); // false for NaN too
      const y = f32x4.min(f32x4.max(v128.and(x, ok), lo), hi);
      const finite = <i32>popcnt(i32x4.bitmask(ok));
      bad += 4 - finite;
      clipped += finite - <i32>popcnt(i32x4.bitmask(inside));
      v128.store(s + (<usize>k << 2), y);
      v128.store(d + (<usize>k << 2), y);
    }
    for (; k < run; k++) {
      let x = load<f32>(s + (<usize>k << 2));
      if (!(x <= limit && x >= -limit)) {
        if (x - x != 0) {
          x = 0;
          bad++;
        } else {
          x = x > 0 ? limit : -limit;
          clipped++;
        }
      }
      store<f32>(s + (<usize>k << 2), x);
      store<f32>(d + (<usize>k << 2), x);
    }
    i += run;
    w = (w + run) & ringMask;
  }
  return bad + (clipped << 16);
}

/**
 * The outputs of n samples: voice[i] = fifo[r + i], accomp[i] = line[d + i] − voice[i] (indices
 * wrapping around the rings of fifoMask + 1 and lineMask + 1 floats).
 */
export function emit(fifo: usize, r: i32, fifoMask: i32, line: usize, d: i32, lineMask: i32, voice: usize, accomp: usize, n: i32): void {
  for (let i = 0; i < n; ) {
    const run = min(n - i, min(fifoMask + 1 - r, lineMask + 1 - d));
    const f = fifo + (<usize>r << 2), l = line + (<usize>d << 2);
    const v = voice + (<usize>i << 2), a = accomp + (<usize>i << 2);
    let k = 0;
    for (; k + 4 <= run; k += 4) {
      const o = <usize>k << 2;
      const y = v128.load(f + o);
      v128.store(v + o, y);
      v128.store(a + o, f32x4.sub(v128.load(l + o), y));
    }
    for (; k < run; k++) {
      const o = <usize>k << 2;
      const y = load<f32>(f + o);
      store<f32>(v + o, y);
      store<f32>(a + o, load<f32>(l + o) - y);
    }
    i += run;
    r = (r + run) & fifoMask;
    d = (d + run) & lineMask;
  }
}

/**
 * emit() with the band above the model's (sample-path.ts, fullBand): per sample, with x = line[d + i],
 * voice[i] = fifo[r + i] + gain[r + i]·(x − low[r + i]) and accomp[i] = x − voice[i], computed in
 * f64 and rounded once to f32, as the JS loop computes them (so both paths give the same bits).
 * fifo, low and gain are rings of fifoMask + 1 floats read from r; line one of lineMask + 1 from d.
 */
export function emitFullBand(fifo: usize, low: usize, gain: usize, r: i32, fifoMask: i32, line: usize, d: i32, lineMask: i32, voice: usize, accomp: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const f = <usize>r << 2, o = <usize>i << 2;
    const x = <f64>load<f32>(line + (<usize>d << 2));
    const y = <f64>load<f32>(fifo + f) + <f64>load<f32>(gain + f) * (x - <f64>load<f32>(low + f));
    store<f32>(voice + o, <f32>y);
    store<f32>(accomp + o, <f32>(x - y));
    r = (r + 1) & fifoMask;
    d = (d + 1) & lineMask;
  }
}
