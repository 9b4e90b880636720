/**
 * The coarse shared clock, for fast loggers only. While it ticks it stores
 * "ms since base" into the context block every clockResolutionMs, so a
 * producer stamps a record with one plain load instead of a ~70 ns clock read.
 *
 * A tick is not free either: a timed wake-up costs tens of µs of CPU on a
 * virtual machine, 4-7 % of a core at 1 ms. So the clock sleeps
 * (CLOCK_MS = CLOCK_ASLEEP, producers read Date.now() themselves) unless
 * records flow fast: a producer wakes it after many records within one ms,
 * and it goes back to sleep when a window of ticks carried fewer than
 * SLEEP_BELOW_PER_MS records per ms.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { CLOCK_ASLEEP, SHARED, SHARED_F64 } from '../ring/layout.js';
import { ringRecordsIn } from '../ring/stats.js';

/** Ticks between two looks at the record rate. */
const WINDOW_TICKS = 16;
/** Below this many records per ms (all rings), producers read the system clock again (half the producer's wake-up threshold). */
const SLEEP_BELOW_PER_MS = 64;

const { sharedSab, port, tickMs } = workerData as { sharedSab: SharedArrayBuffer; port: MessagePort; tickMs: number };
const shared = new Int32Array(sharedSab);
const base = new Float64Array(sharedSab)[SHARED_F64.CLOCK_BASE_MS]!;
const rings: SharedArrayBuffer[] = [];

function published(): number {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) rings.push(m.message as SharedArrayBuffer);
  let total = 0;
  for (const r of rings) total += ringRecordsIn(r);
  return total;
}

const closing = () => Atomics.load(shared, SHARED.CLOCK_STOP) !== 0;

while (!closing()) {
  // Asleep until a fast producer (or close) changes the word.
  Atomics.wait(shared, SHARED.CLOCK_MS, CLOCK_ASLEEP);
  let windowStart = published();
  let ticks = 0;
  while (!closing()) {
    Atomics.store(shared, SHARED.CLOCK_MS, Date.now() - base);
    Atomics.wait(shared, SHARED.CLOCK_STOP, 0, tickMs);
    if (++ticks < WINDOW_TICKS) continue;
    const now = published();
    const slow = now - windowStart < WINDOW_TICKS * tickMs * SLEEP_BELOW_PER_MS;
    windowStart = now;
    ticks = 0;
    if (slow) {
      Atomics.store(shared, SHARED.CLOCK_MS, CLOCK_ASLEEP);
      break;
    }
  }
}
port.close();
