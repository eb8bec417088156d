/**
 * The worklet benchmark's report as text (bench.html shows it, scripts/bench-page.ts prints it).
 * No DOM, no Node: both sides import it.
 */
import type { GpuBenchReport } from './batch.ts';
import type { BenchReport, BenchRun } from './run.ts';

const ms = (us: number | null | undefined, d = 3) => (us === null || us === undefined ? '–' : (us / 1000).toFixed(d));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

function rtfOf(r: BenchRun): number | null {
  return r.timing.rtf;
}

/** The worklet benchmark's report and the batch modes' table (either may be missing: not run). */
export function formatReport(report: BenchReport | null, gpu?: { result: GpuBenchReport } | { error: string } | null): string {
  const out: string[] = [];
  if (report) formatWorklet(report, out);
  if (gpu && 'error' in gpu) out.push('', `Batch modes: runGpuBench() failed: ${gpu.error}`);
  else if (gpu) out.push('', 'Batch work on the page (export, training), per compute mode:', gpu.result.text);
  return out.join('\n').trim();
}

function formatWorklet(report: BenchReport, out: string[]): void {
  const c = report.clock;
  out.push(`Worklet benchmark: the demo song (stereo) through the separator AudioWorklet, timed inside the worklet.`);
  out.push(`${report.userAgent.replace(/^.*?(Chrom\w*\/[\d.]+).*$/, '$1')}, ${report.hardwareConcurrency} cores, crossOriginIsolated ${report.crossOriginIsolated}`);
  if (c) {
    const k = report.clockCheck;
    out.push(`Clock in the worklet: ${c.kind === 'shared' ? `SharedArrayBuffer written by a Worker ('${report.clockWriter}'${report.clockMode === 'auto' ? ', chosen by auto' : ''})` : 'Date.now()'}; ` +
      `in the worklet: smallest step ${c.resolutionUs ?? '–'} µs, moves every ${c.updateIntervalUs?.toFixed(1) ?? '–'} µs, read ${c.readNs.toFixed(0)} ns, ` +
      `timing cost per process() call ${c.overheadNs.toFixed(0)} ns` +
      (k ? `; on the page: moves every ${k.meanStepUs?.toFixed(1) ?? '–'} µs, longest still ${k.maxGapUs} µs` : ''));
    const step = c.kind === 'date' ? 1000 : (k?.meanStepUs ?? c.updateIntervalUs ?? 0);
    if (step > 20) out.push(`Note: the clock steps every ~${step.toFixed(0)} µs: medians and percentiles below a few steps are quantised; means (sums of many calls) are not biased by it.`);
  }
  for (const [name, m] of Object.entries(report.models)) out.push(`${name.padEnd(8)} ${m.description} (${(m.bytes / 1024).toFixed(0)} KiB)`);
  const o = report.options;
  out.push(`Offline: ${o.seconds} s per run after a ${o.warmup} s warm-up reported apart; realtime: ${o.realtimeSeconds} s. Times in ms; RTF = audio s / s inside process()`);
  out.push(`(by the worklet's clock; "RTF (Date)" sums Date.now() differences instead: unbiased, coarse, needs no writer thread, so the two disagree when the writer was starved).`);
  out.push('');
  const rows: string[][] = [[
    'context', 'rate', 'model', 'frames', 'frame med', 'p99', 'worst', 'mean', 'call med', 'worst call', '@ s', 'deadline', 'over', 'stalls', 'RTF', 'vs dense', 'RTF (Date)', 'warm-up worst',
  ]];
  for (const r of report.runs) {
    const t = r.timing;
    const dense = report.runs.find((d) => d.model === 'dense' && d.context === r.context && d.sampleRate === r.sampleRate);
    const speedup = r.model !== 'dense' && dense && rtfOf(r) && rtfOf(dense) ? `${(rtfOf(r)! / rtfOf(dense)!).toFixed(1)}×` : '';
    rows.push([
      r.context, String(r.sampleRate), r.model, String(t.frames), ms(t.frame.medianUs), ms(t.frame.p99Us), ms(t.frame.worstUs), ms(t.frame.meanUs),
      ms(t.call.medianUs), ms(t.call.worstUs), t.call.worstAt?.toFixed(2) ?? '–', ms(t.deadlineUs), String(t.overDeadline), String(t.stalls),
      t.rtf === null ? '–' : `${t.rtf.toFixed(1)}×`, speedup, t.dateRtf === null ? '–' : `${t.dateRtf.toFixed(1)}×`, ms(r.warmup?.call.worstUs),
    ]);
  }
  out.push(table(rows));
  const rt = report.runs.filter((r) => r.context === 'realtime');
  if (rt.length) {
    out.push('');
    for (const r of rt) {
      out.push(`realtime ${r.model}: ${r.timing.calls} calls in ${((r.timing.until ?? 0) - (r.timing.since ?? 0)).toFixed(2)} s of context time, ` +
        `${r.timing.overDeadline} over the ${ms(r.timing.deadlineUs)} ms deadline; underruns ${r.underruns ? `${r.underruns.events} (${(r.underruns.seconds * 1000).toFixed(1)} ms)` : 'not reported by this browser'}`);
    }
  }
}
