/**
 * Rank 0's merge of rank partials (docs/jobs.md "Aggregates"): a bounded window of open steps
 * (identifier, step). A step is written once no expected rank can still add to it:
 *   - every expected rank's partial arrived (complete), or
 *   - each missing rank has sent a later step of the identifier (it skipped this one: a rank's
 *     partials come in its logging order), or has been silent for the identifier `timeoutMs` (a
 *     stalled or dead rank; a slow rank that keeps logging is waited for), or
 *   - at close.
 * Then `ranks` < `expectedRanks` when some rank's value is missing. When more steps are open
 * than the window holds, the oldest is dropped and counted; a partial for a step already written
 * or dropped is counted as late. Every decision depends on what arrived and on `now()` only for
 * silence, so tests inject the clock.
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
  /** Ranks expected (fewer came when a rank skipped the step, went silent, or ended without it). */
  expectedRanks: number;
  p: StepPartial;
}

/** What the window did, for stats(). */
export interface WindowCounts {
  /** Steps written with every expected rank. */
  aggregateSteps: number;
  /** Steps written with fewer ranks (skipped, silent rank, or close). */
  aggregateIncomplete: number;
  /** Open steps dropped because the window was full. */
  aggregateDropped: number;
  /** Partials that came after their step was written or dropped. */
  aggregateLate: number;
}

interface OpenStep {
  id: IdState;
  agg: StepAggregate;
  /** Ranks whose partial arrived (a handful: an array beats a Set in memory and time). */
  seen: number[];
  closed: boolean;
}

/** Per identifier: its open steps in arrival order, and how far each rank got. */
interface IdState {
  name: string;
  byStep: Map<number, OpenStep>;
  order: OpenStep[];
  head: number;
  /** rank → the highest step it sent. */
  passed: Map<number, number>;
  /** rank → now() at its last partial of this identifier (a rank never heard counts from the identifier's first partial). */
  heard: Map<number, number>;
  firstMs: number;
  /** Steps written or dropped lately, to tell a late partial from a new step. */
  done: Set<number>;
}

export class StepWindow {
  private readonly ids = new Map<string, IdState>();
  /** Every open step, oldest first from `head` (closed ones are skipped): the window's eviction order. */
  private order: OpenStep[] = [];
  private head = 0;
  private openCount = 0;
  /** (identifier, step) written or dropped, oldest first from doneHead: bounds the ids' done sets. */
  private doneOrder: [IdState, number][] = [];
  private doneHead = 0;
  readonly counts: WindowCounts = { aggregateSteps: 0, aggregateIncomplete: 0, aggregateDropped: 0, aggregateLate: 0 };

  constructor(
    /** The ranks a complete step has (those logging to this backend). */
    private readonly expected: () => readonly number[],
    private readonly size: number,
    private readonly timeoutMs: number,
    private readonly out: (a: StepAggregate) => void,
    private readonly now: () => number = Date.now,
    /** Called at each drop (the caller warns once). */
    private readonly dropped: () => void = () => {},
  ) {}

  add(r: RankPartial): void {
    const id = this.idState(r.identifier);
    const t = this.now();
    id.heard.set(r.rank, t);
    const prev = id.passed.get(r.rank);
    if (prev === undefined || r.step > prev) id.passed.set(r.rank, r.step);
    let o = id.byStep.get(r.step);
    if (o === undefined) {
      if (id.done.has(r.step)) {
        this.counts.aggregateLate++;
        this.settle(id, t);
        return;
      }
      if (this.openCount >= this.size) this.dropOldest();
      o = {
        id,
        agg: { identifier: r.identifier, step: r.step, timeMs: r.timeMs, ranks: 0, expectedRanks: 0, p: { count: 0, sum: 0, m2: 0, min: 0, max: 0 } },
        seen: [],
        closed: false,
      };
      id.byStep.set(r.step, o);
      id.order.push(o);
      this.order.push(o);
      this.openCount++;
    }
    mergeInto(o.agg.p, r.p);
    if (!o.seen.includes(r.rank)) o.seen.push(r.rank);
    if (r.timeMs > o.agg.timeMs) o.agg.timeMs = r.timeMs;
    if (this.settled(o, t)) this.emit(o);
    // This rank moving on may settle older steps it skipped.
    this.settle(id, t);
  }

  /** Write the steps whose missing ranks went silent (called between writer batches). */
  expire(): void {
    const t = this.now();
    for (const id of this.ids.values()) this.settle(id, t);
  }

  /** Write every open step with the ranks it has (close). */
  drain(): void {
    // emit() may compact this.order: walk the array as it was.
    const q = this.order;
    for (let i = this.head; i < q.length; i++) {
      const o = q[i]!;
      if (!o.closed) this.emit(o);
    }
    this.order = [];
    this.head = 0;
  }

  get pending(): number {
    return this.openCount;
  }

  private idState(name: string): IdState {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = { name, byStep: new Map(), order: [], head: 0, passed: new Map(), heard: new Map(), firstMs: this.now(), done: new Set() };
      this.ids.set(name, id);
    }
    return id;
  }

  /** Whether no expected rank can still add to o. */
  private settled(o: OpenStep, t: number): boolean {
    const id = o.id;
    const step = o.agg.step;
    for (const r of this.expected()) {
      if (o.seen.includes(r)) continue;
      const p = id.passed.get(r);
      if (p !== undefined && p > step) continue;
      if ((id.heard.get(r) ?? id.firstMs) <= t - this.timeoutMs) continue;
      return false;
    }
    return true;
  }

  /** Write the identifier's open steps from the oldest while they are settled (steps settle mostly in order). */
  private settle(id: IdState, t: number): void {
    const q = id.order;
    let i = id.head;
    for (; i < q.length; i++) {
      const o = q[i]!;
      if (o.closed) continue;
      if (!this.settled(o, t)) break;
      this.emit(o);
    }
    id.head = i;
    if (id.head > 1024 && id.head * 2 > q.length) {
      id.order = q.slice(id.head);
      id.head = 0;
    }
  }

  private dropOldest(): void {
    while (this.head < this.order.length && this.order[this.head]!.closed) this.head++;
    const o = this.order[this.head];
    if (o === undefined) return;
    this.close(o);
    this.counts.aggregateDropped++;
    this.dropped();
  }

  private emit(o: OpenStep): void {
    this.close(o);
    const expected = this.expected();
    o.agg.ranks = o.seen.length;
    o.agg.expectedRanks = expected.length;
    if (expected.every((r) => o.seen.includes(r))) this.counts.aggregateSteps++;
    else this.counts.aggregateIncomplete++;
    this.out(o.agg);
  }

  private close(o: OpenStep): void {
    o.closed = true;
    this.openCount--;
    const id = o.id;
    id.byStep.delete(o.agg.step);
    id.done.add(o.agg.step);
    this.doneOrder.push([id, o.agg.step]);
    // Remember 4 windows' worth (at least 4096) of finished steps; older late partials would open a step again.
    if (this.doneOrder.length - this.doneHead > Math.max(4 * this.size, 4096)) {
      const [oldId, oldStep] = this.doneOrder[this.doneHead++]!;
      oldId.done.delete(oldStep);
      if (this.doneHead >= 4096 && this.doneHead * 2 >= this.doneOrder.length) {
        this.doneOrder = this.doneOrder.slice(this.doneHead);
        this.doneHead = 0;
      }
    }
    // The eviction order keeps closed steps until they reach its head; compact when they dominate.
    while (this.head < this.order.length && this.order[this.head]!.closed) this.head++;
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
