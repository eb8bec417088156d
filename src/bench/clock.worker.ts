/**
 * The timing clock's writer (see worklet/timing.ts): a dedicated Worker that keeps storing
 * `performance.now()` (whole µs since it started, wrapping int32) into a SharedArrayBuffer the
 * separator worklet reads, until the page sets STOP.
 *
 * - 'spin': writes in a tight loop. Resolution is performance.now()'s own (5 µs steps in a
 *   cross-origin-isolated Chromium, with jitter); it keeps one core busy.
 * - 'sleep': sleeps `periodMs` between writes (Atomics.wait, allowed in a Worker). Steps of about
 *   60–100 µs on Linux (the sleep's timer slack), at a few per cent of a core.
 */
import { CLOCK_INDEX } from '../../worklet/protocol.ts';

export interface ClockStart {
  buffer: SharedArrayBuffer;
  mode: 'spin' | 'sleep';
  periodMs: number;
}

self.onmessage = (e: MessageEvent<ClockStart>) => {
  const { buffer, mode, periodMs } = e.data;
  const c = new Int32Array(buffer);
  const origin = performance.now();
  const write = () => {
    Atomics.store(c, CLOCK_INDEX.NOW, ((performance.now() - origin) * 1000) | 0);
    Atomics.add(c, CLOCK_INDEX.UPDATES, 1);
  };
  write();
  self.postMessage('started');
  if (mode === 'spin') {
    while (Atomics.load(c, CLOCK_INDEX.STOP) === 0) write();
  } else {
    while (Atomics.load(c, CLOCK_INDEX.STOP) === 0) {
      Atomics.wait(c, CLOCK_INDEX.WAIT, 0, periodMs);
      write();
    }
  }
  self.close();
};
