/**
 * The coarse shared clock: a tiny thread that stores "ms since base" into the
 * context block every millisecond, so producers stamp records with one
 * Atomics.load instead of a 45 ns clock read per record.
 */
import { workerData } from 'node:worker_threads';
import { X_CLOCK, X_CLOSING, XF_BASE } from '../ring/layout.js';

const sab = workerData as SharedArrayBuffer;
const ctx = new Int32Array(sab);
const base = new Float64Array(sab)[XF_BASE]!;
while (Atomics.load(ctx, X_CLOSING) === 0) {
  Atomics.store(ctx, X_CLOCK, Date.now() - base);
  Atomics.wait(ctx, X_CLOSING, 0, 1);
}
