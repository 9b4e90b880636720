/**
 * A backend as the producer side sees it: which ranks it logs on, how often,
 * which kinds it takes. Structured-cloneable, so a training worker_thread
 * rebuilds the same rules from its handle.
 */
import { KIND_CODE, KINDS, type Kind } from '../vocab/kinds.js';
import { normalizeLogOnWorkers, type LogOnWorkers } from '../vocab/options.js';

export interface BackendRoute {
  /** Bit index in record masks. */
  index: number;
  /** Logger class name, for messages. */
  name: string;
  kinds: Kind[];
  /** Normalised logFreq: -1 epoch, 0 batch, N > 0 every N batches. */
  freq: number;
  logOnWorkers: LogOnWorkers | undefined;
  /** Rules of the backend's service, checked where log() is called so bad input fails at once. */
  limits?: BackendLimits;
}

/** Rules of a backend's service that log() checks at the call: the key pattern and the longest param value. */
export interface BackendLimits {
  /** Identifiers must match this (regex source), e.g. MLflow's ^[/\w.\- :]*$. */
  keyPattern?: string;
  /** What keyPattern allows, in words, for the error message. */
  keyRule?: string;
  /** Longest param value (as a string). */
  maxParamLength?: number;
}

/** Per-kind masks of the backends that take records of `rank`. */
export function kindMasks(routes: readonly BackendRoute[], rank: number): Int32Array {
  const masks = new Int32Array(KINDS.length + 1);
  for (const r of routes) {
    if (!normalizeLogOnWorkers(r.logOnWorkers, r.name)(rank)) continue;
    for (const k of r.kinds) masks[KIND_CODE[k]]! |= 1 << r.index;
  }
  return masks;
}

/** Backends that take any record of `rank`. */
export function rankMask(routes: readonly BackendRoute[], rank: number): number {
  let m = 0;
  for (const r of routes) if (normalizeLogOnWorkers(r.logOnWorkers, r.name)(rank)) m |= 1 << r.index;
  return m;
}
