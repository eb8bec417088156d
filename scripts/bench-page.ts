/**
 * npx tsx scripts/bench-page.ts [--json] [options]
 *
 * The separator AudioWorklet's speed inside Chromium: builds the app into a temporary folder,
 * serves it with `vite preview` (or reuses a server given with --url, or one already answering on
 * --port), opens bench.html in Chromium (Debian's, with the flags of playwright.config.ts), runs
 * the benchmark there (src/bench/run.ts) and prints a table, or one JSON object with --json.
 * Then runs runGpuBench() from src/gpu/bench.ts on the same page if that module exists.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../playwright.config.ts';
import { formatReport } from '../src/bench/report.ts';
import type { BenchOptions, BenchReport, runGpu } from '../src/bench/run.ts';
import type { BenchModeName, BenchTask, GpuBenchOptions } from '../src/bench/batch.ts';
import type { ClockMode } from '../src/bench/clock.ts';

const HELP = `npx tsx scripts/bench-page.ts [--json] [options]

  --json               print one JSON object ({ worklet, gpu }) instead of the table
  --seconds S          seconds rendered offline per model and rate (default 20)
  --rates R,R,...      offline rates (default 16000,44100,48000)
  --realtime S         seconds of realtime playback per model (default 8; 0 skips it)
  --warmup S           seconds at the start of each run reported apart (default 1)
  --clock MODE         the worklet's clock: auto (default: spin if a core is free, else sleep),
                       spin (~5 µs steps, one core busy), sleep (~0.1 ms steps, cheap), date (1 ms)
  --models LIST        shipped,dense (default both)
  --url URL            use this server (app built with bench.html) instead of building one
  --port P             port for the preview server (default 4318; reused if something answers there)
  --no-worklet         skip the worklet benchmark
  --no-gpu             skip the batch modes (runGpuBench: gpu.js WebGL / gpu.js cpu / WebAssembly)
  --gpu-modes LIST     of 'gpu.js webgl2','gpu.js webgl','gpu.js cpu','wasm' (default all available)
  --gpu-tasks LIST     of network,export,train (default all)
  --song S             seconds of the export song (default 180: a 3-minute stereo 44.1 kHz song)
`;

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const vite = join(repoRoot, 'node_modules/vite/bin/vite.js');

async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/bench.html`, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

async function serve(port: number, log: (s: string) => void): Promise<{ url: string; stop: () => void }> {
  const url = `http://127.0.0.1:${port}`;
  if (await answers(url)) {
    log(`using the server already at ${url}`);
    return { url, stop: () => {} };
  }
  const outDir = mkdtempSync(join(tmpdir(), 'voicesplit-bench-'));
  log(`building into ${outDir}…`);
  const build = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) throw new Error(`vite build failed (exit ${build.status})`);
  const child: ChildProcess = spawn(process.execPath, [vite, 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort', '--outDir', outDir], {
    cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(outDir, { recursive: true, force: true });
  };
  for (let i = 0; i < 150 && !(await answers(url)); i++) {
    if (child.exitCode !== null) throw new Error(`vite preview exited (${child.exitCode}); is port ${port} taken?`);
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!(await answers(url))) {
    stop();
    throw new Error(`vite preview did not answer at ${url}`);
  }
  return { url, stop };
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      help: { type: 'boolean' }, json: { type: 'boolean' }, seconds: { type: 'string' }, rates: { type: 'string' }, realtime: { type: 'string' },
      warmup: { type: 'string' }, clock: { type: 'string' }, models: { type: 'string' }, url: { type: 'string' }, port: { type: 'string' }, 'no-gpu': { type: 'boolean' },
      'no-worklet': { type: 'boolean' }, 'gpu-modes': { type: 'string' }, 'gpu-tasks': { type: 'string' }, song: { type: 'string' },
    },
  });
  if (a.help) {
    process.stdout.write(HELP);
    return;
  }
  const options: BenchOptions = {};
  const num = (s: string, what: string) => {
    const x = Number(s);
    if (!(x >= 0) || !Number.isFinite(x)) throw new Error(`${what} must be a number ≥ 0, not "${s}"`);
    return x;
  };
  if (a.seconds) options.seconds = num(a.seconds, '--seconds');
  if (a.rates) options.rates = a.rates.split(',').map((r) => num(r, '--rates'));
  if (a.realtime) options.realtimeSeconds = num(a.realtime, '--realtime');
  if (a.warmup) options.warmup = num(a.warmup, '--warmup');
  if (a.clock) {
    if (!['auto', 'spin', 'sleep', 'date'].includes(a.clock)) throw new Error('--clock is auto, spin, sleep or date');
    options.clock = a.clock as ClockMode;
  }
  if (a.models) options.models = a.models.split(',').map((m) => {
    if (m !== 'shipped' && m !== 'dense') throw new Error(`--models: "${m}" is neither shipped nor dense`);
    return m;
  });
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const gpuOptions: GpuBenchOptions = {};
  if (a['gpu-modes']) gpuOptions.modes = a['gpu-modes'].split(',') as BenchModeName[];
  if (a['gpu-tasks']) gpuOptions.tasks = a['gpu-tasks'].split(',') as BenchTask[];
  if (a.song) gpuOptions.songSeconds = num(a.song, '--song');

  const server = a.url ? { url: a.url.replace(/\/$/, ''), stop: () => {} } : await serve(Number(a.port ?? 4318), log);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.text().startsWith('[bench]')) log(m.text()); });
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(`${server.url}/bench.html`);
    await page.waitForFunction(() => 'bench' in window);
    let report: BenchReport | null = null;
    if (!a['no-worklet']) {
      log('running the worklet benchmark…');
      report = await page.evaluate((o) => (window as unknown as { bench: { run(o: BenchOptions): Promise<BenchReport> } }).bench.run(o), options);
    }
    let gpu: Awaited<ReturnType<typeof runGpu>> | null = null;
    if (!a['no-gpu']) {
      log('batch modes (runGpuBench)…');
      gpu = await page.evaluate((o) => (window as unknown as { bench: { gpu: typeof runGpu } }).bench.gpu(o), gpuOptions);
    }
    if (a.json) process.stdout.write(`${JSON.stringify({ worklet: report, gpu: gpu ?? null })}\n`);
    else process.stdout.write(`${formatReport(report, gpu)}\n`);
  } finally {
    await browser.close();
    server.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-page: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
