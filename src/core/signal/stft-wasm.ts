/**
 * The separator's signal path in WebAssembly with f32x4 SIMD (wasm/assembly/stft.ts, built into
 * src/core/wasm/stft.wasm.ts by wasm/build.mjs):
 * - per frame: windowing, one complex FFT for one or two channels, the half spectra, the input
 *   level tracker, the normalised mid magnitudes, the soft mask from the network's estimates, its
 *   application, the inverse FFT and the overlap-add (in place of fft.js, level.ts, masks.ts and
 *   the JS loops);
 * - per block of input samples: sanitising (non-finite → 0, clipped to ±limit) into the delay line,
 *   and the voice and accompaniment outputs from the voice FIFO and the delay line.
 * The FFT runs in f32 where fft.js runs in f64: results agree to f32 rounding.
 *
 * Its buffers live in a {@link WasmArena} shared with the rest of the separator; the frame
 * buffers, magnitudes, estimates, mask and finished samples are views of it, valid once the arena
 * commits. The descriptor's slots are declared in src/core/wasm/stft-slots.ts, for both sides.
 */
import { LevelTracker, SILENCE_GATE } from './level.ts';
import { windowPower, type StftKernel } from './stft.ts';
import type { ModelHeader } from '../model/model.ts';
import { EmbeddedModule, WasmArena } from '../wasm/loader.ts';
import * as D from '../wasm/stft-slots.ts';
import { stftWasmBase64 } from '../wasm/stft.wasm.ts';

interface StftExports {
  analyze(desc: number): void;
  softMask(desc: number): void;
  synthesize(desc: number): void;
  ingest(src: number, n: number, ring: number, w: number, ringMask: number, limit: number): number;
  emit(fifo: number, r: number, fifoMask: number, line: number, d: number, lineMask: number, voice: number, accomp: number, n: number): void;
  emitFullBand(fifo: number, low: number, gain: number, r: number, fifoMask: number, line: number, d: number, lineMask: number, voice: number, accomp: number, n: number): void;
}

const wasm = new EmbeddedModule<StftExports>(stftWasmBase64);

/** Compiles the module asynchronously (for a page's main thread); resolves to availability. */
export function loadWasmStft(): Promise<boolean> {
  return wasm.preload();
}

/** What the frame kernel takes from the model: the level tracker's τ, the frame rate, the mask's power. */
export type StftSettings = Pick<ModelHeader, 'sampleRate' | 'levelTau' | 'maskPower' | 'residualWeight'>;

/** The WebAssembly frame path (a FramePath: src/core/separate/frame-path.ts) and the sample path's kernels. */
export class WasmStft {
  readonly fast = true;
  readonly arena: WasmArena;
  // Views of the arena, made when it commits.
  /** The newest N samples of each channel (write new samples here; shift by hop after analyze()). */
  frames: Float32Array[] = [];
  /** The normalised mid magnitudes, after analyze() (m values). */
  mag: Float32Array = new Float32Array(0);
  /** The network's voice and accompaniment magnitudes for softMask() (m values each). */
  voice: Float32Array = new Float32Array(0);
  accomp: Float32Array = new Float32Array(0);
  /** The voice mask that synthesize() applies (m values): softMask() writes it. */
  mask: Float32Array = new Float32Array(0);
  /** The hop finished samples of each channel, after synthesize(). */
  out: Float32Array[] = [];
  /**
   * Byte offsets of `mag`, `voice` and `accomp` in the arena: an encoder in the same arena reads
   * its input and writes its estimates there (no copies; see src/core/network/encoder-wasm.ts).
   */
  readonly encoderIo: { x: number; voice: number; accomp: number };
  private readonly k: StftExports;
  private readonly desc: number;
  private readonly ints: number[];
  /** The f64 block: the level tracker's state and results, the mask power (D.F_… in stft-slots.ts). */
  private f64 = new Float64Array(D.F_COUNT);

  private constructor(arena: WasmArena, k: StftExports, kernel: StftKernel, channels: number, settings: StftSettings) {
    const { analysis, synthesis, hop } = kernel;
    const beta = LevelTracker.beta(settings.levelTau, settings.sampleRate / hop);
    const spectrumScale = 1 / Math.sqrt(windowPower(analysis));
    this.arena = arena;
    this.k = k;
    const n = analysis.length, m = n / 2 + 1, mp = (m + 3) & ~3;
    const ints = new Array<number>(D.COUNT).fill(0);
    this.ints = ints;
    this.desc = arena.reserve(D.COUNT);
    Object.assign(ints, { [D.N]: n, [D.H]: hop, [D.M]: m, [D.MP]: mp, [D.C]: channels });
    for (const [s, len] of [[D.WIN, n], [D.SYN, n], [D.FRAME0, n], [D.FRAME1, n], [D.RE, n], [D.IM, n], [D.TWR, n], [D.TWI, n],
      [D.REV, n], [D.AR, mp], [D.AI, mp], [D.BR, mp], [D.BI, mp], [D.MAG, mp], [D.VOICE, mp], [D.ACCOMP, mp], [D.MASK, mp],
      [D.ACC0, n], [D.ACC1, n], [D.OUT0, hop], [D.OUT1, hop], [D.F64, 2 * D.F_COUNT]] as const) ints[s] = arena.reserve(len);
    this.encoderIo = { x: ints[D.MAG], voice: ints[D.VOICE], accomp: ints[D.ACCOMP] };
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
      this.voice = f32(D.VOICE, m);
      this.accomp = f32(D.ACCOMP, m);
      this.mask = f32(D.MASK, m);
      this.out = [f32(D.OUT0, hop), f32(D.OUT1, hop)].slice(0, channels);
      this.f64 = new Float64Array(arena.memory.buffer, ints[D.F64], D.F_COUNT);
      this.f64[D.F_BETA] = beta;
      this.f64[D.F_SCALE] = spectrumScale;
      this.f64[D.F_GATE] = SILENCE_GATE;
      this.f64[D.F_MASK_POWER] = settings.maskPower;
      this.f64[D.F_RESIDUAL] = settings.residualWeight;
    });
  }

  /**
   * Reserves its buffers in `arena` (the caller commits it); null where WebAssembly SIMD is
   * unavailable. `settings` set the input level tracker (as LevelTracker) and the mask's power.
   */
  static create(arena: WasmArena, kernel: StftKernel, channels: number, settings: StftSettings): WasmStft | null {
    const n = kernel.fftSize, hop = kernel.hop;
    if (!(n >= 16 && (n & (n - 1)) === 0 && hop >= 1 && hop <= n && (channels === 1 || channels === 2))) return null;
    const k = arena.instance(wasm);
    return k ? new WasmStft(arena, k, kernel, channels, settings) : null;
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
    return this.f64[D.F_POWER];
  }

  /** The gain applied to the last frame's magnitudes (1/RMS · 1/√Σw²). */
  get lastGain(): number {
    return this.f64[D.F_GAIN];
  }

  /** The voice mask from voice, accomp and mag (masks.ts softMask, computed as there). */
  softMask(): void {
    this.k.softMask(this.desc);
  }

  /** The mask's residual weight β from the next softMask() on. */
  setResidualWeight(weight: number): void {
    this.f64[D.F_RESIDUAL] = weight;
  }

  /** Masks, inverse-transforms and overlap-adds; `out` then holds hop finished samples per channel. */
  synthesize(): void {
    this.k.synthesize(this.desc);
  }

  /**
   * Sanitises src[0..n) (a view of the arena) in place: non-finite samples become 0, samples beyond
   * ±limit become ±limit; copies them into `ring` (a power-of-two ring in the arena) from index w
   * on. Returns how many were replaced, packed as non-finite + 65536 · clipped (n < 65536).
   */
  ingest(src: Float32Array, n: number, ring: Float32Array, w: number, limit: number): number {
    return this.k.ingest(src.byteOffset, n, ring.byteOffset, w, ring.length - 1, limit);
  }

  /** voice[i] = fifo[r + i], accomp[i] = line[d + i] − voice[i] for i < n (all views of the arena; rings wrap). */
  emit(fifo: Float32Array, r: number, line: Float32Array, d: number, voice: Float32Array, accomp: Float32Array, n: number): void {
    this.k.emit(fifo.byteOffset, r, fifo.length - 1, line.byteOffset, d, line.length - 1, voice.byteOffset, accomp.byteOffset, n);
  }

  /**
   * With the band above the model's: voice[i] = fifo[r + i] + gain[r + i]·(line[d + i] − low[r + i]),
   * accomp[i] = line[d + i] − voice[i] (fifo, low and gain: rings of one length; all views of the arena).
   */
  emitFullBand(fifo: Float32Array, low: Float32Array, gain: Float32Array, r: number, line: Float32Array, d: number, voice: Float32Array, accomp: Float32Array, n: number): void {
    this.k.emitFullBand(fifo.byteOffset, low.byteOffset, gain.byteOffset, r, fifo.length - 1, line.byteOffset, d, line.length - 1, voice.byteOffset, accomp.byteOffset, n);
  }

  /** Clears the overlap-add accumulators, the frames and the level tracker (back to silence). */
  reset(): void {
    const n = this.ints[D.N];
    for (const s of [D.ACC0, D.ACC1, D.FRAME0, D.FRAME1]) this.arena.heap.fill(0, this.ints[s] / 4, this.ints[s] / 4 + n);
    this.f64[D.F_SUM] = this.f64[D.F_WEIGHT] = 0;
  }
}
