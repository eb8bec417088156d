/**
 * The separator's signal path in WebAssembly with f32x4 SIMD (wasm/assembly/stft.ts, built into
 * ./stft.wasm.ts by wasm/build.mjs):
 * - per frame: windowing, one complex FFT for one or two channels, the half spectra, the input
 *   level tracker, the normalised mid magnitudes, masking, the inverse FFT and the overlap-add (in
 *   place of fft.js, core/level.ts and the JS loops);
 * - per block of input samples: sanitising into the delay line, and the voice and accompaniment
 *   outputs from the voice FIFO and the delay line.
 * The FFT runs in f32 where fft.js runs in f64: results agree to f32 rounding.
 *
 * Its buffers live in a {@link WasmArena} shared with the rest of the separator; the frame
 * buffers, magnitudes, mask and finished samples are views of it, valid once the arena commits.
 */
import { SILENCE_GATE } from './level.ts';
import { windowPower } from './stft.ts';
import { EmbeddedModule, WasmArena } from '../wasm/loader.ts';
import { stftWasmBase64 } from '../wasm/stft.wasm.ts';

interface StftExports {
  analyze(desc: number): void;
  synthesize(desc: number): void;
  ingest(src: number, n: number, ring: number, w: number, ringMask: number): number;
  emit(fifo: number, r: number, fifoMask: number, line: number, d: number, lineMask: number, voice: number, accomp: number, n: number): void;
}

const wasm = new EmbeddedModule<StftExports>(stftWasmBase64);

/** Compiles the module asynchronously (for a page's main thread); resolves to availability. */
export function loadWasmStft(): Promise<boolean> {
  return wasm.preload();
}

// Descriptor slots: must match wasm/assembly/stft.ts.
const D = {
  N: 0, H: 1, M: 2, MP: 3, C: 4, WIN: 5, SYN: 6, FRAME0: 7, FRAME1: 8, RE: 9, IM: 10, TWR: 11, TWI: 12, REV: 13,
  AR: 14, AI: 15, BR: 16, BI: 17, MAG: 18, MASK: 19, ACC0: 20, ACC1: 21, OUT0: 22, OUT1: 23, LEVEL: 24, COUNT: 25,
} as const;

export class WasmStft {
  readonly arena: WasmArena;
  // Views of the arena, made when it commits.
  /** The newest N samples of each channel (write new samples here; shift by hop after analyze()). */
  frames: Float32Array[] = [];
  /** The normalised mid magnitudes, after analyze() (m values). */
  mag: Float32Array = new Float32Array(0);
  /** The voice mask to apply in synthesize() (m values). */
  mask: Float32Array = new Float32Array(0);
  /** The hop finished samples of each channel, after synthesize(). */
  out: Float32Array[] = [];
  private readonly k: StftExports;
  private readonly desc: number;
  private readonly ints: number[];
  /** The level tracker's state and results (see wasm/assembly/stft.ts D_LEVEL). */
  private level = new Float64Array(7);

  private constructor(arena: WasmArena, k: StftExports, analysis: Float32Array, synthesis: Float32Array, hop: number, channels: number, levelTau: number, frameRate: number) {
    // As LevelTracker (core/level.ts) computes them.
    const beta = levelTau > 0 ? Math.exp(-1 / (levelTau * frameRate)) : 0;
    const spectrumScale = 1 / Math.sqrt(windowPower(analysis));
    this.arena = arena;
    this.k = k;
    const n = analysis.length, m = n / 2 + 1, mp = (m + 3) & ~3;
    const ints = new Array<number>(D.COUNT).fill(0);
    this.ints = ints;
    this.desc = arena.reserve(D.COUNT);
    Object.assign(ints, { [D.N]: n, [D.H]: hop, [D.M]: m, [D.MP]: mp, [D.C]: channels });
    for (const [s, len] of [[D.WIN, n], [D.SYN, n], [D.FRAME0, n], [D.FRAME1, n], [D.RE, n], [D.IM, n], [D.TWR, n], [D.TWI, n],
      [D.REV, n], [D.AR, mp], [D.AI, mp], [D.BR, mp], [D.BI, mp], [D.MAG, mp], [D.MASK, mp], [D.ACC0, n], [D.ACC1, n],
      [D.OUT0, hop], [D.OUT1, hop], [D.LEVEL, 14]] as const) ints[s] = arena.reserve(len);
    arena.onCommit(() => {
      const f32 = (s: number, len: number) => arena.f32(ints[s], len);
      arena.i32(this.desc, D.COUNT).set(ints);
      f32(D.WIN, n).set(analysis);
      const syn = f32(D.SYN, n);
      for (let i = 0; i < n; i++) syn[i] = synthesis[i] / n;
      // Twiddles of the butterflies h apart at tw[h + j] = exp(−iπj/h), h = 4 … N/2.
      const twr = f32(D.TWR, n), twi = f32(D.TWI, n);
      for (let h = 4; h < n; h *= 2) {
        for (let j = 0; j < h; j++) {
          twr[h + j] = Math.cos((Math.PI * j) / h);
          twi[h + j] = -Math.sin((Math.PI * j) / h);
        }
      }
      const rev = arena.i32(ints[D.REV], n), bits = Math.round(Math.log2(n));
      for (let i = 0; i < n; i++) {
        let r = 0;
        for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
        rev[i] = r;
      }
      this.frames = [f32(D.FRAME0, n), f32(D.FRAME1, n)].slice(0, channels);
      this.mag = f32(D.MAG, m);
      this.mask = f32(D.MASK, m);
      this.out = [f32(D.OUT0, hop), f32(D.OUT1, hop)].slice(0, channels);
      this.level = new Float64Array(arena.memory.buffer, ints[D.LEVEL], 7);
      this.level.set([0, beta, spectrumScale, 0, 0, 0, SILENCE_GATE]);
    });
  }

  /**
   * Reserves its buffers in `arena` (the caller commits it); null where WebAssembly SIMD is
   * unavailable. levelTau and frameRate set the input level tracker, as in LevelTracker.
   */
  static create(arena: WasmArena, analysis: Float32Array, synthesis: Float32Array, hop: number, channels: number, levelTau: number, frameRate: number): WasmStft | null {
    const n = analysis.length;
    if (!(n >= 16 && (n & (n - 1)) === 0 && hop >= 1 && hop <= n && (channels === 1 || channels === 2))) return null;
    const k = arena.instance(wasm);
    return k ? new WasmStft(arena, k, analysis, synthesis, hop, channels, levelTau, frameRate) : null;
  }

  /**
   * Transforms the windowed frames, feeds the frame's level to the level tracker and writes the
   * normalised mid magnitudes into `mag` (|mid spectrum| / RMS / √Σw², as the plain path).
   */
  analyze(): void {
    this.k.analyze(this.desc);
  }

  /** Σ (w·mid)² of the last frame (before the 1/Σw² scale). */
  get lastPower(): number {
    return this.level[0];
  }

  /** The gain applied to the last frame's magnitudes (1/RMS · 1/√Σw²). */
  get lastGain(): number {
    return this.level[5];
  }

  /** Masks, inverse-transforms and overlap-adds; `out` then holds hop finished samples per channel. */
  synthesize(): void {
    this.k.synthesize(this.desc);
  }

  /**
   * Replaces the non-finite samples of src[0..n) (a view of the arena) by 0 in place and copies them
   * into `ring` (a power-of-two ring in the arena) from index w on; returns how many were replaced.
   */
  ingest(src: Float32Array, n: number, ring: Float32Array, w: number): number {
    return this.k.ingest(src.byteOffset, n, ring.byteOffset, w, ring.length - 1);
  }

  /** voice[i] = fifo[r + i], accomp[i] = line[d + i] − voice[i] for i < n (all views of the arena; rings wrap). */
  emit(fifo: Float32Array, r: number, line: Float32Array, d: number, voice: Float32Array, accomp: Float32Array, n: number): void {
    this.k.emit(fifo.byteOffset, r, fifo.length - 1, line.byteOffset, d, line.length - 1, voice.byteOffset, accomp.byteOffset, n);
  }

  /** Clears the overlap-add accumulators, the frames and the level tracker (back to silence). */
  reset(): void {
    const n = this.ints[D.N];
    for (const s of [D.ACC0, D.ACC1, D.FRAME0, D.FRAME1]) this.arena.heap.fill(0, this.ints[s] / 4, this.ints[s] / 4 + n);
    this.level[3] = this.level[4] = 0;
  }
}
