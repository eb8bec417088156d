import { createReadStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Connect, type Plugin } from 'vite';

/**
 * Cross-origin isolation (COOP + COEP) on both the dev server and `vite preview`: makes
 * `crossOriginIsolated` true, so SharedArrayBuffer is available between page and worklet, and
 * timers are precise. Everything the page loads is same-origin, so nothing breaks.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

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

export default defineConfig({
  plugins: [benchModels()],
  server: { headers: isolation },
  preview: { headers: isolation },
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
