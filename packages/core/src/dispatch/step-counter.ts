/**
 * Automatic steps (README "Steps"): a call without a step gets the next step of its identifier
 * on this thread (rank), 0, 1, 2, … It is decided here, before logFreq, so every backend writes
 * the same step for the same call, whatever it keeps.
 */

/** The next automatic step of one identifier; shared by its handles and log(), so both count on one scale. */
export interface StepCounter {
  next: number;
}

/** Identifier → its counter, one table per dispatcher (per producing thread). */
export class StepCounters {
  private readonly counters = new Map<string, StepCounter>();

  counter(identifier: string): StepCounter {
    let c = this.counters.get(identifier);
    if (c === undefined) {
      c = { next: 0 };
      this.counters.set(identifier, c);
    }
    return c;
  }

  /** The step of a call without one, and advances the identifier's count. */
  take(identifier: string): number {
    return this.counter(identifier).next++;
  }
}
