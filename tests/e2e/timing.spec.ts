/**
 * No dropped audio: 60 s of realtime playback (the demo song, played again each time it ends)
 * through the separator worklet, with the CPU throttled 4× through the DevTools protocol
 * (Emulation.setCPUThrottlingRate), timed two ways:
 * - by the worklet itself (worklet/timing.ts, clocked by a SharedArrayBuffer writer in 'sleep'
 *   mode, see src/bench/clock.ts): the wall time of every process() call;
 * - by Chromium's own trace (category devtools.timeline): each process() call's wall time and the
 *   CPU time the audio thread spent in it (`tdur`, the thread's CPU clock).
 * The assertion is on the CPU time: no call may need more than its deadline (one render quantum,
 * 128 / sampleRate s) of work. The wall time is reported beside it, not asserted, because on this
 * 2-core machine the audio thread is sometimes held off the CPU inside a call for milliseconds
 * (seen in the trace as calls of 2–12 ms wall and 0.1–0.5 ms CPU; a native real-time thread under
 * the same load sees no such gaps, so it happens inside Chromium, not in the OS scheduler). No
 * speed-up of the separator could remove that, and a test that failed on it would fail at random.
 *
 * The trace also records V8's own work on the audio thread (categories v8 and
 * disabled-by-default-v8.gc), and the test prints what of it fell inside process() calls
 * (deoptimisations, compilation, garbage collection) and every collection on that thread: what
 * runs on the audio thread in a slow call, named.
 *
 * E2E_CPU_THROTTLE changes the rate (1 = none, for comparison); E2E_TIMING_SECONDS the length;
 * E2E_TRACE_OUT=file keeps the trace.
 */
import { writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import type { ClockInfo, SeparatorStats } from '../../worklet/protocol.ts';
import { expect, openApp, state, test } from './helpers.ts';

const RATE = Number(process.env.E2E_CPU_THROTTLE ?? 4);
const SECONDS = Number(process.env.E2E_TIMING_SECONDS ?? 60);

// One retry, this file only. On a virtual machine the time the host takes the CPU away (steal) is
// still counted as the audio thread's CPU time: in one full-suite run on a 2-core VM (top showed 17 %
// steal that day), every call ran 2.4× its usual median and one reached 5.1 ms "CPU", where the same code
// alone gave 1.8 ms at worst. A real overrun (the code too slow) fails both attempts; Playwright
// reports a pass on the second as flaky, with both attempts' figures printed.
test.describe.configure({ retries: 1 });

/** Frames per second the network runs: 16 kHz, hop 256. */
const FRAME_RATE = 16000 / 256;

interface TimingHandle {
  stats(): Promise<SeparatorStats | null>;
  timing: {
    startClock(mode?: string): Promise<ClockInfo | null>;
    reset(): Promise<void>;
    playback(): { underrunEvents: number; underrunDuration: number; totalDuration: number } | null;
  };
}

/** Milliseconds a fixed piece of JavaScript takes on the page's main thread (to see the throttle act). */
const spinMs = (page: Page) => page.evaluate(() => {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 3e6; i++) x += Math.sqrt(i) % 3;
  return (performance.now() - t0) + (x < 0 ? 1 : 0);
});

const ms = (us: number | null) => (us === null ? '–' : `${(us / 1000).toFixed(3)} ms`);

interface TraceEvent { name: string; ph: string; pid?: number; tid?: number; ts?: number; dur?: number; tdur?: number; args?: { data?: { functionName?: string; url?: string } } }

/**
 * The separator's process() calls in a Chromium trace: wall time and thread CPU time (µs) each, and
 * the V8 work traced inside each call; and every garbage collection on the audio thread (inside
 * calls or between them): kind and pause (ms).
 */
function tracedCalls(buffer: Buffer): { calls: { wallUs: number; cpuUs: number; inside: string[] }[]; gcs: { name: string; ms: number }[] } {
  const trace = JSON.parse(buffer.toString('utf8')) as { traceEvents: TraceEvent[] };
  const calls = trace.traceEvents
    .filter((e) => e.name === 'FunctionCall' && e.ph === 'X' && e.args?.data?.functionName === 'process' && (e.args.data.url ?? '').includes('separator.worklet'));
  // V8's own events on the audio thread (GC, compilation, deoptimisation: categories v8 and
  // disabled-by-default-v8.gc), matched to the call they fall in.
  const thread = calls.length ? `${calls[0].pid}:${calls[0].tid}` : '';
  const v8 = trace.traceEvents
    .filter((e) => `${e.pid}:${e.tid}` === thread && e.ph === 'X' && e.name !== 'FunctionCall' && e.name !== 'v8.callFunction' && /^V8\.|GC|Scavenge|Mark|Compile|Optimi|Deopt/i.test(e.name))
    .sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));
  const gcs = v8.filter((x) => x.name === 'MinorGC' || x.name === 'MajorGC').map((x) => ({ name: x.name, ms: (x.dur ?? 0) / 1000 }));
  return {
    calls: calls.map((e) => {
      const from = e.ts ?? 0, to = from + (e.dur ?? 0);
      const inside = v8.filter((x) => (x.ts ?? 0) >= from && (x.ts ?? 0) < to).map((x) => `${x.name} ${((x.dur ?? 0) / 1000).toFixed(2)} ms`);
      return { wallUs: e.dur ?? 0, cpuUs: e.tdur ?? Number.NaN, inside };
    }),
    gcs,
  };
}

const sorted = (xs: number[]) => Float64Array.from(xs).sort();
const pct = (xs: Float64Array, p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];

test(`${SECONDS} s of realtime playback with the CPU throttled ${RATE}×: every process() call within its deadline`, async ({ page }, info) => {
  test.setTimeout((SECONDS + 60) * 1000);
  await openApp(page);
  // The loop's first runs include the JIT's warm-up: the best of three on each side.
  const best = async () => Math.min(await spinMs(page), await spinMs(page), await spinMs(page));
  const mainBefore = await best();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: RATE });
  const mainAfter = await best();

  const clock = await page.evaluate(() => (window.voicesplit as unknown as TimingHandle).timing.startClock('sleep'));
  expect(clock?.kind, 'the worklet got the shared clock').toBe('shared');
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await expect.poll(async () => (await state(page)).player?.state).toBe('playing');
  // The context time the page sees just before and just after the worklet's timing starts afresh
  // (and, below, around the read of its figures): the worklet's own count of calls must fit in it.
  const contextTime = () => page.evaluate(() => window.voicesplit.state().context?.currentTime ?? Number.NaN);
  const resetFrom = await contextTime();
  await page.evaluate(() => (window.voicesplit as unknown as TimingHandle).timing.reset());
  const resetTo = await contextTime();
  const browser = page.context().browser()!;
  const traceFrom = await contextTime();
  await browser.startTracing(page, { categories: ['devtools.timeline', 'v8', 'disabled-by-default-v8.gc'] });
  const traceFromInner = await contextTime();
  const before = await page.evaluate(() => (window.voicesplit as unknown as TimingHandle).timing.playback());
  const t0 = (await state(page)).context?.currentTime ?? 0;

  // Play until SECONDS of context time have passed, starting the song again whenever it ends. Each
  // poll is a round trip to a throttled page on a busy machine, and the worklet's timing started
  // before the tracing did (which can take seconds to start): the timed span may end well past
  // SECONDS (63.2 s once under a background load, 66–70 s in later runs), which is why the checks
  // below are on the context time measured, not on SECONDS.
  let restarts = 0;
  for (;;) {
    const s = await state(page);
    const t = s.context?.currentTime ?? 0;
    if (t - t0 >= SECONDS) break;
    if (s.player?.state === 'paused') {
      await page.getByRole('button', { name: 'Play', exact: true }).click();
      restarts++;
    }
    await page.waitForTimeout(Math.max(50, Math.min(500, (SECONDS - (t - t0)) * 1000)));
  }
  const statsFrom = await contextTime();
  const stats = await page.evaluate(() => (window.voicesplit as unknown as TimingHandle).stats());
  const statsTo = await contextTime();
  const after = await page.evaluate(() => (window.voicesplit as unknown as TimingHandle).timing.playback());
  const traceToInner = await contextTime();
  const traceBuffer = await browser.stopTracing();
  const traceTo = await contextTime();
  if (process.env.E2E_TRACE_OUT) writeFileSync(process.env.E2E_TRACE_OUT, traceBuffer); // for a look in chrome://tracing or Perfetto
  const { calls: traced, gcs: audioThreadGcs } = tracedCalls(traceBuffer);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  expect(stats, 'the worklet answered').not.toBeNull();
  const t = stats!.timing;
  const span = (t.until ?? 0) - (t.since ?? 0);
  const quantum = t.deadlineUs / 1e6;
  const underruns = before && after ? { events: after.underrunEvents - before.underrunEvents, ms: (after.underrunDuration - before.underrunDuration) * 1000 } : null;

  const cpu = sorted(traced.map((c) => c.cpuUs)), wall = sorted(traced.map((c) => c.wallUs));
  const deadline = t.deadlineUs;
  const wallOver = traced.filter((c) => c.wallUs > deadline);
  const worstCpu = cpu.length > 0 ? cpu[cpu.length - 1] : null;
  const slowest = [...traced].sort((a, b) => b.cpuUs - a.cpuUs).slice(0, 5);
  const v8Inside = new Map<string, number>();
  for (const c of traced) for (const x of c.inside) v8Inside.set(x.replace(/ [\d.]+ ms$/, ''), (v8Inside.get(x.replace(/ [\d.]+ ms$/, '')) ?? 0) + 1);

  const summary = [
    `CPU throttled ${RATE}× (a fixed loop on the main thread: ${mainBefore.toFixed(0)} → ${mainAfter.toFixed(0)} ms, ${(mainAfter / mainBefore).toFixed(1)}×)`,
    `${t.calls} process() calls over ${span.toFixed(2)} s of context time at ${t.sampleRate} Hz (the page saw ${(statsFrom - resetTo).toFixed(2)}–${(statsTo - resetFrom).toFixed(2)} s; song started ${restarts + 1} times), ${t.frames} frames`,
    `worst process() call ${ms(t.call.worstUs)} at t = ${t.call.worstAt?.toFixed(3)} s (${t.call.worstFrames} frames in it), deadline ${ms(t.deadlineUs)}; ${t.overDeadline} calls over it, ${t.overHalfDeadline} over half of it`,
    `longest calls: ${t.call.longest.map((c) => `${ms(c.us)} at ${(c.at - (t.since ?? 0)).toFixed(3)} s (${c.frames} fr.)`).join(', ')} (times from the first timed call, t = ${t.since?.toFixed(3)} s)`,
    `process() median ${ms(t.call.medianUs)}, p99 ${ms(t.call.p99Us)}; per frame median ${ms(t.frame.medianUs)}, p99 ${ms(t.frame.p99Us)}, worst ${ms(t.frame.worstUs)}, ` +
      `mean ${ms(t.frame.meanUs)} (Date.now() sums: ${ms(t.frame.dateMeanUs)})`,
    `real-time factor ${t.rtf?.toFixed(1)}× (Date.now() sums: ${t.dateRtf?.toFixed(1)}×)`,
    `clock: ${t.clock.kind}, smallest step ${t.clock.resolutionUs ?? "–"} µs, moves every ${t.clock.updateIntervalUs?.toFixed(0) ?? "–"} µs (probed for 1 ms when attached); ${t.stalls} calls timed by Date.now() because the shared clock was stale`,
    `Chromium's trace: ${traced.length} process() calls over ${(traceToInner - traceFromInner).toFixed(2)}–${(traceTo - traceFrom).toFixed(2)} s of context time; CPU time median ${ms(pct(cpu, 0.5))}, p99 ${ms(pct(cpu, 0.99))}, worst ${ms(worstCpu)}; ` +
      `wall time median ${ms(pct(wall, 0.5))}, p99 ${ms(pct(wall, 0.99))}, worst ${ms(wall[wall.length - 1] ?? null)}`,
    `  calls over the deadline by wall time: ${wallOver.length}` +
      (wallOver.length ? ` (${wallOver.map((c) => `${ms(c.wallUs)} wall, ${ms(c.cpuUs)} CPU`).slice(0, 6).join('; ')}${wallOver.length > 6 ? '; …' : ''})` : ''),
    `V8 on the audio thread inside process() calls: ${v8Inside.size ? [...v8Inside].map(([k, n]) => `${k} ×${n}`).join(', ') : 'nothing'}; inside the 5 longest by CPU: ${slowest.map((c) => `${ms(c.cpuUs)} [${c.inside.join(', ') || 'no V8 event'}]`).join('; ')}`,
    `garbage collections on the audio thread (between calls unless listed above): ${audioThreadGcs.length ? audioThreadGcs.map((g) => `${g.name} ${g.ms.toFixed(2)} ms`).join(', ') : 'none'}`,
    `underruns (AudioContext.playbackStats): ${underruns ? `${underruns.events} (${underruns.ms.toFixed(1)} ms)` : 'not available'}`,
  ];
  console.log(`timing.spec:\n  ${summary.join('\n  ')}`);
  info.annotations.push(
    { type: 'worst process() call, CPU time (trace)', description: `${ms(worstCpu)}; deadline ${ms(deadline)}` },
    { type: 'worst process() call, wall time (worklet)', description: `${ms(t.call.worstUs)} at t = ${t.call.worstAt?.toFixed(3)} s; ${t.overDeadline} over the deadline` },
    { type: 'per frame', description: `median ${ms(t.frame.medianUs)}, p99 ${ms(t.frame.p99Us)}, worst ${ms(t.frame.worstUs)}, mean ${ms(t.frame.meanUs)}` },
    { type: 'underruns (AudioContext.playbackStats)', description: underruns ? `${underruns.events} (${underruns.ms.toFixed(1)} ms) over ${span.toFixed(2)} s` : 'not available' },
    { type: 'timing', description: summary.join(' · ') },
  );

  // The stats are real: one call per render quantum, 62.5 frames a second, for the whole time.
  // The calls are counted against the context time that actually elapsed, measured twice: by the
  // worklet (its first and last timed call, `span`) and, independently, by the page (currentTime
  // read around the reset and around the read of the figures: the timed calls lie between the inner
  // pair and within the outer pair). The test used to count them against a nominal SECONDS (at most
  // 5 % over), which failed whenever the polling loop above overran by more than 3 s on a busy
  // machine (1.054 with 63.2 s of playback) though every call was counted right: the bound was on
  // the test's own loop, not on the worklet. Nothing about the separator is loosened by this.
  expect(span, 'context time covered by the timed calls').toBeGreaterThanOrEqual(SECONDS - 0.1);
  expect(t.calls / (span / quantum + 1), 'calls per render quantum').toBeCloseTo(1, 2);
  // currentTime on the main thread moves in steps of the audio callback's buffer (a few render
  // quanta): 50 ms of slack either side.
  const slack = 0.05;
  expect(t.calls * quantum, `calls × 128 / rate ≥ the context time between the reset and the read (${(statsFrom - resetTo).toFixed(3)} s)`).toBeGreaterThanOrEqual(statsFrom - resetTo - slack);
  expect(t.calls * quantum, `calls × 128 / rate ≤ the context time around them (${(statsTo - resetFrom).toFixed(3)} s)`).toBeLessThanOrEqual(statsTo - resetFrom + slack);
  expect(Math.abs(t.frames / (span * FRAME_RATE) - 1), `frames ≈ ${span.toFixed(2)} s × 62.5`).toBeLessThan(0.01);
  expect(t.audioSeconds).toBeCloseTo(t.calls * quantum, 6);
  // The trace saw the same calls, each with its CPU time: as many as render quanta in the context
  // time it ran (bounded as above, by currentTime read around the start and the stop of the
  // tracing). It used to be held to the worklet's count ±3 %, but the trace runs from just after the
  // reset to its stop, after the figures are read, and under a background load that stop took
  // long enough to make 1.0315: again a bound on the test's own calls, not on the separator.
  expect(traced.length * quantum, `calls in the trace × 128 / rate ≥ the context time inside the tracing (${(traceToInner - traceFromInner).toFixed(3)} s)`)
    .toBeGreaterThanOrEqual(traceToInner - traceFromInner - slack);
  expect(traced.length * quantum, `calls in the trace × 128 / rate ≤ the context time around the tracing (${(traceTo - traceFrom).toFixed(3)} s)`)
    .toBeLessThanOrEqual(traceTo - traceFrom + slack);
  // And it covers the calls the worklet timed (all but those between the reset and the trace's start).
  expect(traced.length * quantum, 'the trace covers the worklet\'s timed calls').toBeGreaterThanOrEqual(t.calls * quantum - (traceFromInner - resetFrom) - slack);
  expect(cpu.every(Number.isFinite), 'every traced call has a CPU time').toBe(true);
  // And not one call needed more than its deadline of work.
  expect(worstCpu!, `the longest process() call in CPU time against the ${ms(deadline)} deadline`).toBeLessThan(deadline);
});
