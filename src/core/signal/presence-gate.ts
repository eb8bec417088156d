/**
 * The presence gate: the voice mask above 1.6 kHz is believed only while the voice is present below
 * 1.2 kHz.
 *
 * Why: once the network passes the voice's presence band (1.6–4 kHz), it also passes bright
 * accompaniment there, a distorted guitar most of all, whether anyone sings or not. A sung voice
 * always has its fundamental and first formants below 1.2 kHz, where the network is reliable (a lone
 * rock accompaniment leaves the voice output 18 dB below there, 5 dB in 1.6–4 kHz). So each frame,
 * the voice's share of the energy below 1.2 kHz, as the mask splits it, scales the mask above
 * 1.6 kHz: fully open from half the energy up, closed at none. It opens at once and closes over
 * ≈ 150 ms, so a phrase's consonants and its tail keep their band.
 *
 * A frame whose energy lies mostly above the gate (a sibilant, a breath) holds no evidence against
 * the voice: a tenth of its upper energy counts as voice below, so such a frame opens the gate
 * rather than closing it. A singer alone keeps every band to 0.01 dB (the `voice_only/` voices).
 *
 * The gate runs on the mask between softMask() and synthesis, the same in every path (the stream
 * separator and the batch one); it reads the frame's normalised magnitudes and keeps one number.
 */
export const PRESENCE_GATE = {
  /** The band that decides, Hz: where a sung voice's fundamental and first formants lie. */
  evidenceHz: [60, 1200] as const,
  /** The mask is scaled from this frequency up. */
  gatedFromHz: 1600,
  /** The voice's share of the evidence band's energy at which the gate is fully open. */
  openShare: 0.5,
  /** Time constant of the closing, seconds (the opening is immediate). */
  releaseSeconds: 0.15,
  /** Share of the gated band's energy counted as voice in the evidence band (sibilants open it). */
  upperAsVoice: 0.1,
};

export class PresenceGate {
  private readonly evidenceFrom: number;
  private readonly evidenceTo: number;
  private readonly gatedFrom: number;
  private readonly release: number;
  /** The gate's opening, 0–1, kept from frame to frame. */
  private opening = 0;

  constructor(sampleRate: number, fftSize: number, hop: number) {
    const bin = (hz: number) => Math.round((hz * fftSize) / sampleRate);
    this.evidenceFrom = Math.max(1, bin(PRESENCE_GATE.evidenceHz[0]));
    this.evidenceTo = bin(PRESENCE_GATE.evidenceHz[1]);
    this.gatedFrom = bin(PRESENCE_GATE.gatedFromHz);
    this.release = Math.exp(-hop / sampleRate / PRESENCE_GATE.releaseSeconds);
  }

  /** Scales mask (the voice mask of one frame) above the gate's frequency; mag: the frame's magnitudes. */
  apply(mask: Float32Array, mag: Float32Array): void {
    const m = mask.length;
    let voice = 0, accomp = 0, upper = 0;
    for (let i = this.evidenceFrom; i < this.evidenceTo; i++) {
      const x2 = mag[i] * mag[i], k = mask[i];
      voice += k * k * x2;
      accomp += (1 - k) * (1 - k) * x2;
    }
    for (let i = this.gatedFrom; i < m; i++) upper += mag[i] * mag[i];
    const asVoice = voice + PRESENCE_GATE.upperAsVoice * upper, all = asVoice + accomp;
    let target = all > 0 ? Math.min(1, asVoice / all / PRESENCE_GATE.openShare) : 0;
    // A frame whose magnitudes are not finite leaves the opening as it was.
    if (!(target >= 0)) target = this.opening;
    this.opening = target >= this.opening ? target : this.release * this.opening + (1 - this.release) * target;
    const g = this.opening;
    for (let i = this.gatedFrom; i < m; i++) mask[i] *= g;
  }

  /** Back to closed, as when constructed. */
  reset(): void {
    this.opening = 0;
  }
}
