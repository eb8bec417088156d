/**
 * The Content-Security-Policy (serve-headers.ts): what `vite preview` serves (the page's policy as
 * a header and as a <meta>, the workers' with their scripts) names no other origin and no eval on
 * the page; playing and exporting under it raise no violation (report-uri reports from the page,
 * the worklet and the workers, collected by pwa-server.ts, and the page's own events) and the
 * export runs on WebAssembly; under a stricter host's policy that refuses WebAssembly, the page
 * says so instead of claiming "WebAssembly SIMD" for JavaScript.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { PAGE_POLICY, policyText, WORKER_POLICY, headersFor } from '../../serve-headers.ts';
import { collectDownloads, expect, expectPlayer, recordInPage, repoRoot, rms, state, test } from './helpers.ts';
import { pwaServers, REPORT_PATH } from './pwa-server.ts';

/** Directive → sources. */
function parse(policy: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const part of policy.split(';').map((p) => p.trim()).filter(Boolean)) {
    const [name, ...sources] = part.split(/\s+/);
    m.set(name.toLowerCase(), sources);
  }
  return m;
}

/** Every source of every directive is this origin, nothing, what the page made (blob:) or a keyword: never a host, a scheme of the network, data: or *. */
function otherOrigins(policy: string): string[] {
  const allowed = new Set(["'self'", "'none'", "'wasm-unsafe-eval'", "'unsafe-eval'", "'unsafe-inline'", 'blob:']);
  const out: string[] = [];
  for (const [d, sources] of parse(policy)) {
    if (d === 'report-uri') continue;
    for (const s of sources) if (!allowed.has(s)) out.push(`${d} ${s}`);
  }
  return out;
}

/**
 * Tries `new Function` in the page's own task (a timer): code run by page.evaluate itself is
 * exempt from the eval check (CDP's Runtime.evaluate allows it), a timer's callback is not.
 */
const evalOnPage = (page: Page) => page.evaluate(() => new Promise<string>((done) => setTimeout(() => {
  try {
    done(String(new Function('return "allowed"')()));
  } catch {
    done('refused');
  }
}, 0)));

test('the page and its workers are served with a policy that names no other origin, and no eval on the page', async ({ page, request }) => {
  const response = await page.goto('/');
  const header = (await response?.allHeaders())?.['content-security-policy'] ?? '';
  expect(header, 'vite preview sends the page a Content-Security-Policy').not.toBe('');
  expect(header).toBe(headersFor('/', 'text/html')['Content-Security-Policy']);
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(meta, 'the built page carries its policy as a <meta> too, for a host that sends no headers').toBe(policyText(PAGE_POLICY, { meta: true }));
  for (const policy of [header, meta ?? '']) {
    const p = parse(policy);
    expect(otherOrigins(policy)).toEqual([]);
    expect(p.get('default-src')).toEqual(["'self'"]);
    expect(p.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(p.get('object-src')).toEqual(["'none'"]);
  }
  expect(parse(header).get('frame-ancestors')).toEqual(["'self'"]);
  // The workers' scripts (their own policy in Chromium): gpu.js's eval allowed there, nothing else wider.
  const assets = readdirSync(join(repoRoot, 'dist/assets'));
  const scripts = ['sw.js', ...['export.worker-', 'train.worker-', 'selftest.worker-'].map((prefix) => {
    const f = assets.find((a) => a.startsWith(prefix) && a.endsWith('.js'));
    expect(f, `the build has a ${prefix}*.js`).toBeTruthy();
    return `assets/${f}`;
  })];
  for (const s of scripts) {
    const r = await request.get(`/${s}`);
    expect(r.status(), s).toBe(200);
    const csp = r.headers()['content-security-policy'] ?? '';
    expect(csp, s).toBe(policyText(WORKER_POLICY));
    expect(otherOrigins(csp), s).toEqual([]);
    expect(r.headers()['cross-origin-embedder-policy'], s).toBe('require-corp');
  }
  // The page itself refuses eval (gpu.js never runs there).
  expect(await evalOnPage(page)).toBe('refused');
});

const pwa = pwaServers();

/** Violations the page sees (its securitypolicyviolation events, and the console's CSP lines). */
async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) seen.push(`console: ${m.text()}`);
  });
  await page.exposeFunction('__cspViolation', (s: string) => void seen.push(s));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __cspViolation(s: string): void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return seen;
}

async function playAndExport(page: Page): Promise<{ voice: number; ran: string | null; mode: string | null }> {
  await page.waitForFunction(() => typeof window.voicesplit !== 'undefined');
  await page.evaluate(() => window.voicesplit.started);
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expectPlayer(page, 'playing');
  await page.waitForTimeout(500);
  const voice = rms((await recordInPage(page, 'voice', 1)).samples);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const downloads = collectDownloads(page);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await expect.poll(() => downloads.length, { timeout: 90_000 }).toBe(2);
  const mode = page.locator('#export-mode');
  return { voice, ran: await mode.getAttribute('data-ran'), mode: await mode.textContent() };
}

test('playing and exporting under the policy: no violation anywhere, and the export runs on WebAssembly', async ({ page }, info) => {
  test.setTimeout(180_000);
  const server = await pwa.serve({ cspExtra: `report-uri ${REPORT_PATH}` });
  const seen = await watchViolations(page);
  await page.goto(server.url);
  const r = await playAndExport(page);
  expect(r.voice, 'the separator runs').toBeGreaterThan(1e-3);
  expect(r.ran, 'the export ran on WebAssembly').toMatch(/WebAssembly SIMD/);
  expect(r.ran).not.toMatch(/JavaScript/);
  expect(r.mode).toMatch(/^Ran on the CPU: WebAssembly SIMD/);
  expect((await state(page)).messages.filter((m) => m.level !== 'info')).toEqual([]);
  await page.waitForTimeout(1000); // reports are sent after the fact
  expect(server.reports, 'no CSP report from the page, the worklet or a worker').toEqual([]);
  expect(seen).toEqual([]);
  // The watch works: an eval on the page is refused, seen and reported.
  expect(await evalOnPage(page)).toBe('refused');
  await expect.poll(() => server.reports.length).toBeGreaterThan(0);
  await expect.poll(() => seen.length).toBeGreaterThan(0);
  info.annotations.push({ type: 'figures', description: `export: ${r.mode}; the control eval was reported as ${JSON.stringify(server.reports[0]).slice(0, 200)}` });
});

test('under a stricter host policy that refuses WebAssembly, the page says the separator and the export run in JavaScript', async ({ page }) => {
  test.setTimeout(180_000);
  const server = await pwa.serve({ extraPolicy: "script-src 'self'" });
  await page.goto(server.url);
  const r = await playAndExport(page);
  expect(r.ran).toMatch(/JavaScript/);
  expect(r.mode, 'the mode line names the engine that ran').toMatch(/^Ran on the CPU, in JavaScript/);
  expect(r.mode).not.toMatch(/WebAssembly SIMD/);
  const warnings = (await state(page)).messages.filter((m) => m.level === 'warning').map((m) => m.text);
  expect(warnings).toContainEqual(expect.stringMatching(/^WebAssembly is refused on this page .*the separator runs in JavaScript/));
  expect(warnings).toContainEqual(expect.stringMatching(/^Export: WebAssembly could not be used in the export worker .*ran in JavaScript/));
});
