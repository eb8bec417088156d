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
 * The best parameters on the validation frames are kept (early stopping). Here: the optimiser, tied
 * layers, the dictionary update and the loop; the network's forward and backward passes are in
 * ./trainable*.ts, the losses in ./train-loss.ts.
 */
import { colRange, gemm, gemmNT, mat, type Mat } from '../linalg/matrix.ts';
import { perLayerArrays, type Model } from '../model/model.ts';
import { Random } from '../linalg/random.ts';
import { batchLoss, codesOf, evaluateLoss, lossScratch, type FrameSet, type Regime } from './train-loss.ts';
import type { Trainable } from './trainable.ts';
import { DenseTrainable } from './trainable-dense.ts';
import { StructuredTrainable } from './trainable-structured.ts';

export { batchLoss, evaluateLoss, type FrameSet, type Regime } from './train-loss.ts';
export type { Trainable } from './trainable.ts';

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
  /** Weight of the loss on the masked outputs of both sources (supervised regimes; 0: magnitudes only). */
  maskWeight?: number;
  /** Weight of each frequency bin's terms in the supervised losses (m values; default all 1). */
  binWeights?: Float32Array;
  /** Trainable.gradientLeak (default 0: the exact gradient). */
  gradientLeak?: number;
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

export function createTrainable(model: Model, maxBatch: number): Trainable {
  return model.header.structure === 'dense' ? new DenseTrainable(model, maxBatch) : new StructuredTrainable(model, maxBatch);
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
  codesOf(z, q, cols, S);
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
  // Untied training of a tied model: its layers may now differ, and its file stores each of them.
  if (!opts.tied && model.header.tied) model.header = { ...model.header, tied: false };
  const net = createTrainable(model, opts.batch);
  net.gradientLeak = opts.gradientLeak ?? 0;
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
  let best = evaluateLoss(opts.regime, model, net, val, opts.batch, opts.maskWeight ?? 0, opts.binWeights);
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
    const loss = batchLoss(opts.regime, model, z, xb, vb, ab, cols, scr, opts.maskWeight ?? 0, opts.binWeights);
    running = Number.isNaN(running) ? loss : 0.95 * running + 0.05 * loss;
    // Dictionary: multiplicative for RNMF (before the codes change), gradient for RPCA.
    if (opts.dictUpdate && rpca) {
      const S = colRange(scr.s, 0, cols);
      codesOf(z, q, cols, S);
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
      const v = evaluateLoss(opts.regime, model, net, val, opts.batch, opts.maskWeight ?? 0, opts.binWeights);
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
