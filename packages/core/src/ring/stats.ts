import { CTRL_BYTES, F_DROPPED, F_DROPPED_BY, F_RECORDS_IN } from './layout.js';

/** Counters a ring's producer publishes, readable from any thread. */
export function ringDropped(sab: SharedArrayBuffer, backend?: number): number {
  const f = new Float64Array(sab, 0, CTRL_BYTES / 8);
  return backend === undefined ? f[F_DROPPED]! : f[F_DROPPED_BY + backend]!;
}

export function ringRecordsIn(sab: SharedArrayBuffer): number {
  return new Float64Array(sab, 0, CTRL_BYTES / 8)[F_RECORDS_IN]!;
}
