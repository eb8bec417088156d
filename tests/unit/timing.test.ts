/**
 * The worklet's process() timer (worklet/timing.ts): histograms, percentiles, per-frame figures,
 * deadlines, the Date.now() guard against a stalled shared clock, the int32 wrap of the clock.
 * The shared clock is a SharedArrayBuffer written here by hand; Date.now() is mocked.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BINS, percentile, ProcessTimer } from '../../worklet/timing.ts';
import { CLOCK_BYTES, CLOCK_INDEX } from '../../worklet/protocol.ts';

function setup(startUs = 0) {
  const buffer = new SharedArrayBuffer(CLOCK_BYTES);
  const clock = new Int32Array(buffer);
  let dateMs = 1_700_000_000_000;
  vi.spyOn(Date, 'now').mockImplementation(() => dateMs);
  const timer = new ProcessTimer();
  clock[CLOCK_INDEX.NOW] = startUs | 0;
  timer.attach(buffer, 0);
  let nowUs = startUs;
  /** One process() call of `us` µs that ran `frames` frames, at context time `at`. */
  const call = (us: number, frames = 0, at = 0, deadlineUs = 2666.7, dateStep = Math.floor(us / 1000)) => {
    timer.begin();
    nowUs += us;
    clock[CLOCK_INDEX.NOW] = nowUs | 0;
    dateMs += dateStep;
    timer.end(frames, at, deadlineUs);
  };
  return { timer, call, stall: (ms: number) => { dateMs += ms; } };
}

afterEach(() => vi.restoreAllMocks());

describe('percentile', () => {
  it('reads the histogram', () => {
    const h = new Uint32Array(BINS);
    h[10] = 50;
    h[20] = 49;
    h[300] = 1;
    expect(percentile(h, 100, 0.5)).toBe(10);
    expect(percentile(h, 100, 0.51)).toBe(20);
    expect(percentile(h, 100, 0.99)).toBe(20);
    expect(percentile(h, 100, 1)).toBe(300);
    expect(percentile(h, 0, 0.5)).toBeNull();
  });
});

describe('ProcessTimer', () => {
  it('times calls and frames, finds the worst, counts calls over the deadline', () => {
    const { timer, call } = setup();
    for (let i = 0; i < 90; i++) call(20, 0, i * 0.003);
    for (let i = 0; i < 9; i++) call(220, 1, 1 + i * 0.003);
    call(3000, 2, 5.5); // two frames in one call, over the deadline
    const t = timer.snapshot(48000);
    expect(t.clock.kind).toBe('shared');
    expect(t).toMatchObject({ calls: 100, frames: 11, frameCalls: 10 });
    expect(t.call).toMatchObject({ medianUs: 20, worstUs: 3000, worstAt: 5.5, worstFrames: 2 });
    expect(t.call.longest).toEqual([
      { us: 3000, at: 5.5, frames: 2 },
      ...[0, 1, 2, 3].map((i) => ({ us: 220, at: 1 + i * 0.003, frames: 1 })), // ties keep the earliest
    ]);
    expect(t).toMatchObject({ overDeadline: 1, overHalfDeadline: 1 });
    expect(t.frame).toMatchObject({ medianUs: 220, worstUs: 1500, worstAt: 5.5, p99Us: 1500 });
    expect(t.cpuSeconds).toBeCloseTo((90 * 20 + 9 * 220 + 3000) / 1e6, 12);
    expect(t.frame.meanUs).toBeCloseTo((90 * 20 + 9 * 220 + 3000) / 11, 9);
    expect(t.call.idleMeanUs).toBe(20);
    expect(t.frame.netMeanUs).toBeCloseTo((9 * 220 + 3000 - 10 * 20) / 11, 9);
    expect(t.audioSeconds).toBeCloseTo(100 * 2666.7e-6, 9);
    expect(t.rtf).toBeCloseTo(t.audioSeconds / t.cpuSeconds, 9);
    expect(t.since).toBe(0);
    expect(t.until).toBe(5.5);
    expect(t.stalls).toBe(0);
  });

  it('never reports a call shorter than Date.now() proves it was (a stalled writer)', () => {
    const { timer, call } = setup();
    call(100, 1, 0, 2666.7, 5); // the shared clock moved 100 µs, Date.now() 5 ms
    const t = timer.snapshot(48000);
    expect(t.call.worstUs).toBe(4000);
    expect(t.overDeadline).toBe(1);
    expect(t.stalls).toBe(1);
    expect(t.dateCpuSeconds).toBeCloseTo(0.005, 12);
  });

  it('never reports a call longer than Date.now() allows (a stale first read of the shared clock)', () => {
    const { timer, call } = setup();
    call(13_600, 0, 0, 2666.7, 0); // the shared clock jumped 13.6 ms, Date.now() did not move
    const t = timer.snapshot(48000);
    expect(t.call.worstUs).toBe(1000);
    expect(t.overDeadline).toBe(0);
    expect(t.stalls).toBe(1);
  });

  it('survives the int32 wrap of the clock', () => {
    const { timer, call } = setup(2 ** 31 - 50);
    call(120, 1);
    expect(timer.snapshot(44100).call.worstUs).toBe(120);
  });

  it('puts very long calls in the overflow bin and keeps their exact worst', () => {
    const { timer, call } = setup();
    call(40_000, 1, 0, 2666.7, 40);
    const t = timer.snapshot(48000);
    expect(t.call.worstUs).toBe(40_000);
    expect(t.call.medianUs).toBe(BINS - 1);
  });

  it('starts afresh on reset, and reads Date.now() without a shared clock', () => {
    const { timer, call } = setup();
    call(500, 1);
    timer.reset();
    expect(timer.snapshot(48000).calls).toBe(0);
    expect(timer.snapshot(48000).rtf).toBeNull();
    expect(timer.snapshot(48000).call.longest).toEqual([]);
    timer.attach(null, 0);
    expect(timer.clock.kind).toBe('date');
    call(0, 1, 0, 2666.7, 2);
    expect(timer.snapshot(48000).call.worstUs).toBe(2000);
  });
});
