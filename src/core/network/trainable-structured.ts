/**
 * The structured network (see ./encoders.ts) as a trainable function. Per layer l ≥ 1, with the
 * step d = y[l−1] − y[l−2] split into its s and o parts:
 *   b_s += Hss d_s + Hso d_o,   b_o += Hos d_s + hoo ⊙ d_o (+ Ph (Qh d_o)),
 * and b₀ = [Ws x; wo ⊙ x (+ Pw (Qw x))]. Tied layers are handled by the training loop (./train.ts).
 */
import { colRange, gemm, gemmNT, gemmTN, mat, type Mat } from '../linalg/matrix.ts';
import type { Model } from '../model/model.ts';
import { UnrolledTrainable } from './trainable.ts';

export class StructuredTrainable extends UnrolledTrainable {
  readonly params: Record<string, Float32Array>;
  readonly grads: Record<string, Float32Array>;
  private readonly m: number;
  private readonly q: number;
  private readonly A: Record<string, Mat>;
  private readonly G: Record<string, Mat>;
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

  constructor(model: Model, maxBatch: number) {
    super(model, maxBatch);
    const { m, q } = model.header;
    this.m = m;
    this.q = q;
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

  protected layerThresholds(l: number): { t: Float32Array; gt: Float32Array } {
    const n = this.n;
    return { t: this.A.t.data.subarray(l * n, (l + 1) * n), gt: this.G.t.data.subarray(l * n, (l + 1) * n) };
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

  /** ds, dO ← the s and o parts of y[l−1] − y[l−2] (y[−1] = 0) for the current frames. */
  private step(l: number): void {
    const { m, q, n, cols } = this;
    const ds = this.ds.data, dO = this.dO.data;
    const cur = this.y[l - 1].data, prev = l >= 2 ? this.y[l - 2].data : null;
    for (let j = 0; j < cols; j++) {
      for (let a = 0; a < q; a++) { const k = j * n + a; ds[j * q + a] = cur[k] - (prev ? prev[k] : 0); }
      for (let i = 0; i < m; i++) { const k = j * n + q + i; dO[j * m + i] = cur[k] - (prev ? prev[k] : 0); }
    }
  }

  protected forwardLayer(l: number): void {
    const { m, q, n, cols } = this;
    const A = this.A;
    if (l === 0) {
      // b0 = [Ws x; wo ⊙ x]
      const xs = colRange(this.xs, 0, cols);
      gemm(A.Ws, this.x!, xs);
      const b0 = this.b[0].data, X = this.x!.data, wo = A.wo.data;
      const lr = colRange(this.tmpO2, 0, cols);
      if (this.rw > 0) {
        gemm(A.Qw, this.x!, colRange(this.uw, 0, cols));
        gemm(A.Pw, colRange(this.uw, 0, cols), lr);
      }
      for (let j = 0; j < cols; j++) {
        for (let a = 0; a < q; a++) b0[j * n + a] = xs.data[j * q + a];
        for (let i = 0; i < m; i++) b0[j * n + q + i] = wo[i] * X[j * m + i] + (this.rw > 0 ? lr.data[j * m + i] : 0);
      }
      return;
    }
    const ds = colRange(this.ds, 0, cols), dO = colRange(this.dO, 0, cols);
    const ts = colRange(this.tmpS, 0, cols), to = colRange(this.tmpO, 0, cols);
    this.step(l);
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
  }

  protected backwardLayer(l: number): void {
    const { m, q, n, cols } = this;
    const A = this.A, G = this.G;
    const gbs = colRange(this.gbs, 0, cols), gbo = colRange(this.gbo, 0, cols);
    // gb split into its s and o parts
    const gb = this.gb.data;
    for (let j = 0; j < cols; j++) {
      for (let a = 0; a < q; a++) gbs.data[j * q + a] = gb[j * n + a];
      for (let i = 0; i < m; i++) gbo.data[j * m + i] = gb[j * n + q + i];
    }
    if (l === 0) {
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
      return;
    }
    const ds = colRange(this.ds, 0, cols), dO = colRange(this.dO, 0, cols);
    const gds = colRange(this.gds, 0, cols), gdo = colRange(this.gdo, 0, cols);
    this.step(l);
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
  }
}
