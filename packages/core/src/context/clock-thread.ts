/**
 * The coarse shared clock: stores "ms since base" into the context block
 * every tick (clockResolutionMs, default 1 ms) while records flow, so producers stamp records with one
 * Atomics.load instead of a 45 ns clock read each.
 *
 * When no ring has published for CLOCK_IDLE_TICKS ticks, the clock stores
 * CLOCK_ASLEEP and sleeps: an idle context costs no CPU. The next producer
 * sees CLOCK_ASLEEP, reads the time itself once and wakes the clock.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { CLOCK_ASLEEP, X_CLOCK, X_CLOSING, XF_BASE } from '../ring/layout.js';
import { ringRecordsIn } from '../ring/stats.js';

const CLOCK_IDLE_TICKS = 3;

const { contextSab, port, tickMs } = workerData as { contextSab: SharedArrayBuffer; port: MessagePort; tickMs: number };
const ctx = new Int32Array(contextSab);
const base = new Float64Array(contextSab)[XF_BASE]!;
const rings: SharedArrayBuffer[] = [];
let published = -1;
let idle = 0;

while (Atomics.load(ctx, X_CLOSING) === 0) {
  Atomics.store(ctx, X_CLOCK, Date.now() - base);
  Atomics.wait(ctx, X_CLOSING, 0, tickMs);
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) rings.push(m.message as SharedArrayBuffer);
  let total = 0;
  for (const r of rings) total += ringRecordsIn(r);
  idle = total === published ? idle + 1 : 0;
  published = total;
  if (idle >= CLOCK_IDLE_TICKS && Atomics.load(ctx, X_CLOSING) === 0) {
    Atomics.store(ctx, X_CLOCK, CLOCK_ASLEEP);
    Atomics.wait(ctx, X_CLOCK, CLOCK_ASLEEP); // a producer or close() wakes us
    idle = 0;
  }
}
port.close();
