import { defineConfig } from 'vite';

/**
 * Cross-origin isolation (COOP + COEP) on both the dev server and `vite preview`: makes
 * `crossOriginIsolated` true, so SharedArrayBuffer is available between page and worklet, and
 * timers are precise. Everything the page loads is same-origin, so nothing breaks.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  // fft.js is imported only by the worklet and the export worker: without this the dev server
  // discovers it late and reloads the page.
  optimizeDeps: { include: ['fft.js', 'idb-keyval'] },
  // Workers and the AudioWorklet modules are built as ES modules (`?worker`, `?worker&url`).
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true },
});
