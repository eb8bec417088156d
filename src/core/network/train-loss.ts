/**
 * The training losses (Sprechmann et al. 2012, §3.1) of a batch and their gradient with respect to
 * the network's codes z = (s; o): the supervised loss on true voice and accompaniment, or the RNMF
 * objective on mixtures alone (see ./train.ts for the regimes).
 */
import { colRange, gemm, gemmTN, mat, type Mat } from '../linalg/matrix.ts';
import type { Model } from '../model/model.ts';
import type { Trainable } from './trainable.ts';

export type Regime = 'supervised' | 'semi-supervised' | 'unsupervised';

/** Frames as columns (m × frames), normalised as the separator normalises them. */
export interface FrameSet {
  x: Mat;
  /** True voice magnitudes (supervised, semi-supervised). */
  voice?: Mat;
  /** True accompaniment magnitudes (supervised, semi-supervised). */
  accomp?: Mat;
}

/** Keeps the mask's gradient finite where both estimates are (nearly) zero. */
const MASK_EPS = 1e-8;

/** Scratch for the loss: U s and the gradient of z. */
export interface LossScratch {
  us: Mat;
  gz: Mat;
  gl: Mat;
  s: Mat;
}

/**
 * Loss of a batch (mean over frames) and its gradient dL/dz into scratch.gz; also gl = dL/d(Us)
 * for the RPCA dictionary gradient. z = (s; o) is n × cols.
 *
 * Supervised regimes: ‖o − v‖² + ‖Us − a‖² on the magnitudes, plus, with maskWeight > 0, the loss
 * on what a person hears, the masked mixture of both sources (the "joint mask" of Huang et al.
 * 2015): ‖M x − v‖² + ‖(1 − M) x − a‖² with M the separator's mask (masks.ts): vᵖ / (vᵖ + |Us|ᵖ),
 * v = |o|, or with residualWeight β > 0, max(|o|, x − β|Us|).
 * binWeights (m) weight each frequency's terms: squared errors favour the loud low bins, where the
 * voice's upper harmonics and sibilants cost almost nothing to drop.
 */
export function batchLoss(
  regime: Regime, model: Model, z: Mat, x: Mat, voice: Mat | undefined, accomp: Mat | undefined, cols: number, scr: LossScratch,
  maskWeight = 0, binWeights?: Float32Array,
): number {
  const { m, q, lambda, lambdaStar } = model.header;
  const n = m + q;
  const U = model.arrays.U;
  const s = colRange(scr.s, 0, cols), us = colRange(scr.us, 0, cols), gl = colRange(scr.gl, 0, cols);
  codesOf(z, q, cols, s);
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
    const p = model.header.maskPower, beta = model.header.residualWeight;
    for (let j = 0; j < cols; j++) {
      for (let i = 0; i < m; i++) {
        const o = Z[j * n + q + i], l = US[j * m + i], v = V[j * m + i], acc = A[j * m + i];
        const w = binWeights ? binWeights[i] : 1;
        const eo = o - v;
        const el = l - acc;
        loss += w * (eo * eo + el * el);
        let go = 2 * w * eo, gL = 2 * w * el;
        if (maskWeight > 0) {
          const xi = X[j * m + i];
          const al = Math.abs(l);
          // The mask's voice estimate (masks.ts): |o|, or the residual x − β|l| where that is larger.
          const residual = beta > 0 ? xi - beta * al : -Infinity;
          const fromResidual = residual > Math.abs(o);
          const av = fromResidual ? residual : Math.abs(o);
          const vp = av ** p, lp = al ** p;
          const den = vp + lp + MASK_EPS;
          const mask = vp / den;
          const ev = mask * xi - v, ea = (1 - mask) * xi - acc;
          loss += w * maskWeight * (ev * ev + ea * ea);
          // dL/dM, then dM/dv = p vᵖ⁻¹|l|ᵖ/den², dM/d|l| = −p|l|ᵖ⁻¹vᵖ/den² (+ dM/dv · −β through the residual).
          const gm = w * maskWeight * 2 * xi * (ev - ea);
          const den2 = den * den;
          const gv = av > 0 ? gm * ((p * (vp / av) * lp) / den2) : 0;
          if (fromResidual) { if (al > 0) gL -= gv * beta * Math.sign(l); }
          else if (av > 0) go += gv * Math.sign(o);
          if (al > 0) gL -= gm * ((p * (lp / al) * vp) / den2) * Math.sign(l);
        }
        gz[j * n + q + i] = go * inv;
        gl.data[j * m + i] = gL * inv;
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

/** Mean loss of a frame set under the model (forward only). */
export function evaluateLoss(
  regime: Regime, model: Model, net: Trainable, set: FrameSet, batch: number, maskWeight = 0, binWeights?: Float32Array,
): number {
  const { m, q } = model.header;
  const frames = set.x.cols;
  const scr = lossScratch(m, q, batch);
  let total = 0;
  for (let k0 = 0; k0 < frames; k0 += batch) {
    const cols = Math.min(batch, frames - k0);
    const x = colRange(set.x, k0, k0 + cols);
    const z = net.forward(x, cols);
    const loss = batchLoss(regime, model, z, x,
      set.voice && colRange(set.voice, k0, k0 + cols), set.accomp && colRange(set.accomp, k0, k0 + cols), cols, scr, maskWeight, binWeights);
    total += loss * cols;
  }
  return total / frames;
}

export function lossScratch(m: number, q: number, batch: number): LossScratch {
  return { us: mat(m, batch), gz: mat(m + q, batch), gl: mat(m, batch), s: mat(q, batch) };
}

/** The codes s (the first q rows) of cols columns of z (n × cols), into s (q × cols). */
export function codesOf(z: Mat, q: number, cols: number, s: Mat): void {
  const n = z.rows;
  for (let j = 0; j < cols; j++) for (let a = 0; a < q; a++) s.data[j * q + a] = z.data[j * n + a];
}
