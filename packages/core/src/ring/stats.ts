import { CTRL_BYTES, RING_F64 } from './layout.js';

/** Counters a ring's producer publishes, readable from any thread. */
export function ringDropped(sab: SharedArrayBuffer, reader?: number): number {
  const f = new Float64Array(sab, 0, CTRL_BYTES / 8);
  return reader === undefined ? f[RING_F64.DROPPED]! : f[RING_F64.DROPPED_FOR + reader]!;
}

export function ringRecordsIn(sab: SharedArrayBuffer): number {
  return new Float64Array(sab, 0, CTRL_BYTES / 8)[RING_F64.RECORDS_IN]!;
}
