/**
 * Dense matrices for the whole-signal solvers and training.
 *
 * A spectrogram is stored frame by frame: column j (one STFT frame, `rows` bins) is the contiguous
 * slice data[j*rows, (j+1)*rows). That makes "one frame" a subarray, the unit the real-time path
 * works in, and keeps the per-frame network and the batch code on the same memory layout.
 */

/** A dense column-major matrix of Float32 (Mat) or Float64 (Mat64, for the exact solvers) values. */
export interface DenseMatrix<T extends Float32Array | Float64Array> {
  readonly rows: number;
  readonly cols: number;
  /** Column-major: element (i, j) is data[i + j * rows]. */
  readonly data: T;
}

export type Mat = DenseMatrix<Float32Array>;

/** A rows×cols matrix on `data` (which must hold exactly rows·cols values), or on `zeros(rows·cols)`. */
export function denseMatrix<T extends Float32Array | Float64Array>(
  rows: number, cols: number, data: T | undefined, zeros: (length: number) => T,
): DenseMatrix<T> {
  if (data && data.length !== rows * cols) {
    throw new Error(`matrix data has ${data.length} values, expected ${rows}×${cols}`);
  }
  return { rows, cols, data: data ?? zeros(rows * cols) };
}

export function mat(rows: number, cols: number, data?: Float32Array): Mat {
  return denseMatrix(rows, cols, data, (length) => new Float32Array(length));
}

export function cloneMat(a: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

/** Column j as a view (no copy). */
export function col(a: Mat, j: number): Float32Array {
  return a.data.subarray(j * a.rows, (j + 1) * a.rows);
}

/** Columns [j0, j1) as a matrix view (no copy). */
export function colRange(a: Mat, j0: number, j1: number): Mat {
  return { rows: a.rows, cols: j1 - j0, data: a.data.subarray(j0 * a.rows, j1 * a.rows) };
}

export function transpose(a: Mat): Mat {
  const t = mat(a.cols, a.rows);
  for (let j = 0; j < a.cols; j++) {
    for (let i = 0; i < a.rows; i++) t.data[j + i * a.cols] = a.data[i + j * a.rows];
  }
  return t;
}

/** Frobenius norm. */
export function frobenius(a: Mat): number {
  let s = 0;
  const d = a.data;
  for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  return Math.sqrt(s);
}
