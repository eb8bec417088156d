/**
 * Time-frequency masks: the network (or a solver) estimates voice and accompaniment magnitudes; the
 * mask they imply is applied to the mixture's complex STFT, so the two outputs always add up to the
 * input and keep its phase.
 */

/**
 * Soft mask vᵖ / (vᵖ + lᵖ) per bin (p = 2: a Wiener-like mask; p = 1: the plain ratio), v the voice
 * estimate |o|. With a residual weight β > 0 and the mixture's magnitudes x (in the estimates'
 * units), v = max(|o|, x − β·|l|): where the sparse part o is silent, what the low-rank part leaves
 * unexplained, over-subtracted β times (model header `residualWeight`). Bins where both are zero go
 * to the accompaniment (mask 0): silence is not voice.
 */
export function softMask(
  voice: ArrayLike<number>, accomp: ArrayLike<number>, power: number, out: Float32Array, length = out.length,
  mix?: ArrayLike<number>, residualWeight = 0,
): void {
  const residual = residualWeight > 0 && mix !== undefined;
  for (let i = 0; i < length; i++) {
    const l = Math.abs(accomp[i]);
    let o = Math.abs(voice[i]);
    if (residual) o = Math.max(o, mix[i] - residualWeight * l);
    const op = power === 2 ? o * o : power === 1 ? o : o ** power;
    const lp = power === 2 ? l * l : power === 1 ? l : l ** power;
    const den = op + lp;
    out[i] = den > 0 ? op / den : 0;
  }
}

/** Binary mask: 1 where |voice| > gain·|accompaniment| (Huang et al. 2012). */
export function binaryMask(voice: ArrayLike<number>, accomp: ArrayLike<number>, out: Float32Array, gain = 1): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.abs(voice[i]) > gain * Math.abs(accomp[i]) ? 1 : 0;
}
