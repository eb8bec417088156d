/**
 * Loads the AudioWorklet modules, once per context.
 *
 * `?worker&url` makes Vite bundle each processor with its imports (the separation core, fft.js)
 * into one ES module and gives its URL; `?url` or `new URL(…, import.meta.url)` would ship the raw
 * .ts file in a build.
 */
import recorderUrl from '../../worklet/recorder.worklet.ts?worker&url';
import separatorUrl from '../../worklet/separator.worklet.ts?worker&url';

const loaded = new WeakMap<BaseAudioContext, Map<string, Promise<void>>>();

function addModule(ctx: BaseAudioContext, url: string): Promise<void> {
  let forCtx = loaded.get(ctx);
  if (!forCtx) loaded.set(ctx, (forCtx = new Map()));
  let p = forCtx.get(url);
  if (!p) {
    p = ctx.audioWorklet.addModule(url);
    p.catch(() => forCtx.delete(url)); // allow a retry
    forCtx.set(url, p);
  }
  return p;
}

export function loadSeparatorModule(ctx: BaseAudioContext): Promise<void> {
  if (!ctx.audioWorklet) return Promise.reject(new Error('this browser has no AudioWorklet (Web Audio API); use a current Chrome, Edge, Firefox or Safari'));
  return addModule(ctx, separatorUrl);
}

export function loadRecorderModule(ctx: BaseAudioContext): Promise<void> {
  return addModule(ctx, recorderUrl);
}
