/** The Mixer card: a fader and a Solo button per part, and the Karaoke switch (its level bars: meters.ts). */
import { DEFAULT_MIX, faderGain, type Mix } from '../audio/engine.ts';
import { decibels } from './format.ts';
import { el, elements } from './dom.ts';
import type { Page } from './page.ts';

type Part = 'voice' | 'accomp';
const PARTS: readonly Part[] = ['voice', 'accomp'];

/** One part's strip: the fader (#voice), its dB label (#voice-value) and its Solo button (#solo-voice). */
const strip = (part: Part) => elements({ fader: `input#${part}`, value: `span#${part}-value`, solo: `button#solo-${part}` });

export class Mixer {
  readonly mix: Mix = { ...DEFAULT_MIX };
  private readonly strips = { voice: strip('voice'), accomp: strip('accomp') };
  private readonly karaoke = el<HTMLButtonElement>('karaoke');

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
  }

  setKaraoke(on: boolean): void {
    this.mix.karaoke = on;
    this.apply();
    this.page.refreshStatus();
  }
}
