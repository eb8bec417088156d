/** The paper's global figures over many clips: duration-weighted GNSDR, GSDR, GSIR and GSAR. */

/** One clip's figures for the voice (or any one source), and the mixture's SDR for the same source. */
export interface ClipScore {
  seconds: number;
  sdr: number;
  sir: number;
  sar: number;
  sdrMixture: number;
}

/**
 * Duration-weighted global figures as in Sprechmann et al. 2012 (and `tools/score.py`): with
 * δ_i = seconds_i / Σ seconds,
 *
 *     GNSDR = Σ_i δ_i (SDR_i − SDR(mixture)_i),   GSDR = Σ_i δ_i SDR_i,
 *     GSIR  = Σ_i δ_i SIR_i,                      GSAR = Σ_i δ_i SAR_i.
 */
export function globalScores(clips: ClipScore[]): { gnsdr: number; gsir: number; gsar: number; gsdr: number; seconds: number; clips: number } {
  if (clips.length === 0) throw new Error('globalScores: no clips');
  let seconds = 0;
  for (const c of clips) {
    if (!(c.seconds > 0) || !Number.isFinite(c.seconds)) throw new Error(`globalScores: clip duration must be positive, got ${c.seconds}`);
    seconds += c.seconds;
  }
  let gnsdr = 0, gsir = 0, gsar = 0, gsdr = 0;
  for (const c of clips) {
    const w = c.seconds / seconds;
    gnsdr += w * (c.sdr - c.sdrMixture);
    gsdr += w * c.sdr;
    gsir += w * c.sir;
    gsar += w * c.sar;
  }
  return { gnsdr, gsir, gsar, gsdr, seconds, clips: clips.length };
}
