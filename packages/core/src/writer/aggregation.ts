/**
 * A writer thread's part in cross-rank aggregates (docs/jobs.md "Aggregates"). Every record the
 * writer drains passes observe(); aggregated metrics are folded per rank and step (RankFold).
 * Then by role:
 *   local   worker_thread ranks of one process: this writer sees every rank; it merges (StepWindow)
 *           and hands finished steps to its sink;
 *   host    rank 0 of a job: as local, plus the partials of other processes, which the job thread
 *           receives over the rendezvous and forwards on `port`;
 *   member  another rank of a job: its partials go on `port` to its job thread, which sends them
 *           to rank 0.
 * The training thread does nothing more: aggregation costs it no call.
 */
import type { MessagePort } from 'node:worker_threads';
import type { AggregateOption } from '../vocab/aggregate-option.js';
import { statsFor } from '../vocab/aggregate-option.js';
import { type AggregateStat, aggregateKey, statOf } from '../aggregate/partial.js';
import { RankFold, type RankPartial } from '../aggregate/rank-fold.js';
import { type StepAggregate, StepWindow } from '../aggregate/step-window.js';
import type { JobAggregate, LogRecord, Sink } from '../sink/index.js';

export type AggregateRole = 'local' | 'host' | 'member';

/** What the coordinator tells a writer about aggregation (WriterInit.aggregate). */
export interface AggregateInit {
  option: AggregateOption;
  role: AggregateRole;
  window: number;
  timeoutMs: number;
  /** Ranks that log to this backend; undefined: the ranks whose rings this writer has (worker_thread ranks, no worldSize). */
  expected: number[] | undefined;
  /** host: partials from the job thread; member: partials to it. */
  port: MessagePort | undefined;
}

/** A partial on a MessagePort and on the wire: [rank, identifier, step, timeMs, count, sum, m2, min, max]. */
export type PartTuple = [number, string, number, number, number, number, number, number, number];

/** What goes between a writer and the job thread on the aggregate port. */
export interface PartsMessage {
  parts: PartTuple[];
  /** No more partials: the member's writer closed (to the job thread), or the job ended (to rank 0's writer). */
  final?: boolean;
}

/** How long a host's close waits for the job thread's last partials, ms (they were sent before the job's end; this bounds a dead thread). */
const FINAL_WAIT_MS = 10_000;

export function tupleOf(r: RankPartial): PartTuple {
  return [r.rank, r.identifier, r.step, r.timeMs, r.p.count, r.p.sum, r.p.m2, r.p.min, r.p.max];
}

export function partialOfTuple(t: PartTuple): RankPartial {
  return { rank: t[0], identifier: t[1], step: t[2], timeMs: t[3], p: { count: t[4], sum: t[5], m2: t[6], min: t[7], max: t[8] } };
}

export class WriterAggregation {
  private readonly fold: RankFold;
  private readonly window: StepWindow | undefined;
  private readonly ready: StepAggregate[] = [];
  private outbox: PartTuple[] = [];
  /** identifier → its statistics, or null when not aggregated (looked up once per identifier). */
  private readonly which = new Map<string, readonly AggregateStat[] | null>();
  private lastId: string | undefined;
  private lastStats: readonly AggregateStat[] | null = null;
  private final: Promise<void> | undefined;
  private unsupportedWarned = false;
  counts = { aggregateRows: 0, aggregatePartials: 0, aggregateUnsupported: 0 };

  constructor(
    private readonly init: AggregateInit,
    ringRanks: () => readonly number[],
    /** Wake the drain loop: partials arrived from the job thread. */
    wake: () => void,
    private readonly warn: (message: string) => void,
  ) {
    const { role, port } = init;
    if (role === 'member') {
      this.fold = new RankFold((p) => this.outbox.push(tupleOf(p)));
      return;
    }
    const expected = init.expected;
    let dropWarned = false;
    const w = new StepWindow(
      expected ? () => expected : ringRanks,
      init.window,
      init.timeoutMs,
      (a) => this.ready.push(a),
      Date.now,
      () => {
        if (dropWarned) return;
        dropWarned = true;
        this.warn(
          `aggregates: more than ${init.window} steps wait for a slow rank at once (aggregateWindow); the oldest are dropped without being written, counted in stats().aggregateDropped. Raise aggregateWindow to cover how far ranks drift apart.`,
        );
      },
    );
    this.window = w;
    this.fold = new RankFold((p) => w.add(p));
    if (role === 'host' && port) {
      let ended!: () => void;
      this.final = new Promise((resolve) => (ended = resolve));
      port.on('message', (m: PartsMessage) => {
        for (const t of m.parts) w.add(partialOfTuple(t));
        if (m.final) ended();
        wake();
      });
      port.unref();
    }
  }

  /** Every drained record (the writer's hot path: one map lookup for a metric). */
  observe(r: LogRecord): void {
    if (r.kind !== 'metric' || r.step === undefined) return;
    let stats: readonly AggregateStat[] | null;
    if (r.identifier === this.lastId) stats = this.lastStats;
    else {
      stats = this.which.get(r.identifier) ?? null;
      if (!this.which.has(r.identifier)) {
        stats = statsFor(this.init.option, r.identifier) ?? null;
        this.which.set(r.identifier, stats);
      }
      this.lastId = r.identifier;
      this.lastStats = stats;
    }
    if (stats !== null) this.fold.add(r.rank, r.identifier, r.step, r.value, r.timeMs);
  }

  /** Between batches: hand finished steps to the sink (host, local) or partials to the job thread (member). Returns the rows written. */
  async pump(sink: Sink): Promise<number> {
    if (this.init.role === 'member') {
      this.post(false);
      return 0;
    }
    this.window!.expire();
    return this.write(sink);
  }

  /** At close, before the sink closes: every open step out. `wait`: a host waits for the job thread's last partials (not on an exit path). */
  async finish(sink: Sink | undefined, wait: boolean): Promise<void> {
    this.fold.drain();
    if (this.init.role === 'member') return this.post(true);
    if (this.final && wait) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([this.final.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), FINAL_WAIT_MS)))]);
      clearTimeout(timer);
      if (timedOut)
        this.warn(
          `aggregates: the job thread did not hand over the other ranks' last partials within ${FINAL_WAIT_MS / 1000} s; their last steps are written with the ranks that came`,
        );
    }
    this.window!.drain();
    if (sink) await this.write(sink);
  }

  private post(final: boolean): void {
    const port = this.init.port;
    if (!port || (this.outbox.length === 0 && !final)) return;
    this.counts.aggregatePartials += this.outbox.length;
    port.postMessage({ parts: this.outbox, ...(final && { final }) } satisfies PartsMessage);
    this.outbox = [];
  }

  private async write(sink: Sink): Promise<number> {
    let n = 0;
    while (this.ready.length > 0) {
      const batch = this.ready.splice(0);
      for (const a of batch) {
        if (!sink.writeAggregate) {
          this.counts.aggregateUnsupported++;
          if (!this.unsupportedWarned) {
            this.unsupportedWarned = true;
            this.warn('this backend does not store cross-rank aggregates (the aggregate option): they are counted in stats().aggregateUnsupported');
          }
          continue;
        }
        const stats = this.which.get(a.identifier) ?? statsFor(this.init.option, a.identifier) ?? [];
        const row: JobAggregate = {
          identifier: a.identifier,
          step: a.step,
          timeMs: a.timeMs,
          ranks: a.ranks,
          expectedRanks: a.expectedRanks,
          count: a.p.count,
          values: stats.map((stat) => ({ stat, key: aggregateKey(a.identifier, stat), value: statOf(a.p, stat) })),
        };
        const p = sink.writeAggregate(row);
        if (p !== undefined) await p; // most sinks write synchronously: no microtask per row
        this.counts.aggregateRows++;
        n++;
      }
    }
    return n;
  }

  stats(): Record<string, number> {
    return { ...this.counts, ...(this.window ? { ...this.window.counts, aggregateOpen: this.window.pending } : {}) };
  }
}
