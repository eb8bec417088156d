/**
 * The HTTP headers the app is served with, in one place: vite.config.ts sends them from the dev
 * server and `vite preview` (and writes the page's policy into the built HTML as a <meta>, for a
 * host that sends no headers); tests/e2e/pwa-server.ts serves the build with the same ones.
 *
 * Cross-origin isolation (COOP + COEP, on every response): makes `crossOriginIsolated` true, so
 * SharedArrayBuffer is available between page and worklet, and timers are precise. Everything the
 * page loads is same-origin, so nothing breaks.
 *
 * Content-Security-Policy: nothing from another origin, ever (every fetch source is 'self'; blob:
 * only for what the page makes itself: the export's files, a song played from a file). Per
 * document and per worker, since Chromium gives a dedicated worker the policy of its own script's
 * response, not the page's (the AudioWorklet, by contrast, runs under its document's):
 *
 *   the page (index.html)   script-src 'self' 'wasm-unsafe-eval': our WebAssembly compiles (in the
 *                           worklet and on the page), no eval: gpu.js never runs on this page
 *   the workers (any other  + 'unsafe-eval': gpu.js builds its kernels with `new Function`, and it
 *   response: the export,   runs only in the export, training and GPU self-test workers (loaded by a
 *   training, self-test     dynamic import() there, on the GPU path only)
 *   workers, the service
 *   worker)
 *   bench.html              the developer benchmark runs gpu.js on its page: + 'unsafe-eval', and
 *                           its inline <style>
 */

export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

type Policy = Record<string, string[]>;

/** What every document and worker of the app may load: itself, and what it made (blob:). */
const COMMON: Policy = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'worker-src': ["'self'", 'blob:'],
  'connect-src': ["'self'", 'blob:'],
  'img-src': ["'self'", 'blob:'],
  'media-src': ["'self'", 'blob:'],
  'style-src': ["'self'"],
  'font-src': ["'self'"],
  'manifest-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'none'"],
};

const withSources = (p: Policy, directive: string, ...sources: string[]): Policy => ({ ...p, [directive]: [...p[directive], ...sources] });

export const PAGE_POLICY: Policy = COMMON;
export const WORKER_POLICY: Policy = withSources(COMMON, 'script-src', "'unsafe-eval'");
export const BENCH_POLICY: Policy = withSources(withSources(COMMON, 'script-src', "'unsafe-eval'"), 'style-src', "'unsafe-inline'");

/**
 * A policy as a header value. `meta`: for a <meta http-equiv>, which may not carry
 * frame-ancestors (the header adds it: no other site may frame the page).
 */
export function policyText(p: Policy, { meta = false, extra = '' }: { meta?: boolean; extra?: string } = {}): string {
  const parts = Object.entries(p).map(([d, s]) => `${d} ${s.join(' ')}`);
  if (!meta) parts.push("frame-ancestors 'self'");
  if (extra) parts.push(extra);
  return parts.join('; ');
}

/** The policy a response gets: the page's for an HTML document (the bench's for bench.html), the workers' for everything else. */
export function policyFor(path: string, contentType: string | undefined): Policy {
  if (/text\/html/i.test(contentType ?? '')) return /(^|\/)bench\.html$/.test(path.split('?')[0]) ? BENCH_POLICY : PAGE_POLICY;
  return WORKER_POLICY;
}

/** Every header a response gets (COOP/COEP and its CSP). `cspExtra` is appended to the CSP (a test's report-uri). */
export function headersFor(path: string, contentType: string | undefined, cspExtra = ''): Record<string, string> {
  return { ...ISOLATION_HEADERS, 'Content-Security-Policy': policyText(policyFor(path, contentType), { extra: cspExtra }) };
}
