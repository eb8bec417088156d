/**
 * A model's header: its fields, the range each must lie in, and the arrays (with their shapes) a
 * header implies. The file format and the arrays are in model.ts, which re-exports all of this.
 */

/** rnmf: non-negative codes and one-sided thresholds (NN RNMF); rpca: signed codes, soft thresholds (NN RPCA). */
export type Variant = 'rnmf' | 'rpca';
/**
 * dense: the paper's network, one W (n×m) and one H (n×n) shared by all layers, n = q + m.
 * structured: each layer keeps the block structure of Algorithm 1's H — a full q×q block, two q×m
 * blocks and a diagonal m×m block — with its own learned values (see network.ts).
 */
export type Structure = 'dense' | 'structured';

export interface ModelHeader {
  sampleRate: number;
  fftSize: number;
  hop: number;
  /** Frequency bins, fftSize/2 + 1. */
  m: number;
  /** Dictionary atoms (rank bound). */
  q: number;
  /** Network depth T. */
  layers: number;
  variant: Variant;
  structure: Structure;
  /**
   * Structured networks only: rank of a learned low-rank term added to the diagonal o-rows of W
   * (inputRank) and to the diagonal o→o block of each layer's H (layerRank); 0 = none (Algorithm 1's
   * shape). They let the voice estimate mix frequencies, as the dense network can, at 2·m·rank cost.
   */
  inputRank: number;
  layerRank: number;
  /** Structured networks only: all layers hold the same parameters (stored once in the file). */
  tied: boolean;
  /** ℓ1 weight on the voice (in normalised-magnitude units). */
  lambda: number;
  /** Weight on ‖s‖² (and ‖U‖²). */
  lambdaStar: number;
  /** Time constant (s) of the input level tracker that normalises magnitudes. */
  levelTau: number;
  /** Soft-mask exponent p: voice mask = vᵖ / (vᵖ + (Us)ᵖ), v the voice estimate below. */
  maskPower: number;
  /**
   * β of the mask's voice estimate v = max(o, x − β·Us): where the network's sparse part o is
   * silent, what its low-rank part leaves unexplained of the mixture x, over-subtracted β times (as
   * spectral subtraction does). 0: v = o, the paper's mask (masks.ts).
   */
  residualWeight: number;
}

export class ModelError extends Error {
  override name = 'ModelError';
}

/** The arrays a model of this header must hold, with their shapes. */
export function expectedShapes(h: ModelHeader): Record<string, [number, number]> {
  const { m, q, layers: T } = h;
  const n = m + q;
  if (h.structure === 'dense') {
    return { U: [m, q], W: [n, m], H: [n, n], t: [n, 1] };
  }
  const shapes: Record<string, [number, number]> = {
    U: [m, q],
    Ws: [q, m], // s-rows of W
    wo: [m, 1], // o-rows of W (diagonal)
    t: [n, T], // thresholds of each layer
    Hss: [q, q * (T - 1)], // per layer transition, blocks side by side
    Hso: [q, m * (T - 1)],
    Hos: [m, q * (T - 1)],
    hoo: [m, T - 1], // diagonal of the o→o block
  };
  const { inputRank: rw, layerRank: rh } = h;
  if (rw > 0) Object.assign(shapes, { Pw: [m, rw], Qw: [rw, m] }); // W_oo += Pw·Qw
  if (rh > 0) Object.assign(shapes, { Ph: [m, rh * (T - 1)], Qh: [rh, m * (T - 1)] }); // H_oo += Ph·Qh per layer
  return shapes;
}

/**
 * The allowed range of every numeric header field, inclusive (the file's u32 and f64 fields). A
 * field outside its range is refused by name with this range (a model with a valid checksum can
 * still hold, say, a mask power of 1e300, which would make every output NaN). The float ranges are
 * far wider than any trained model needs and narrow enough that nothing overflows: the soft mask
 * raises magnitudes to maskPower in f32 on the fast path.
 */
export const HEADER_RANGES = {
  sampleRate: { min: 3000, max: 384000, integer: true, what: 'the sample rate, Hz' },
  fftSize: { min: 16, max: 65536, integer: true, what: 'the FFT size, a power of two' },
  hop: { min: 1, max: 32768, integer: true, what: 'the hop, at most fftSize / 2' },
  m: { min: 9, max: 32769, integer: true, what: 'the frequency bins, fftSize / 2 + 1' },
  q: { min: 1, max: 4096, integer: true, what: 'the dictionary atoms' },
  layers: { min: 1, max: 1000, integer: true, what: 'the network depth T (at least 2 for a structured network)' },
  inputRank: { min: 0, max: 32769, integer: true, what: 'the input rank, at most m, 0 for a dense network' },
  layerRank: { min: 0, max: 32769, integer: true, what: 'the layer rank, at most m, 0 for a dense network' },
  lambda: { min: 0, max: 1000, integer: false, what: 'the ℓ1 weight' },
  lambdaStar: { min: 0, max: 1000, integer: false, what: 'the ‖s‖² weight' },
  levelTau: { min: 0, max: 3600, integer: false, what: 'the level tracker\'s time constant, seconds' },
  maskPower: { min: 0.1, max: 4, integer: false, what: 'the soft mask\'s exponent' },
  residualWeight: { min: 0, max: 100, integer: false, what: 'the weight β of the mask\'s residual voice estimate max(o, x − β·Us), 0 for none' },
} as const satisfies Partial<Record<keyof ModelHeader, { min: number; max: number; integer: boolean; what: string }>>;

/** Whether `v` is a value header field `field` may hold (HEADER_RANGES): the one test of every range. */
export function inRange(field: keyof typeof HEADER_RANGES, v: unknown): boolean {
  const r = HEADER_RANGES[field];
  return typeof v === 'number' && v >= r.min && v <= r.max && (!r.integer || Number.isInteger(v));
}

/**
 * The most floats a model may hold in memory (64 Mi, 256 MiB; the shipped model holds 0.1 Mi): a
 * header asking for more is refused before anything is allocated.
 */
export const MAX_MODEL_FLOATS = 1 << 26;

/** Floats the arrays of a model with this header hold in memory (after a tied model's expansion). */
function modelFloats(h: ModelHeader): number {
  let total = 0;
  for (const [rows, cols] of Object.values(expectedShapes(h))) total += rows * cols;
  return total;
}

/** Checks every header field against its range and the others (ModelError naming the field). */
export function validateHeader(h: ModelHeader): void {
  const bad = (why: string): never => {
    throw new ModelError(`model header is inconsistent: ${why}`);
  };
  if (h.variant !== 'rnmf' && h.variant !== 'rpca') bad(`variant ${String(h.variant)}: must be rnmf or rpca`);
  if (h.structure !== 'dense' && h.structure !== 'structured') bad(`structure ${String(h.structure)}: must be dense or structured`);
  for (const [field, r] of Object.entries(HEADER_RANGES) as [keyof typeof HEADER_RANGES, (typeof HEADER_RANGES)[keyof typeof HEADER_RANGES]][]) {
    const v = h[field];
    if (!inRange(field, v)) bad(`${field} = ${v} is out of range: ${r.what}, must be ${r.integer ? 'a whole number ' : ''}from ${r.min} to ${r.max}`);
  }
  if ((h.fftSize & (h.fftSize - 1)) !== 0) bad(`fftSize = ${h.fftSize} is not a power of two (from 16 to 65536)`);
  if (h.hop > h.fftSize / 2) bad(`hop = ${h.hop} for FFT size ${h.fftSize}: the hop must be from 1 to fftSize / 2 = ${h.fftSize / 2}`);
  if (h.m !== h.fftSize / 2 + 1) bad(`m = ${h.m} bins, but an FFT of ${h.fftSize} has ${h.fftSize / 2 + 1}`);
  if (h.structure === 'structured' && h.layers < 2) bad(`layers = ${h.layers}: a structured network needs at least 2 layers (from 2 to 1000)`);
  if (h.inputRank > h.m || h.layerRank > h.m) bad(`ranks ${h.inputRank}, ${h.layerRank}: each must be from 0 to m = ${h.m}`);
  if (typeof h.tied !== 'boolean') bad(`tied = ${String(h.tied)}: must be 0 or 1`);
  if (h.structure === 'dense' && (h.inputRank || h.layerRank || h.tied)) bad('low-rank terms and tying apply to structured networks only (inputRank, layerRank and tied must be 0 for a dense network)');
  const floats = modelFloats(h);
  if (floats > MAX_MODEL_FLOATS) {
    bad(`its arrays would hold ${floats} floats (${Math.round(floats / 262144)} MiB; m = ${h.m}, q = ${h.q}, T = ${h.layers}), more than the ${MAX_MODEL_FLOATS} (256 MiB) a model may hold`);
  }
}
