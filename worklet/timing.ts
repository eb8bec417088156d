/**
 * Wall-clock timing of an AudioWorkletProcessor's process() calls and of the STFT frames they run,
 * allocation-free on the audio thread.
 *
 * The clock. An AudioWorkletGlobalScope has no `performance` (Chromium 156: its globals are
 * sampleRate, currentFrame, currentTime, renderQuantumSize, registerProcessor, Atomics and
 * SharedArrayBuffer) and `Atomics.wait` is refused there, so its only clock of its own is
 * `Date.now()`, which steps in whole milliseconds: useless for a 128-sample quantum (2.7 ms at
 * 48 kHz) that runs a 0.1 ms frame. With cross-origin isolation the page can share a
 * SharedArrayBuffer: a page Worker (src/bench/clock.worker.ts) writes `performance.now()` into it
 * in a loop, as whole microseconds in an Int32 (wrapping every 71 minutes; durations are taken
 * modulo 2³², so the wrap never shows), and the processor reads it with one `Atomics.load`.
 *
 * A writer thread can be descheduled, and then the shared clock stands still: a duration read
 * across the stall comes out too short (on a 2-core machine whose other core is busy, the writer
 * may only get to run when the audio thread is not). Every call is therefore also timed with
 * `Date.now()`, twice over:
 * - its difference d (ms) proves the call lasted more than d − 1 ms and less than d + 1 ms; when
 *   the shared clock's figure falls outside, the bound is used and the call counted in `stalls`.
 *   So a long call (the ones that matter for deadlines) is never reported shorter than it was by
 *   more than 1 ms, and a stale first read (the writer resumed during the call) cannot make a
 *   short call look long;
 * - summed over calls, the whole-ms differences are an unbiased estimate of the time spent (calls
 *   start at every phase of the millisecond, so a call of 0.3 ms reads 1 ms three times in ten):
 *   `dateCpuSeconds`, `dateRtf`, `frame.dateMeanUs` need no other thread at all, and their
 *   agreement with the shared clock's sums says whether the writer kept up.
 *
 * What is kept: counts and sums in a Float64Array, and two histograms of 1 µs bins (0–32.766 ms,
 * plus an overflow bin) in Uint32Arrays: one of process() calls, one of frames. A call that ran k
 * frames contributes k entries of duration / k to the frame histogram (the quantum's own buffering,
 * a few µs, is included, as in `npm run bench`'s ms/frame). Percentiles are read from the
 * histograms when asked, outside process().
 */
import { CLOCK_INDEX, type ClockInfo, type SeparatorTiming } from './protocol.ts';

/** Histogram bins: 1 µs each; the last one holds everything from (BINS − 1) µs up. */
export const BINS = 32768;

/** The longest calls kept with their context time (to tell a warm-up from a stray stall). */
export const LONGEST = 5;

// Slots of the counters array.
const T0 = 0, D0 = 1, CALLS = 2, FRAMES = 3, FRAME_CALLS = 4, TOTAL_US = 5, FRAME_CALLS_US = 6,
  WORST_CALL_US = 7, WORST_CALL_AT = 8, WORST_CALL_FRAMES = 9, WORST_FRAME_US = 10, WORST_FRAME_AT = 11,
  OVER_DEADLINE = 12, STALLS = 13, DEADLINE_US = 14, SINCE = 15, LAST_AT = 16, SUM_DEADLINE_US = 17, DATE_TOTAL_US = 18,
  DATE_FRAME_CALLS_US = 19, OVER_HALF = 20, SLOTS = 21;

/** A clock of whole microseconds (int32, wrapping) read without allocating. */
export interface MicroClock {
  now(): number;
}

export class ProcessTimer {
  readonly callHist = new Uint32Array(BINS);
  readonly frameHist = new Uint32Array(BINS);
  private readonly v = new Float64Array(SLOTS);
  /** The LONGEST longest calls, longest first: [µs, context time, frames] each. */
  private readonly longest = new Float64Array(3 * LONGEST);
  private shared: Int32Array | null = null;
  private dateOrigin = Date.now();
  private info: ClockInfo = { kind: 'date', resolutionUs: 1000, updateIntervalUs: 1000, readNs: 0, overheadNs: 0 };

  /** Uses this SharedArrayBuffer clock (see CLOCK_INDEX), or Date.now() when null. Allocates: onmessage only. */
  attach(buffer: SharedArrayBuffer | null, probeMs = 1): ClockInfo {
    this.shared = buffer ? new Int32Array(buffer) : null;
    this.info = this.probe(probeMs);
    this.reset();
    return this.info;
  }

  get clock(): ClockInfo {
    return this.info;
  }

  /** The current time in whole µs (int32, wrapping; only differences mean anything). */
  now(): number {
    const s = this.shared;
    return s !== null ? Atomics.load(s, CLOCK_INDEX.NOW) : ((Date.now() - this.dateOrigin) * 1000) | 0;
  }

  /** Forget everything measured (the clock stays). */
  reset(): void {
    this.callHist.fill(0);
    this.frameHist.fill(0);
    this.v.fill(0);
    this.longest.fill(-1);
    this.v[SINCE] = Number.NaN;
  }

  /** Start of a process() call. */
  begin(): void {
    this.v[D0] = Date.now();
    this.v[T0] = this.now();
  }

  /**
   * End of the process() call begun last: it ran `frames` STFT frames, for a quantum of
   * `deadlineUs` µs that started at context time `at` (s).
   */
  end(frames: number, at: number, deadlineUs: number): void {
    const v = this.v;
    let us = (this.now() - v[T0]) | 0;
    const dateUs = (Date.now() - v[D0]) * 1000;
    // Date.now() brackets the call: it lasted more than dateUs − 1 ms and less than dateUs + 1 ms.
    // Outside that, the shared clock was stale at one end (its writer was descheduled): a stale
    // first read makes a call look longer, a stale second read shorter. The bound is used then.
    const lower = dateUs - 1000, upper = dateUs + 1000;
    if (us < lower || us > upper) {
      us = us < lower ? lower : upper;
      v[STALLS]++;
    }
    if (us < 0) us = 0;
    if (v[CALLS] === 0) v[SINCE] = at;
    v[LAST_AT] = at;
    v[CALLS]++;
    v[TOTAL_US] += us;
    v[DATE_TOTAL_US] += dateUs;
    v[DEADLINE_US] = deadlineUs;
    v[SUM_DEADLINE_US] += deadlineUs;
    this.callHist[us < BINS - 1 ? Math.round(us) : BINS - 1]++;
    if (us > v[WORST_CALL_US]) {
      v[WORST_CALL_US] = us;
      v[WORST_CALL_AT] = at;
      v[WORST_CALL_FRAMES] = frames;
    }
    if (us > deadlineUs) v[OVER_DEADLINE]++;
    if (us > deadlineUs / 2) v[OVER_HALF]++;
    this.keepIfLongest(us, at, frames);
    if (frames > 0) {
      const per = us / frames;
      v[FRAMES] += frames;
      v[FRAME_CALLS]++;
      v[FRAME_CALLS_US] += us;
      v[DATE_FRAME_CALLS_US] += dateUs;
      this.frameHist[per < BINS - 1 ? Math.round(per) : BINS - 1] += frames;
      if (per > v[WORST_FRAME_US]) {
        v[WORST_FRAME_US] = per;
        v[WORST_FRAME_AT] = at;
      }
    }
  }

  /** Insertion into the sorted list of longest calls (no allocation). */
  private keepIfLongest(us: number, at: number, frames: number): void {
    const l = this.longest;
    let i = LONGEST - 1;
    if (us <= l[3 * i]) return;
    for (; i > 0 && us > l[3 * (i - 1)]; i--) {
      l[3 * i] = l[3 * (i - 1)];
      l[3 * i + 1] = l[3 * (i - 1) + 1];
      l[3 * i + 2] = l[3 * (i - 1) + 2];
    }
    l[3 * i] = us;
    l[3 * i + 1] = at;
    l[3 * i + 2] = frames;
  }

  /** Everything measured since the last reset (allocates: onmessage only). */
  snapshot(sampleRate: number): SeparatorTiming {
    const v = this.v;
    const calls = v[CALLS], frames = v[FRAMES], idleCalls = calls - v[FRAME_CALLS];
    const idleMeanUs = idleCalls > 0 ? (v[TOTAL_US] - v[FRAME_CALLS_US]) / idleCalls : 0;
    const audioSeconds = v[SUM_DEADLINE_US] / 1e6;
    const cpuSeconds = v[TOTAL_US] / 1e6, dateCpuSeconds = v[DATE_TOTAL_US] / 1e6;
    return {
      clock: { ...this.info },
      sampleRate,
      since: Number.isNaN(v[SINCE]) ? null : v[SINCE],
      until: calls > 0 ? v[LAST_AT] : null,
      calls,
      frames,
      frameCalls: v[FRAME_CALLS],
      deadlineUs: v[DEADLINE_US],
      audioSeconds,
      cpuSeconds,
      rtf: cpuSeconds > 0 ? audioSeconds / cpuSeconds : null,
      dateCpuSeconds,
      dateRtf: dateCpuSeconds > 0 ? audioSeconds / dateCpuSeconds : null,
      call: {
        medianUs: percentile(this.callHist, calls, 0.5),
        p99Us: percentile(this.callHist, calls, 0.99),
        meanUs: calls > 0 ? v[TOTAL_US] / calls : null,
        worstUs: calls > 0 ? v[WORST_CALL_US] : null,
        worstAt: calls > 0 ? v[WORST_CALL_AT] : null,
        worstFrames: v[WORST_CALL_FRAMES],
        idleMeanUs: idleCalls > 0 ? idleMeanUs : null,
        longest: longestCalls(this.longest),
      },
      frame: {
        medianUs: percentile(this.frameHist, frames, 0.5),
        p99Us: percentile(this.frameHist, frames, 0.99),
        meanUs: frames > 0 ? v[TOTAL_US] / frames : null,
        dateMeanUs: frames > 0 ? v[DATE_TOTAL_US] / frames : null,
        netMeanUs: frames > 0 ? (v[FRAME_CALLS_US] - v[FRAME_CALLS] * idleMeanUs) / frames : null,
        worstUs: frames > 0 ? v[WORST_FRAME_US] : null,
        worstAt: frames > 0 ? v[WORST_FRAME_AT] : null,
      },
      overDeadline: v[OVER_DEADLINE],
      overHalfDeadline: v[OVER_HALF],
      stalls: v[STALLS],
    };
  }

  /**
   * Reads the clock in a tight loop for about `ms` milliseconds: its resolution (smallest step
   * seen), how often it moves, the cost of one read, and the cost of the timing one process() call
   * carries (begin + end, measured on a scratch timer). Blocks the thread it runs on for that long.
   */
  private probe(ms: number): ClockInfo {
    const kind = this.shared ? 'shared' : 'date';
    const d0 = Date.now();
    let last = this.now(), first = last, minStep = Infinity, steps = 0, reads = 0, advanced = 0;
    // Date.now() bounds the loop, so a clock that never moves cannot hang the thread (and a read
    // count bounds it too: Date.now() is not trusted to move either).
    while (ms > 0 && Date.now() - d0 < ms + 1 && reads < 5e7) {
      for (let k = 0; k < 64; k++) {
        const t = this.now();
        reads++;
        if (t !== last) {
          const step = (t - last) | 0;
          if (step > 0 && step < minStep) minStep = step;
          steps++;
          last = t;
        }
      }
      advanced = (last - first) | 0;
    }
    const elapsedUs = kind === 'shared' && advanced > 0 ? advanced : (Date.now() - d0) * 1000;
    // The instrumentation's own cost: begin() + end() on a scratch timer sharing this clock.
    const scratch = new ProcessTimer();
    scratch.shared = this.shared;
    const n = ms > 0 ? 20000 : 0, c0 = this.now(), e0 = Date.now();
    for (let i = 0; i < n; i++) {
      scratch.begin();
      scratch.end(i & 1, 0, 2666);
    }
    const spentUs = kind === 'shared' && ((this.now() - c0) | 0) > 0 ? (this.now() - c0) | 0 : (Date.now() - e0) * 1000;
    return {
      kind,
      resolutionUs: Number.isFinite(minStep) ? minStep : null,
      updateIntervalUs: steps > 0 ? elapsedUs / steps : null,
      readNs: reads > 0 ? (elapsedUs * 1000) / reads : 0,
      overheadNs: n > 0 ? (spentUs * 1000) / n : 0,
    };
  }
}

function longestCalls(l: Float64Array): { us: number; at: number; frames: number }[] {
  const out: { us: number; at: number; frames: number }[] = [];
  for (let i = 0; i < LONGEST && l[3 * i] >= 0; i++) out.push({ us: l[3 * i], at: l[3 * i + 1], frames: l[3 * i + 2] });
  return out;
}

/** The value below which a fraction p of the histogram's `total` entries lie (µs), or null. */
export function percentile(hist: Uint32Array, total: number, p: number): number | null {
  if (total <= 0) return null;
  const target = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i];
    if (seen >= target) return i;
  }
  return hist.length - 1;
}
