/**
 * The separator's per-frame signal path (src/core/separator.ts, frame()) with f32x4 SIMD, for
 * src/wasm/stft.ts: analysis window, one complex FFT for one or two real channels, their half
 * spectra, the mid magnitudes, the mask, the inverse FFT and the weighted overlap-add.
 * AssemblyScript; compiled by wasm/build.mjs.
 *
 * The JS side lays out the buffers (an i32 table at `desc`, slots below) and fills the windows,
 * twiddles and bit-reversal table once. No allocation, no imports.
 *
 * FFT: radix-2 decimation in frequency on split real/imaginary arrays, natural order in,
 * bit-reversed order out (the unpacking and the overlap-add read through the bit-reversal table).
 * Stages with butterflies 8 or more apart run on 4 butterflies at a time with twiddles w_h[j] =
 * exp(−iπj/h) stored at tw[h + j]; the last two stages run inside each vector with shuffles.
 * The inverse transform is the forward one on the conjugate: ifft(Z) = conj(fft(conj Z)) / N.
 */

// Descriptor slots (i32 each); must match src/wasm/stft.ts.
const D_N = 0;
const D_H = 1;
const D_M = 2; // bins, N/2 + 1
const D_MP = 3; // bins padded to a multiple of 4
const D_C = 4; // channels, 1 or 2
const D_WIN = 5; // analysis window (N)
const D_SYN = 6; // synthesis window / N (N)
const D_FRAME0 = 7; // newest N samples of each channel
const D_FRAME1 = 8;
const D_RE = 9; // FFT work (N each)
const D_IM = 10;
const D_TWR = 11; // twiddles (N each)
const D_TWI = 12;
const D_REV = 13; // bit reversal, i32 (N)
const D_AR = 14; // half spectra of channels 0 (A) and 1 (B), mp each
const D_AI = 15;
const D_BR = 16;
const D_BI = 17;
const D_MAG = 18; // mid magnitudes (mp)
const D_MASK = 19; // voice mask (mp)
const D_ACC0 = 20; // overlap-add accumulators (N each)
const D_ACC1 = 21;
const D_OUT0 = 22; // finished samples (H each)
const D_OUT1 = 23;
// f64 block of the input level tracker (core/level.ts, the same arithmetic): [0] Σ (w·mid)² of
// the last frame, [1] β, [2] spectrum scale 1/√Σw², [3] running sum, [4] running weight, [5] the
// last gain (incl. the scale), [6] silence gate.
const D_LEVEL = 24;

/** First byte the JS side may use (64-byte aligned). */
export function scratchBase(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}

// @ts-ignore: decorator
@inline
function slot(desc: usize, k: i32): usize {
  return <usize>load<i32>(desc + (<usize>k << 2));
}

// @ts-ignore: decorator
@inline
function word(desc: usize, k: i32): i32 {
  return load<i32>(desc + (<usize>k << 2));
}

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
  const n = word(desc, D_N), m = word(desc, D_M), C = word(desc, D_C);
  const win = slot(desc, D_WIN), f0 = slot(desc, D_FRAME0), f1 = slot(desc, D_FRAME1);
  const re = slot(desc, D_RE), im = slot(desc, D_IM), rev = slot(desc, D_REV);
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
  fft(re, im, slot(desc, D_TWR), slot(desc, D_TWI), n);
  // A[k] = (Z[k] + conj Z[N−k]) / 2,  B[k] = (Z[k] − conj Z[N−k]) / 2i
  const ar = slot(desc, D_AR), ai = slot(desc, D_AI), br = slot(desc, D_BR), bi = slot(desc, D_BI);
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
  // The level tracker (core/level.ts LevelTracker.gain, operation for operation).
  const lvl = slot(desc, D_LEVEL);
  const raw = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  store<f64>(lvl, raw);
  const beta = load<f64>(lvl, 8), scale = load<f64>(lvl, 16), gate = load<f64>(lvl, 48);
  const power = raw * (scale * scale);
  if (power >= gate) {
    store<f64>(lvl, beta * load<f64>(lvl, 24) + (1 - beta) * power, 24);
    store<f64>(lvl, beta * load<f64>(lvl, 32) + (1 - beta), 32);
  }
  const sum = load<f64>(lvl, 24), weight = load<f64>(lvl, 32);
  const level = weight > 0 ? sum / weight : max(power, gate);
  const g = (1 / Math.sqrt(level)) * scale;
  store<f64>(lvl, g, 40);
  magnitudes(desc, <f32>g);
}

/** mag = |mid spectrum| · g, mid = (A + B)/2 (A alone in mono). */
function magnitudes(desc: usize, g: f32): void {
  const mp = word(desc, D_MP), C = word(desc, D_C);
  const ar = slot(desc, D_AR), ai = slot(desc, D_AI), br = slot(desc, D_BR), bi = slot(desc, D_BI);
  const mag = slot(desc, D_MAG);
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
 * Applies the mask to both half spectra, inverse-transforms them (one complex FFT), adds
 * window·frame into each channel's accumulator and moves its H finished samples to out.
 */
export function synthesize(desc: usize): void {
  const n = word(desc, D_N), hop = word(desc, D_H), mp = word(desc, D_MP), C = word(desc, D_C);
  const ar = slot(desc, D_AR), ai = slot(desc, D_AI), br = slot(desc, D_BR), bi = slot(desc, D_BI);
  const maskp = slot(desc, D_MASK), re = slot(desc, D_RE), im = slot(desc, D_IM);
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
  fft(re, im, slot(desc, D_TWR), slot(desc, D_TWI), n);
  // Sample t of channel 0 is re[rev t] / N, of channel 1 −im[rev t] / N (1/N is in the window).
  const syn = slot(desc, D_SYN), rev = slot(desc, D_REV);
  const acc0 = slot(desc, D_ACC0), acc1 = slot(desc, D_ACC1);
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
    memory.copy(slot(desc, c == 0 ? D_OUT0 : D_OUT1), acc, hb);
    memory.copy(acc, acc + hb, end - hb);
    memory.fill(acc + end - hb, 0, hb);
  }
}

// ---------------------------------------------------------------------------------------------
// The sample path at the input rate: sanitising the input into the delay line, and the outputs.

/**
 * Replaces every non-finite sample of src[0..n) by 0 (in place), copies the samples into the ring
 * (ringMask + 1 floats, a power of two) from index w on, and returns how many were replaced.
 */
export function ingest(src: usize, n: i32, ring: usize, w: i32, ringMask: i32): i32 {
  let bad = 0;
  const z = f32x4.splat(0);
  for (let i = 0; i < n; ) {
    const run = min(n - i, ringMask + 1 - w);
    const s = src + (<usize>i << 2), d = ring + (<usize>w << 2);
    let k = 0;
    for (; k + 4 <= run; k += 4) {
      const x = v128.load(s + (<usize>k << 2));
      const ok = f32x4.eq(f32x4.sub(x, x), z); // false for NaN and ±Infinity
      const y = v128.and(x, ok);
      bad += 4 - <i32>popcnt(i32x4.bitmask(ok));
      v128.store(s + (<usize>k << 2), y);
      v128.store(d + (<usize>k << 2), y);
    }
    for (; k < run; k++) {
      let x = load<f32>(s + (<usize>k << 2));
      if (x - x != 0) {
        x = 0;
        bad++;
      }
      store<f32>(s + (<usize>k << 2), x);
      store<f32>(d + (<usize>k << 2), x);
    }
    i += run;
    w = (w + run) & ringMask;
  }
  return bad;
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
