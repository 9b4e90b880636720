/**
 * A writer's first fold (docs/jobs.md "Aggregates"): per rank and aggregated identifier, the
 * values of the step being logged. A rank's step of an identifier is complete when the same rank
 * logs that identifier at another step (steps go forward per rank), or at close: then its partial
 * goes out (to the step window on rank 0, over the rendezvous from another process).
 */
import { addValue, type StepPartial } from './partial.js';

/** One rank's partial of one identifier at one step. */
export interface RankPartial {
  rank: number;
  identifier: string;
  step: number;
  /** The latest log() time among the values, ms since the epoch. */
  timeMs: number;
  p: StepPartial;
}

interface Open {
  step: number;
  timeMs: number;
  p: StepPartial;
}

export class RankFold {
  private readonly ranks = new Map<number, Map<string, Open>>();
  private lastRank = -1;
  private last: Map<string, Open> | undefined;

  constructor(private readonly out: (partial: RankPartial) => void) {}

  add(rank: number, identifier: string, step: number, value: number, timeMs: number): void {
    let ids = rank === this.lastRank ? this.last! : this.ranks.get(rank);
    if (ids === undefined) {
      ids = new Map();
      this.ranks.set(rank, ids);
    }
    this.lastRank = rank;
    this.last = ids;
    let o = ids.get(identifier);
    if (o !== undefined && o.step !== step) {
      this.out({ rank, identifier, step: o.step, timeMs: o.timeMs, p: o.p });
      o = undefined;
    }
    if (o === undefined) {
      o = { step, timeMs, p: { count: 0, sum: 0, m2: 0, min: 0, max: 0 } };
      ids.set(identifier, o);
    }
    addValue(o.p, value);
    if (timeMs > o.timeMs) o.timeMs = timeMs;
  }

  /** Every open step out (close). */
  drain(): void {
    for (const [rank, ids] of this.ranks) for (const [identifier, o] of ids) this.out({ rank, identifier, step: o.step, timeMs: o.timeMs, p: o.p });
    this.ranks.clear();
    this.lastRank = -1;
    this.last = undefined;
  }
}
