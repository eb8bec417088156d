/**
 * The model: hyper-parameters, the encoder's learned arrays and the dictionary, and its file format.
 *
 * File format (little-endian), version 3 (versions 1, without `tied`, and 2, without
 * `residualWeight` (read as 0), are still read):
 *
 *   offset  size  field
 *   0       8     magic "NNRNMF\0\0"
 *   8       4     u32 format version (2)
 *   12      4     u32 total file length in bytes
 *   16      4     u32 CRC-32 of bytes [20, total)
 *   20      4×11  u32 sampleRate, fftSize, hop, m, q, layers (T), variant, structure,
 *                     inputRank, layerRank, tied
 *   64      8×5   f64 lambda, lambdaStar, levelTau, maskPower, residualWeight
 *   104     4     u32 info length (bytes of UTF-8 JSON)
 *   108     4     u32 array count
 *   112     …     info JSON, zero-padded to a multiple of 4
 *   …       28×n  array table: name (16 bytes ASCII, zero-padded), u32 rows, u32 cols, u32 byte offset
 *   …       …     float32 data of each array (column-major), at its offset
 *
 * A tied structured model (every layer the same) stores each per-layer array once; reading expands
 * it to one copy per layer, so in memory every structured model has the same shape.
 *
 * Every header field is checked against its range (header.ts HEADER_RANGES, by name), and every
 * array against the shape its variant and structure need before anything is allocated (the
 * header's sizes are bounded by MAX_MODEL_FLOATS, a tied model's expansion included), so a file
 * that is truncated, corrupt, absurd, from a newer version or built for other sizes fails with a
 * message that says so, without allocating more than the file's own size.
 */
import { mat, type Mat } from '../linalg/matrix.ts';
import { expectedShapes, ModelError, validateHeader, type ModelHeader, type Structure, type Variant } from './header.ts';

export { expectedShapes, HEADER_RANGES, inRange, MAX_MODEL_FLOATS, ModelError, validateHeader } from './header.ts';
export type { ModelHeader, Structure, Variant } from './header.ts';

export const MAGIC = 'NNRNMF\0\0';
export const FORMAT_VERSION = 3;
/** Bytes before the info JSON, by format version. */
const FIXED_HEADER: Record<number, number> = { 1: 100, 2: 104, 3: 112 };
const TABLE_ENTRY = 28;
/** Float arrays are copied in bulk on little-endian machines (all current ones), else value by value. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const VARIANTS: Variant[] = ['rnmf', 'rpca'];
const STRUCTURES: Structure[] = ['dense', 'structured'];

export interface Model {
  header: ModelHeader;
  /** Named arrays; see {@link expectedShapes}. */
  arrays: Record<string, Mat>;
  /** Free-form description: name, training data, command, figures. */
  info: Record<string, unknown>;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

// UTF-8 by hand: TextEncoder/TextDecoder are not guaranteed inside an AudioWorkletGlobalScope,
// and the worklet decodes models itself.
function utf8Encode(s: string): Uint8Array {
  return Uint8Array.from(unescape(encodeURIComponent(s)), (c) => c.charCodeAt(0));
}

function utf8Decode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return decodeURIComponent(escape(s));
}

/** CRC-32 (IEEE 802.3, as in zlib and PNG). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The residual weight of the "whole voice" setting (the page's Whole voice switch, on by default
 * for the microphone; `--residual-weight` of the CLIs): where the network's o is silent, what its
 * U s leaves of the mixture, over-subtracted 3 times, goes to the voice (masks.ts softMask). A voice
 * alone then stays on the voice output, its upper harmonics and sibilants included, at some cost to
 * separating mixtures (README, Quality beyond the paper).
 */
export const WHOLE_VOICE_RESIDUAL = 3;

/** The model with the mask's residual weight β set to `weight` (checked against its range). */
export function withResidualWeight(model: Model, weight: number): Model {
  const header = { ...model.header, residualWeight: weight };
  validateHeader(header);
  return { ...model, header };
}

/** A model file rewritten with the mask's residual weight β = `weight` (for the page's export). */
export function modelFileWithResidualWeight(bytes: ArrayBuffer | Uint8Array, weight: number): ArrayBuffer {
  const out = encodeModel(withResidualWeight(decodeModel(bytes), weight));
  return out.buffer.byteLength === out.length ? (out.buffer as ArrayBuffer) : out.slice().buffer;
}

/** Checks that a model holds exactly the arrays its header needs, of the right shapes, all finite. */
export function validateModel(model: Model): void {
  validateHeader(model.header);
  const shapes = expectedShapes(model.header);
  for (const [name, [rows, cols]] of Object.entries(shapes)) {
    const a = model.arrays[name];
    if (!a) throw new ModelError(`model is missing the array "${name}" that a ${model.header.structure} ${model.header.variant} network needs`);
    if (a.rows !== rows || a.cols !== cols) {
      throw new ModelError(`model array "${name}" is ${a.rows}×${a.cols}, expected ${rows}×${cols} for m = ${model.header.m}, q = ${model.header.q}, T = ${model.header.layers}`);
    }
    for (let i = 0; i < a.data.length; i++) {
      if (!Number.isFinite(a.data[i])) throw new ModelError(`model array "${name}" holds a non-finite value at index ${i}`);
    }
  }
  for (const name of Object.keys(model.arrays)) {
    if (!(name in shapes)) throw new ModelError(`model holds an unexpected array "${name}"`);
  }
}

/**
 * Per-layer arrays of a structured model and how many layer blocks each holds side by side (the
 * blocks a tied model stores once).
 */
export function perLayerArrays(h: ModelHeader): [string, number][] {
  if (h.structure !== 'structured') return [];
  const T = h.layers;
  const names: [string, number][] = [['t', T], ['Hss', T - 1], ['Hso', T - 1], ['Hos', T - 1], ['hoo', T - 1]];
  if (h.layerRank > 0) names.push(['Ph', T - 1], ['Qh', T - 1]);
  return names;
}

/** True when every layer block of every per-layer array equals the first. */
export function layersIdentical(model: Model): boolean {
  for (const [name, count] of perLayerArrays(model.header)) {
    const a = model.arrays[name].data, size = a.length / count;
    for (let l = 1; l < count; l++) for (let i = 0; i < size; i++) if (a[l * size + i] !== a[i]) return false;
  }
  return true;
}

/** What the file stores of an array: all of it, or for a tied model the first layer block. */
function storedPart(model: Model, name: string): Mat {
  const a = model.arrays[name];
  const count = model.header.tied ? perLayerArrays(model.header).find(([n]) => n === name)?.[1] : undefined;
  if (!count) return a;
  const cols = a.cols / count;
  return mat(a.rows, cols, a.data.subarray(0, a.rows * cols));
}

export function encodeModel(model: Model): Uint8Array {
  validateModel(model);
  const h = model.header;
  if (h.tied && !layersIdentical(model)) throw new ModelError('model says its layers are tied, but they differ');
  const info = utf8Encode(JSON.stringify(model.info ?? {}));
  const infoPadded = (info.length + 3) & ~3;
  const names = Object.keys(expectedShapes(h));
  const parts = names.map((name) => storedPart(model, name));
  const headerBytes = FIXED_HEADER[FORMAT_VERSION];
  let offset = headerBytes + infoPadded + TABLE_ENTRY * names.length;
  const offsets = parts.map((a) => {
    const at = offset;
    offset += a.data.length * 4;
    return at;
  });
  const total = offset;
  const bytes = new Uint8Array(total);
  const v = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) bytes[i] = MAGIC.charCodeAt(i);
  v.setUint32(8, FORMAT_VERSION, true);
  v.setUint32(12, total, true);
  const ints = [h.sampleRate, h.fftSize, h.hop, h.m, h.q, h.layers, VARIANTS.indexOf(h.variant), STRUCTURES.indexOf(h.structure), h.inputRank, h.layerRank, h.tied ? 1 : 0];
  ints.forEach((x, i) => v.setUint32(20 + 4 * i, x, true));
  [h.lambda, h.lambdaStar, h.levelTau, h.maskPower, h.residualWeight].forEach((x, i) => v.setFloat64(64 + 8 * i, x, true));
  v.setUint32(headerBytes - 8, info.length, true);
  v.setUint32(headerBytes - 4, names.length, true);
  bytes.set(info, headerBytes);
  names.forEach((name, i) => {
    const at = headerBytes + infoPadded + TABLE_ENTRY * i;
    for (let c = 0; c < name.length; c++) bytes[at + c] = name.charCodeAt(c);
    const a = parts[i];
    v.setUint32(at + 16, a.rows, true);
    v.setUint32(at + 20, a.cols, true);
    v.setUint32(at + 24, offsets[i], true);
    if (LITTLE_ENDIAN) bytes.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), offsets[i]);
    else for (let k = 0; k < a.data.length; k++) v.setFloat32(offsets[i] + 4 * k, a.data[k], true);
  });
  v.setUint32(16, crc32(bytes.subarray(20)), true);
  return bytes;
}

/**
 * Reads a model file. Throws ModelError saying what is wrong: not a model, a newer version,
 * truncated, corrupt (checksum), inconsistent header, missing or mis-shaped arrays.
 */
export function decodeModel(input: ArrayBuffer | Uint8Array): Model {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const fail = (why: string): never => {
    throw new ModelError(why);
  };
  if (bytes.length < 8) fail(`not a model file: only ${bytes.length} bytes`);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) fail('not a model file: it does not start with "NNRNMF"');
  }
  if (bytes.length < 20) fail(`model file is truncated: ${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint32(8, true);
  const headerBytes = FIXED_HEADER[version];
  if (!headerBytes) {
    fail(version > FORMAT_VERSION
      ? `model file format version ${version} is newer than this app reads (${FORMAT_VERSION}): update the app`
      : `model file format version ${version} is not supported`);
  }
  if (bytes.length < headerBytes) fail(`model file is truncated: ${bytes.length} bytes, the header alone is ${headerBytes}`);
  const total = v.getUint32(12, true);
  if (bytes.length < total) fail(`model file is truncated: ${bytes.length} of ${total} bytes`);
  if (bytes.length > total) fail(`model file has ${bytes.length - total} unexpected bytes after its end`);
  const stored = v.getUint32(16, true);
  const actual = crc32(bytes.subarray(20));
  if (stored !== actual) fail(`model file is corrupt: checksum ${actual.toString(16).padStart(8, '0')} does not match the stored ${stored.toString(16).padStart(8, '0')}`);
  const intCount = version === 1 ? 10 : 11;
  const u = (i: number) => v.getUint32(20 + 4 * i, true);
  const f = (i: number) => v.getFloat64(20 + 4 * intCount + 8 * i, true);
  const variant = VARIANTS[u(6)];
  const structure = STRUCTURES[u(7)];
  if (!variant) fail(`model variant code ${u(6)} is unknown`);
  if (!structure) fail(`model structure code ${u(7)} is unknown`);
  const header: ModelHeader = {
    sampleRate: u(0), fftSize: u(1), hop: u(2), m: u(3), q: u(4), layers: u(5), variant, structure, inputRank: u(8), layerRank: u(9),
    tied: version >= 2 && u(10) === 1,
    lambda: f(0), lambdaStar: f(1), levelTau: f(2), maskPower: f(3), residualWeight: version >= 3 ? f(4) : 0,
  };
  if (version >= 2 && u(10) > 1) fail(`model header is inconsistent: tied = ${u(10)} is out of range: must be 0 or 1`);
  validateHeader(header);
  const infoLen = v.getUint32(headerBytes - 8, true);
  const count = v.getUint32(headerBytes - 4, true);
  const tableAt = headerBytes + ((infoLen + 3) & ~3);
  if (tableAt + TABLE_ENTRY * count > total) fail('model file is corrupt: its array table runs past the end');
  let info: Record<string, unknown> = {};
  try {
    info = JSON.parse(utf8Decode(bytes.subarray(headerBytes, headerBytes + infoLen))) as Record<string, unknown>;
  } catch {
    fail('model file is corrupt: its description is not valid JSON');
  }
  // Every table entry is checked against the header before anything is allocated: a known name,
  // once, the exact stored shape (a tied model's per-layer arrays hold one layer block), inside the
  // file. The header's own sizes are bounded (validateHeader: MAX_MODEL_FLOATS), so what a tied
  // model expands to is bounded too.
  const shapes = expectedShapes(header);
  const tiedCopies = new Map(header.tied ? perLayerArrays(header) : []);
  const names = Object.keys(shapes);
  if (count !== names.length) {
    fail(`model file holds ${count} arrays, but a ${header.structure} ${header.variant} network with these ranks has ${names.length} (${names.join(', ')})`);
  }
  const entries: { name: string; rows: number; cols: number; off: number; copies: number }[] = [];
  for (let i = 0; i < count; i++) {
    const at = tableAt + TABLE_ENTRY * i;
    let name = '';
    for (let c = 0; c < 16 && bytes[at + c] !== 0; c++) name += String.fromCharCode(bytes[at + c]);
    const rows = v.getUint32(at + 16, true), cols = v.getUint32(at + 20, true), off = v.getUint32(at + 24, true);
    const shape = Object.hasOwn(shapes, name) ? shapes[name] : undefined;
    if (!shape) fail(`model holds an unexpected array "${name}"`);
    if (entries.some((e) => e.name === name)) fail(`model file is corrupt: it holds the array "${name}" twice`);
    const copies = tiedCopies.get(name) ?? 1;
    const [wantRows, wantCols] = shape!;
    if (rows !== wantRows || cols * copies !== wantCols) {
      const stored = copies > 1 ? ` (one layer block of a tied model: ${wantRows}×${wantCols / copies})` : '';
      fail(`model array "${name}" is ${rows}×${cols}, expected ${wantRows}×${wantCols}${stored} for m = ${header.m}, q = ${header.q}, T = ${header.layers}`);
    }
    if (off % 4 !== 0 || off < tableAt + TABLE_ENTRY * count || off + rows * cols * 4 > total) fail(`model file is corrupt: array "${name}" lies outside the file`);
    entries.push({ name, rows, cols, off, copies });
  }
  const arrays: Record<string, Mat> = {};
  for (const { name, rows, cols, off, copies } of entries) {
    const size = rows * cols;
    const data = new Float32Array(size * copies);
    if (LITTLE_ENDIAN) {
      // Copy out of the file's buffer (a Node Buffer's slice() is a view, and offsets may be unaligned).
      new Uint8Array(data.buffer, 0, size * 4).set(bytes.subarray(off, off + size * 4));
    } else {
      for (let k = 0; k < size; k++) data[k] = v.getFloat32(off + 4 * k, true);
    }
    for (let l = 1; l < copies; l++) data.copyWithin(l * size, 0, size);
    arrays[name] = mat(rows, cols * copies, data);
  }
  const model: Model = { header, arrays, info };
  validateModel(model);
  return model;
}

/**
 * Model files this thread has decoded, by buffer. The page decodes and validates a file once where
 * its bytes come in (a download, IndexedDB, the training worker's result) and hands the buffer on;
 * code in the same thread that gets the buffer later (storing it, planning an export) reads the
 * Model from here instead of decoding and checksumming it again. Only this realm trusts the mark:
 * a buffer posted to a worker or the worklet arrives as a new buffer there, and is decoded there.
 */
const validated = new WeakMap<ArrayBuffer, Model>();

/**
 * decodeModel(bytes), done once per buffer in this thread: a buffer decoded here before gives the
 * same Model (which its users only read), a new one is decoded and remembered. Throws ModelError
 * as decodeModel does. The bytes must not be changed after they were validated.
 */
export function validatedModel(bytes: ArrayBuffer): Model {
  let model = validated.get(bytes);
  // A buffer transferred away since (detached, 0 bytes) goes to decodeModel again, which throws.
  if (!model || bytes.byteLength === 0) {
    model = decodeModel(bytes);
    validated.set(bytes, model);
  }
  return model;
}

/** A one-line description for messages and the page. */
export function describeModel(model: Model): string {
  const h = model.header;
  const name = typeof model.info.name === 'string' ? model.info.name : 'unnamed model';
  const ranks = h.inputRank || h.layerRank ? ` + rank ${h.inputRank}/${h.layerRank}` : '';
  return `${name}: NN ${h.variant.toUpperCase()} (${h.structure}${ranks}), T = ${h.layers}, q = ${h.q}, ${h.sampleRate} Hz, FFT ${h.fftSize}/${h.hop}`;
}
