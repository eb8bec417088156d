/**
 * The Web Audio graph, over any BaseAudioContext, so that the page's realtime context and an
 * OfflineAudioContext (tests, debug renders) build exactly the same thing:
 *
 *   source(s) ─► input ─► separator ─ out 0 (voice, stereo) ──► voiceBus ──┐
 *                                  └─ out 1 (accompaniment) ─► accompBus ─┴─► output ─► destination
 *
 * The buses carry the faders; karaoke and solo act on the same gains, always through short
 * exponential ramps (setTargetAtTime) so a change while playing never clicks.
 */
import { SeparatorNode } from './separator-node.ts';

export type Solo = 'voice' | 'accomp' | null;

export interface Mix {
  /** Fader positions, 0..1 (see {@link faderGain}). */
  voice: number;
  accomp: number;
  /** Voice muted. */
  karaoke: boolean;
  /** Only this part is heard. */
  solo: Solo;
}

export const DEFAULT_MIX: Mix = { voice: 1, accomp: 1, karaoke: false, solo: null };

/** Fader position (0..1) to gain: a squared taper, so the middle of the travel is −12 dB. */
export function faderGain(position: number): number {
  const p = Math.min(1, Math.max(0, position));
  return p * p;
}

/** The gains the buses should have for a mix. */
export function busGains(mix: Mix): { voice: number; accomp: number } {
  const voiceOn = !mix.karaoke && mix.solo !== 'accomp';
  const accompOn = mix.solo !== 'voice';
  return { voice: voiceOn ? faderGain(mix.voice) : 0, accomp: accompOn ? faderGain(mix.accomp) : 0 };
}

/** Time constants of the gain ramps (s): faders glide, mutes are quick (−40 dB in about 50 ms). */
export const FADER_TAU = 0.03;
export const MUTE_TAU = 0.012;

export class Engine {
  readonly ctx: BaseAudioContext;
  readonly separator: SeparatorNode;
  /** Sources connect here. */
  readonly input: GainNode;
  readonly voiceBus: GainNode;
  readonly accompBus: GainNode;
  /** The sum of both buses; connected to the destination given to create(). */
  readonly output: GainNode;
  private mix: Mix = { ...DEFAULT_MIX };

  private constructor(ctx: BaseAudioContext, separator: SeparatorNode, destination: AudioNode | null) {
    this.ctx = ctx;
    this.separator = separator;
    this.input = new GainNode(ctx, { channelCount: 2, channelCountMode: 'max' });
    this.voiceBus = new GainNode(ctx, { channelCount: 2, channelCountMode: 'explicit' });
    this.accompBus = new GainNode(ctx, { channelCount: 2, channelCountMode: 'explicit' });
    this.output = new GainNode(ctx, { channelCount: 2, channelCountMode: 'explicit' });
    this.input.connect(separator.node);
    separator.node.connect(this.voiceBus, 0);
    separator.node.connect(this.accompBus, 1);
    this.voiceBus.connect(this.output);
    this.accompBus.connect(this.output);
    if (destination) this.output.connect(destination);
    this.setMix(this.mix, false);
  }

  /** Builds the graph; `destination` defaults to the context's (null: leave output unconnected). */
  static async create(ctx: BaseAudioContext, destination: AudioNode | null = ctx.destination): Promise<Engine> {
    const separator = await SeparatorNode.create(ctx);
    return new Engine(ctx, separator, destination);
  }

  get currentMix(): Mix {
    return { ...this.mix };
  }

  /**
   * Applies a mix. With ramp (the default) each gain glides from where it is now: faders with
   * {@link FADER_TAU}, mutes and solos with {@link MUTE_TAU}; without, the gains jump (for a
   * context that has not started, e.g. before an offline render).
   */
  setMix(mix: Mix, ramp = true): void {
    const before = busGains(this.mix), after = busGains(mix);
    const muteChanged = this.mix.karaoke !== mix.karaoke || this.mix.solo !== mix.solo;
    this.mix = { ...mix };
    const tau = muteChanged ? MUTE_TAU : FADER_TAU;
    if (!ramp) {
      this.voiceBus.gain.value = after.voice;
      this.accompBus.gain.value = after.accomp;
      return;
    }
    if (after.voice !== before.voice || muteChanged) glide(this.voiceBus.gain, after.voice, this.ctx.currentTime, tau);
    if (after.accomp !== before.accomp || muteChanged) glide(this.accompBus.gain, after.accomp, this.ctx.currentTime, tau);
  }

  /**
   * Fades the output out quickly (about 20 ms) and resolves once it is silent: do a seek or a
   * source switch after this, then {@link fadeIn}, and neither end of the cut clicks.
   */
  fadeOut(): Promise<void> {
    glide(this.output.gain, 0, this.ctx.currentTime, 0.004);
    return new Promise((resolve) => setTimeout(resolve, 25));
  }

  /** Brings the output back, `after` seconds from now (the separator's latency, to skip its flush). */
  fadeIn(after = 0): void {
    const g = this.output.gain, t = this.ctx.currentTime;
    holdAt(g, t);
    g.setValueAtTime(0, t);
    g.setTargetAtTime(1, t + after, 0.008);
  }

  /** Detaches the graph (the context stays). */
  dispose(): void {
    this.input.disconnect();
    this.separator.node.disconnect();
    this.voiceBus.disconnect();
    this.accompBus.disconnect();
    this.output.disconnect();
  }
}

/** Freezes a parameter at its current value at time t, dropping what was scheduled after. */
function holdAt(param: AudioParam, t: number): void {
  if (typeof param.cancelAndHoldAtTime === 'function') {
    param.cancelAndHoldAtTime(t);
  } else {
    const v = param.value;
    param.cancelScheduledValues(t);
    param.setValueAtTime(v, t);
  }
}

/** A click-free move of a gain to `value`, starting from wherever it is at time t. */
function glide(param: AudioParam, value: number, t: number, tau: number): void {
  holdAt(param, t);
  param.setTargetAtTime(value, t, tau);
}
