/**
 * The paper's dense network as a trainable function: one W (n×m), H (n×n) and t shared by the
 * layers, b₀ = W x, b_l = b_{l−1} + H (y_{l−1} − y_{l−2}).
 */
import { colRange, gemm, gemmNT, gemmTN, mat, type Mat } from '../linalg/matrix.ts';
import type { Model } from '../model/model.ts';
import { UnrolledTrainable } from './trainable.ts';

export class DenseTrainable extends UnrolledTrainable {
  readonly params: Record<string, Float32Array>;
  readonly grads: Record<string, Float32Array>;
  private readonly W: Mat;
  private readonly H: Mat;
  private readonly gW: Mat;
  private readonly gH: Mat;
  /** The step y[l−1] − y[l−2] into a layer, and its gradient Hᵀ gb. */
  private readonly d: Mat;
  private readonly gd: Mat;

  constructor(model: Model, maxBatch: number) {
    super(model, maxBatch);
    const { n } = this;
    const m = model.header.m;
    this.W = model.arrays.W;
    this.H = model.arrays.H;
    this.gW = mat(n, m);
    this.gH = mat(n, n);
    this.params = { W: this.W.data, H: this.H.data, t: model.arrays.t.data };
    this.grads = { W: this.gW.data, H: this.gH.data, t: new Float32Array(n) };
    this.d = mat(n, maxBatch);
    this.gd = mat(n, maxBatch);
  }

  protected layerThresholds(): { t: Float32Array; gt: Float32Array } {
    return { t: this.params.t, gt: this.grads.t };
  }

  protected forwardLayer(l: number): void {
    const cols = this.cols;
    if (l === 0) {
      gemm(this.W, this.x!, colRange(this.b[0], 0, cols));
      return;
    }
    this.step(l);
    this.b[l].data.set(this.b[l - 1].data.subarray(0, this.n * cols));
    gemm(this.H, colRange(this.d, 0, cols), colRange(this.b[l], 0, cols), 1);
  }

  protected backwardLayer(l: number): void {
    const cols = this.cols, len = this.n * cols;
    const gb = colRange(this.gb, 0, cols);
    if (l === 0) {
      gemmNT(gb, this.x!, this.gW, 1); // gW += gb xᵀ
      return;
    }
    this.step(l);
    gemmNT(gb, colRange(this.d, 0, cols), this.gH, 1); // gH += gb dᵀ
    gemmTN(this.H, gb, colRange(this.gd, 0, cols)); // gd = Hᵀ gb
    const gd = this.gd.data, g1 = this.gy[l - 1].data;
    for (let i = 0; i < len; i++) g1[i] += gd[i];
    if (l >= 2) {
      const g2 = this.gy[l - 2].data;
      for (let i = 0; i < len; i++) g2[i] -= gd[i];
    }
  }

  /** d = y[l−1] − y[l−2] (y[−1] = 0) for the current frames. */
  private step(l: number): void {
    const len = this.n * this.cols, out = this.d.data;
    const a = this.y[l - 1].data, b = l >= 2 ? this.y[l - 2].data : null;
    if (b) for (let i = 0; i < len; i++) out[i] = a[i] - b[i];
    else for (let i = 0; i < len; i++) out[i] = a[i];
  }
}
