/**
 * The structured NN RNMF / NN RPCA encoder (src/core/network/encoders.ts, StructuredEncoder.run)
 * with f32x4 SIMD, for src/core/network/encoder-wasm.ts. AssemblyScript; compiled by wasm/build.mjs.
 *
 * The JS side lays the model out in this module's memory once (see src/core/network/encoder-wasm.ts
 * for the layout, described by an i32 table at `desc` whose slots src/core/wasm/encoder-slots.ts
 * declares) and calls run(desc) per frame. Every vector is padded with zeros to a multiple of 4
 * floats, so every loop here works on whole f32x4 lanes.
 *
 * All the products of a frame have the same shape: out[0 .. R) += Σ_j A[:, c_j] · v_j over a list of
 * columns c_j whose coefficient v_j is non-zero (the code and its changes are sparse: thresholding
 * leaves many zeros, and a zero column costs nothing). Rows are taken in blocks of up to 28 (seven
 * f32x4 accumulators held in registers while the list is walked), and each matrix is stored packed
 * for that walk: row block by row block, a block's part of every column contiguous (panel b: its
 * 4·w_b rows of column 0, of column 1, …). A block then reads its panel front to back, one stream
 * the hardware prefetches; the untied network's 2.2 MB of weights come from L3 every frame, and
 * read column by column (2 KB apart) the same products took about 30 % longer.
 * The lists hold the columns' indices times 16 and their coefficients. Each product is summed from
 * zero and then added to out (rounding relative to the update, not to the running b: as accurate as
 * the JS loops, which round to f32 at every step).
 *
 * No allocation, no imports.
 */

import * as D from '../../src/core/wasm/encoder-slots';
import { slot, word } from './common';
export { scratchBase } from './common';

/** List entries summed per pass of a product. */
const CHUNK: i32 = 64;

// @ts-ignore: decorator
@inline
function fma(acc: v128, a: v128, s: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, s));
}

// Blocks of N = 1 to 7 row vectors: out[0 .. 4N) += Σ_j col_j[0 .. 4N) · v_j, the block's part of
// column j at base + N·off_j (off_j = 16·c_j: its panel holds 16·N bytes per column), for the list
// entries [offs, end). Up to 7 accumulators stay in registers (x64 engines give wasm
// 16 vector registers; 8 accumulators already spill and run at half speed); blocks of 1 to 4 take
// two list entries per step (more independent work per iteration).
// @ts-ignore: decorator
@inline
function block1x2(out: usize, base: usize, offs: usize, vals: usize, end: usize): void {
  const z = f32x4.splat(0);
  let a0 = z;
  let po = offs, pv = vals;
  for (; po + 4 < end; po += 8, pv += 8) {
    const p = base + <usize>load<i32>(po);
    const r = base + <usize>load<i32>(po, 4);
    const s = v128.load32_splat(pv);
    const t = v128.load32_splat(pv, 4);
    a0 = f32x4.add(a0, f32x4.add(f32x4.mul(v128.load(p, 0), s), f32x4.mul(v128.load(r, 0), t)));
  }
  if (po < end) {
    const p = base + <usize>load<i32>(po);
    const s = v128.load32_splat(pv);
    a0 = fma(a0, v128.load(p, 0), s);
  }
  v128.store(out, f32x4.add(v128.load(out, 0), a0), 0);
}

// @ts-ignore: decorator
@inline
function block2x2(out: usize, base: usize, offs: usize, vals: usize, end: usize): void {
  const z = f32x4.splat(0);
  let a0 = z, a1 = z;
  let po = offs, pv = vals;
  for (; po + 4 < end; po += 8, pv += 8) {
    const p = base + <usize>load<i32>(po) * 2;
    const r = base + <usize>load<i32>(po, 4) * 2;
    const s = v128.load32_splat(pv);
    const t = v128.load32_splat(pv, 4);
    a0 = f32x4.add(a0, f32x4.add(f32x4.mul(v128.load(p, 0), s), f32x4.mul(v128.load(r, 0), t)));
    a1 = f32x4.add(a1, f32x4.add(f32x4.mul(v128.load(p, 16), s), f32x4.mul(v128.load(r, 16), t)));
  }
  if (po < end) {
    const p = base + <usize>load<i32>(po) * 2;
    const s = v128.load32_splat(pv);
    a0 = fma(a0, v128.load(p, 0), s);
    a1 = fma(a1, v128.load(p, 16), s);
  }
  v128.store(out, f32x4.add(v128.load(out, 0), a0), 0);
  v128.store(out, f32x4.add(v128.load(out, 16), a1), 16);
}

// @ts-ignore: decorator
@inline
function block3x2(out: usize, base: usize, offs: usize, vals: usize, end: usize): void {
  const z = f32x4.splat(0);
  let a0 = z, a1 = z, a2 = z;
  let po = offs, pv = vals;
  for (; po + 4 < end; po += 8, pv += 8) {
    const p = base + <usize>load<i32>(po) * 3;
    const r = base + <usize>load<i32>(po, 4) * 3;
    const s = v128.load32_splat(pv);
    const t = v128.load32_splat(pv, 4);
    a0 = f32x4.add(a0, f32x4.add(f32x4.mul(v128.load(p, 0), s), f32x4.mul(v128.load(r, 0), t)));
    a1 = f32x4.add(a1, f32x4.add(f32x4.mul(v128.load(p, 16), s), f32x4.mul(v128.load(r, 16), t)));
    a2 = f32x4.add(a2, f32x4.add(f32x4.mul(v128.load(p, 32), s), f32x4.mul(v128.load(r, 32), t)));
  }
  if (po < end) {
    const p = base + <usize>load<i32>(po) * 3;
    const s = v128.load32_splat(pv);
    a0 = fma(a0, v128.load(p, 0), s);
    a1 = fma(a1, v128.load(p, 16), s);
    a2 = fma(a2, v128.load(p, 32), s);
  }
  v128.store(out, f32x4.add(v128.load(out, 0), a0), 0);
  v128.store(out, f32x4.add(v128.load(out, 16), a1), 16);
  v128.store(out, f32x4.add(v128.load(out, 32), a2), 32);
}

// @ts-ignore: decorator
@inline
function block4x2(out: usize, base: usize, offs: usize, vals: usize, end: usize): void {
  const z = f32x4.splat(0);
  let a0 = z, a1 = z, a2 = z, a3 = z;
  let po = offs, pv = vals;
  for (; po + 4 < end; po += 8, pv += 8) {
    const p = base + <usize>load<i32>(po) * 4;
    const r = base + <usize>load<i32>(po, 4) * 4;
    const s = v128.load32_splat(pv);
    const t = v128.load32_splat(pv, 4);
    a0 = f32x4.add(a0, f32x4.add(f32x4.mul(v128.load(p, 0), s), f32x4.mul(v128.load(r, 0), t)));
    a1 = f32x4.add(a1, f32x4.add(f32x4.mul(v128.load(p, 16), s), f32x4.mul(v128.load(r, 16), t)));
    a2 = f32x4.add(a2, f32x4.add(f32x4.mul(v128.load(p, 32), s), f32x4.mul(v128.load(r, 32), t)));
    a3 = f32x4.add(a3, f32x4.add(f32x4.mul(v128.load(p, 48), s), f32x4.mul(v128.load(r, 48), t)));
  }
  if (po < end) {
    const p = base + <usize>load<i32>(po) * 4;
    const s = v128.load32_splat(pv);
    a0 = fma(a0, v128.load(p, 0), s);
    a1 = fma(a1, v128.load(p, 16), s);
    a2 = fma(a2, v128.load(p, 32), s);
    a3 = fma(a3, v128.load(p, 48), s);
  }
  v128.store(out, f32x4.add(v128.load(out, 0), a0), 0);
  v128.store(out, f32x4.add(v128.load(out, 16), a1), 16);
  v128.store(out, f32x4.add(v128.load(out, 32), a2), 32);
  v128.store(out, f32x4.add(v128.load(out, 48), a3), 48);
}

// @ts-ignore: decorator
@inline
function block5(out: usize, base: usize, offs: usize, vals: usize, end: usize): void {
  const z = f32x4.splat(0);
  let a0 = z, a1 = z, a2 = z, a3 = z, a4 = z;
  for (let po = offs, pv = vals; po < end; po += 4, pv += 4) {
    const p = base + <usize>load<i32>(po) * 5;
    const s = v128.load32_splat(pv);
    a0 = fma(a0, v128.load(p, 0), s);
    a1 = fma(a1, v128.load(p, 16), s);
    a2 = fma(a2, v128.load(p, 32), s);
    a3 = fma(a3, v128.load(p, 48), s);
    a4 = fma(a4, v128.load(p, 64), s);
  }
  v128.store(out, f32x4.add(v128.load(out, 0), a0), 0);
  v128.store(out, f32x4.add(v128.load(out, 16), a1), 16);
  v128.store(out, f32x4.add(v128.load(out, 32), a2), 32);
  v128.store(out, f32x4.add(v128.load(out, 48), a3), 48);
  v128.store(out, f32x4.add(v128.load(out, 64), a4), 64);
}

// @ts-ignore: decorator
@inline
function block6(out: usize, base: usize, offs: usize, vals: usize, end: usize): void {
  const z = f32x4.splat(0);
  let a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z;
  for (let po = offs, pv = vals; po < end; po += 4, pv += 4) {
    const p = base + <usize>load<i32>(po) * 6;
    const s = v128.load32_splat(pv);
    a0 = fma(a0, v128.load(p, 0), s);
    a1 = fma(a1, v128.load(p, 16), s);
    a2 = fma(a2, v128.load(p, 32), s);
    a3 = fma(a3, v128.load(p, 48), s);
    a4 = fma(a4, v128.load(p, 64), s);
    a5 = fma(a5, v128.load(p, 80), s);
  }
  v128.store(out, f32x4.add(v128.load(out, 0), a0), 0);
  v128.store(out, f32x4.add(v128.load(out, 16), a1), 16);
  v128.store(out, f32x4.add(v128.load(out, 32), a2), 32);
  v128.store(out, f32x4.add(v128.load(out, 48), a3), 48);
  v128.store(out, f32x4.add(v128.load(out, 64), a4), 64);
  v128.store(out, f32x4.add(v128.load(out, 80), a5), 80);
}

// @ts-ignore: decorator
@inline
function block7(out: usize, base: usize, offs: usize, vals: usize, end: usize): void {
  const z = f32x4.splat(0);
  let a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z;
  for (let po = offs, pv = vals; po < end; po += 4, pv += 4) {
    const p = base + <usize>load<i32>(po) * 7;
    const s = v128.load32_splat(pv);
    a0 = fma(a0, v128.load(p, 0), s);
    a1 = fma(a1, v128.load(p, 16), s);
    a2 = fma(a2, v128.load(p, 32), s);
    a3 = fma(a3, v128.load(p, 48), s);
    a4 = fma(a4, v128.load(p, 64), s);
    a5 = fma(a5, v128.load(p, 80), s);
    a6 = fma(a6, v128.load(p, 96), s);
  }
  v128.store(out, f32x4.add(v128.load(out, 0), a0), 0);
  v128.store(out, f32x4.add(v128.load(out, 16), a1), 16);
  v128.store(out, f32x4.add(v128.load(out, 32), a2), 32);
  v128.store(out, f32x4.add(v128.load(out, 48), a3), 48);
  v128.store(out, f32x4.add(v128.load(out, 64), a4), 64);
  v128.store(out, f32x4.add(v128.load(out, 80), a5), 80);
  v128.store(out, f32x4.add(v128.load(out, 96), a6), 96);
}

/**
 * out[0..rows) += Σ_j A[:, col_j] · v_j (A: rows × cols, packed; rows a multiple of 4; a list of n
 * column indices × 16 and values), in chunks of CHUNK list entries, each summed from zero (short f32
 * sums: small rounding error). Rows go in blocks of as equal sizes as possible, at most 7 vectors
 * each, the smaller first (src/core/network/encoder-wasm.ts packs the matrices by the same rule).
 */
function gemvList(out: usize, rows: i32, cols: i32, a: usize, offs: usize, vals: usize, n: i32): void {
  const nv = rows >> 2;
  const blocks = (nv + 6) / 7;
  if (blocks == 0) return;
  const small = nv / blocks, big = blocks - nv % blocks; // the first `big` blocks have `small` vectors
  for (let j0 = 0; j0 < n; j0 += CHUNK) {
    const po = offs + (<usize>j0 << 2), pv = vals + (<usize>j0 << 2);
    const end = po + (<usize>min(CHUNK, n - j0) << 2);
    let r: usize = 0;
    for (let b = 0; b < blocks; b++) {
      const w = b < big ? small : small + 1;
      const o = out + r, c = a + r * <usize>cols; // panel b starts after cols columns of each earlier block
      switch (w) {
        case 1: block1x2(o, c, po, pv, end); break;
        case 2: block2x2(o, c, po, pv, end); break;
        case 3: block3x2(o, c, po, pv, end); break;
        case 4: block4x2(o, c, po, pv, end); break;
        case 5: block5(o, c, po, pv, end); break;
        case 6: block6(o, c, po, pv, end); break;
        default: block7(o, c, po, pv, end); break;
      }
      r += <usize>w << 4;
    }
  }
}

/** Zeros count floats (a multiple of 4). */
function zero(p: usize, count: i32): void {
  const z = f32x4.splat(0);
  const end = p + (<usize>count << 2);
  for (; p < end; p += 16) v128.store(p, z);
}

/**
 * Appends the non-zero entries of v[0..count) (count a multiple of 4; the padding lanes hold 0) to
 * the list at index n: column first + i (as 16·(first + i)), value v[i]. Returns the new length.
 */
function compact(v: usize, count: i32, first: i32, offs: usize, vals: usize, n: i32): i32 {
  const z = f32x4.splat(0);
  for (let i = 0; i < count; i += 4) {
    const p = v + (<usize>i << 2);
    let mask = i32x4.bitmask(f32x4.ne(v128.load(p), z));
    while (mask != 0) {
      const b = ctz(mask);
      mask &= mask - 1;
      const k = i + b;
      store<i32>(offs + (<usize>n << 2), (first + k) << 4);
      store<f32>(vals + (<usize>n << 2), load<f32>(p + (<usize>b << 2)));
      n++;
    }
  }
  return n;
}

/** Threshold operator: max(b − t, 0) (rnmf) or soft thresholding (rpca), as in encoders.ts. */
// @ts-ignore: decorator
@inline
function prox(b: v128, t: v128, nonneg: bool): v128 {
  const z = f32x4.splat(0);
  const up = f32x4.sub(b, t);
  if (nonneg) return v128.bitselect(up, z, f32x4.gt(b, t));
  const down = f32x4.add(b, t);
  return v128.bitselect(up, v128.bitselect(down, z, f32x4.lt(b, f32x4.neg(t))), f32x4.gt(b, t));
}

/** One frame: x at slot X in, o at VOICE and U s at ACCOMP out. */
export function run(desc: usize): void {
  const m = word(desc, D.M);
  const q = word(desc, D.Q);
  const T = word(desc, D.T);
  const rw = word(desc, D.RW);
  const rh = word(desc, D.RH);
  const nonneg = word(desc, D.NONNEG) != 0;
  const mp = word(desc, D.MP);
  const qp = word(desc, D.QP);
  const rwp = word(desc, D.RWP);
  const rhp = word(desc, D.RHP);
  const x = slot(desc, D.X), voice = slot(desc, D.VOICE), accomp = slot(desc, D.ACCOMP);
  const sv = slot(desc, D.SV), bo = slot(desc, D.BO), zs = slot(desc, D.ZS), zo = slot(desc, D.ZO);
  const ds = slot(desc, D.DS), offs = slot(desc, D.OFF), vals = slot(desc, D.VAL);
  const v = sv + (<usize>qp << 2);
  const mpBytes = mp << 2;

  // b_s = Ws x and v = Qw x (one product over the non-zero bins); b_o = wo ⊙ x + Pw v.
  const cin = qp + rwp;
  zero(sv, cin);
  let n = compact(x, mp, 0, offs, vals, 0);
  gemvList(sv, cin, m, slot(desc, D.BIN), offs, vals, n);
  const wo = slot(desc, D.WO);
  for (let i: usize = 0; i < <usize>mpBytes; i += 16) v128.store(bo + i, f32x4.mul(v128.load(wo + i), v128.load(x + i)));
  if (rw > 0) {
    n = compact(v, rwp, 0, offs, vals, 0);
    gemvList(bo, mp, rw, slot(desc, D.PW), offs, vals, n);
  }
  zero(zs, qp);
  zero(zo, mp);

  const cs = qp + rhp;
  const tmp = slot(desc, D.TMP);
  const z4 = f32x4.splat(0);
  for (let l = 0; l < T; l++) {
    const layer = desc + (<usize>(D.LAYERS + D.LAYER_SLOTS * l) << 2);
    const ts = <usize>load<i32>(layer + (D.L_T << 2));
    const to = ts + (<usize>qp << 2);
    if (l == T - 1) {
      for (let a: usize = 0; a < <usize>(qp << 2); a += 16) v128.store(zs + a, prox(v128.load(sv + a), v128.load(ts + a), nonneg));
      for (let i: usize = 0; i < <usize>mpBytes; i += 16) v128.store(voice + i, prox(v128.load(bo + i), v128.load(to + i), nonneg));
      break;
    }
    const bsMat = <usize>load<i32>(layer + (D.L_BS << 2));
    const boMat = <usize>load<i32>(layer + (D.L_BO << 2));
    const hoo = <usize>load<i32>(layer + (D.L_HOO << 2));
    // d_s = y_s − z_s; z_s = y_s.
    for (let a: usize = 0; a < <usize>(qp << 2); a += 16) {
      const y = prox(v128.load(sv + a), v128.load(ts + a), nonneg);
      v128.store(ds + a, f32x4.sub(y, v128.load(zs + a)));
      v128.store(zs + a, y);
    }
    // d_o = y_o − z_o; z_o = y_o; b_o += hoo ⊙ d_o; list the non-zero d_o (columns of [Hso; Qh]).
    n = 0;
    for (let i = 0; i < mp; i += 4) {
      const o = <usize>i << 2;
      const y = prox(v128.load(bo + o), v128.load(to + o), nonneg);
      const d = f32x4.sub(y, v128.load(zo + o));
      let mask = i32x4.bitmask(f32x4.ne(d, z4));
      if (mask == 0) continue;
      v128.store(zo + o, y);
      v128.store(bo + o, fma(v128.load(bo + o), v128.load(hoo + o), d));
      v128.store(tmp, d);
      while (mask != 0) {
        const b = ctz(mask);
        mask &= mask - 1;
        store<i32>(offs + (<usize>n << 2), (i + b) << 4);
        store<f32>(vals + (<usize>n << 2), load<f32>(tmp + (<usize>b << 2)));
        n++;
      }
    }
    // b_s += Hss d_s + Hso d_o and v = Qh d_o, in one product: the d_s columns follow the m bins.
    n = compact(ds, qp, m, offs, vals, n);
    if (rh > 0) zero(v, rhp);
    gemvList(sv, cs, m + q, bsMat, offs, vals, n); // cs = qp without a low-rank part (rhp = 0)
    // b_o += Hos d_s + Ph v.
    n = compact(ds, qp, 0, offs, vals, 0);
    if (rh > 0) n = compact(v, rhp, q, offs, vals, n);
    gemvList(bo, mp, q + rh, boMat, offs, vals, n);
  }
  // U s (s = z_s now).
  zero(accomp, mp);
  n = compact(zs, qp, 0, offs, vals, 0);
  gemvList(accomp, mp, q, slot(desc, D.U), offs, vals, n);
}
