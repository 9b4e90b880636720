import type { StepCounter } from './step-counter.js';

/**
 * A pre-resolved metric identifier for the allocation-free fast path:
 * the interned id and the backends it goes to are looked up once.
 * Valid only on the logger (and thread) that made it.
 */
export class MetricHandle {
  /** @internal */
  constructor(
    readonly identifier: string,
    /** @internal interned id in this thread's ring */
    readonly id: number,
    /** @internal backends that take this metric from this rank (before logFreq) */
    readonly mask: number,
    /** @internal the dispatcher that made it */
    readonly owner: object,
    /** @internal the identifier's automatic step, shared with log() on this thread */
    readonly steps: StepCounter,
  ) {}
}
