/**
 * End-to-end tests in a real Chromium (Debian's /usr/bin/chromium unless CHROMIUM_PATH says
 * otherwise; never a downloaded browser). The web server is the production build served by
 * `vite preview`, so the tests exercise what ships (bundled worklets included).
 *
 *   npx playwright test             # builds, serves on E2E_PORT (4317), runs tests/e2e/*.spec.ts
 *
 * One worker: several tests measure a realtime AudioContext, which must not compete for the CPU.
 */
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT ?? 4317);

/** Flags that work headless on this kind of machine (see ../shared/PLATFORM.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  // For a look inside, e.g. E2E_EXTRA_ARGS=--js-flags=--trace-gc DEBUG=pw:browser (space-separated flags).
  ...(process.env.E2E_EXTRA_ARGS ? process.env.E2E_EXTRA_ARGS.split(' ') : []),
];

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 120_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never', outputFolder: 'test-results/html' }]] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    acceptDownloads: true,
    viewport: { width: 1100, height: 940 },
    trace: 'retain-on-failure',
    // No service worker, except in the specs about offline use (offline.spec.ts allows it): one would
    // serve later loads from its cache, past page.route (serveCandidateModel, the error specs), and
    // precache 7 MB per test.
    serviceWorkers: 'block',
  },
  webServer: {
    command: `npx vite build --logLevel warn && npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
