/**
 * Training NN RNMF / NN RPCA (Sprechmann et al. 2012, §3.1), by minibatch gradient descent (Adam)
 * on frames, with back-propagation through the T unrolled layers written out by hand.
 *
 * Regimes, with (o, s) = h(x; Θ) the network's codes and U the dictionary:
 *   supervised       L = ‖U s − l*‖² + ‖o − o*‖²       (synchronised voice o* and accompaniment l*)
 *   semi-supervised  the same loss on isolated voice frames (l* = 0) or accompaniment frames (o* = 0)
 *   unsupervised     L = ½‖x − U s − o‖² + λ* / 2 ‖s‖² + λ ‖o‖₁   (mixtures only: the RNMF objective)
 * Optional dictionary update after each step: for RNMF the multiplicative rules (non-negativity kept)
 *   supervised   U ← U ⊙ L* Sᵀ / (U (S Sᵀ + λ* I))
 *   unsupervised U ← U ⊙ X Sᵀ / ((U S + O) Sᵀ + λ* U)        (the split form of eq. 10)
 * and for RPCA a gradient step on U.
 *
 * The best parameters on the validation frames are kept (early stopping).
 */
import { colRange, gemm, gemmNT, gemmTN, mat, type Mat } from '../linalg/matrix.ts';
import { perLayerArrays, type Model } from '../model/model.ts';
import { Random } from '../linalg/random.ts';

export type Regime = 'supervised' | 'semi-supervised' | 'unsupervised';

/** Frames as columns (m × frames), normalised as the separator normalises them. */
export interface FrameSet {
  x: Mat;
  /** True voice magnitudes (supervised, semi-supervised). */
  voice?: Mat;
  /** True accompaniment magnitudes (supervised, semi-supervised). */
  accomp?: Mat;
}

export interface TrainOptions {
  regime: Regime;
  dictUpdate: boolean;
  steps: number;
  batch: number;
  learningRate: number;
  /**
   * Structured networks: share one set of layer parameters across the layers, as the paper's dense
   * network does (the gradients of all layers are summed, so the copies stay identical).
   */
  tied?: boolean;
  /** constant, or cosine decay from learningRate to 0 over the steps. */
  schedule?: 'constant' | 'cosine';
  seed: number;
  /** Validate every this many steps. */
  validateEvery: number;
  /** Stop after this many validations without improvement (0: never). */
  patience: number;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainProgress {
  step: number;
  steps: number;
  trainLoss: number;
  valLoss: number;
  bestValLoss: number;
  bestStep: number;
  seconds: number;
}

const EPS = 1e-12;

/** A network whose parameters can be trained on batches of frames. */
export interface Trainable {
  /** Learnable arrays of the encoder (not U), by model array name: views into the model. */
  readonly params: Record<string, Float32Array>;
  readonly grads: Record<string, Float32Array>;
  /** Names of the threshold arrays (kept ≥ 0). */
  readonly thresholds: string[];
  /** Runs cols frames of x (m × ≥cols); returns the codes z = (s; o), n × cols (a view, valid until the next call). */
  forward(x: Mat, cols: number): Mat;
  /** Back-propagates dL/dz (n × cols) of the last forward, adding into grads. */
  backward(gz: Mat): void;
}

export function createTrainable(model: Model, maxBatch: number): Trainable {
  return model.header.structure === 'dense' ? new DenseTrainable(model, maxBatch) : new StructuredTrainable(model, maxBatch);
}

function proxForward(b: Float32Array, y: Float32Array, t: Float32Array, n: number, cols: number, nonneg: boolean): void {
  for (let j = 0; j < cols; j++) {
    const off = j * n;
    for (let k = 0; k < n; k++) {
      const v = b[off + k], th = t[k];
      y[off + k] = nonneg ? (v > th ? v - th : 0) : v > th ? v - th : v < -th ? v + th : 0;
    }
  }
}

/**
 * Through the proximal step: gb = gy ⊙ [active] (+ carry), gt −= Σ_frames gy ⊙ ∂y/∂t.
 * rnmf: y = max(b − t, 0); rpca: y = sign(b) max(|b| − t, 0).
 */
function proxBackward(
  b: Float32Array, gy: Float32Array, carry: Float32Array | null, gb: Float32Array, t: Float32Array, gt: Float32Array,
  n: number, cols: number, nonneg: boolean,
): void {
  for (let j = 0; j < cols; j++) {
    const off = j * n;
    for (let k = 0; k < n; k++) {
      const v = b[off + k], th = t[k];
      let g = 0;
      if (nonneg ? v > th : v > th || v < -th) {
        g = gy[off + k];
        gt[k] -= nonneg || v > 0 ? g : -g;
      }
      gb[off + k] = carry ? carry[off + k] + g : g;
    }
  }
}

function sub(a: Float32Array, b: Float32Array | null, out: Float32Array, len: number): void {
  if (b) for (let i = 0; i < len; i++) out[i] = a[i] - b[i];
  else for (let i = 0; i < len; i++) out[i] = a[i];
}

class DenseTrainable implements Trainable {
  readonly params: Record<string, Float32Array>;
  readonly grads: Record<string, Float32Array>;
  readonly thresholds = ['t'];
  private readonly W: Mat;
  private readonly H: Mat;
  private readonly gW: Mat;
  private readonly gH: Mat;
  private readonly n: number;
  private readonly T: number;
  private readonly nonneg: boolean;
  private readonly b: Mat[];
  private readonly y: Mat[];
  private readonly gy: Mat[];
  private readonly d: Mat;
  private readonly gb: Mat;
  private readonly carry: Mat;
  private readonly gd: Mat;
  private x: Mat | null = null;
  private cols = 0;

  constructor(model: Model, maxBatch: number) {
    const { m, q, layers: T, variant } = model.header;
    const n = m + q;
    this.n = n;
    this.T = T;
    this.nonneg = variant === 'rnmf';
    this.W = model.arrays.W;
    this.H = model.arrays.H;
    this.gW = mat(n, m);
    this.gH = mat(n, n);
    this.params = { W: this.W.data, H: this.H.data, t: model.arrays.t.data };
    this.grads = { W: this.gW.data, H: this.gH.data, t: new Float32Array(n) };
    const alloc = () => mat(n, maxBatch);
    this.b = Array.from({ length: T }, alloc);
    this.y = Array.from({ length: T }, alloc);
    this.gy = Array.from({ length: T }, alloc);
    this.d = alloc();
    this.gb = alloc();
    this.carry = alloc();
    this.gd = alloc();
  }

  forward(x: Mat, cols: number): Mat {
    const { n, T } = this;
    const t = this.params.t;
    const len = n * cols;
    this.x = colRange(x, 0, cols);
    this.cols = cols;
    gemm(this.W, this.x, colRange(this.b[0], 0, cols));
    proxForward(this.b[0].data, this.y[0].data, t, n, cols, this.nonneg);
    for (let l = 1; l < T; l++) {
      sub(this.y[l - 1].data, l >= 2 ? this.y[l - 2].data : null, this.d.data, len);
      this.b[l].data.set(this.b[l - 1].data.subarray(0, len));
      gemm(this.H, colRange(this.d, 0, cols), colRange(this.b[l], 0, cols), 1);
      proxForward(this.b[l].data, this.y[l].data, t, n, cols, this.nonneg);
    }
    return colRange(this.y[T - 1], 0, cols);
  }

  backward(gz: Mat): void {
    const { n, T, cols } = this;
    const len = n * cols;
    const t = this.params.t, gt = this.grads.t;
    for (let l = 0; l < T - 1; l++) this.gy[l].data.fill(0, 0, len);
    this.gy[T - 1].data.set(gz.data.subarray(0, len));
    for (let l = T - 1; l >= 0; l--) {
      proxBackward(this.b[l].data, this.gy[l].data, l === T - 1 ? null : this.carry.data, this.gb.data, t, gt, n, cols, this.nonneg);
      const gb = colRange(this.gb, 0, cols);
      if (l >= 1) {
        sub(this.y[l - 1].data, l >= 2 ? this.y[l - 2].data : null, this.d.data, len);
        gemmNT(gb, colRange(this.d, 0, cols), this.gH, 1); // gH += gb dᵀ
        gemmTN(this.H, gb, colRange(this.gd, 0, cols)); // gd = Hᵀ gb
        const gd = this.gd.data, g1 = this.gy[l - 1].data;
        for (let i = 0; i < len; i++) g1[i] += gd[i];
        if (l >= 2) {
          const g2 = this.gy[l - 2].data;
          for (let i = 0; i < len; i++) g2[i] -= gd[i];
        }
      } else {
        gemmNT(gb, this.x!, this.gW, 1); // gW += gb xᵀ
      }
      this.carry.data.set(this.gb.data.subarray(0, len));
    }
  }
}

class StructuredTrainable implements Trainable {
  readonly params: Record<string, Float32Array>;
  readonly grads: Record<string, Float32Array>;
  readonly thresholds = ['t'];
  private readonly m: number;
  private readonly q: number;
  private readonly T: number;
  private readonly nonneg: boolean;
  private readonly A: Record<string, Mat>;
  private readonly G: Record<string, Mat>;
  private readonly b: Mat[]; // n × B: rows [0, q) are s, [q, n) are o
  private readonly y: Mat[];
  private readonly gy: Mat[];
  private readonly gb: Mat;
  private readonly carry: Mat;
  // Block temporaries, split into s and o parts (contiguous, for gemm).
  private readonly ds: Mat;
  private readonly dO: Mat;
  private readonly gbs: Mat;
  private readonly gbo: Mat;
  private readonly tmpS: Mat;
  private readonly tmpO: Mat;
  private readonly gds: Mat;
  private readonly gdo: Mat;
  private readonly xs: Mat;
  private readonly rw: number;
  private readonly rh: number;
  private readonly uw: Mat; // Qw x
  private readonly vh: Mat; // Qh d_o
  private readonly gv: Mat; // Phᵀ gb_o
  private readonly gw: Mat; // Pwᵀ gb_o
  private readonly tmpO2: Mat;
  private x: Mat | null = null;
  private cols = 0;

  constructor(model: Model, maxBatch: number) {
    const { m, q, layers: T, variant } = model.header;
    const n = m + q;
    this.m = m;
    this.q = q;
    this.T = T;
    this.nonneg = variant === 'rnmf';
    this.rw = model.header.inputRank;
    this.rh = model.header.layerRank;
    const names = ['Ws', 'wo', 't', 'Hss', 'Hso', 'Hos', 'hoo'];
    if (this.rw > 0) names.push('Pw', 'Qw');
    if (this.rh > 0) names.push('Ph', 'Qh');
    this.A = Object.fromEntries(names.map((k) => [k, model.arrays[k]]));
    this.G = Object.fromEntries(names.map((k) => [k, mat(model.arrays[k].rows, model.arrays[k].cols)]));
    this.params = Object.fromEntries(names.map((k) => [k, this.A[k].data]));
    this.grads = Object.fromEntries(names.map((k) => [k, this.G[k].data]));
    const alloc = (r: number) => mat(r, maxBatch);
    this.b = Array.from({ length: T }, () => alloc(n));
    this.y = Array.from({ length: T }, () => alloc(n));
    this.gy = Array.from({ length: T }, () => alloc(n));
    this.gb = alloc(n);
    this.carry = alloc(n);
    this.ds = alloc(q);
    this.dO = alloc(m);
    this.gbs = alloc(q);
    this.gbo = alloc(m);
    this.tmpS = alloc(q);
    this.tmpO = alloc(m);
    this.gds = alloc(q);
    this.gdo = alloc(m);
    this.xs = alloc(q);
    this.uw = alloc(Math.max(1, this.rw));
    this.gw = alloc(Math.max(1, this.rw));
    this.vh = alloc(Math.max(1, this.rh));
    this.gv = alloc(Math.max(1, this.rh));
    this.tmpO2 = alloc(m);
  }

  /** Layer l's transition blocks (l = 0 .. T−2) as matrix views. */
  private blocks(src: Record<string, Mat>, l: number) {
    const { m, q, rh } = this;
    return {
      ss: colRange(src.Hss, l * q, (l + 1) * q),
      so: colRange(src.Hso, l * m, (l + 1) * m),
      os: colRange(src.Hos, l * q, (l + 1) * q),
      oo: src.hoo.data.subarray(l * m, (l + 1) * m),
      P: rh > 0 ? colRange(src.Ph, l * rh, (l + 1) * rh) : null,
      Q: rh > 0 ? colRange(src.Qh, l * m, (l + 1) * m) : null,
    };
  }

  /** Splits n × cols into its s (q × cols) and o (m × cols) parts. */
  private split(z: Float32Array, s: Float32Array, o: Float32Array, cols: number): void {
    const { m, q } = this, n = m + q;
    for (let j = 0; j < cols; j++) {
      for (let a = 0; a < q; a++) s[j * q + a] = z[j * n + a];
      for (let i = 0; i < m; i++) o[j * m + i] = z[j * n + q + i];
    }
  }

  forward(x: Mat, cols: number): Mat {
    const { m, q, T } = this, n = m + q;
    const A = this.A;
    this.x = colRange(x, 0, cols);
    this.cols = cols;
    // b0 = [Ws x; wo ⊙ x]
    const xs = colRange(this.xs, 0, cols);
    gemm(A.Ws, this.x, xs);
    const b0 = this.b[0].data, X = this.x.data, wo = A.wo.data;
    const lr = colRange(this.tmpO2, 0, cols);
    if (this.rw > 0) {
      gemm(A.Qw, this.x, colRange(this.uw, 0, cols));
      gemm(A.Pw, colRange(this.uw, 0, cols), lr);
    }
    for (let j = 0; j < cols; j++) {
      for (let a = 0; a < q; a++) b0[j * n + a] = xs.data[j * q + a];
      for (let i = 0; i < m; i++) b0[j * n + q + i] = wo[i] * X[j * m + i] + (this.rw > 0 ? lr.data[j * m + i] : 0);
    }
    proxForward(b0, this.y[0].data, A.t.data.subarray(0, n), n, cols, this.nonneg);
    const ds = colRange(this.ds, 0, cols), dO = colRange(this.dO, 0, cols);
    const ts = colRange(this.tmpS, 0, cols), to = colRange(this.tmpO, 0, cols);
    for (let l = 1; l < T; l++) {
      // d = y[l−1] − y[l−2], split into s and o parts
      const cur = this.y[l - 1].data, prev = l >= 2 ? this.y[l - 2].data : null;
      for (let j = 0; j < cols; j++) {
        for (let a = 0; a < q; a++) { const k = j * n + a; ds.data[j * q + a] = cur[k] - (prev ? prev[k] : 0); }
        for (let i = 0; i < m; i++) { const k = j * n + q + i; dO.data[j * m + i] = cur[k] - (prev ? prev[k] : 0); }
      }
      const B = this.blocks(A, l - 1);
      gemm(B.ss, ds, ts);
      gemm(B.so, dO, ts, 1);
      gemm(B.os, ds, to);
      if (B.P && B.Q) {
        const vh = colRange(this.vh, 0, cols);
        gemm(B.Q, dO, vh);
        gemm(B.P, vh, to, 1);
      }
      const bl = this.b[l].data, bp = this.b[l - 1].data;
      for (let j = 0; j < cols; j++) {
        for (let a = 0; a < q; a++) bl[j * n + a] = bp[j * n + a] + ts.data[j * q + a];
        for (let i = 0; i < m; i++) {
          bl[j * n + q + i] = bp[j * n + q + i] + to.data[j * m + i] + B.oo[i] * dO.data[j * m + i];
        }
      }
      proxForward(bl, this.y[l].data, A.t.data.subarray(l * n, (l + 1) * n), n, cols, this.nonneg);
    }
    return colRange(this.y[T - 1], 0, cols);
  }

  backward(gz: Mat): void {
    const { m, q, T, cols } = this, n = m + q, len = n * cols;
    const A = this.A, G = this.G;
    for (let l = 0; l < T - 1; l++) this.gy[l].data.fill(0, 0, len);
    this.gy[T - 1].data.set(gz.data.subarray(0, len));
    const ds = colRange(this.ds, 0, cols), dO = colRange(this.dO, 0, cols);
    const gbs = colRange(this.gbs, 0, cols), gbo = colRange(this.gbo, 0, cols);
    const gds = colRange(this.gds, 0, cols), gdo = colRange(this.gdo, 0, cols);
    for (let l = T - 1; l >= 0; l--) {
      proxBackward(
        this.b[l].data, this.gy[l].data, l === T - 1 ? null : this.carry.data, this.gb.data,
        A.t.data.subarray(l * n, (l + 1) * n), G.t.data.subarray(l * n, (l + 1) * n), n, cols, this.nonneg,
      );
      this.split(this.gb.data, gbs.data, gbo.data, cols);
      if (l >= 1) {
        const cur = this.y[l - 1].data, prev = l >= 2 ? this.y[l - 2].data : null;
        for (let j = 0; j < cols; j++) {
          for (let a = 0; a < q; a++) { const k = j * n + a; ds.data[j * q + a] = cur[k] - (prev ? prev[k] : 0); }
          for (let i = 0; i < m; i++) { const k = j * n + q + i; dO.data[j * m + i] = cur[k] - (prev ? prev[k] : 0); }
        }
        const B = this.blocks(A, l - 1), GB = this.blocks(G, l - 1);
        gemmNT(gbs, ds, GB.ss, 1);
        gemmNT(gbs, dO, GB.so, 1);
        gemmNT(gbo, ds, GB.os, 1);
        for (let j = 0; j < cols; j++) {
          for (let i = 0; i < m; i++) GB.oo[i] += gbo.data[j * m + i] * dO.data[j * m + i];
        }
        // gd_s = Hssᵀ gb_s + Hosᵀ gb_o;  gd_o = Hsoᵀ gb_s + hoo ⊙ gb_o
        gemmTN(B.ss, gbs, gds);
        gemmTN(B.os, gbo, gds, 1);
        gemmTN(B.so, gbs, gdo);
        if (B.P && B.Q && GB.P && GB.Q) {
          // o ← … + P (Q d_o): dP += gb_o (Q d_o)ᵀ, dQ += (Pᵀ gb_o) d_oᵀ, gd_o += Qᵀ (Pᵀ gb_o)
          const vh = colRange(this.vh, 0, cols), gv = colRange(this.gv, 0, cols);
          gemm(B.Q, dO, vh);
          gemmNT(gbo, vh, GB.P, 1);
          gemmTN(B.P, gbo, gv);
          gemmNT(gv, dO, GB.Q, 1);
          gemmTN(B.Q, gv, gdo, 1);
        }
        const g1 = this.gy[l - 1].data, g2 = l >= 2 ? this.gy[l - 2].data : null;
        for (let j = 0; j < cols; j++) {
          for (let a = 0; a < q; a++) {
            const v = gds.data[j * q + a], k = j * n + a;
            g1[k] += v;
            if (g2) g2[k] -= v;
          }
          for (let i = 0; i < m; i++) {
            const v = gdo.data[j * m + i] + B.oo[i] * gbo.data[j * m + i], k = j * n + q + i;
            g1[k] += v;
            if (g2) g2[k] -= v;
          }
        }
      } else {
        gemmNT(gbs, this.x!, G.Ws, 1);
        if (this.rw > 0) {
          const uw = colRange(this.uw, 0, cols), gw = colRange(this.gw, 0, cols);
          gemm(A.Qw, this.x!, uw);
          gemmNT(gbo, uw, G.Pw, 1);
          gemmTN(A.Pw, gbo, gw);
          gemmNT(gw, this.x!, G.Qw, 1);
        }
        const X = this.x!.data, gwo = G.wo.data;
        for (let j = 0; j < cols; j++) {
          for (let i = 0; i < m; i++) gwo[i] += gbo.data[j * m + i] * X[j * m + i];
        }
      }
      this.carry.data.set(this.gb.data.subarray(0, len));
    }
  }
}

/** Scratch for the loss: U s and the gradient of z. */
interface LossScratch {
  us: Mat;
  gz: Mat;
  gl: Mat;
  s: Mat;
}

/**
 * Loss of a batch (mean over frames) and its gradient dL/dz into scratch.gz; also gl = dL/d(Us)
 * for the RPCA dictionary gradient. z = (s; o) is n × cols.
 */
export function batchLoss(
  regime: Regime, model: Model, z: Mat, x: Mat, voice: Mat | undefined, accomp: Mat | undefined, cols: number, scr: LossScratch,
): number {
  const { m, q, lambda, lambdaStar } = model.header;
  const n = m + q;
  const U = model.arrays.U;
  const s = colRange(scr.s, 0, cols), us = colRange(scr.us, 0, cols), gl = colRange(scr.gl, 0, cols);
  for (let j = 0; j < cols; j++) for (let a = 0; a < q; a++) s.data[j * q + a] = z.data[j * n + a];
  gemm(U, s, us);
  const gz = scr.gz.data, Z = z.data, X = x.data, US = us.data;
  const inv = 1 / cols;
  let loss = 0;
  if (regime === 'unsupervised') {
    for (let j = 0; j < cols; j++) {
      for (let i = 0; i < m; i++) {
        const o = Z[j * n + q + i];
        const r = X[j * m + i] - US[j * m + i] - o;
        loss += 0.5 * r * r + lambda * Math.abs(o);
        gl.data[j * m + i] = -r * inv;
        gz[j * n + q + i] = (-r + lambda * Math.sign(o)) * inv;
      }
      for (let a = 0; a < q; a++) {
        const sv = Z[j * n + a];
        loss += 0.5 * lambdaStar * sv * sv;
        gz[j * n + a] = lambdaStar * sv * inv;
      }
    }
  } else {
    const V = voice!.data, A = accomp!.data;
    for (let j = 0; j < cols; j++) {
      for (let i = 0; i < m; i++) {
        const eo = Z[j * n + q + i] - V[j * m + i];
        const el = US[j * m + i] - A[j * m + i];
        loss += eo * eo + el * el;
        gz[j * n + q + i] = 2 * eo * inv;
        gl.data[j * m + i] = 2 * el * inv;
      }
      for (let a = 0; a < q; a++) gz[j * n + a] = 0;
    }
  }
  // ds += Uᵀ gl
  const gs = colRange(scr.s, 0, cols);
  gemmTN(U, gl, gs);
  for (let j = 0; j < cols; j++) for (let a = 0; a < q; a++) gz[j * n + a] += gs.data[j * q + a];
  return loss * inv;
}

class Adam {
  private readonly m1: Float32Array;
  private readonly m2: Float32Array;
  private t = 0;
  /** Learning rate; the schedule changes it between steps. */
  lr: number;
  constructor(size: number, lr: number, private readonly b1 = 0.9, private readonly b2 = 0.999) {
    this.lr = lr;
    this.m1 = new Float32Array(size);
    this.m2 = new Float32Array(size);
  }
  step(p: Float32Array, g: Float32Array): void {
    this.t++;
    const { b1, b2 } = this;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    const a = this.lr * Math.sqrt(c2) / c1;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      const m1 = (this.m1[i] = b1 * this.m1[i] + (1 - b1) * gi);
      const m2 = (this.m2[i] = b2 * this.m2[i] + (1 - b2) * gi * gi);
      p[i] -= (a * m1) / (Math.sqrt(m2) + 1e-8);
    }
  }
}

/** Replaces each layer's gradient by the sum over layers (tied parameters move together). */
function tieLayerGradients(model: Model, grads: Record<string, Float32Array>): void {
  for (const [name, count] of perLayerArrays(model.header)) {
    const g = grads[name];
    const size = g.length / count;
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (let l = 0; l < count; l++) sum += g[l * size + i];
      for (let l = 0; l < count; l++) g[l * size + i] = sum;
    }
  }
}

/** Makes every layer a copy of the first (the start of tied training) and marks the model tied. */
export function tieLayers(model: Model): void {
  model.header = { ...model.header, tied: true };
  for (const [name, count] of perLayerArrays(model.header)) {
    const a = model.arrays[name].data;
    const size = a.length / count;
    for (let l = 1; l < count; l++) a.copyWithin(l * size, 0, size);
  }
}

/** Gathers frames idx[k0..k1) of a set into batch matrices. */
function gather(src: Mat, idx: Int32Array, k0: number, k1: number, out: Mat): void {
  const m = src.rows;
  for (let k = k0; k < k1; k++) out.data.set(src.data.subarray(idx[k] * m, (idx[k] + 1) * m), (k - k0) * m);
}

/** Multiplicative dictionary update on one batch (RNMF): keeps U ≥ 0. */
function updateDictionary(regime: Regime, model: Model, z: Mat, x: Mat, accomp: Mat | undefined, cols: number, s: Mat): void {
  const { m, q, lambdaStar } = model.header;
  const n = m + q;
  const U = model.arrays.U;
  const S = colRange(s, 0, cols);
  for (let j = 0; j < cols; j++) for (let a = 0; a < q; a++) S.data[j * q + a] = z.data[j * n + a];
  const num = mat(m, q), den = mat(m, q), sst = mat(q, q);
  gemmNT(S, S, sst);
  if (regime === 'unsupervised') {
    // U ⊙ X Sᵀ / ((U S + O) Sᵀ + λ* U)
    gemmNT(colRange(x, 0, cols), S, num);
    const recon = mat(m, cols);
    gemm(U, S, recon);
    for (let j = 0; j < cols; j++) for (let i = 0; i < m; i++) recon.data[j * m + i] += z.data[j * n + q + i];
    gemmNT(recon, S, den);
    for (let i = 0; i < m * q; i++) den.data[i] += lambdaStar * U.data[i];
  } else {
    // U ⊙ L* Sᵀ / (U (S Sᵀ + λ* I))
    gemmNT(colRange(accomp!, 0, cols), S, num);
    for (let a = 0; a < q; a++) sst.data[a + a * q] += lambdaStar;
    gemm(U, sst, den);
  }
  for (let i = 0; i < m * q; i++) U.data[i] *= num.data[i] / (den.data[i] + EPS);
}

/** Mean loss of a frame set under the model (forward only). */
export function evaluateLoss(regime: Regime, model: Model, net: Trainable, set: FrameSet, batch: number): number {
  const { m, q } = model.header;
  const frames = set.x.cols;
  const scr = lossScratch(m, q, batch);
  let total = 0;
  for (let k0 = 0; k0 < frames; k0 += batch) {
    const cols = Math.min(batch, frames - k0);
    const x = colRange(set.x, k0, k0 + cols);
    const z = net.forward(x, cols);
    const loss = batchLoss(regime, model, z, x,
      set.voice && colRange(set.voice, k0, k0 + cols), set.accomp && colRange(set.accomp, k0, k0 + cols), cols, scr);
    total += loss * cols;
  }
  return total / frames;
}

function lossScratch(m: number, q: number, batch: number): LossScratch {
  return { us: mat(m, batch), gz: mat(m + q, batch), gl: mat(m, batch), s: mat(q, batch) };
}

function snapshot(model: Model): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(model.arrays).map(([k, v]) => [k, v.data.slice()]));
}

/**
 * Trains the model in place; returns the progress history. On return the model holds the parameters
 * that did best on the validation frames.
 */
export function trainNetwork(model: Model, train: FrameSet, val: FrameSet, opts: TrainOptions): TrainProgress[] {
  const { m, q } = model.header;
  const supervisedLike = opts.regime !== 'unsupervised';
  if (supervisedLike && (!train.voice || !train.accomp || !val.voice || !val.accomp)) {
    throw new Error(`${opts.regime} training needs true voice and accompaniment frames`);
  }
  if (opts.tied && model.header.structure === 'structured') tieLayers(model);
  const net = createTrainable(model, opts.batch);
  const adam = Object.fromEntries(Object.entries(net.params).map(([k, p]) => [k, new Adam(p.length, opts.learningRate)]));
  const rpca = model.header.variant === 'rpca';
  const adamU = new Adam(m * q, opts.learningRate);
  const gU = mat(m, q);
  const rng = new Random(opts.seed);
  const frames = train.x.cols;
  const order = new Int32Array(frames).map((_, i) => i);
  rng.shuffle(order);
  let cursor = 0;
  const xb = mat(m, opts.batch), vb = mat(m, opts.batch), ab = mat(m, opts.batch);
  const scr = lossScratch(m, q, opts.batch);
  const started = Date.now();
  let best = evaluateLoss(opts.regime, model, net, val, opts.batch);
  let bestStep = 0;
  let bestParams = snapshot(model);
  let sinceBest = 0;
  let running = NaN;
  const history: TrainProgress[] = [];
  const report = (step: number, valLoss: number) => {
    const p: TrainProgress = { step, steps: opts.steps, trainLoss: running, valLoss, bestValLoss: best, bestStep, seconds: (Date.now() - started) / 1000 };
    history.push(p);
    opts.onProgress?.(p);
  };
  report(0, best);
  for (let step = 1; step <= opts.steps; step++) {
    if (opts.schedule === 'cosine') {
      const lr = 0.5 * opts.learningRate * (1 + Math.cos((Math.PI * (step - 1)) / opts.steps));
      for (const a of Object.values(adam)) a.lr = lr;
      adamU.lr = lr;
    }
    if (cursor + opts.batch > frames) {
      rng.shuffle(order);
      cursor = 0;
    }
    const cols = Math.min(opts.batch, frames);
    gather(train.x, order, cursor, cursor + cols, xb);
    if (supervisedLike) {
      gather(train.voice!, order, cursor, cursor + cols, vb);
      gather(train.accomp!, order, cursor, cursor + cols, ab);
    }
    cursor += cols;
    for (const g of Object.values(net.grads)) g.fill(0);
    const z = net.forward(xb, cols);
    const loss = batchLoss(opts.regime, model, z, xb, vb, ab, cols, scr);
    running = Number.isNaN(running) ? loss : 0.95 * running + 0.05 * loss;
    // Dictionary: multiplicative for RNMF (before the codes change), gradient for RPCA.
    if (opts.dictUpdate && rpca) {
      const S = colRange(scr.s, 0, cols);
      for (let j = 0; j < cols; j++) for (let a = 0; a < q; a++) S.data[j * q + a] = z.data[j * (m + q) + a];
      gemmNT(colRange(scr.gl, 0, cols), S, gU);
      if (opts.regime === 'unsupervised') {
        for (let i = 0; i < m * q; i++) gU.data[i] += (model.header.lambdaStar * model.arrays.U.data[i]) / cols;
      }
    }
    net.backward(colRange(scr.gz, 0, cols));
    if (opts.tied && model.header.structure === 'structured') tieLayerGradients(model, net.grads);
    for (const [k, p] of Object.entries(net.params)) adam[k].step(p, net.grads[k]);
    for (const k of net.thresholds) {
      const t = net.params[k];
      for (let i = 0; i < t.length; i++) if (t[i] < 0) t[i] = 0;
    }
    if (opts.dictUpdate) {
      if (rpca) adamU.step(model.arrays.U.data, gU.data);
      else updateDictionary(opts.regime, model, z, xb, ab, cols, scr.s);
    }
    if (step % opts.validateEvery === 0 || step === opts.steps) {
      const v = evaluateLoss(opts.regime, model, net, val, opts.batch);
      if (v < best) {
        best = v;
        bestStep = step;
        bestParams = snapshot(model);
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      report(step, v);
      if (opts.patience > 0 && sinceBest >= opts.patience) break;
    }
  }
  for (const [k, v] of Object.entries(bestParams)) model.arrays[k].data.set(v);
  return history;
}
