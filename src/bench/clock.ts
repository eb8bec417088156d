/**
 * A sub-millisecond clock for the separator worklet, which has none of its own (no `performance`
 * in an AudioWorkletGlobalScope, Date.now() in 1 ms steps): a Worker writes the time into a
 * SharedArrayBuffer (src/bench/clock.worker.ts) and the processor reads it (worklet/timing.ts).
 * Needs cross-origin isolation (the app's server sends COOP/COEP; see vite.config.ts).
 */
import { CLOCK_BYTES, CLOCK_INDEX, type ToSeparator } from '../../worklet/protocol.ts';
import ClockWorker from './clock.worker.ts?worker';

/**
 * 'spin': the writer loops without pause: steps of performance.now()'s 5 µs, one core busy; on a
 * machine with no core to spare the scheduler gives the writer slices and the clock stands still
 * for milliseconds between them. 'sleep': the writer sleeps 20 µs between writes: steps of
 * 60–200 µs, a few per cent of a core, and a thread that sleeps this often is woken promptly even
 * on a busy machine. 'date': no writer, the worklet's Date.now() (1 ms). 'auto': spin if a 100 ms
 * check shows it moving steadily (no gap over 250 µs), else sleep.
 */
export type ClockMode = 'spin' | 'sleep' | 'date' | 'auto';

/** How a clock moved while the page read it in a tight loop. */
export interface ClockCheck {
  /** Mean time between changes (µs). */
  meanStepUs: number | null;
  /** Longest time it stood still (µs). */
  maxGapUs: number;
  changes: number;
}

export interface TimingClock {
  /** The writer running ('auto' resolved). */
  mode: Exclude<ClockMode, 'auto'>;
  /** null for 'date' (the worklet's Date.now()). */
  buffer: SharedArrayBuffer | null;
  /** What the page saw of it when it started (null for 'date'). */
  check: ClockCheck | null;
  /** Ends the writer. */
  stop(): void;
}

/** Reads the clock for `ms` on this thread (blocking it): how steadily it moves. */
export function checkClock(buffer: SharedArrayBuffer, ms = 100): ClockCheck {
  const c = new Int32Array(buffer);
  const t0 = performance.now();
  let last = Atomics.load(c, CLOCK_INDEX.NOW), lastAt = t0, maxGap = 0, changes = 0, now = t0;
  while ((now = performance.now()) - t0 < ms) {
    const v = Atomics.load(c, CLOCK_INDEX.NOW);
    if (v !== last) {
      changes++;
      last = v;
      lastAt = now;
    } else if (now - lastAt > maxGap) {
      maxGap = now - lastAt;
    }
  }
  return { meanStepUs: changes > 0 ? ((now - t0) * 1000) / changes : null, maxGapUs: Math.round(maxGap * 1000), changes };
}

/** Starts a clock writer (see {@link ClockMode}). */
export async function startClock(mode: ClockMode = 'auto', periodMs = 0.02): Promise<TimingClock> {
  if (mode === 'date') return { mode, buffer: null, check: null, stop: () => {} };
  if (mode === 'auto') {
    const spin = await startClock('spin');
    if (spin.check && spin.check.maxGapUs <= 250) return spin;
    spin.stop();
    return startClock('sleep', periodMs);
  }
  if (!globalThis.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') {
    throw new Error('a shared clock needs cross-origin isolation (COOP/COEP headers) for SharedArrayBuffer');
  }
  const buffer = new SharedArrayBuffer(CLOCK_BYTES);
  const worker = new ClockWorker();
  await new Promise<void>((resolve, reject) => {
    worker.onmessage = () => resolve();
    worker.onerror = (e) => reject(new Error(`the clock worker failed: ${e.message}`));
    worker.postMessage({ buffer, mode, periodMs });
  });
  const c = new Int32Array(buffer);
  await new Promise((r) => setTimeout(r, 20)); // let it run before judging it
  return {
    mode,
    buffer,
    check: checkClock(buffer, 100),
    stop() {
      Atomics.store(c, CLOCK_INDEX.STOP, 1);
      Atomics.notify(c, CLOCK_INDEX.WAIT);
      worker.terminate();
    },
  };
}

/** Hands a clock to a separator node (the processor probes it for `probeMs` and resets its timing). */
export function attachClock(node: AudioWorkletNode, clock: TimingClock | null, probeMs = 1): void {
  const msg: ToSeparator = { type: 'clock', buffer: clock?.buffer ?? null, probeMs };
  node.port.postMessage(msg);
}
