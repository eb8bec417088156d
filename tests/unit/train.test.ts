/**
 * Back-propagation through the unrolled network, checked against central finite differences, for
 * both structures, both variants and every loss. Float64 finite differences are not available on
 * Float32 parameters, so the model is small and the step moderate; kinks of the thresholds are rare
 * at random points and a few outliers are tolerated.
 */
import { describe, expect, it } from 'vitest';
import { mat, type Mat } from '../../src/core/linalg/matrix.ts';
import type { Model } from '../../src/core/model/model.ts';
import { algorithm1Model } from '../../src/core/network/encoders.ts';
import { Random } from '../../src/core/linalg/random.ts';
import { batchLoss, createTrainable, type Regime } from '../../src/core/network/train.ts';

function smallModel(variant: 'rnmf' | 'rpca', structure: 'dense' | 'structured', rng: Random): Model {
  const m = 9, q = 3;
  const U = mat(m, q);
  for (let i = 0; i < U.data.length; i++) U.data[i] = variant === 'rnmf' ? rng.next() : rng.normal();
  const model = algorithm1Model(U, {
    lambda: 0.3, lambdaStar: 0.5, layers: 4, variant, structure, sampleRate: 16000, fftSize: 16, hop: 4, levelTau: 4, maskPower: 2,
    inputRank: 2, layerRank: 3,
  });
  // Move away from Algorithm 1's exact values so every block matters.
  for (const [name, a] of Object.entries(model.arrays)) {
    if (name === 'U') continue;
    for (let i = 0; i < a.data.length; i++) a.data[i] += 0.05 * rng.normal();
    if (name === 't') for (let i = 0; i < a.data.length; i++) a.data[i] = Math.abs(a.data[i]) * 0.3;
  }
  return model;
}

function frames(m: number, cols: number, rng: Random): Mat {
  const x = mat(m, cols);
  for (let i = 0; i < x.data.length; i++) x.data[i] = 3 * rng.next();
  return x;
}

describe('gradients of the unrolled network', () => {
  for (const structure of ['dense', 'structured'] as const) {
    for (const variant of ['rnmf', 'rpca'] as const) {
      for (const [regime, maskWeight, residualWeight] of [['supervised', 0, 0], ['supervised', 1.5, 0], ['supervised', 1.5, 1.5], ['unsupervised', 0, 0]] as [Regime, number, number][]) {
        const what = maskWeight ? ` with the masked-output term${residualWeight ? ', the residual voice estimate' : ''} and bin weights` : '';
        it(`${structure} ${variant}, ${regime} loss${what}: analytic = finite differences`, () => {
          const rng = new Random(7);
          const model = smallModel(variant, structure, rng);
          model.header.residualWeight = residualWeight;
          const { m, q } = model.header;
          const cols = 5;
          const x = frames(m, cols, rng), voice = frames(m, cols, rng), accomp = frames(m, cols, rng);
          const net = createTrainable(model, cols);
          // With the masked-output term, per-bin weights as well.
          const binWeights = maskWeight ? Float32Array.from({ length: m }, () => 0.2 + 2 * rng.next()) : undefined;
          const scr = { us: mat(m, cols), gz: mat(m + q, cols), gl: mat(m, cols), s: mat(q, cols) };
          const lossAt = () => batchLoss(regime, model, net.forward(x, cols), x, voice, accomp, cols, scr, maskWeight, binWeights);
          for (const g of Object.values(net.grads)) g.fill(0);
          lossAt();
          net.backward(scr.gz);
          let checked = 0, bad = 0;
          // The network is piecewise smooth (thresholds, |o|): where a step crosses a kink, the
          // analytic derivative is the one-sided derivative of one side, so it must match the
          // central, forward or backward difference.
          const base = lossAt();
          // The mask is a ratio of powers, more curved than the magnitudes: the differences' own
          // truncation error at this step is larger.
          const tolerance = maskWeight ? 4e-2 : 2e-2;
          for (const [name, p] of Object.entries(net.params)) {
            const g = net.grads[name];
            for (let trial = 0; trial < 20; trial++) {
              const i = rng.int(p.length);
              const keep = p[i];
              const h = 1e-2 * Math.max(1e-2, Math.abs(keep));
              p[i] = keep + h;
              const up = lossAt();
              p[i] = keep - h;
              const down = lossAt();
              p[i] = keep;
              checked++;
              const close = (d: number) => Math.abs(d - g[i]) <= tolerance * Math.max(1e-2, Math.abs(d), Math.abs(g[i]));
              if (!close((up - down) / (2 * h)) && !close((up - base) / h) && !close((base - down) / h)) {
                bad++;
                if (process.env.GRAD_DEBUG) console.log(name, i, (up - down) / (2 * h), g[i]);
              }
            }
          }
          expect(checked).toBeGreaterThan(50);
          expect(bad / checked).toBeLessThan(0.02);
        });
      }
    }
  }
});

describe('the gradient leak (a training aid)', () => {
  it('a voice code that is zero on every frame gets no gradient without it, and one with it', () => {
    const rng = new Random(3);
    const model = smallModel('rnmf', 'structured', rng);
    const { m, q } = model.header;
    const cols = 5;
    // Bin 2's threshold far above anything its input can reach: o₂ = 0 on every frame, every layer.
    const T = model.header.layers;
    for (let l = 0; l < T; l++) model.arrays.t.data[l * (m + q) + q + 2] = 1e6;
    const x = frames(m, cols, rng), voice = frames(m, cols, rng), accomp = frames(m, cols, rng);
    const scr = { us: mat(m, cols), gz: mat(m + q, cols), gl: mat(m, cols), s: mat(q, cols) };
    const gradOfWo2 = (leak: number) => {
      const net = createTrainable(model, cols);
      net.gradientLeak = leak;
      for (const g of Object.values(net.grads)) g.fill(0);
      const z = net.forward(x, cols);
      for (let j = 0; j < cols; j++) expect(z.data[j * (m + q) + q + 2]).toBe(0);
      batchLoss('supervised', model, z, x, voice, accomp, cols, scr);
      net.backward(scr.gz);
      return net.grads.wo[2];
    };
    expect(gradOfWo2(0)).toBe(0);
    // The loss wants o₂ up (its target is positive): the leaked gradient says so.
    expect(gradOfWo2(0.1)).toBeLessThan(0);
  });
});
