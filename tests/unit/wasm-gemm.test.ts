import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { colRange, mat, type Mat } from '../../src/core/linalg/matrix.ts';
import * as wasm from '../../src/core/linalg/gemm-wasm.ts';
import { gemmOperands, jsKernels as js, randomMatrices, simdKernels as simd, type Variant } from '../../scripts/gemm-operands.ts';
import { refuseWebAssembly } from './support.ts';

const root = resolve(import.meta.dirname, '../..');
const random = randomMatrices(1);

const copy = (a: Mat): Mat => mat(a.rows, a.cols, a.data.slice());
const abs = (a: Mat): Mat => mat(a.rows, a.cols, a.data.map(Math.abs));

/** Operands of C (m×n) = beta·C + op(A)·op(B) with inner dimension k. */
const operands = (v: Variant, m: number, k: number, n: number): [Mat, Mat, Mat] => gemmOperands(random, v, m, k, n);

/**
 * Runs both versions from the same C and checks every entry to 1e-5 relative to its magnitude
 * |beta|·|C| + |op(A)|·|op(B)| (the scale of the rounding error of any summation order).
 */
function check(v: Variant, a: Mat, b: Mat, c0: Mat, beta: number): void {
  const want = copy(c0);
  js[v](a, b, want, beta);
  const got = copy(c0);
  simd[v](a, b, got, beta);
  const scale = abs(c0);
  js[v](abs(a), abs(b), scale, Math.abs(beta));
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) {
    const err = Math.abs(got.data[i] - want.data[i]) / (scale.data[i] + 1e-30);
    if (!(err <= worst)) worst = err; // NaN counts as a failure
  }
  expect(worst, `${v} ${a.rows}×${a.cols} · ${b.rows}×${b.cols}, beta ${beta}`).toBeLessThan(1e-5);
}

describe('WebAssembly SIMD gemm', () => {
  it('compiles and runs here (Node has WebAssembly SIMD)', () => {
    expect(wasm.wasmSimdAvailable()).toBe(true);
  });

  it('also loads asynchronously (for pages that refuse synchronous compilation)', async () => {
    await expect(wasm.loadWasmKernels()).resolves.toBe(true);
    expect(wasm.wasmSimdAvailable()).toBe(true);
  });

  // m×k×n: C is m×n, inner dimension k.
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 4, 4],
    [8, 3, 4],
    [9, 2, 5],
    [12, 7, 6],
    [17, 33, 9],
    [20, 513, 13],
    [7, 1030, 3],
    [513, 20, 256],
    [533, 533, 64],
  ];
  for (const v of ['NN', 'TN', 'NT'] as const) {
    for (const [m, k, n] of sizes) {
      it(`${v} ${m}×${k}×${n} equals the JS version (beta 0, 1, 0.5)`, () => {
        for (const beta of [0, 1, 0.5]) {
          const [a, b, c] = operands(v, m, k, n);
          check(v, a, b, c, beta);
        }
      });
    }
  }

  it('handles an empty inner dimension (C = beta·C) and empty outputs', () => {
    for (const v of ['NN', 'TN', 'NT'] as const) {
      for (const beta of [0, 1, 0.5]) {
        const [a, b, c] = operands(v, 5, 0, 3);
        check(v, a, b, c, beta);
      }
      const [a, b, c] = operands(v, 0, 4, 3);
      simd[v](a, b, c, 1);
      expect(c.data.length).toBe(0);
    }
  });

  it('with beta = 0 ignores what C held (NaN does not leak through)', () => {
    for (const v of ['NN', 'TN', 'NT'] as const) {
      const [a, b, c] = operands(v, 11, 9, 6);
      const want = copy(c);
      js[v](a, b, want, 0);
      c.data.fill(NaN);
      simd[v](a, b, c, 0);
      for (let i = 0; i < c.data.length; i++) expect(c.data[i]).toBeCloseTo(want.data[i], 5);
    }
  });

  it('works on views (colRange) and stays right after the memory grows and shrinks back in use', () => {
    const big = operands('NN', 300, 700, 90); // grows the scratch memory
    check('NN', ...big, 0.5);
    const a = random(13, 40);
    const b = random(20, 11);
    const bView = colRange(b, 3, 10); // B (20×7)
    const aView = colRange(a, 10, 30); // A (13×20)
    const c = random(13, 7);
    check('NN', aView, bView, c, 1);
    check('TN', colRange(random(20, 30), 5, 18), bView, random(13, 7), 0.5);
  });

  it('rejects mismatched shapes like the JS version', () => {
    expect(() => wasm.gemm(mat(3, 4), mat(5, 2), mat(3, 2))).toThrow(/gemm: shape mismatch/);
    expect(() => wasm.gemmTN(mat(4, 3), mat(4, 2), mat(2, 3))).toThrow(/gemmTN: shape mismatch/);
    expect(() => wasm.gemmNT(mat(3, 4), mat(2, 5), mat(3, 2))).toThrow(/gemmNT: shape mismatch/);
  });

  it('reports unavailable, and throws if called anyway, where the module cannot compile', async () => {
    refuseWebAssembly();
    try {
      const fresh = await import('../../src/core/linalg/gemm-wasm.ts');
      expect(fresh.wasmSimdAvailable()).toBe(false);
      await expect(fresh.loadWasmKernels()).resolves.toBe(false);
      expect(() => fresh.gemm(mat(1, 1), mat(1, 1), mat(1, 1))).toThrow(/not available/);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  it('src/core/wasm/kernels.wasm.ts is up to date with wasm/assembly (rebuilt in a temp folder)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernels-'));
    try {
      const out = join(dir, 'kernels.wasm.ts');
      execFileSync(process.execPath, [join(root, 'wasm/build.mjs'), '--out', out], { cwd: root, stdio: 'pipe' });
      const fresh = readFileSync(out, 'utf8');
      const committed = readFileSync(join(root, 'src/core/wasm/kernels.wasm.ts'), 'utf8');
      expect(fresh === committed, 'src/core/wasm/kernels.wasm.ts is stale: run `node wasm/build.mjs`').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
