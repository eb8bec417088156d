/**
 * The structured encoder (src/core/network/encoders.ts) in WebAssembly with f32x4 SIMD:
 * wasm/assembly/encoder.ts, built into src/core/wasm/encoder.wasm.ts by wasm/build.mjs.
 *
 * The encoder lives in a wasm memory (its own, or a {@link WasmArena} shared with the rest of a
 * separator). The model's arrays are copied in once, repacked for the kernel (see below); run()
 * copies the frame in, runs the T layers and copies o and U s out: no allocation. In a shared
 * arena its input and outputs can be another kernel's buffers ({@link EncoderIo}: the separator's
 * frame kernel), and then run() copies nothing. Results equal StructuredEncoder.run's to f32
 * rounding: the kernel sums in f32 (in short runs, each added to the running b once), the JS
 * encoder in f64; tests/unit/fastpath-wasm.test.ts holds them to 1e-5 of the output scale (about
 * 2e-6 in practice). The same zeros are skipped: inputs, code changes d and
 * low-rank codes that are exactly 0 cost nothing.
 *
 * Layout in wasm memory (floats; every vector zero-padded to a multiple of 4: mp ≥ m, qp ≥ q, …;
 * every matrix packed for the kernel's row blocks, see {@link writePacked}):
 *   Bin        (qp + rwp) × m      column i = [Ws[:, i]; Qw[:, i]]
 *   wo         mp
 *   Pw         mp × rw
 *   U          mp × q
 *   per layer l < T − 1 (a layer identical to an earlier one shares its storage: tied networks take
 *   one layer's memory, and stay in cache):
 *     Bs_l     (qp + rhp) × (m + q) column i < m = [Hso_l[:, i]; Qh_l[:, i]], column m + c = [Hss_l[:, c]; 0]
 *     Bo_l     mp × (q + rh)       [Hos_l | Ph_l]
 *     hoo_l    mp
 *   per layer l < T: thresholds [t_s (qp); t_o (mp)]
 * and the work vectors, addressed through an i32 descriptor table (its slots:
 * src/core/wasm/encoder-slots.ts).
 */
import type { Model, ModelHeader } from '../model/model.ts';
import * as D from '../wasm/encoder-slots.ts';
import { encoderWasmBase64 } from '../wasm/encoder.wasm.ts';
import { EmbeddedModule, WasmArena } from '../wasm/loader.ts';

interface EncoderExports {
  run(desc: number): void;
}

const wasm = new EmbeddedModule<EncoderExports>(encoderWasmBase64);

/** True where the wasm encoder compiles here (WebAssembly with 128-bit SIMD). */
export function wasmEncoderAvailable(): boolean {
  return wasm.available();
}

/** Compiles the module asynchronously (for a page's main thread); resolves to availability. */
export function loadWasmEncoder(): Promise<boolean> {
  return wasm.preload();
}

const pad4 = (n: number) => (n + 3) & ~3;

/** True when a[ia .. ia + len) and b[ib .. ib + len) hold the same values. */
function sameRange(a: Float32Array, ia: number, b: Float32Array, ib: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[ia + i] !== b[ib + i]) return false;
  return true;
}

/**
 * For each layer, the first layer whose slices of the given per-layer arrays (`per[k]` values each)
 * all equal its own: identical layers share storage.
 */
function firstEqualLayer(count: number, arrays: (Float32Array | null)[], per: number[]): number[] {
  const first: number[] = [];
  for (let l = 0; l < count; l++) {
    let f = l;
    for (let e = 0; e < l && f === l; e++) {
      if (first[e] !== e) continue;
      if (arrays.every((a, k) => !a || sameRange(a, l * per[k], a, e * per[k], per[k]))) f = e;
    }
    first.push(f);
  }
  return first;
}

/**
 * Byte offsets, in the encoder's arena, of its input frame and its two outputs (mp floats each,
 * zero-padded past m): regions another kernel reserved, so that the encoder works on that kernel's
 * buffers in place.
 */
export interface EncoderIo {
  x: number;
  voice: number;
  accomp: number;
}

/** dst[0..m) = src[0..m) (one memcpy when dst holds exactly m values). */
function copyFirst(dst: Float32Array, src: Float32Array, m: number): void {
  if (dst.length === m) dst.set(src);
  else for (let i = 0; i < m; i++) dst[i] = src[i];
}

/**
 * The kernel's row blocks for a product with `rows` rows (a multiple of 4): ⌈rows / 28⌉ blocks of
 * as equal sizes as possible, in f32x4 vectors, the smaller ones first (wasm/assembly/encoder.ts,
 * gemvList, splits the rows by the same rule).
 */
function rowBlocks(rows: number): number[] {
  const nv = rows >> 2, blocks = Math.ceil(nv / 7);
  const small = Math.floor(nv / blocks), big = blocks - (nv % blocks);
  return Array.from({ length: blocks }, (_, b) => (b < big ? small : small + 1));
}

/**
 * Writes a rows × cols matrix into f from float index `at`, packed as the kernel reads it: row
 * block by row block ({@link rowBlocks}), each block's part of column 0, then of column 1, …
 * (so a block walks its panel front to back). column(j, col) fills col (rows floats, zeroed) with
 * column j.
 */
function writePacked(f: Float32Array, at: number, rows: number, cols: number, column: (j: number, col: Float32Array) => void): void {
  const col = new Float32Array(rows);
  const blocks = rowBlocks(rows);
  for (let j = 0; j < cols; j++) {
    col.fill(0);
    column(j, col);
    for (let b = 0, r = 0; b < blocks.length; r += 4 * blocks[b], b++) {
      const w = 4 * blocks[b];
      f.set(col.subarray(r, r + w), at + cols * r + j * w);
    }
  }
}

/** True when a is a view of exactly the region b views. */
const sameView = (a: Float32Array, b: Float32Array) => a.byteOffset === b.byteOffset && a.buffer === b.buffer;

export class WasmStructuredEncoder {
  readonly header: ModelHeader;
  private readonly k: EncoderExports;
  private readonly desc: number;
  // Views of the arena, made when it commits.
  private x!: Float32Array;
  private voice!: Float32Array;
  private accomp!: Float32Array;

  /**
   * Lays the model out in `arena` (to be committed by the caller before run()), or in a memory of its
   * own. Throws where the module is unavailable or the memory cannot hold the model: see
   * {@link createWasmEncoder}. The arrays are written straight into wasm memory when it commits.
   * With `io` (in `arena` only), the input and outputs are those regions rather than its own.
   */
  constructor(model: Model, arena?: WasmArena, io?: EncoderIo) {
    const h = model.header;
    if (h.structure !== 'structured') throw new Error('the wasm encoder runs structured networks only');
    const ar = arena ?? WasmArena.create();
    const k = ar?.instance(wasm);
    if (!ar || !k) throw new Error('WebAssembly SIMD is not available here');
    this.header = h;
    this.k = k;
    const { m, q, layers: T, inputRank: rw, layerRank: rh } = h;
    const n = m + q, L = T - 1;
    const mp = pad4(m), qp = pad4(q), rwp = pad4(rw), rhp = pad4(rh);
    const cin = qp + rwp, cs = qp + rhp;
    const A = (name: string) => model.arrays[name].data;
    const Ws = A('Ws'), wo = A('wo'), U = A('U'), Qw = rw > 0 ? A('Qw') : null, Pw = rw > 0 ? A('Pw') : null;
    const Hss = A('Hss'), Hso = A('Hso'), Hos = A('Hos'), hoo = A('hoo'), t = A('t');
    const Qh = rh > 0 ? A('Qh') : null, Ph = rh > 0 ? A('Ph') : null;

    // Reserve: descriptor, work vectors, model arrays (one copy per distinct layer).
    const slots = D.LAYERS + D.LAYER_SLOTS * T;
    const desc = ar.reserve(slots);
    const ints: number[] = new Array(slots).fill(0);
    Object.assign(ints, { [D.M]: m, [D.Q]: q, [D.T]: T, [D.RW]: rw, [D.RH]: rh, [D.NONNEG]: h.variant === 'rnmf' ? 1 : 0, [D.MP]: mp, [D.QP]: qp, [D.RWP]: rwp, [D.RHP]: rhp });
    if (io && arena) Object.assign(ints, { [D.X]: io.x, [D.VOICE]: io.voice, [D.ACCOMP]: io.accomp });
    else for (const s of [D.X, D.VOICE, D.ACCOMP]) ints[s] = ar.reserve(mp);
    for (const [slot, len] of [[D.SV, qp + Math.max(rwp, rhp)], [D.BO, mp], [D.ZS, qp], [D.ZO, mp], [D.DS, qp], [D.TMP, 4]]) ints[slot] = ar.reserve(len);
    const listLen = m + q + Math.max(rw, rh) + 4;
    ints[D.OFF] = ar.reserve(listLen);
    ints[D.VAL] = ar.reserve(listLen);
    ints[D.BIN] = ar.reserve(cin * m);
    ints[D.WO] = ar.reserve(mp);
    if (rw > 0) ints[D.PW] = ar.reserve(mp * rw);
    ints[D.U] = ar.reserve(mp * q);
    const sameT = firstEqualLayer(T, [t], [n]);
    const sameBs = firstEqualLayer(L, [Hso, Qh, Hss], [m * q, m * rh, q * q]);
    const sameBo = firstEqualLayer(L, [Hos, Ph], [m * q, m * rh]);
    const sameHoo = firstEqualLayer(L, [hoo], [m]);
    const at = (l: number, j: number) => ints[D.LAYERS + D.LAYER_SLOTS * l + j];
    for (let l = 0; l < T; l++) {
      const slot = D.LAYERS + D.LAYER_SLOTS * l;
      ints[slot + D.L_T] = sameT[l] === l ? ar.reserve(qp + mp) : at(sameT[l], D.L_T);
      if (l === L) break;
      ints[slot + D.L_BS] = sameBs[l] === l ? ar.reserve(cs * (m + q)) : at(sameBs[l], D.L_BS);
      ints[slot + D.L_BO] = sameBo[l] === l ? ar.reserve(mp * (q + rh)) : at(sameBo[l], D.L_BO);
      ints[slot + D.L_HOO] = sameHoo[l] === l ? ar.reserve(mp) : at(sameHoo[l], D.L_HOO);
    }

    this.desc = desc;
    ar.onCommit(() => {
      // The memory is new: everything not written below (padding) is zero.
      ar.i32(desc, ints.length).set(ints);
      const f = ar.heap, w = (byteOffset: number) => byteOffset >> 2;
      // Input layer: column i of Bin = [Ws[:, i]; Qw[:, i]].
      writePacked(f, w(ints[D.BIN]), cin, m, (i, col) => {
        col.set(Ws.subarray(i * q, (i + 1) * q));
        if (Qw) col.set(Qw.subarray(i * rw, (i + 1) * rw), qp);
      });
      f.set(wo, w(ints[D.WO]));
      // Column c of an mp-row matrix: src's m values from (c0 + c)·m.
      const mColumns = (src: Float32Array, c0: number) => (c: number, col: Float32Array) => col.set(src.subarray((c0 + c) * m, (c0 + c + 1) * m));
      if (Pw) writePacked(f, w(ints[D.PW]), mp, rw, mColumns(Pw, 0));
      writePacked(f, w(ints[D.U]), mp, q, mColumns(U, 0));
      for (let l = 0; l < T; l++) {
        if (sameT[l] === l) {
          const o = w(at(l, D.L_T));
          f.set(t.subarray(l * n, l * n + q), o);
          f.set(t.subarray(l * n + q, (l + 1) * n), o + qp);
        }
        if (l === L) break;
        if (sameBs[l] === l) {
          // Column i < m: [Hso_l[:, i]; Qh_l[:, i]]; column m + c: [Hss_l[:, c]; 0].
          writePacked(f, w(at(l, D.L_BS)), cs, m + q, (i, col) => {
            if (i < m) {
              col.set(Hso.subarray((l * m + i) * q, (l * m + i + 1) * q));
              if (Qh) col.set(Qh.subarray((l * m + i) * rh, (l * m + i + 1) * rh), qp);
            } else {
              const c = i - m;
              col.set(Hss.subarray((l * q + c) * q, (l * q + c + 1) * q));
            }
          });
        }
        if (sameBo[l] === l) {
          // [Hos_l | Ph_l].
          const hos = mColumns(Hos, l * q), ph = Ph ? mColumns(Ph, l * rh) : null;
          writePacked(f, w(at(l, D.L_BO)), mp, q + rh, (c, col) => (c < q ? hos(c, col) : ph!(c - q, col)));
        }
        if (sameHoo[l] === l) f.set(hoo.subarray(l * m, (l + 1) * m), w(at(l, D.L_HOO)));
      }
      this.x = ar.f32(ints[D.X], m);
      this.voice = ar.f32(ints[D.VOICE], m);
      this.accomp = ar.f32(ints[D.ACCOMP], m);
    });
    if (!arena && !ar.commit()) throw new Error('the wasm encoder cannot get the memory for its model');
  }

  /**
   * x: m normalised magnitudes. Writes o (voice, m) and U s (accompaniment, m). Arrays that are
   * the encoder's own input and outputs (the {@link EncoderIo} regions) are not copied.
   */
  run(x: Float32Array, voice: Float32Array, accomp: Float32Array): void {
    const m = this.header.m;
    if (!sameView(x, this.x)) copyFirst(this.x, x, m);
    this.k.run(this.desc);
    if (!sameView(voice, this.voice)) copyFirst(voice, this.voice, m);
    if (!sameView(accomp, this.accomp)) copyFirst(accomp, this.accomp, m);
  }
}

/**
 * The wasm encoder for a structured model (in `arena` if given: the caller commits it), or null
 * where WebAssembly SIMD is unavailable.
 */
export function createWasmEncoder(model: Model, arena?: WasmArena, io?: EncoderIo): WasmStructuredEncoder | null {
  if (model.header.structure !== 'structured' || !wasm.available()) return null;
  try {
    return new WasmStructuredEncoder(model, arena, io);
  } catch {
    return null;
  }
}
