/**
 * The time a producing thread stamps on its records, in ms since the context's clock base.
 * While records flow fast, the clock thread keeps a shared millisecond word and a record costs
 * one plain load; while they are few, the thread reads Date.now() itself (~70 ns, exact), which
 * is cheaper than a thread waking every ms (40–70 µs of CPU per wake-up on a VM).
 * docs/architecture.md, "Timestamps", gives the thresholds.
 */
import { CLOCK_ASLEEP, SHARED, SHARED_F64 } from '../ring/layout.js';

/**
 * Records within one millisecond, read from the system clock, after which the producer asks the
 * clock thread to tick: from 128 on, Date.now() would take over 1 % of the logging thread.
 */
export const TICK_AFTER_SAME_MS = 128;

export class RecordClock {
  private readonly base: number;
  /** The last time read from the system clock, and how many more records read the same ms. */
  private lastDirectMs = -1;
  private sameMs = 0;

  constructor(private readonly shared: Int32Array) {
    this.base = new Float64Array(shared.buffer)[SHARED_F64.CLOCK_BASE_MS]!;
  }

  /**
   * One plain read of the shared word while the clock thread ticks — not Atomics.load: in Node 20
   * that is a builtin call (~8 ns, a third of the fast path), and a clock needs no ordering; an
   * aligned 32-bit word is never torn, and optimized code re-reads it on every call.
   */
  now(): number {
    const t = this.shared[SHARED.CLOCK_MS]!;
    return t !== CLOCK_ASLEEP ? t : this.readSystemClock();
  }

  private readSystemClock(): number {
    const t = Date.now() - this.base;
    if (t !== this.lastDirectMs) {
      this.lastDirectMs = t;
      this.sameMs = 0;
    } else if (++this.sameMs >= TICK_AFTER_SAME_MS) {
      this.sameMs = 0;
      if (Atomics.compareExchange(this.shared, SHARED.CLOCK_MS, CLOCK_ASLEEP, t) === CLOCK_ASLEEP) Atomics.notify(this.shared, SHARED.CLOCK_MS, 1);
    }
    return t;
  }
}
