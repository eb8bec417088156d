/**
 * Correctness of the gpu.js fast paths against the plain ones, run where gpu.js runs (a page, a
 * worker; its cpu mode also in Node). The end-to-end suite calls these through the page's
 * `window.voicesplitGpu` handle with each gpu.js mode forced, WebGL2 on SwiftShader included:
 * they check correctness only; speed is the bench's business (src/gpu/bench.ts).
 */
import { separateBatch } from '../core/separate/batch.ts';
import { gemmJs, gemmNTJs, gemmTNJs, mat, withMatrixBackend, type Mat } from '../core/linalg/matrix.ts';
import { decodeModel } from '../core/model/model.ts';
import { Random } from '../core/linalg/random.ts';
import { loadFastPaths, separateChannels } from '../core/separate/separator.ts';
import { loadWasmKernels } from '../core/linalg/gemm-wasm.ts';
import { GpuMatrix, type GpuJsMode } from './kernels.ts';

export interface ProductCase {
  op: 'gemm' | 'gemmTN' | 'gemmNT';
  shape: string;
  beta: number;
  resident: boolean;
  /** max |gpu − js| / max |js| */
  error: number;
}

export interface ProductCheck {
  mode: GpuJsMode;
  /** The gpu.js backend that actually ran. */
  backend: string | null;
  cases: ProductCase[];
  worst: number;
  ms: number;
}

function random(rows: number, cols: number, rng: Random): Mat {
  return mat(rows, cols, Float32Array.from({ length: rows * cols }, () => rng.next() - 0.5));
}

function relError(got: Float32Array, want: Float32Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= err)) err = e; // NaN counts as the worst
  }
  return scale > 0 ? err / scale : err;
}

/**
 * The three products, with beta 0, 1 and 0.5, on the shapes the networks use (n = 533, m = 513,
 * q = 20, ranks, batches), with operands passed as inputs and as resident textures (verified: a
 * changed weight must be re-uploaded), against gemmJs / gemmTNJs / gemmNTJs.
 */
export async function checkProducts(mode: GpuJsMode): Promise<ProductCheck> {
  const t0 = performance.now();
  const g = await GpuMatrix.create(mode);
  const rng = new Random(7);
  const cases: ProductCase[] = [];
  const shapes: [number, number, number][] = [[533, 533, 64], [20, 513, 37], [513, 32, 37], [3, 5, 1], [1, 7, 9]];
  try {
    for (const [n, k, p] of shapes) {
      for (const beta of [0, 1, 0.5]) {
        for (const resident of [false, true]) {
          // gemm: A n×k (the weight), B k×p
          const A = random(n, k, rng), B = random(k, p, rng), C0 = random(n, p, rng);
          // gemmTN: A k×n (the weight), B k×p
          const At = random(k, n, rng);
          // gemmNT: A n×p, B k×p (no weight: both are activations in training)
          const An = random(n, p, rng), Bn = random(k, p, rng), Cn0 = random(n, k, rng);
          if (resident) g.setResident([A.data, At.data], true);
          for (let round = 0; round < (resident ? 2 : 1); round++) {
            if (round === 1) {
              // Training changed the weights: the resident textures must follow.
              A.data[0] += 0.25;
              At.data[At.data.length - 1] -= 0.25;
            }
            const run = (op: ProductCase['op'], fast: (c: Mat) => void, plain: (c: Mat) => void, c0: Mat, shape: string) => {
              const c1 = mat(c0.rows, c0.cols, c0.data.slice()), c2 = mat(c0.rows, c0.cols, c0.data.slice());
              fast(c1);
              plain(c2);
              cases.push({ op, shape, beta, resident, error: relError(c1.data, c2.data) });
            };
            run('gemm', (c) => g.gemm(A, B, c, beta), (c) => gemmJs(A, B, c, beta), C0, `${n}×${k} · ${k}×${p}`);
            run('gemmTN', (c) => g.gemmTN(At, B, c, beta), (c) => gemmTNJs(At, B, c, beta), C0, `(${k}×${n})ᵀ · ${k}×${p}`);
            if (!resident) run('gemmNT', (c) => g.gemmNT(An, Bn, c, beta), (c) => gemmNTJs(An, Bn, c, beta), Cn0, `${n}×${p} · (${k}×${p})ᵀ`);
          }
          g.clearResident();
        }
      }
    }
    return { mode, backend: g.backend, cases, worst: Math.max(...cases.map((c) => c.error)), ms: performance.now() - t0 };
  } finally {
    g.destroy();
  }
}

export interface BatchCheck {
  mode: GpuJsMode;
  backend: string | null;
  /** max |batch − streaming| over voice and accompaniment, every channel (absolute, in samples). */
  error: number;
  frames: number;
  seconds: number;
}

/**
 * The batch separation with its network on gpu.js (`mode`), against the streaming separator
 * (separateChannels), on the given audio and model file.
 */
export async function checkBatch(mode: GpuJsMode, modelBytes: ArrayBuffer, sampleRate: number, channels: Float32Array[], batch = 256): Promise<BatchCheck> {
  // A page's main thread may refuse to compile the wasm kernels synchronously: compile them first.
  await Promise.all([loadFastPaths(), loadWasmKernels()]);
  const model = decodeModel(modelBytes);
  const g = await GpuMatrix.create(mode);
  try {
    g.setResident(Object.values(model.arrays).map((a) => a.data), false);
    const t0 = performance.now();
    const fast = withMatrixBackend(g, () => separateBatch(model, sampleRate, channels, { batch }));
    const seconds = (performance.now() - t0) / 1000;
    const ref = separateChannels(model, sampleRate, channels);
    let error = 0;
    for (let c = 0; c < channels.length; c++) {
      for (let i = 0; i < channels[c].length; i++) {
        const e = Math.max(Math.abs(fast.voice[c][i] - ref.voice[c][i]), Math.abs(fast.accomp[c][i] - ref.accomp[c][i]));
        if (!(e <= error)) error = e;
      }
    }
    return { mode, backend: g.backend, error, frames: fast.frames, seconds };
  } finally {
    g.destroy();
  }
}
