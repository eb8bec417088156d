/**
 * The polyphase resampler's inner loop (src/core/signal/resample.ts, Resampler.produce) with f32x4
 * SIMD, for that file's fast path. AssemblyScript; compiled by wasm/build.mjs.
 *
 * The history and the filter table live in this module's memory (the JS side holds Float32Array
 * views of them); each call computes every output the history allows. No allocation, no imports.
 */

export { scratchBase } from './common';

// @ts-ignore: decorator
@inline
function dot4(h: usize, w: usize, bytes4: usize): v128 {
  let a = f32x4.splat(0);
  for (let o: usize = 0; o < bytes4; o += 16) a = f32x4.add(a, f32x4.mul(v128.load(h + o), v128.load(w + o)));
  return a;
}

/** Σ of the taps past the last whole vector, in order. */
// @ts-ignore: decorator
@inline
function tail(h: usize, w: usize, bytes4: usize, bytes: usize): f32 {
  let t: f32 = 0;
  for (let o = bytes4; o < bytes; o += 4) t += load<f32>(h + o) * load<f32>(w + o);
  return t;
}

/**
 * Writes out[k] = Σ_t hist[start + t] · table[phase·taps + t], t < taps, for k = 0, 1, … while
 * start + taps ≤ avail and k < maxOut, stepping phase by M (and start by the carries past L);
 * returns the count. start and phase are read from and written back to state[0], state[1] (i32:
 * the JS side keeps them as small integers, never dividing). hist, table, out and state are byte
 * addresses; start, phase, avail in samples.
 *
 * Outputs go four at a time (four independent sums, reduced together), the rest one at a time with
 * the very same arithmetic per output: each output's bits do not depend on how the input was cut
 * into blocks. Per output: one f32x4 sum over the whole vectors of taps, its lanes added as
 * (0 + 2) + (1 + 3), then the remaining taps' sum.
 */
export function produce(
  hist: usize, table: usize, taps: i32, state: usize, L: i32, M: i32, avail: i32, out: usize, maxOut: i32,
): i32 {
  let start = load<i32>(state), phase = load<i32>(state, 4);
  const bytes = <usize>taps << 2, bytes4 = <usize>(taps & ~3) << 2;
  const step = M / L, carry = M % L;
  let count = 0;
  while (count + 4 <= maxOut) {
    let s1 = start + step, p1 = phase + carry;
    if (p1 >= L) { p1 -= L; s1++; }
    let s2 = s1 + step, p2 = p1 + carry;
    if (p2 >= L) { p2 -= L; s2++; }
    let s3 = s2 + step, p3 = p2 + carry;
    if (p3 >= L) { p3 -= L; s3++; }
    if (s3 + taps > avail) break;
    const h0 = hist + (<usize>start << 2), h1 = hist + (<usize>s1 << 2), h2 = hist + (<usize>s2 << 2), h3 = hist + (<usize>s3 << 2);
    const w0 = table + <usize>phase * bytes, w1 = table + <usize>p1 * bytes, w2 = table + <usize>p2 * bytes, w3 = table + <usize>p3 * bytes;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let o: usize = 0; o < bytes4; o += 16) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load(h0 + o), v128.load(w0 + o)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(h1 + o), v128.load(w1 + o)));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(h2 + o), v128.load(w2 + o)));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(h3 + o), v128.load(w3 + o)));
    }
    // Lane k = (a_k[0] + a_k[2]) + (a_k[1] + a_k[3]).
    const s01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
    const s23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
    let r = f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
    if (bytes4 < bytes) {
      r = f32x4.add(r, f32x4(tail(h0, w0, bytes4, bytes), tail(h1, w1, bytes4, bytes), tail(h2, w2, bytes4, bytes), tail(h3, w3, bytes4, bytes)));
    }
    v128.store(out + (<usize>count << 2), r);
    count += 4;
    start = s3 + step;
    phase = p3 + carry;
    if (phase >= L) { phase -= L; start++; }
  }
  while (start + taps <= avail && count < maxOut) {
    const h = hist + (<usize>start << 2), w = table + <usize>phase * bytes;
    const a = dot4(h, w, bytes4);
    let acc = (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 2)) + (f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 3));
    if (bytes4 < bytes) acc += tail(h, w, bytes4, bytes);
    store<f32>(out + (<usize>count << 2), acc);
    count++;
    start += step;
    phase += carry;
    if (phase >= L) { phase -= L; start++; }
  }
  store<i32>(state, start);
  store<i32>(state, phase, 4);
  return count;
}
