/**
 * The page's keyboard shortcuts (the footer of index.html lists them): Space play/pause, ← → seek
 * 5 s, K karaoke; each only when the focus is not in a control that uses the key itself.
 */
import type { Mixer } from './mixer.ts';
import type { Page } from './page.ts';
import { SEEK_STEP, type Transport } from './transport.ts';

export function wireShortcuts(page: Page, transport: Transport, mixer: Mixer): void {
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target as HTMLElement | null;
    const inControl = !!t?.closest('input, textarea, select, button, a, [role="switch"], [contenteditable="true"]');
    if (e.key === ' ' && !inControl) {
      e.preventDefault();
      void transport.togglePlay();
    } else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && !inControl && page.player) {
      e.preventDefault();
      void transport.seek(page.player.position + (e.key === 'ArrowLeft' ? -SEEK_STEP : SEEK_STEP));
    } else if ((e.key === 'k' || e.key === 'K') && !t?.closest('input, textarea, select, [contenteditable="true"]')) {
      e.preventDefault();
      mixer.setKaraoke(!mixer.mix.karaoke);
    }
  });
}
