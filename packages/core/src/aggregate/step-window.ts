/**
 * Rank 0's merge of rank partials (docs/jobs.md "Aggregates"): a bounded window of open steps
 * (identifier, step). A step is written when every expected rank's partial arrived, or when it
 * waited `timeoutMs` (then with the ranks it has: `ranks` < `expectedRanks`), or at close. When
 * more steps are open than the window holds, the oldest is dropped and counted; a partial for a
 * step already written or dropped is counted as late.
 */
import { mergeInto, type StepPartial } from './partial.js';
import type { RankPartial } from './rank-fold.js';

/** One job-level aggregate: one identifier at one step, over the ranks that sent a value. */
export interface StepAggregate {
  identifier: string;
  step: number;
  /** The latest log() time of its values, ms since the epoch. */
  timeMs: number;
  /** Ranks whose values it holds. */
  ranks: number;
  /** Ranks expected (fewer came when the step timed out, or a rank ended without it). */
  expectedRanks: number;
  p: StepPartial;
}

/** What the window did, for stats(). */
export interface WindowCounts {
  /** Steps written with every expected rank. */
  aggregateSteps: number;
  /** Steps written with fewer ranks (timeout or close). */
  aggregateIncomplete: number;
  /** Open steps dropped because the window was full. */
  aggregateDropped: number;
  /** Partials that came after their step was written or dropped. */
  aggregateLate: number;
}

interface OpenStep {
  agg: StepAggregate;
  seen: Set<number>;
  openedMs: number;
}

export class StepWindow {
  private readonly open = new Map<string, OpenStep>();
  /** Keys of steps written or dropped lately (4 windows' worth, at least 4096), to tell a late partial from a new step. */
  private readonly done = new Set<string>();
  /** done's keys oldest first, from doneHead: taking a Set's first key scans the holes its deletions left (slow), an index does not. */
  private doneOrder: string[] = [];
  private doneHead = 0;
  readonly counts: WindowCounts = { aggregateSteps: 0, aggregateIncomplete: 0, aggregateDropped: 0, aggregateLate: 0 };

  constructor(
    /** The ranks a complete step has (those logging to this backend). */
    private readonly expected: () => readonly number[],
    private readonly size: number,
    private readonly timeoutMs: number,
    private readonly out: (a: StepAggregate) => void,
    private readonly now: () => number = Date.now,
  ) {}

  add(r: RankPartial): void {
    const key = `${r.step}\0${r.identifier}`;
    let o = this.open.get(key);
    if (o === undefined) {
      if (this.done.has(key)) {
        this.counts.aggregateLate++;
        return;
      }
      if (this.open.size >= this.size) {
        // The oldest open step (insertion order) makes room: memory stays bounded whatever the ranks do.
        const [oldKey] = this.open.keys();
        this.open.delete(oldKey!);
        this.remember(oldKey!);
        this.counts.aggregateDropped++;
      }
      o = {
        agg: { identifier: r.identifier, step: r.step, timeMs: r.timeMs, ranks: 0, expectedRanks: 0, p: { count: 0, sum: 0, m2: 0, min: 0, max: 0 } },
        seen: new Set(),
        openedMs: this.now(),
      };
      this.open.set(key, o);
    }
    mergeInto(o.agg.p, r.p);
    o.seen.add(r.rank);
    if (r.timeMs > o.agg.timeMs) o.agg.timeMs = r.timeMs;
    const expected = this.expected();
    if (o.seen.size >= expected.length && expected.every((x) => o.seen.has(x))) this.emit(key, o, true);
  }

  /** Write the steps that waited their timeout (the oldest first). */
  expire(): void {
    const limit = this.now() - this.timeoutMs;
    for (const [key, o] of this.open) {
      if (o.openedMs > limit) break;
      this.emit(key, o, false);
    }
  }

  /** Write every open step with the ranks it has (close). */
  drain(): void {
    for (const [key, o] of this.open) this.emit(key, o, false);
  }

  get pending(): number {
    return this.open.size;
  }

  private emit(key: string, o: OpenStep, complete: boolean): void {
    this.open.delete(key);
    this.remember(key);
    o.agg.ranks = o.seen.size;
    o.agg.expectedRanks = this.expected().length;
    if (complete) this.counts.aggregateSteps++;
    else this.counts.aggregateIncomplete++;
    this.out(o.agg);
  }

  private remember(key: string): void {
    this.done.add(key);
    this.doneOrder.push(key);
    if (this.done.size > Math.max(4 * this.size, 4096)) {
      this.done.delete(this.doneOrder[this.doneHead++]!);
      if (this.doneHead >= 4096 && this.doneHead * 2 >= this.doneOrder.length) {
        this.doneOrder = this.doneOrder.slice(this.doneHead);
        this.doneHead = 0;
      }
    }
  }
}
