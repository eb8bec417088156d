/**
 * GMAC/s of the plain JS products (src/core/linalg/matrix.ts) against the WebAssembly SIMD ones
 * (src/core/linalg/gemm-wasm.ts, copies in and out of wasm memory included), single-threaded.
 *
 *   npm run bench:gemm -- [seconds per measurement, default 0.4]
 *
 * Shapes and operands as in ./gemm-operands.ts.
 */
import * as wasm from '../src/core/linalg/gemm-wasm.ts';
import type { Mat } from '../src/core/linalg/matrix.ts';
import { gemmOperands, jsKernels, randomMatrices, simdKernels, type Kernel, type Variant } from './gemm-operands.ts';

const seconds = Number(process.argv[2] ?? 0.4);

const shapes: { m: number; k: number; n: number; variants: Variant[]; note?: string }[] = [
  { m: 533, k: 533, n: 256, variants: ['NN', 'TN', 'NT'], note: 'dense layer, batch 256' },
  { m: 513, k: 20, n: 256, variants: ['NN', 'TN', 'NT'] },
  { m: 20, k: 513, n: 256, variants: ['NN', 'TN', 'NT'] },
  { m: 513, k: 10000, n: 20, variants: ['NN', 'TN', 'NT'], note: 'dictionary learning' },
  // One frame (matrix-vector): copying A into wasm memory costs as much as the product.
  { m: 533, k: 533, n: 1, variants: ['NN', 'TN'], note: 'one frame (matrix·vector)' },
  { m: 533, k: 533, n: 16, variants: ['NN', 'TN'], note: 'small batch' },
];

const random = randomMatrices(12345);

/** MAC/s of f on these operands: repeated until `seconds` have passed, best of three rounds. */
function measure(f: Kernel, a: Mat, b: Mat, c: Mat, macs: number): number {
  f(a, b, c, 0); // warm-up (JIT, memory growth)
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let reps = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      f(a, b, c, 0);
      reps++;
      t = performance.now();
    } while (t - t0 < (seconds * 1000) / 3);
    best = Math.max(best, (reps * macs) / ((t - t0) / 1000));
  }
  return best;
}

if (!wasm.wasmSimdAvailable()) {
  console.error('WebAssembly SIMD is not available here');
  process.exit(1);
}

console.log(`node ${process.version}, ${seconds} s per measurement; GMAC/s, single thread`);
console.log('shape M×K×N        op   JS GMAC/s  WASM GMAC/s  speed-up');
for (const { m, k, n, variants, note } of shapes) {
  for (const v of variants) {
    const [a, b, c] = gemmOperands(random, v, m, k, n);
    const macs = m * k * n;
    const tj = measure(jsKernels[v], a, b, c, macs) / 1e9;
    const tw = measure(simdKernels[v], a, b, c, macs) / 1e9;
    const shape = `${m}×${k}×${n}`.padEnd(18);
    console.log(
      `${shape} ${v}  ${tj.toFixed(2).padStart(9)}  ${tw.toFixed(2).padStart(11)}  ${(tw / tj).toFixed(1).padStart(7)}×` +
        (note && v === variants[0] ? `   ${note}` : ''),
    );
  }
}
