/**
 * The three dense products of src/core/matrix.ts as gpu.js kernels, behind the MatrixBackend seam
 * (setMatrixBackend): training and the batch separation run on them unchanged.
 *
 *   gemm    C = beta·C + A·B     A n×k, B k×p, C n×p
 *   gemmTN  C = beta·C + Aᵀ·B    A k×n, B k×p, C n×p
 *   gemmNT  C = beta·C + A·Bᵀ    A n×p, B k×p, C n×k
 *
 * Layout: a column-major Mat (rows × cols) is a gpu.js 2-D value of width `rows` and height `cols`,
 * so element (i, j) is v[j][i] in a kernel and thread (x, y) = (i, j) computes C(i, j). Each shape
 * gets its own kernel (the inner dimension is a constant, so the shader's loop is fixed), created
 * on first use and kept. beta is applied on the CPU to the read-back product (beta = 0 never reads
 * C), which saves uploading C.
 *
 * Residency: the weights of a network are the same matrices call after call. Arrays named with
 * {@link GpuMatrix.setResident} are uploaded once as textures (a pipeline kernel's output) and
 * passed to the products as textures from then on; with `verify`, each use first compares the
 * array with the copy that was uploaded (a memcmp on the CPU, far cheaper than an upload) and
 * re-uploads when training has changed it. Everything else (the activations, which change every
 * call) goes up as a flat `input()` and comes back by readPixels.
 *
 * gpu.js is loaded with a dynamic import() (it is large): nothing here costs anything until a
 * backend is created. Kernels are source strings, so the bundler's minifier cannot change what
 * gpu.js parses.
 */
import type { GPU, IKernelRunShortcut, KernelVariable, Texture } from 'gpu.js';
import type { Mat, MatrixBackend } from '../core/linalg/matrix.ts';

/** gpu.js backends this module drives: webgl2 / webgl (the GPU), cpu (a comparison in the bench). */
export type GpuJsMode = 'webgl2' | 'webgl' | 'cpu';

export interface GpuMatrixStats {
  calls: number;
  /** Milliseconds inside kernel calls (upload, run, readback) and in the CPU side of each product. */
  ms: number;
  uploadedBytes: number;
  readBytes: number;
  /** Operands served from a resident texture, and resident textures (re-)uploaded. */
  residentHits: number;
  residentUploads: number;
}

// Kernel sources. `this.constants.k` is the inner dimension (a compile-time constant per shape).
const SRC_NN = `function (a, b) {
  let s = 0.0;
  for (let l = 0; l < this.constants.k; l++) { s += a[l][this.thread.x] * b[this.thread.y][l]; }
  return s;
}`;
const SRC_TN = `function (a, b) {
  let s = 0.0;
  for (let l = 0; l < this.constants.k; l++) { s += a[this.thread.x][l] * b[this.thread.y][l]; }
  return s;
}`;
const SRC_NT = `function (a, b) {
  let s = 0.0;
  for (let j = 0; j < this.constants.k; j++) { s += a[j][this.thread.x] * b[j][this.thread.y]; }
  return s;
}`;
const SRC_COPY = `function (v) { return v[this.thread.y][this.thread.x]; }`;

type Op = 'nn' | 'tn' | 'nt';
const SOURCES: Record<Op, string> = { nn: SRC_NN, tn: SRC_TN, nt: SRC_NT };

interface GpuJsModule {
  GPU: typeof GPU;
  input: (value: Float32Array, size: number[]) => KernelVariable;
}

interface ResidentRange {
  start: number;
  end: number;
  verify: boolean;
}

interface ResidentTexture {
  texture: Texture | Float32Array[];
  /** What was uploaded, when uploads are verified (null: trusted not to change). */
  snapshot: Float32Array | null;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** The first `len` values of a matrix's data. */
const values = (d: Float32Array, len: number): Float32Array => (d.length === len ? d : d.subarray(0, len));

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  // Compare as 32-bit integers: exact (NaN payloads included) and faster than float compares.
  const x = new Int32Array(a.buffer, a.byteOffset, a.length), y = new Int32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export class GpuMatrix implements MatrixBackend {
  readonly name: string;
  /** The gpu.js backend asked for. */
  readonly mode: GpuJsMode;
  readonly stats: GpuMatrixStats = { calls: 0, ms: 0, uploadedBytes: 0, readBytes: 0, residentHits: 0, residentUploads: 0 };

  private readonly gpu: GPU;
  private readonly lib: GpuJsModule;
  private readonly kernels = new Map<string, IKernelRunShortcut>();
  private readonly copies = new Map<string, IKernelRunShortcut>();
  private readonly ranges = new Map<ArrayBufferLike, ResidentRange[]>();
  private readonly textures = new Map<ArrayBufferLike, Map<string, ResidentTexture>>();
  private backendSeen: string | null = null;

  private constructor(lib: GpuJsModule, mode: GpuJsMode) {
    this.lib = lib;
    this.mode = mode;
    this.gpu = new lib.GPU({ mode });
    this.name = `gpu.js ${mode}`;
  }

  /** Loads gpu.js and makes a backend in that mode (throws where the mode cannot run here). */
  static async create(mode: GpuJsMode): Promise<GpuMatrix> {
    const mod = (await import('gpu.js')) as unknown as GpuJsModule & { default?: GpuJsModule };
    const lib = typeof mod.GPU === 'function' ? mod : mod.default;
    if (!lib || typeof lib.GPU !== 'function') throw new Error('gpu.js did not load');
    if (mode === 'webgl2' && !lib.GPU.isWebGL2Supported) throw new Error('WebGL2 is not available here');
    if (mode === 'webgl' && !lib.GPU.isWebGLSupported) throw new Error('WebGL is not available here');
    const m = new GpuMatrix(lib, mode);
    m.selfCheck();
    if (m.backend !== mode) {
      m.destroy();
      throw new Error(`gpu.js could not run its ${mode} backend here (it fell back to ${m.backend})`);
    }
    return m;
  }

  /**
   * The gpu.js backend that actually ran the kernels: the mode asked for, or 'cpu' where gpu.js
   * silently fell back to its CPU backend (a kernel that does not compile); null before the first
   * product.
   */
  get backend(): string | null {
    return this.backendSeen;
  }

  /** One tiny product, so a mode that does not work fails here, not in the middle of a job. */
  private selfCheck(): void {
    const a: Mat = { rows: 2, cols: 2, data: new Float32Array([1, 2, 3, 4]) };
    const b: Mat = { rows: 2, cols: 1, data: new Float32Array([1, 1]) };
    const c: Mat = { rows: 2, cols: 1, data: new Float32Array(2) };
    this.gemm(a, b, c, 0);
    if (c.data[0] !== 4 || c.data[1] !== 6) throw new Error(`gpu.js ${this.mode} gives wrong products here (${c.data[0]}, ${c.data[1]} instead of 4, 6)`);
    this.stats.calls = 0;
    this.stats.ms = this.stats.uploadedBytes = this.stats.readBytes = 0;
  }

  /**
   * Keeps these arrays (a network's weights, or views of them) on the GPU as textures from their
   * first use. verify = false: they will not change until clearResident() (export); true: each use
   * checks them against what was uploaded and re-uploads after a change (training).
   */
  setResident(arrays: Float32Array[], verify: boolean): void {
    for (const a of arrays) {
      const list = this.ranges.get(a.buffer) ?? [];
      list.push({ start: a.byteOffset, end: a.byteOffset + a.byteLength, verify });
      this.ranges.set(a.buffer, list);
    }
  }

  /** Forgets the resident arrays and frees their textures. */
  clearResident(): void {
    for (const map of this.textures.values()) for (const t of map.values()) this.free(t.texture);
    this.textures.clear();
    this.ranges.clear();
  }

  /** Frees every kernel and texture, and the GPU context. */
  destroy(): void {
    this.clearResident();
    for (const k of [...this.kernels.values(), ...this.copies.values()]) k.destroy?.();
    this.kernels.clear();
    this.copies.clear();
    void this.gpu.destroy();
  }

  gemm(a: Mat, b: Mat, c: Mat, beta: number): void {
    const n = a.rows, k = a.cols, p = b.cols;
    if (b.rows !== k || c.rows !== n || c.cols !== p) throw new Error('gemm: shape mismatch');
    this.product('nn', a, b, c, n, p, k, beta);
  }

  gemmTN(a: Mat, b: Mat, c: Mat, beta: number): void {
    const k = a.rows, n = a.cols, p = b.cols;
    if (b.rows !== k || c.rows !== n || c.cols !== p) throw new Error('gemmTN: shape mismatch');
    this.product('tn', a, b, c, n, p, k, beta);
  }

  gemmNT(a: Mat, b: Mat, c: Mat, beta: number): void {
    const n = a.rows, p = a.cols, k = b.rows;
    if (b.cols !== p || c.rows !== n || c.cols !== k) throw new Error('gemmNT: shape mismatch');
    // Output n × k; the loop runs over the p columns.
    this.product('nt', a, b, c, n, k, p, beta);
  }

  /** C (w × h, column-major) = beta·C + op(A, B), the loop over `inner`. */
  private product(op: Op, a: Mat, b: Mat, c: Mat, w: number, h: number, inner: number, beta: number): void {
    const len = w * h;
    if (len === 0) return;
    const t0 = now();
    this.stats.calls++;
    const C = c.data;
    if (inner === 0) {
      if (beta === 0) C.fill(0, 0, len);
      else if (beta !== 1) for (let i = 0; i < len; i++) C[i] *= beta;
      return;
    }
    const A = this.operand(a), B = this.operand(b);
    const kernel = this.kernel(op, w, h, inner, A.resident, B.resident);
    const out = kernel(A.value, B.value) as Float32Array[] | Float32Array;
    // gpu.js's kernel classes say 'gpu' (every GL backend), 'cpu' or 'webasm'.
    const ran = String((kernel.kernel?.constructor as { mode?: string } | undefined)?.mode ?? 'gpu');
    if (ran !== 'gpu' && ran !== this.mode) this.backendSeen = ran;
    else this.backendSeen ??= this.mode;
    this.stats.readBytes += 4 * len;
    const rows = out instanceof Float32Array ? [out] : out;
    if (beta === 0) {
      for (let j = 0; j < h; j++) C.set(rows[j].length === w ? rows[j] : rows[j].subarray(0, w), j * w);
    } else {
      for (let j = 0; j < h; j++) {
        const r = rows[j], o = j * w;
        if (beta === 1) for (let i = 0; i < w; i++) C[o + i] += r[i];
        else for (let i = 0; i < w; i++) C[o + i] = beta * C[o + i] + r[i];
      }
    }
    this.stats.ms += now() - t0;
  }

  private kernel(op: Op, w: number, h: number, inner: number, aTex: boolean, bTex: boolean): IKernelRunShortcut {
    const key = `${op}:${w}:${h}:${inner}:${aTex ? 't' : 'i'}${bTex ? 't' : 'i'}`;
    let k = this.kernels.get(key);
    if (!k) {
      k = this.gpu.createKernel(SOURCES[op], {
        output: [w, h],
        constants: { k: inner },
        loopMaxIterations: inner + 1,
        precision: 'single',
        tactic: 'precision',
        dynamicOutput: false,
        dynamicArguments: false,
      } as Parameters<GPU['createKernel']>[1] & { loopMaxIterations: number });
      this.kernels.set(key, k);
    }
    return k;
  }

  /** A matrix as a kernel argument: its resident texture, or a flat input() of its values. */
  private operand(m: Mat): { value: KernelVariable; resident: boolean } {
    const len = m.rows * m.cols;
    const data = values(m.data, len);
    const range = this.ranges.get(data.buffer)?.find((r) => data.byteOffset >= r.start && data.byteOffset + data.byteLength <= r.end);
    if (!range) {
      this.stats.uploadedBytes += 4 * len;
      return { value: this.lib.input(data, [m.rows, m.cols]), resident: false };
    }
    let map = this.textures.get(data.buffer);
    if (!map) this.textures.set(data.buffer, (map = new Map()));
    const key = `${data.byteOffset}:${len}:${m.rows}`;
    let entry = map.get(key);
    if (entry && range.verify && !sameValues(entry.snapshot!, data)) {
      this.free(entry.texture);
      map.delete(key);
      entry = undefined;
    }
    if (!entry) {
      entry = { texture: this.upload(data, m.rows, m.cols), snapshot: range.verify ? data.slice() : null };
      map.set(key, entry);
      this.stats.residentUploads++;
      this.stats.uploadedBytes += 4 * len;
    } else {
      this.stats.residentHits++;
    }
    return { value: entry.texture as KernelVariable, resident: true };
  }

  /** Uploads a matrix into a texture that stays on the GPU (a pipeline kernel's output). */
  private upload(data: Float32Array, rows: number, cols: number): Texture | Float32Array[] {
    const key = `${rows}:${cols}`;
    let k = this.copies.get(key);
    if (!k) {
      k = this.gpu.createKernel(SRC_COPY, { output: [rows, cols], pipeline: true, immutable: true, precision: 'single', tactic: 'precision' });
      this.copies.set(key, k);
    }
    return k(this.lib.input(data, [rows, cols])) as Texture | Float32Array[];
  }

  private free(t: Texture | Float32Array[]): void {
    if (!Array.isArray(t)) (t as Texture).delete?.();
  }
}
