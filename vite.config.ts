import { createReadStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import { defineConfig, type Connect, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { BENCH_POLICY, headersFor, PAGE_POLICY, policyText } from './serve-headers.ts';

/**
 * The benchmark page (bench.html) compares the shipped model with the paper's dense network: the
 * dev and preview servers serve models/paper/*.nnrnmf at /bench-models/ straight from the
 * repository (never copied into public/ or the build).
 */
const root = fileURLToPath(new URL('.', import.meta.url));

function benchModels(): Plugin {
  const dir = resolve(root, 'models/paper');
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const name = decodeURIComponent((req.url ?? '').split('?')[0].replace(/^\//, ''));
    const file = resolve(dir, name);
    if (!/^[\w.-]+\.nnrnmf$/.test(name) || !existsSync(file)) return next();
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-cache');
    createReadStream(file).pipe(res);
  };
  return {
    name: 'voicesplit-bench-models',
    configureServer: (server) => void server.middlewares.use('/bench-models', serve),
    configurePreviewServer: (server) => void server.middlewares.use('/bench-models', serve),
  };
}

/**
 * The headers of serve-headers.ts (COOP/COEP, and the CSP of what is served: the page's for HTML,
 * the workers' otherwise) on every response of the dev server and `vite preview`, decided when the
 * response's head is written (its Content-Type known); and the page's CSP as a <meta> at the top of
 * each built HTML page, so that a host which sends no headers still serves the policy. The dev
 * server's pages also allow inline styles (Vite's error overlay).
 */
function securityHeaders(): Plugin {
  const attach = (dev: boolean): Connect.NextHandleFunction => (req, res, next) => {
    const path = req.url ?? '/';
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
      const given = rest.at(-1);
      const fields = given && typeof given === 'object' && !Array.isArray(given) ? (given as Record<string, unknown>) : {};
      const type = String(fields['Content-Type'] ?? fields['content-type'] ?? res.getHeader('Content-Type') ?? '');
      if (!res.hasHeader('Content-Security-Policy')) {
        for (const [k, v] of Object.entries(headersFor(path, type))) res.setHeader(k, v);
        if (dev && /text\/html/.test(type)) res.setHeader('Content-Security-Policy', String(res.getHeader('Content-Security-Policy')).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"));
      }
      return (writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
    } as typeof res.writeHead;
    next();
  };
  return {
    name: 'voicesplit-security-headers',
    configureServer: (server) => void server.middlewares.use(attach(true)),
    configurePreviewServer: (server) => void server.middlewares.use(attach(false)),
    transformIndexHtml: {
      order: 'post',
      handler: (_html, ctx) => {
        if (ctx.server) return [];
        const policy = /(^|[\\/])bench\.html$/.test(ctx.filename) ? BENCH_POLICY : PAGE_POLICY;
        return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policyText(policy, { meta: true }) }, injectTo: 'head-prepend' }];
      },
    },
  };
}

/**
 * The installable, offline app (vite-plugin-pwa's generateSW, Workbox): the service worker
 * precaches the app shell, every JS bundle (the AudioWorklet modules and the WebAssembly, which is
 * embedded in them, included), the shipped model and its manifest, and the demo song; a build that
 * changes any of them changes the service worker, which the page (src/ui/update-line.ts) registers,
 * notices and offers to reload into. Not precached: bench.html and its entry (a developer page),
 * source maps. The demo song (4.9 MB) is over Workbox's default limit of 2 MiB per file.
 */
const pwa = VitePWA({
  registerType: 'prompt',
  injectRegister: null,
  includeAssets: [],
  manifest: {
    name: 'voicesplit: voice and accompaniment, live',
    short_name: 'voicesplit',
    description: 'Separate the singing voice from the accompaniment of a song while it plays, in the browser, with no server.',
    start_url: './',
    scope: './',
    display: 'standalone',
    theme_color: '#1d1f24',
    background_color: '#f4f2ee',
    icons: [
      { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
      { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
      { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
      { src: 'icons/icon.svg', sizes: 'any', type: 'image/svg+xml' },
    ],
  },
  workbox: {
    // The web app manifest and its icons are added by the plugin.
    globPatterns: ['**/*.{html,js,css,json,nnrnmf,wav,md}'],
    globIgnores: ['bench.html', 'assets/bench-*.js', '**/*.map'],
    maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
    // A navigation to the app with a query (?compute=gpu) is the app; one to a file (bench.html,
    // demo/README.md) is not: those are served as themselves (precached, or from the network).
    navigateFallback: 'index.html',
    navigateFallbackDenylist: [/\/[^/?]+\.[^/?]+$/],
    cleanupOutdatedCaches: true,
    // The new version takes over once the person says so (the page's "Reload"); the first one
    // controls the page at once, so that what the page fetches later is served offline too.
    clientsClaim: true,
    skipWaiting: false,
  },
});

export default defineConfig({
  plugins: [securityHeaders(), benchModels(), pwa],
  // fft.js is imported only by the worklet and the export worker: without this the dev server
  // discovers it late and reloads the page.
  optimizeDeps: { include: ['fft.js', 'idb-keyval'] },
  // Workers and the AudioWorklet modules are built as ES modules (`?worker`, `?worker&url`).
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    // The app, and the worklet benchmark page (src/bench/, run by scripts/bench-page.ts).
    rolldownOptions: { input: { main: resolve(root, 'index.html'), bench: resolve(root, 'bench.html') } },
  },
});
