/**
 * Offline use and updates: registers the service worker (vite-plugin-pwa's Workbox one, see
 * vite.config.ts), which precaches the page, its bundles (worklet and WebAssembly included), the
 * shipped model and the demo song.
 *
 *   the footer's offline line   says once the page is kept for offline use (the service worker is
 *                               active: everything is precached), or why it is not
 *   the update line (#update)   a new version (the app, or the model it ships) has been downloaded
 *                               and waits: "A new version of voicesplit is ready", with Reload,
 *                               which lets it take over and reloads the page; after the reload a
 *                               newer model replaces the stored one and the page says so
 *                               (src/store/models.ts)
 *
 * A new version never takes over by itself while the page is open (a song playing, an export or a
 * training running would be cut off): it waits for the Reload, or for every tab of the app to close.
 */
import { Workbox } from 'workbox-window';
import { elements } from './dom.ts';

/** What the page is doing that a reload would stop ("an export"), or null. */
export type BusyProbe = () => string | null;

export class UpdateLine {
  private readonly ui = elements({ box: 'div#update', text: 'p#update-text', reload: 'button#update-reload', offline: 'p#offline-line' });
  private wb: Workbox | null = null;
  /** What the Reload does: let the waiting version take over (then reload), or only reload (another tab let it in). */
  private pending: 'waiting' | 'took-over' | null = null;

  constructor(private readonly busy: BusyProbe = () => null) {
    this.ui.reload.onclick = () => this.reload();
  }

  async start(): Promise<void> {
    const say = (text: string, state: string) => {
      this.ui.offline.textContent = text;
      this.ui.offline.dataset.state = state;
    };
    if (import.meta.env.DEV) return say('Offline use comes with a build (npm run build, then vite preview): the dev server has no service worker.', 'dev');
    if (!('serviceWorker' in navigator)) return say('This browser window cannot keep the page for offline use (no service workers): it needs its server.', 'unsupported');
    const base = import.meta.env.BASE_URL;
    const wb = new Workbox(`${base}sw.js`, { scope: base });
    this.wb = wb;
    wb.addEventListener('waiting', () => this.show('waiting', 'A new version of voicesplit is ready (the page, or the model it ships).'));
    wb.addEventListener('controlling', (e) => {
      if (!e.isUpdate) return; // the first version, taking over the page it was installed from
      if (this.pending === 'waiting' && this.ui.reload.disabled) location.reload(); // this page's Reload
      else this.show('took-over', 'A new version of voicesplit took over in another tab: reload this one to use it too.');
    });
    wb.addEventListener('redundant', () => {
      if (this.ui.offline.dataset.state === 'installing') say('The page could not be kept for offline use (its service worker failed to install, perhaps for lack of storage): it needs its server.', 'failed');
    });
    say('Keeping the page for offline use…', 'installing');
    const kept = navigator.serviceWorker.controller !== null;
    try {
      const registration = await wb.register();
      if (!registration) throw new Error('the browser refused to register it');
    } catch (e) {
      return say(`The page could not be kept for offline use (${(e as Error).message || 'service worker refused'}): it needs its server.`, 'failed');
    }
    // A page served by the kept version asks its server for a newer one now, and hourly while open
    // (offline, the check fails quietly).
    const check = () => void wb.update().catch(() => {});
    if (kept) check();
    setInterval(check, 3600_000);
    await wb.active;
    say('Works offline: this page, the model and the demo song are kept in this browser.', 'ready');
  }

  private show(pending: 'waiting' | 'took-over', text: string): void {
    this.pending = pending;
    this.ui.text.textContent = text;
    this.ui.reload.disabled = false;
    this.ui.box.hidden = false;
  }

  /** Lets the waiting version take over (the page reloads once it controls it: 'controlling'), or reloads. */
  private reload(): void {
    const busy = this.busy();
    if (busy && !confirm(`Reloading now stops ${busy}. Reload anyway?`)) return;
    this.ui.reload.disabled = true;
    this.ui.text.textContent = 'Reloading into the new version…';
    if (this.pending === 'waiting' && this.wb) this.wb.messageSkipWaiting();
    else location.reload();
  }
}
