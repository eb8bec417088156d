/**
 * bench.html: the worklet benchmark on a page. Run it from the page's button, or drive it:
 *   await window.bench.run({ seconds: 20, realtimeSeconds: 8 })   → BenchReport
 *   await window.bench.gpu()                                      → runGpuBench()'s result, if src/gpu/bench.ts exists
 * (scripts/bench-page.ts does both in Chromium and prints the table.)
 */
import { formatReport } from './report.ts';
import { runBench, runGpu, type BenchOptions } from './run.ts';

const out = document.getElementById('out') as HTMLPreElement;
const button = document.getElementById('run') as HTMLButtonElement;
const seconds = document.getElementById('seconds') as HTMLInputElement;
const realtime = document.getElementById('realtime') as HTMLInputElement;

const bench = {
  run: (options: BenchOptions = {}) => runBench(options, (line) => {
    out.textContent += `${line}\n`;
    console.log(`[bench] ${line}`);
  }),
  gpu: runGpu,
};
(window as unknown as { bench: typeof bench }).bench = bench;

button.addEventListener('click', async () => {
  button.disabled = true;
  out.textContent = 'Running…\n';
  try {
    const report = await bench.run({ seconds: Number(seconds.value), realtimeSeconds: Number(realtime.value) });
    out.textContent = formatReport(report, await bench.gpu());
  } catch (e) {
    out.textContent += `\nFailed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    button.disabled = false;
  }
});
document.body.dataset.ready = 'true';
