/**
 * NN RNMF / NN RPCA: the encoder network unrolled from Algorithm 1 (Sprechmann et al. 2012, §2.4, §3).
 *
 * A frame x (m normalised magnitudes) is explained as x ≈ U s + o. Algorithm 1 solves
 *   min_{s,o} ½‖x − Us − o‖² + λ* / 2 ‖s‖² + λ‖o‖₁   (s, o ≥ 0 for RNMF)
 * by proximal gradient steps on z = (s; o), n = q + m:
 *   b = W x;  z = 0;  repeat { y = prox_t(b);  b = b + H (y − z);  z = y }
 * with H = I − (1/α) [[UᵀU + λ*I, Uᵀ], [U, I]],  W = (1/α) [Uᵀ; I],  t = (λ/α) (0; 1),
 * and α ≥ ‖U‖₂² + 1 + λ* (a Lipschitz constant of the smooth part). The lower-right block is I, the
 * Hessian of eq. (8); the paper's Algorithm 1 prints (1 + λ*) I (README, Decisions worth knowing).
 *
 * The network runs T of those iterations — T proximal steps, T − 1 updates of b — with learned
 * parameters. prox is max(b − t, 0) for RNMF and soft thresholding for RPCA (where t_s = 0).
 * The voice is o; the accompaniment is U s.
 *
 * Two parameterisations (see model.ts):
 * - dense: the paper's, one (W, H, t) for all layers: an n×n product per layer.
 * - structured: per layer, H keeps the block shape Algorithm 1 gives it,
 *     (H d)_s = Hss d_s + Hso d_o,   (H d)_o = Hos d_s + hoo ⊙ d_o,
 *   with its own learned blocks (q×q, q×m, m×q, diagonal m); W = [Ws; diag(wo)]. A layer costs
 *   about 2qm multiply-adds instead of n², 13× fewer at m = 513, q = 20, and the untrained network
 *   is still exactly Algorithm 1.
 */
import { gemmTN, mat, type Mat } from '../linalg/matrix.ts';
import { spectralNorm } from '../linalg/svd/lanczos.ts';
import type { Model, ModelHeader, Structure, Variant } from '../model/model.ts';
import { Random } from '../linalg/random.ts';
import { createWasmEncoder, type EncoderIo } from './encoder-wasm.ts';
import type { WasmArena } from '../wasm/loader.ts';

export interface Algorithm1Settings {
  lambda: number;
  lambdaStar: number;
  /** Step parameter; default ‖U‖₂² + 1 + λ*. */
  alpha?: number;
}

export function algorithm1Alpha(u: Mat, lambdaStar: number): number {
  const s = spectralNorm(u);
  // A hair above the bound, so rounding never makes a step expansive.
  return (s * s + 1 + lambdaStar) * (1 + 1e-6);
}

/**
 * Algorithm 1 run to (near) convergence, or for a fixed number of iterations: the exact robust
 * projection of one frame onto the dictionary. Returns z = (s; o). Plain, unoptimised: a reference.
 */
export function algorithm1(
  x: Float32Array, u: Mat, settings: Algorithm1Settings & { variant?: Variant; iterations: number; tol?: number },
): { s: Float64Array; o: Float64Array; iterations: number } {
  const m = u.rows, q = u.cols, n = m + q;
  const alpha = settings.alpha ?? algorithm1Alpha(u, settings.lambdaStar);
  const nonneg = (settings.variant ?? 'rnmf') === 'rnmf';
  const t = settings.lambda / alpha;
  const U = u.data;
  const b = new Float64Array(n), z = new Float64Array(n), y = new Float64Array(n);
  // b = W x
  for (let a = 0; a < q; a++) {
    let acc = 0;
    for (let i = 0; i < m; i++) acc += U[i + a * m] * x[i];
    b[a] = acc / alpha;
  }
  for (let i = 0; i < m; i++) b[q + i] = x[i] / alpha;
  let it = 0;
  for (; it < settings.iterations; it++) {
    for (let k = 0; k < n; k++) y[k] = prox(b[k], k < q ? 0 : t, nonneg);
    if (it === settings.iterations - 1) { z.set(y); it++; break; }
    // b += H (y − z) with H applied through U: r = U d_s + d_o.
    const d = new Float64Array(n);
    let change = 0, size = 0;
    for (let k = 0; k < n; k++) {
      d[k] = y[k] - z[k];
      change += d[k] * d[k];
      size += y[k] * y[k];
    }
    const r = new Float64Array(m);
    for (let i = 0; i < m; i++) r[i] = d[q + i];
    for (let a = 0; a < q; a++) for (let i = 0; i < m; i++) r[i] += U[i + a * m] * d[a];
    for (let a = 0; a < q; a++) {
      let acc = 0;
      for (let i = 0; i < m; i++) acc += U[i + a * m] * r[i];
      b[a] += d[a] - (acc + settings.lambdaStar * d[a]) / alpha;
    }
    for (let i = 0; i < m; i++) b[q + i] += d[q + i] - r[i] / alpha;
    z.set(y);
    if (settings.tol !== undefined && change <= settings.tol * settings.tol * Math.max(size, 1e-30)) { it++; break; }
  }
  return { s: z.slice(0, q), o: z.slice(q), iterations: it };
}

function prox(b: number, t: number, nonneg: boolean): number {
  if (nonneg) return b > t ? b - t : 0;
  return b > t ? b - t : b < -t ? b + t : 0;
}

/**
 * An untrained network: the parameters of Algorithm 1 for dictionary U, in the given structure.
 * Its output equals T iterations of {@link algorithm1}.
 */
export function algorithm1Model(
  u: Mat,
  opts: { lambda: number; lambdaStar: number; layers: number; variant: Variant; structure: Structure;
    sampleRate: number; fftSize: number; hop: number; levelTau: number; maskPower: number; residualWeight?: number; alpha?: number;
    inputRank?: number; layerRank?: number; seed?: number },
): Model {
  const m = u.rows, q = u.cols, n = m + q, T = opts.layers;
  const alpha = opts.alpha ?? algorithm1Alpha(u, opts.lambdaStar);
  const header: ModelHeader = {
    sampleRate: opts.sampleRate, fftSize: opts.fftSize, hop: opts.hop, m, q, layers: T,
    variant: opts.variant, structure: opts.structure, lambda: opts.lambda, lambdaStar: opts.lambdaStar,
    levelTau: opts.levelTau, maskPower: opts.maskPower, residualWeight: opts.residualWeight ?? 0,
    inputRank: opts.structure === 'structured' ? opts.inputRank ?? 0 : 0,
    layerRank: opts.structure === 'structured' ? opts.layerRank ?? 0 : 0,
    tied: false,
  };
  const U = u.data;
  const utu = mat(q, q);
  gemmTN(u, u, utu);
  const tVec = new Float32Array(n);
  for (let i = q; i < n; i++) tVec[i] = opts.lambda / alpha;
  const arrays: Record<string, Mat> = { U: mat(m, q, Float32Array.from(U)) };
  if (opts.structure === 'dense') {
    const W = mat(n, m), H = mat(n, n);
    for (let i = 0; i < m; i++) {
      for (let a = 0; a < q; a++) W.data[a + i * n] = U[i + a * m] / alpha; // Uᵀ/α
      W.data[q + i + i * n] = 1 / alpha;
    }
    // H = I − G/α with G = [[UᵀU + λ*I, Uᵀ], [U, I]] (column-major, n×n).
    for (let c = 0; c < n; c++) {
      for (let r = 0; r < n; r++) {
        let g: number;
        if (r < q && c < q) g = utu.data[r + c * q] + (r === c ? opts.lambdaStar : 0);
        else if (r < q) g = U[(c - q) + r * m]; // Uᵀ[r, c−q] = U[c−q, r]
        else if (c < q) g = U[(r - q) + c * m];
        else g = r === c ? 1 : 0;
        H.data[r + c * n] = (r === c ? 1 : 0) - g / alpha;
      }
    }
    arrays.W = W;
    arrays.H = H;
    arrays.t = mat(n, 1, tVec);
  } else {
    const Ws = mat(q, m), wo = mat(m, 1);
    for (let i = 0; i < m; i++) {
      for (let a = 0; a < q; a++) Ws.data[a + i * q] = U[i + a * m] / alpha;
      wo.data[i] = 1 / alpha;
    }
    const L = T - 1;
    const Hss = mat(q, q * L), Hso = mat(q, m * L), Hos = mat(m, q * L), hoo = mat(m, L), t = mat(n, T);
    for (let l = 0; l < L; l++) {
      for (let c = 0; c < q; c++) {
        for (let r = 0; r < q; r++) {
          Hss.data[r + (l * q + c) * q] = (r === c ? 1 : 0) - (utu.data[r + c * q] + (r === c ? opts.lambdaStar : 0)) / alpha;
        }
      }
      for (let i = 0; i < m; i++) {
        for (let a = 0; a < q; a++) {
          Hso.data[a + (l * m + i) * q] = -U[i + a * m] / alpha;
          Hos.data[i + (l * q + a) * m] = -U[i + a * m] / alpha;
        }
        hoo.data[i + l * m] = 1 - 1 / alpha;
      }
    }
    for (let l = 0; l < T; l++) t.data.set(tVec, l * n);
    Object.assign(arrays, { Ws, wo, t, Hss, Hso, Hos, hoo });
    // Low-rank terms P·Q: P = 0 keeps the network exactly Algorithm 1; Q small and random, so
    // training can grow P (dL/dP = g·(Q d)ᵀ is non-zero from the start).
    const rng = new Random(opts.seed ?? 1);
    const randomQ = (rows: number, cols: number) => mat(rows, cols, Float32Array.from({ length: rows * cols }, () => rng.normal() / Math.sqrt(m)));
    if (header.inputRank > 0) Object.assign(arrays, { Pw: mat(m, header.inputRank), Qw: randomQ(header.inputRank, m) });
    if (header.layerRank > 0) Object.assign(arrays, { Ph: mat(m, header.layerRank * L), Qh: randomQ(header.layerRank, m * L) });
  }
  return { header, arrays, info: { name: 'untrained (Algorithm 1)', alpha } };
}

/** One frame in, voice and accompaniment magnitudes out. Allocation-free after construction. */
export interface Encoder {
  readonly header: ModelHeader;
  /** x: m normalised magnitudes. Writes o (voice, m) and U s (accompaniment, m). */
  run(x: Float32Array, voice: Float32Array, accomp: Float32Array): void;
}

export interface EncoderOptions {
  /**
   * Use the WebAssembly SIMD encoder for structured networks where it runs (default true); false
   * asks for the plain JS one (tests and benchmarks compare the two). The outputs agree to f32
   * rounding. Dense networks always run in JS (the baseline).
   */
  fast?: boolean;
  /** Where the wasm encoder keeps the model (the caller commits it before run()); default its own memory. */
  arena?: WasmArena;
  /** With `arena`: the wasm encoder's input and outputs are these regions of it (see EncoderIo). */
  io?: EncoderIo;
}

export function createEncoder(model: Model, opts: EncoderOptions = {}): Encoder {
  if (model.header.structure === 'dense') return new DenseEncoder(model);
  return ((opts.fast ?? true) ? createWasmEncoder(model, opts.arena, opts.io) : null) ?? new StructuredEncoder(model);
}

/** out += P (Q x) for the r columns of P starting at column c0 (P: m × ·, Q: r × m, column-major). */
function addLowRank(P: Float32Array, Q: Float32Array, c0: number, r: number, x: Float32Array, out: Float64Array, v: Float64Array, m: number): void {
  v.fill(0, 0, r);
  for (let i = 0; i < m; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const off = i * r;
    for (let k = 0; k < r; k++) v[k] += Q[off + k] * xi;
  }
  for (let k = 0; k < r; k++) {
    const vk = v[k];
    if (vk === 0) continue;
    const off = (c0 + k) * m;
    for (let i = 0; i < m; i++) out[i] += P[off + i] * vk;
  }
}

/** out = A v for A rows × count (column-major), skipping the columns whose coefficient is 0. */
function product(A: Float32Array, rows: number, v: ArrayLike<number>, count: number, out: Float32Array): void {
  out.fill(0);
  for (let j = 0; j < count; j++) {
    const vj = v[j];
    if (vj === 0) continue;
    const off = j * rows;
    for (let i = 0; i < rows; i++) out[i] += A[off + i] * vj;
  }
}

class DenseEncoder implements Encoder {
  readonly header: ModelHeader;
  private readonly W: Float32Array;
  private readonly H: Float32Array;
  private readonly t: Float32Array;
  private readonly U: Float32Array;
  private readonly b: Float32Array;
  private readonly z: Float32Array;
  private readonly y: Float32Array;

  constructor(model: Model) {
    this.header = model.header;
    const n = model.header.m + model.header.q;
    this.W = model.arrays.W.data;
    this.H = model.arrays.H.data;
    this.t = model.arrays.t.data;
    this.U = model.arrays.U.data;
    this.b = new Float32Array(n);
    this.z = new Float32Array(n);
    this.y = new Float32Array(n);
  }

  run(x: Float32Array, voice: Float32Array, accomp: Float32Array): void {
    const { m, q, layers: T, variant } = this.header;
    const n = m + q, W = this.W, H = this.H, t = this.t, b = this.b, z = this.z, y = this.y;
    const nonneg = variant === 'rnmf';
    product(W, n, x, m, b); // b = W x (skipping silent bins)
    z.fill(0);
    for (let layer = 0; layer < T; layer++) {
      for (let k = 0; k < n; k++) y[k] = prox(b[k], t[k], nonneg);
      if (layer === T - 1) break;
      // b += H (y − z): only the columns where the code changed (thresholding leaves many zeros).
      for (let c = 0; c < n; c++) {
        const d = y[c] - z[c];
        if (d === 0) continue;
        const off = c * n;
        for (let k = 0; k < n; k++) b[k] += H[off + k] * d;
        z[c] = y[c];
      }
    }
    for (let i = 0; i < m; i++) voice[i] = y[q + i];
    product(this.U, m, y, q, accomp); // U s
  }
}

class StructuredEncoder implements Encoder {
  readonly header: ModelHeader;
  private readonly a: Record<string, Float32Array>;
  // Work vectors in f64: b sums hundreds of f32 products per layer; rounding them to f32 at every
  // step lost up to ~1e-5 of the output scale over 10 layers. In f64 this is the accurate reference
  // the wasm encoder (encoder-wasm.ts) is checked against.
  private readonly bs: Float64Array;
  private readonly bo: Float64Array;
  private readonly ys: Float64Array;
  private readonly yo: Float64Array;
  private readonly zs: Float64Array;
  private readonly zo: Float64Array;
  private readonly ds: Float64Array;
  private readonly lowRank: Float64Array;

  constructor(model: Model) {
    this.header = model.header;
    const { m, q } = model.header;
    this.lowRank = new Float64Array(Math.max(model.header.inputRank, model.header.layerRank, 1));
    this.a = Object.fromEntries(Object.entries(model.arrays).map(([k, v]) => [k, v.data]));
    this.bs = new Float64Array(q);
    this.bo = new Float64Array(m);
    this.ys = new Float64Array(q);
    this.yo = new Float64Array(m);
    this.zs = new Float64Array(q);
    this.zo = new Float64Array(m);
    this.ds = new Float64Array(q);
  }

  run(x: Float32Array, voice: Float32Array, accomp: Float32Array): void {
    const { m, q, layers: T, variant } = this.header;
    const n = m + q;
    const { Ws, wo, t, Hss, Hso, Hos, hoo, U, Pw, Qw, Ph, Qh } = this.a;
    const { bs, bo, ys, yo, zs, zo, ds, lowRank: v } = this;
    const rw = this.header.inputRank, rh = this.header.layerRank;
    const nonneg = variant === 'rnmf';
    // b = [Ws x; wo ⊙ x]
    for (let a = 0; a < q; a++) bs[a] = 0;
    for (let i = 0; i < m; i++) {
      const xi = x[i];
      bo[i] = wo[i] * xi;
      if (xi === 0) continue;
      const off = i * q;
      for (let a = 0; a < q; a++) bs[a] += Ws[off + a] * xi;
    }
    if (rw > 0) addLowRank(Pw, Qw, 0, rw, x, bo, v, m);
    zs.fill(0);
    zo.fill(0);
    for (let layer = 0; layer < T; layer++) {
      const tOff = layer * n;
      for (let a = 0; a < q; a++) ys[a] = prox(bs[a], t[tOff + a], nonneg);
      for (let i = 0; i < m; i++) yo[i] = prox(bo[i], t[tOff + q + i], nonneg);
      if (layer === T - 1) break;
      // d = y − z; b_s += Hss d_s + Hso d_o; b_o += Hos d_s + hoo ⊙ d_o (the old b_s feeds neither).
      for (let a = 0; a < q; a++) {
        ds[a] = ys[a] - zs[a];
        zs[a] = ys[a];
      }
      const ssOff = layer * q * q, soOff = layer * m * q, osOff = layer * q * m, ooOff = layer * m;
      for (let c = 0; c < q; c++) {
        const d = ds[c];
        if (d === 0) continue;
        const off = ssOff + c * q;
        for (let a = 0; a < q; a++) bs[a] += Hss[off + a] * d;
        const off2 = osOff + c * m;
        for (let i = 0; i < m; i++) bo[i] += Hos[off2 + i] * d;
      }
      if (rh > 0) v.fill(0, 0, rh);
      for (let i = 0; i < m; i++) {
        const d = yo[i] - zo[i];
        if (d === 0) continue;
        zo[i] = yo[i];
        bo[i] += hoo[ooOff + i] * d;
        const off = soOff + i * q;
        for (let a = 0; a < q; a++) bs[a] += Hso[off + a] * d;
        if (rh > 0) {
          const qOff = (layer * m + i) * rh;
          for (let k = 0; k < rh; k++) v[k] += Qh[qOff + k] * d;
        }
      }
      if (rh > 0) {
        for (let k = 0; k < rh; k++) {
          const vk = v[k];
          if (vk === 0) continue;
          const off = (layer * rh + k) * m;
          for (let i = 0; i < m; i++) bo[i] += Ph[off + i] * vk;
        }
      }
    }
    for (let i = 0; i < m; i++) voice[i] = yo[i];
    product(U, m, ys, q, accomp); // U s
  }
}
