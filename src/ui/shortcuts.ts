/**
 * The page's keyboard shortcuts (the footer of index.html lists them): Space play/pause, ← → seek
 * 5 s, K karaoke.
 *
 * The rule for a focused control: one the person reached from the keyboard (Tab, or focus given by
 * a script) keeps its own keys, as a keyboard user expects; one that has the focus because it was
 * clicked does not, so after a click on Play, a fader or a switch, Space and the arrows do what the
 * footer says. Fields that take typing (text, numbers, lists) always keep their keys.
 */
import type { Mixer } from './mixer.ts';
import type { Page } from './page.ts';
import { SEEK_STEP, type Transport } from './transport.ts';

const TYPING = 'input:not([type="range"], [type="checkbox"], [type="radio"], [type="button"], [type="submit"], [type="reset"], [type="file"]), textarea, select, [contenteditable="true"]';
const CONTROL = 'input, textarea, select, button, a, [role="switch"], [contenteditable="true"]';

export function wireShortcuts(page: Page, transport: Transport, mixer: Mixer): void {
  const focus = pointerFocus();
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target as HTMLElement | null;
    const typing = !!t?.closest(TYPING);
    const ownKeys = typing || (!!t?.closest(CONTROL) && !focus.byPointer());
    if (e.key === ' ' && !ownKeys) {
      e.preventDefault();
      void transport.togglePlay();
    } else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && !ownKeys && page.player) {
      e.preventDefault();
      void transport.seek(page.player.position + (e.key === 'ArrowLeft' ? -SEEK_STEP : SEEK_STEP));
    } else if ((e.key === 'k' || e.key === 'K') && !typing) {
      e.preventDefault();
      mixer.setKaraoke(!mixer.mix.karaoke);
    }
  });
}

/**
 * Whether the focus is where it is because of a pointer press. A press marks the next focus change
 * as its own (a click on a label moves the focus only after the click), until a key is pressed;
 * any other focus change (Tab, a script) clears the mark. No timers: the order of events decides.
 */
function pointerFocus(): { byPointer: () => boolean } {
  let pending = false, byPointer = false;
  document.addEventListener('pointerdown', () => {
    pending = true;
    byPointer = true; // the press keeps or takes the focus, even where it lands on no control
  }, true);
  document.addEventListener('keydown', () => (pending = false), true);
  document.addEventListener('focusin', () => {
    byPointer = pending;
    pending = false;
  }, true);
  return { byPointer: () => byPointer };
}
