/**
 * The unrolled network as a trainable function of its parameters: the part the dense and the
 * structured parameterisations share (./trainable-dense.ts, ./trainable-structured.ts). Both keep,
 * per layer, the proximal step's input b and output y for back-propagation, and differ only in how
 * a layer computes b: from the frames x (layer 0) or from b and the step y[l−1] − y[l−2] before it.
 */
import { colRange, mat, type Mat } from '../linalg/matrix.ts';
import type { Model } from '../model/model.ts';

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
  /**
   * Training aid (0: the exact gradient): back-propagate this fraction of the gradient through a
   * threshold that is not passed, as if y = leak·(b − t) there. A code that is zero on every
   * training frame otherwise gets no gradient at all and can never come back.
   */
  gradientLeak: number;
}

/**
 * T layers of b → y = prox_t(b), with b of layer 0 from the frames and of layer l from layer l − 1
 * (forwardLayer), and back-propagation through them: the proximal steps here, each layer's own
 * linear part in backwardLayer.
 */
export abstract class UnrolledTrainable implements Trainable {
  abstract readonly params: Record<string, Float32Array>;
  abstract readonly grads: Record<string, Float32Array>;
  readonly thresholds = ['t'];
  gradientLeak = 0;
  /** Code length n = q + m: rows [0, q) of b and y are s, [q, n) are o. */
  protected readonly n: number;
  protected readonly T: number;
  protected readonly nonneg: boolean;
  /** Per layer: the proximal step's input b, its output y and dL/dy, n × maxBatch each. */
  protected readonly b: Mat[];
  protected readonly y: Mat[];
  protected readonly gy: Mat[];
  /** dL/db of the layer being back-propagated, and of the one after it. */
  protected readonly gb: Mat;
  protected readonly carry: Mat;
  /** The frames of the last forward and their number. */
  protected x: Mat | null = null;
  protected cols = 0;

  constructor(model: Model, maxBatch: number) {
    const { m, q, layers: T, variant } = model.header;
    const n = m + q;
    this.n = n;
    this.T = T;
    this.nonneg = variant === 'rnmf';
    const alloc = () => mat(n, maxBatch);
    this.b = Array.from({ length: T }, alloc);
    this.y = Array.from({ length: T }, alloc);
    this.gy = Array.from({ length: T }, alloc);
    this.gb = alloc();
    this.carry = alloc();
  }

  /** Layer l's thresholds and their gradient (n values each). */
  protected abstract layerThresholds(l: number): { t: Float32Array; gt: Float32Array };
  /** b[l] for this.cols frames: from this.x for l = 0, else from b[l − 1] and y[l − 1] − y[l − 2]. */
  protected abstract forwardLayer(l: number): void;
  /**
   * With gb = dL/db of layer l: adds the gradients of layer l's parameters into grads and, for
   * l ≥ 1, dL/dy of layers l − 1 and l − 2 into gy.
   */
  protected abstract backwardLayer(l: number): void;

  forward(x: Mat, cols: number): Mat {
    const { n, T } = this;
    this.x = colRange(x, 0, cols);
    this.cols = cols;
    for (let l = 0; l < T; l++) {
      this.forwardLayer(l);
      proxForward(this.b[l].data, this.y[l].data, this.layerThresholds(l).t, n, cols, this.nonneg);
    }
    return colRange(this.y[T - 1], 0, cols);
  }

  backward(gz: Mat): void {
    const { n, T, cols } = this;
    const len = n * cols;
    for (let l = 0; l < T - 1; l++) this.gy[l].data.fill(0, 0, len);
    this.gy[T - 1].data.set(gz.data.subarray(0, len));
    for (let l = T - 1; l >= 0; l--) {
      const { t, gt } = this.layerThresholds(l);
      proxBackward(this.b[l].data, this.gy[l].data, l === T - 1 ? null : this.carry.data, this.gb.data, t, gt, n, cols, this.nonneg, this.gradientLeak);
      this.backwardLayer(l);
      this.carry.data.set(this.gb.data.subarray(0, len));
    }
  }
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
  n: number, cols: number, nonneg: boolean, leak: number,
): void {
  for (let j = 0; j < cols; j++) {
    const off = j * n;
    for (let k = 0; k < n; k++) {
      const v = b[off + k], th = t[k];
      let g = 0;
      if (nonneg ? v > th : v > th || v < -th) {
        g = gy[off + k];
        gt[k] -= nonneg || v > 0 ? g : -g;
      } else if (leak > 0 && nonneg) {
        g = leak * gy[off + k];
        gt[k] -= g;
      }
      gb[off + k] = carry ? carry[off + k] + g : g;
    }
  }
}

