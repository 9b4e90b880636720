/**
 * What every backend's Logger half computes the same way (docs/backend-guide.md): whether ranks
 * must be kept apart, and how often its idle writer must look for records to keep a flush promise.
 */
import type { LogOnWorkers } from '../vocab/options.js';

/** Whether more than one rank may log to a backend with this logOnWorkers (-1, or a list of several ranks). */
export function isMultiRank(logOnWorkers: LogOnWorkers): boolean {
  return logOnWorkers === -1 || (Array.isArray(logOnWorkers) && new Set(logOnWorkers).size > 1);
}

/**
 * The idle poll interval (ms) of a backend that promises records reach its store within
 * flushSecs: the writer looks twice per flushSecs, at most once a second.
 */
export function pollMsFor(flushSecs: number): number {
  return Math.min(1000, Math.max(1, Math.round((flushSecs * 1000) / 2)));
}
