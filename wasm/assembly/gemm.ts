/**
 * f32x4 SIMD matrix kernels for src/core/linalg/gemm-wasm.ts (AssemblyScript; compiled by
 * wasm/build.mjs).
 *
 * All matrices are column-major f32, passed as byte addresses in this module's memory:
 *   gemm   C(n×p) = beta·C + A·B,   A n×k, B k×p
 *   gemmTN C(n×p) = beta·C + Aᵀ·B,  A k×n, B k×p
 *   gemmNT C(n×k) = beta·C + A·Bᵀ,  A n×p, B k×p
 * With beta = 0 the old contents of C are never read (NaN in C does not leak through).
 *
 * NN and NT share one register-blocked kernel: an 8-row × 4-column block of C is held in eight
 * f32x4 accumulators while the inner index runs; each step loads 8 contiguous rows of one column of
 * A and broadcasts 4 values of B (for NN they lie in 4 columns of B, for NT in 4 consecutive rows).
 * The inner dimension is split into chunks of KC so that the touched part of A stays in cache
 * while it is reused for every column block of C.
 * TN computes dot products of contiguous columns: a block of 4 columns of A × 2 columns of B is
 * accumulated in eight f32x4 registers, then reduced to two contiguous 4-row pieces of C.
 *
 * There is no allocation: the JS side places its operands anywhere from scratchBase() on and
 * grows the memory itself.
 */

// Inner-dimension chunk for the NN/NT kernel (must be > 0).
const KC: i32 = 256;
// Inner-dimension chunk for TN (a multiple of 4).
const KC_TN: i32 = 512;

// The first byte the JS side may use for its operands.
export { scratchBase } from './common';

// ---------------------------------------------------------------------------------------------
// helpers

// @ts-ignore: decorator
@inline
function storeBlock(p: usize, acc: v128, beta: f32, betaV: v128): void {
  if (beta == 0) v128.store(p, acc);
  else if (beta == 1) v128.store(p, f32x4.add(v128.load(p), acc));
  else v128.store(p, f32x4.add(f32x4.mul(v128.load(p), betaV), acc));
}

// @ts-ignore: decorator
@inline
function storeScalar(p: usize, acc: f32, beta: f32): void {
  if (beta == 0) store<f32>(p, acc);
  else if (beta == 1) store<f32>(p, load<f32>(p) + acc);
  else store<f32>(p, load<f32>(p) * beta + acc);
}

/** C[0 .. count) = beta·C (beta = 0 writes zeros). */
function scale(c: usize, count: i32, beta: f32): void {
  if (beta == 1) return;
  const end = c + (<usize>count << 2);
  let p = c;
  if (beta == 0) {
    const z = f32x4.splat(0);
    for (; p + 16 <= end; p += 16) v128.store(p, z);
    for (; p < end; p += 4) store<f32>(p, 0);
  } else {
    const bv = f32x4.splat(beta);
    for (; p + 16 <= end; p += 16) v128.store(p, f32x4.mul(v128.load(p), bv));
    for (; p < end; p += 4) store<f32>(p, load<f32>(p) * beta);
  }
}

// ---------------------------------------------------------------------------------------------
// NN / NT: C[i, q] = beta·C[i, q] + Σ_l A[i, l] · b(l, q)
//   A[i, l] at a + 4i + l·lda,  b(l, q) at b + l·bs + q·bc,  C[i, q] at c + 4i + q·ldc.

/** The whole C (n × m) for inner indices [0, kc) of the given operands. */
function panelNN(
  n: i32, m: i32, kc: i32,
  a: usize, lda: usize, b: usize, bs: usize, bc: usize, c: usize, ldc: usize, beta: f32,
): void {
  const betaV = f32x4.splat(beta);
  const n8 = n & ~7;
  const m4 = m & ~3;
  const bc2 = bc << 1;
  const bc3 = bc2 + bc;
  let q = 0;
  for (; q < m4; q += 4) {
    const pbq = b + <usize>q * bc;
    const pcq = c + <usize>q * ldc;
    let i = 0;
    for (; i < n8; i += 8) {
      let c00 = f32x4.splat(0), c10 = f32x4.splat(0);
      let c01 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c02 = f32x4.splat(0), c12 = f32x4.splat(0);
      let c03 = f32x4.splat(0), c13 = f32x4.splat(0);
      let pa = a + (<usize>i << 2);
      let pb = pbq;
      for (let l = 0; l < kc; l++) {
        const a0 = v128.load(pa);
        const a1 = v128.load(pa, 16);
        let bv = v128.load32_splat(pb);
        c00 = f32x4.add(c00, f32x4.mul(a0, bv));
        c10 = f32x4.add(c10, f32x4.mul(a1, bv));
        bv = v128.load32_splat(pb + bc);
        c01 = f32x4.add(c01, f32x4.mul(a0, bv));
        c11 = f32x4.add(c11, f32x4.mul(a1, bv));
        bv = v128.load32_splat(pb + bc2);
        c02 = f32x4.add(c02, f32x4.mul(a0, bv));
        c12 = f32x4.add(c12, f32x4.mul(a1, bv));
        bv = v128.load32_splat(pb + bc3);
        c03 = f32x4.add(c03, f32x4.mul(a0, bv));
        c13 = f32x4.add(c13, f32x4.mul(a1, bv));
        pa += lda;
        pb += bs;
      }
      const pc = pcq + (<usize>i << 2);
      storeBlock(pc, c00, beta, betaV);
      storeBlock(pc + 16, c10, beta, betaV);
      storeBlock(pc + ldc, c01, beta, betaV);
      storeBlock(pc + ldc + 16, c11, beta, betaV);
      storeBlock(pc + 2 * ldc, c02, beta, betaV);
      storeBlock(pc + 2 * ldc + 16, c12, beta, betaV);
      storeBlock(pc + 3 * ldc, c03, beta, betaV);
      storeBlock(pc + 3 * ldc + 16, c13, beta, betaV);
    }
    if (i + 4 <= n) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c02 = f32x4.splat(0), c03 = f32x4.splat(0);
      let pa = a + (<usize>i << 2);
      let pb = pbq;
      for (let l = 0; l < kc; l++) {
        const a0 = v128.load(pa);
        c00 = f32x4.add(c00, f32x4.mul(a0, v128.load32_splat(pb)));
        c01 = f32x4.add(c01, f32x4.mul(a0, v128.load32_splat(pb + bc)));
        c02 = f32x4.add(c02, f32x4.mul(a0, v128.load32_splat(pb + bc2)));
        c03 = f32x4.add(c03, f32x4.mul(a0, v128.load32_splat(pb + bc3)));
        pa += lda;
        pb += bs;
      }
      const pc = pcq + (<usize>i << 2);
      storeBlock(pc, c00, beta, betaV);
      storeBlock(pc + ldc, c01, beta, betaV);
      storeBlock(pc + 2 * ldc, c02, beta, betaV);
      storeBlock(pc + 3 * ldc, c03, beta, betaV);
      i += 4;
    }
    for (; i < n; i++) {
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      let pa = a + (<usize>i << 2);
      let pb = pbq;
      for (let l = 0; l < kc; l++) {
        const av = load<f32>(pa);
        s0 += av * load<f32>(pb);
        s1 += av * load<f32>(pb + bc);
        s2 += av * load<f32>(pb + bc2);
        s3 += av * load<f32>(pb + bc3);
        pa += lda;
        pb += bs;
      }
      const pc = pcq + (<usize>i << 2);
      storeScalar(pc, s0, beta);
      storeScalar(pc + ldc, s1, beta);
      storeScalar(pc + 2 * ldc, s2, beta);
      storeScalar(pc + 3 * ldc, s3, beta);
    }
  }
  for (; q < m; q++) {
    const pbq = b + <usize>q * bc;
    const pcq = c + <usize>q * ldc;
    let i = 0;
    for (; i < n8; i += 8) {
      let c00 = f32x4.splat(0), c10 = f32x4.splat(0);
      let pa = a + (<usize>i << 2);
      let pb = pbq;
      for (let l = 0; l < kc; l++) {
        const bv = v128.load32_splat(pb);
        c00 = f32x4.add(c00, f32x4.mul(v128.load(pa), bv));
        c10 = f32x4.add(c10, f32x4.mul(v128.load(pa, 16), bv));
        pa += lda;
        pb += bs;
      }
      const pc = pcq + (<usize>i << 2);
      storeBlock(pc, c00, beta, betaV);
      storeBlock(pc + 16, c10, beta, betaV);
    }
    if (i + 4 <= n) {
      let c00 = f32x4.splat(0);
      let pa = a + (<usize>i << 2);
      let pb = pbq;
      for (let l = 0; l < kc; l++) {
        c00 = f32x4.add(c00, f32x4.mul(v128.load(pa), v128.load32_splat(pb)));
        pa += lda;
        pb += bs;
      }
      storeBlock(pcq + (<usize>i << 2), c00, beta, betaV);
      i += 4;
    }
    for (; i < n; i++) {
      let s0: f32 = 0;
      let pa = a + (<usize>i << 2);
      let pb = pbq;
      for (let l = 0; l < kc; l++) {
        s0 += load<f32>(pa) * load<f32>(pb);
        pa += lda;
        pb += bs;
      }
      storeScalar(pcq + (<usize>i << 2), s0, beta);
    }
  }
}

function driveNN(
  n: i32, m: i32, kk: i32,
  a: usize, lda: usize, b: usize, bs: usize, bc: usize, c: usize, ldc: usize, beta: f32,
): void {
  if (n <= 0 || m <= 0) return;
  if (kk <= 0) {
    scale(c, n * m, beta);
    return;
  }
  for (let l0 = 0; l0 < kk; l0 += KC) {
    const kc = min(KC, kk - l0);
    panelNN(n, m, kc, a + <usize>l0 * lda, lda, b + <usize>l0 * bs, bs, bc, c, ldc, l0 == 0 ? beta : 1);
  }
}

/** C(n×p) = beta·C + A·B with A n×k, B k×p. */
export function gemm(n: i32, k: i32, p: i32, a: usize, b: usize, c: usize, beta: f32): void {
  driveNN(n, p, k, a, <usize>n << 2, b, 4, <usize>k << 2, c, <usize>n << 2, beta);
}

/** C(n×k) = beta·C + A·Bᵀ with A n×p, B k×p. */
export function gemmNT(n: i32, p: i32, k: i32, a: usize, b: usize, c: usize, beta: f32): void {
  driveNN(n, k, p, a, <usize>n << 2, b, <usize>k << 2, 4, c, <usize>n << 2, beta);
}

// ---------------------------------------------------------------------------------------------
// TN: C[i, j] = beta·C[i, j] + Σ_l A[l, i] · B[l, j]; columns of A and B are contiguous.

// @ts-ignore: decorator
@inline
function hsum4(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  // [Σx0, Σx1, Σx2, Σx3]
  const s01 = f32x4.add(f32x4.shuffle(x0, x1, 0, 4, 1, 5), f32x4.shuffle(x0, x1, 2, 6, 3, 7));
  const s23 = f32x4.add(f32x4.shuffle(x2, x3, 0, 4, 1, 5), f32x4.shuffle(x2, x3, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(s01, s23, 0, 1, 4, 5), f32x4.shuffle(s01, s23, 2, 3, 6, 7));
}

// @ts-ignore: decorator
@inline
function hsum1(x: v128): f32 {
  const s = f32x4.add(x, f32x4.shuffle(x, x, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/**
 * One chunk of inner indices: A and B point at row l0 of their column 0, kc rows are summed
 * (kc4 = kc & ~3 of them four at a time). lda = ldb = k·4 bytes.
 */
function panelTN(
  n: i32, p: i32, kc: i32, a: usize, b: usize, ld: usize, c: usize, ldc: usize, beta: f32,
): void {
  const betaV = f32x4.splat(beta);
  const n4 = n & ~3;
  const p2 = p & ~1;
  const kc4 = kc & ~3;
  const kb4 = <usize>kc4 << 2;
  const kb = <usize>kc << 2;
  const ld2 = ld << 1;
  const ld3 = ld2 + ld;
  let j = 0;
  for (; j < p2; j += 2) {
    const b0 = b + <usize>j * ld;
    const b1 = b0 + ld;
    const pcj = c + <usize>j * ldc;
    let i = 0;
    for (; i < n4; i += 4) {
      const a0 = a + <usize>i * ld;
      let x00 = f32x4.splat(0), x10 = f32x4.splat(0), x20 = f32x4.splat(0), x30 = f32x4.splat(0);
      let x01 = f32x4.splat(0), x11 = f32x4.splat(0), x21 = f32x4.splat(0), x31 = f32x4.splat(0);
      let o: usize = 0;
      for (; o < kb4; o += 16) {
        const u0 = v128.load(b0 + o);
        const u1 = v128.load(b1 + o);
        let v = v128.load(a0 + o);
        x00 = f32x4.add(x00, f32x4.mul(v, u0));
        x01 = f32x4.add(x01, f32x4.mul(v, u1));
        v = v128.load(a0 + ld + o);
        x10 = f32x4.add(x10, f32x4.mul(v, u0));
        x11 = f32x4.add(x11, f32x4.mul(v, u1));
        v = v128.load(a0 + ld2 + o);
        x20 = f32x4.add(x20, f32x4.mul(v, u0));
        x21 = f32x4.add(x21, f32x4.mul(v, u1));
        v = v128.load(a0 + ld3 + o);
        x30 = f32x4.add(x30, f32x4.mul(v, u0));
        x31 = f32x4.add(x31, f32x4.mul(v, u1));
      }
      let r0 = hsum4(x00, x10, x20, x30);
      let r1 = hsum4(x01, x11, x21, x31);
      for (; o < kb; o += 4) {
        const av = f32x4(
          load<f32>(a0 + o), load<f32>(a0 + ld + o), load<f32>(a0 + ld2 + o), load<f32>(a0 + ld3 + o),
        );
        r0 = f32x4.add(r0, f32x4.mul(av, v128.load32_splat(b0 + o)));
        r1 = f32x4.add(r1, f32x4.mul(av, v128.load32_splat(b1 + o)));
      }
      const pc = pcj + (<usize>i << 2);
      storeBlock(pc, r0, beta, betaV);
      storeBlock(pc + ldc, r1, beta, betaV);
    }
    for (; i < n; i++) {
      const a0 = a + <usize>i * ld;
      let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
      let o: usize = 0;
      for (; o < kb4; o += 16) {
        const v = v128.load(a0 + o);
        x0 = f32x4.add(x0, f32x4.mul(v, v128.load(b0 + o)));
        x1 = f32x4.add(x1, f32x4.mul(v, v128.load(b1 + o)));
      }
      let s0 = hsum1(x0), s1 = hsum1(x1);
      for (; o < kb; o += 4) {
        const av = load<f32>(a0 + o);
        s0 += av * load<f32>(b0 + o);
        s1 += av * load<f32>(b1 + o);
      }
      const pc = pcj + (<usize>i << 2);
      storeScalar(pc, s0, beta);
      storeScalar(pc + ldc, s1, beta);
    }
  }
  for (; j < p; j++) {
    const b0 = b + <usize>j * ld;
    const pcj = c + <usize>j * ldc;
    let i = 0;
    for (; i < n4; i += 4) {
      const a0 = a + <usize>i * ld;
      let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
      let o: usize = 0;
      for (; o < kb4; o += 16) {
        const u = v128.load(b0 + o);
        x0 = f32x4.add(x0, f32x4.mul(v128.load(a0 + o), u));
        x1 = f32x4.add(x1, f32x4.mul(v128.load(a0 + ld + o), u));
        x2 = f32x4.add(x2, f32x4.mul(v128.load(a0 + ld2 + o), u));
        x3 = f32x4.add(x3, f32x4.mul(v128.load(a0 + ld3 + o), u));
      }
      let r = hsum4(x0, x1, x2, x3);
      for (; o < kb; o += 4) {
        const av = f32x4(
          load<f32>(a0 + o), load<f32>(a0 + ld + o), load<f32>(a0 + ld2 + o), load<f32>(a0 + ld3 + o),
        );
        r = f32x4.add(r, f32x4.mul(av, v128.load32_splat(b0 + o)));
      }
      storeBlock(pcj + (<usize>i << 2), r, beta, betaV);
    }
    for (; i < n; i++) {
      const a0 = a + <usize>i * ld;
      let x = f32x4.splat(0);
      let o: usize = 0;
      for (; o < kb4; o += 16) x = f32x4.add(x, f32x4.mul(v128.load(a0 + o), v128.load(b0 + o)));
      let s = hsum1(x);
      for (; o < kb; o += 4) s += load<f32>(a0 + o) * load<f32>(b0 + o);
      storeScalar(pcj + (<usize>i << 2), s, beta);
    }
  }
}

/** C(n×p) = beta·C + Aᵀ·B with A k×n, B k×p. */
export function gemmTN(k: i32, n: i32, p: i32, a: usize, b: usize, c: usize, beta: f32): void {
  if (n <= 0 || p <= 0) return;
  if (k <= 0) {
    scale(c, n * p, beta);
    return;
  }
  const ld = <usize>k << 2;
  for (let l0 = 0; l0 < k; l0 += KC_TN) {
    const kc = min(KC_TN, k - l0);
    const off = <usize>l0 << 2;
    panelTN(n, p, kc, a + off, b + off, ld, c, <usize>n << 2, l0 == 0 ? beta : 1);
  }
}
