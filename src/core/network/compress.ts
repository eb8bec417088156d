/**
 * From the paper's dense network to the structured one: a trained dense NN RNMF (one W, n×m, and
 * one H, n×n, shared by the layers) is rewritten in the structured form of network.ts — the blocks
 * that Algorithm 1 already makes small are kept exactly (Ws, Hss, Hso, Hos), the two m×m voice
 * blocks are split into their diagonal plus a truncated SVD of the rest:
 *
 *   W_oo ≈ diag(w) + Pw·Qw      H_oo ≈ diag(h) + Ph·Qh      (ranks inputRank, layerRank)
 *
 * Every layer gets the same copy (the dense network is tied). Fine-tuning afterwards recovers what
 * the truncation lost. A layer then costs ≈ 2m(q + rank) multiply-adds instead of (m + q)².
 */
import { mat, type Mat } from '../linalg/matrix.ts';
import type { Model } from '../model/model.ts';
import { svdTop } from '../linalg/svd/top.ts';

/** Best rank-r approximation A ≈ P·Q (P: rows × r, Q: r × cols), balanced: P = U√Σ, Q = √Σ Vᵀ. */
export function lowRankFactors(a: Mat, r: number): { P: Mat; Q: Mat; kept: number } {
  const { U, sigma } = svdTop(a, r);
  const P = mat(a.rows, r), Q = mat(r, a.cols);
  let total = 0;
  for (const v of a.data) total += v * v;
  let kept = 0;
  for (let k = 0; k < r; k++) {
    const s = sigma[k];
    kept += s * s;
    const root = Math.sqrt(s);
    for (let i = 0; i < a.rows; i++) P.data[i + k * a.rows] = U.data[i + k * a.rows] * root;
    // Vᵀ row k = (Aᵀ u_k)ᵀ / σ_k, so √Σ Vᵀ row k = (Aᵀ u_k)ᵀ / √σ_k.
    if (s === 0) continue;
    for (let j = 0; j < a.cols; j++) {
      let dot = 0;
      for (let i = 0; i < a.rows; i++) dot += a.data[i + j * a.rows] * U.data[i + k * a.rows];
      Q.data[k + j * r] = dot / root;
    }
  }
  return { P, Q, kept: total > 0 ? kept / total : 1 };
}

export interface Compressed {
  model: Model;
  /** Fraction of the off-diagonal energy the low-rank terms keep, for W_oo and H_oo. */
  keptInput: number;
  keptLayer: number;
}

export function structuredFromDense(dense: Model, inputRank: number, layerRank: number): Compressed {
  const h = dense.header;
  if (h.structure !== 'dense') throw new Error('structuredFromDense: the model is not dense');
  if (h.layers < 2) throw new Error('structuredFromDense: a structured network needs at least 2 layers');
  const { m, q, layers: T } = h;
  const n = m + q, L = T - 1;
  const W = dense.arrays.W.data, H = dense.arrays.H.data, t = dense.arrays.t.data;
  const Ws = mat(q, m), wo = mat(m, 1), Woo = mat(m, m);
  for (let i = 0; i < m; i++) {
    for (let a = 0; a < q; a++) Ws.data[a + i * q] = W[a + i * n];
    for (let r = 0; r < m; r++) {
      if (r === i) wo.data[i] = W[q + r + i * n];
      else Woo.data[r + i * m] = W[q + r + i * n];
    }
  }
  const Hoo = mat(m, m);
  const Hss = mat(q, q * L), Hso = mat(q, m * L), Hos = mat(m, q * L), hoo = mat(m, L);
  for (let c = 0; c < n; c++) {
    for (let r = 0; r < n; r++) {
      const v = H[r + c * n];
      for (let l = 0; l < L; l++) {
        if (r < q && c < q) Hss.data[r + (l * q + c) * q] = v;
        else if (r < q) Hso.data[r + (l * m + (c - q)) * q] = v;
        else if (c < q) Hos.data[(r - q) + (l * q + c) * m] = v;
        else if (r === c) hoo.data[(r - q) + l * m] = v;
      }
      if (r >= q && c >= q && r !== c) Hoo.data[(r - q) + (c - q) * m] = v;
    }
  }
  const tAll = mat(n, T);
  for (let l = 0; l < T; l++) tAll.data.set(t, l * n);
  const arrays: Record<string, Mat> = { U: mat(m, q, dense.arrays.U.data.slice()), Ws, wo, t: tAll, Hss, Hso, Hos, hoo };
  let keptInput = 1, keptLayer = 1;
  if (inputRank > 0) {
    const f = lowRankFactors(Woo, inputRank);
    arrays.Pw = f.P;
    arrays.Qw = f.Q;
    keptInput = f.kept;
  }
  if (layerRank > 0) {
    const f = lowRankFactors(Hoo, layerRank);
    const Ph = mat(m, layerRank * L), Qh = mat(layerRank, m * L);
    for (let l = 0; l < L; l++) {
      Ph.data.set(f.P.data, l * m * layerRank);
      Qh.data.set(f.Q.data, l * layerRank * m);
    }
    arrays.Ph = Ph;
    arrays.Qh = Qh;
    keptLayer = f.kept;
  }
  const model: Model = {
    header: { ...h, structure: 'structured', inputRank, layerRank, tied: true },
    arrays,
    info: { ...dense.info, compressedFrom: dense.info.name ?? 'dense model', denseCommand: dense.info.command },
  };
  return { model, keptInput, keptLayer };
}
