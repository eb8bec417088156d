/**
 * mir_eval's input checks for BSS-eval (`validate`), with readable errors; every source comes back
 * as a Float64Array.
 */

/** mir_eval's MAX_SOURCES: beyond this the evaluation (and its permutation search) is refused. */
export const MAX_SOURCES = 100;

export type Role = 'reference' | 'estimated';

/** Copies one source to Float64, rejecting non-finite samples; returns whether it is all zeros. */
function toFloat64(x: ArrayLike<number>, role: Role, index: number): { data: Float64Array; silent: boolean } {
  const n = x.length;
  const data = new Float64Array(n);
  let silent = true;
  for (let t = 0; t < n; t++) {
    const v = x[t];
    if (!Number.isFinite(v)) {
      throw new Error(`bss_eval: ${role} source ${index} has a non-finite value (${v}) at sample ${t}`);
    }
    data[t] = v;
    if (v !== 0) silent = false;
  }
  return { data, silent };
}

/** Checks a set of sources for shape and content; returns them as Float64Arrays. */
export function checkSources(sources: ArrayLike<number>[], role: Role, expectCount?: number, expectLength?: number): Float64Array[] {
  if (sources.length === 0) {
    throw new Error(`bss_eval: ${role} sources are empty; expected nsrc ≥ 1 sources of nsampl ≥ 1 samples`);
  }
  if (expectCount !== undefined && sources.length !== expectCount) {
    throw new Error(
      `bss_eval: the shapes of the estimated and reference sources must match: ${expectCount} reference ` +
        `sources but ${sources.length} estimated sources`,
    );
  }
  if (sources.length > MAX_SOURCES) {
    throw new Error(`bss_eval: ${sources.length} ${role} sources is more than MAX_SOURCES = ${MAX_SOURCES}`);
  }
  const n = expectLength ?? sources[0].length;
  if (n === 0) throw new Error(`bss_eval: ${role} sources are empty (0 samples)`);
  const out: Float64Array[] = [];
  for (let i = 0; i < sources.length; i++) {
    if (sources[i].length !== n) {
      throw new Error(
        expectLength !== undefined
          ? `bss_eval: the shapes of the estimated and reference sources must match: estimated source ${i} ` +
              `has ${sources[i].length} samples, the references have ${n}`
          : `bss_eval: all ${role} sources must have the same length: source 0 has ${n} samples, ` +
              `source ${i} has ${sources[i].length}`,
      );
    }
    const { data, silent } = toFloat64(sources[i], role, i);
    if (silent) {
      throw new Error(
        role === 'reference'
          ? `bss_eval: reference source ${i} is silent (all zeros); every reference source must be non-silent, ` +
              'otherwise the evaluation is ambiguous (any number of all-zero sources could be added)'
          : `bss_eval: estimated source ${i} is silent (all zeros); with non-silent references this makes ` +
              'the decomposition underdetermined',
      );
    }
    out.push(data);
  }
  return out;
}

/**
 * mir_eval's `validate`, raising an Error with a readable reason: the same number of estimates as
 * references, all of one length, none empty, none all zeros, all finite, at most MAX_SOURCES.
 * (mir_eval only warns on empty input and returns empty arrays; here it is an error.)
 */
export function validate(references: ArrayLike<number>[], estimates: ArrayLike<number>[]): void {
  const refs = checkSources(references, 'reference');
  checkSources(estimates, 'estimated', refs.length, refs[0].length);
}
