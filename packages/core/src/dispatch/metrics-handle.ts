import type { MetricHandle } from './metric-handle.js';

/**
 * A pre-resolved, fixed set of metric identifiers for logMetrics(handle, values, …): one
 * check of the step and batchIdx and one logFreq decision per call, then one scalar record per
 * key, with no allocation. Valid only on the logger (and thread) that made it.
 */
export class MetricsHandle {
  /** The identifiers, in the order logMetrics() expects their values. */
  readonly identifiers: readonly string[];
  /** @internal one handle per identifier, in order */
  readonly handles: readonly MetricHandle[];
  /** @internal the backends any of them go to (before logFreq) */
  readonly mask: number;
  /** @internal the dispatcher that made it */
  readonly owner: object;

  /** @internal */
  constructor(handles: readonly MetricHandle[], owner: object) {
    this.handles = handles;
    this.identifiers = handles.map((h) => h.identifier);
    let mask = 0;
    for (const h of handles) mask |= h.mask;
    this.mask = mask;
    this.owner = owner;
  }

  /** How many values logMetrics() takes with this handle. */
  get size(): number {
    return this.handles.length;
  }
}
