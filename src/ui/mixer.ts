/**
 * The Mixer card: a fader and a Solo button per part, the Karaoke switch and the Whole voice switch
 * (its level bars: meters.ts).
 */
import { DEFAULT_MIX, faderGain, type Engine, type Mix } from '../audio/engine.ts';
import { WHOLE_VOICE_RESIDUAL } from '../core/model/model.ts';
import { decibels } from './format.ts';
import { el, elements } from './dom.ts';
import type { Page, Source } from './page.ts';

type Part = 'voice' | 'accomp';
const PARTS: readonly Part[] = ['voice', 'accomp'];

/** One part's strip: the fader (#voice), its dB label (#voice-value) and its Solo button (#solo-voice). */
const strip = (part: Part) => elements({ fader: `input#${part}`, value: `span#${part}-value`, solo: `button#solo-${part}` });

export class Mixer {
  readonly mix: Mix = { ...DEFAULT_MIX };
  private readonly strips = { voice: strip('voice'), accomp: strip('accomp') };
  private readonly karaoke = el<HTMLButtonElement>('karaoke');
  private readonly wholeVoiceSwitch = el<HTMLButtonElement>('whole-voice');
  /**
   * Whole voice (the mask's residual voice estimate, core/model/model.ts WHOLE_VOICE_RESIDUAL), per
   * source: off for songs, where the paper's mask separates mixtures best (README, Quality beyond
   * the paper), on for a singer at the microphone, whose voice should stay whole on the voice fader.
   * Each source keeps what the person last chose for it.
   */
  readonly wholeVoice: Record<Source, boolean> = { song: false, microphone: true };
  private source: Source = 'song';
  /** What the separator was last told, and which one (a new engine is told afresh). */
  private sent: { engine: Engine; on: boolean } | null = null;

  constructor(private readonly page: Page) {
    for (const part of PARTS) {
      const { fader, solo } = this.strips[part];
      fader.oninput = () => {
        this.mix[part] = Number(fader.value) / 100;
        this.apply();
      };
      solo.onclick = () => {
        this.mix.solo = this.mix.solo === part ? null : part;
        this.apply();
      };
    }
    this.karaoke.onclick = () => this.setKaraoke(!this.mix.karaoke);
    this.wholeVoiceSwitch.onclick = () => {
      this.wholeVoice[this.source] = !this.wholeVoice[this.source];
      this.apply();
    };
  }

  /** The source now separated (the song or the microphone): its Whole voice setting applies. */
  setSource(source: Source): void {
    this.source = source;
    this.apply();
  }

  /** Hands the mix to the engine and shows it. */
  apply(): void {
    const mix = this.mix;
    this.page.engine?.setMix(mix);
    for (const part of PARTS) {
      const { fader, value } = this.strips[part];
      const db = decibels(faderGain(mix[part]));
      value.textContent = db;
      fader.setAttribute('aria-valuetext', `${Math.round(mix[part] * 100)} %, ${db}`);
    }
    this.karaoke.setAttribute('aria-checked', String(mix.karaoke));
    for (const part of PARTS) this.strips[part].solo.setAttribute('aria-pressed', String(mix.solo === part));
    document.body.classList.toggle('karaoke', mix.karaoke);
    const whole = this.wholeVoice[this.source], engine = this.page.engine;
    this.wholeVoiceSwitch.setAttribute('aria-checked', String(whole));
    if (engine && (this.sent?.engine !== engine || this.sent.on !== whole)) {
      engine.separator.setResidualWeight(whole ? WHOLE_VOICE_RESIDUAL : null);
      this.sent = { engine, on: whole };
    }
  }

  setKaraoke(on: boolean): void {
    this.mix.karaoke = on;
    this.apply();
    this.page.refreshStatus();
  }
}
