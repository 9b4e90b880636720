/**
 * A test sink that checks per-producer sequence numbers.
 *
 * Producers log metrics with identifier `seq` (configurable), value = their own
 * sequence number 0, 1, 2, … and (optionally) step = the same number. Records
 * are keyed by rank (= producer id). For every rank the sink keeps the next
 * expected value and counts:
 *   received     every `seq` record taken
 *   outOfOrder   a value below the expected one that fills an earlier gap (arrived late)
 *   duplicates   a value below the expected one that had already been received
 *   gaps         values skipped over (sum of v - expected whenever v > expected)
 *   stepMismatch records whose step is present and differs from the value
 *   foreign      records with another identifier or kind, or a non-integer value
 * plus next_r<rank> (= length of the gap-free prefix when there were no gaps) and
 * received_r<rank>. Everything is exposed through stats(), so it appears in
 * destroyLoggerContext() results under backends[i].
 *
 * Runs inside a ranklog writer thread; it must stay cheap (millions of records).
 */
import type { LogRecord, Sink, SinkFactory } from '@ranklog/core/sink';

export interface SequenceSinkOptions {
  identifier?: string;
  /**
   * A gate for deterministic back-pressure: while Int32Array(gate)[0] is 0, commit() blocks this
   * writer thread (Atomics.wait), so the writer releases no ring space. Store 1 and notify to open it.
   */
  gate?: SharedArrayBuffer;
}

class SequenceSink implements Sink {
  private readonly identifier: string;
  private readonly gate: Int32Array | undefined;
  /** Indexed by rank. */
  private readonly next: number[] = [];
  private readonly got: number[] = [];
  /** Per rank: values skipped over and not (yet) received. Almost always empty. */
  private readonly missing = new Map<number, Set<number>>();
  private received = 0;
  private outOfOrder = 0;
  private duplicates = 0;
  private gaps = 0;
  private stepMismatch = 0;
  private foreign = 0;
  private commits = 0;
  private closed = 0;

  constructor(options: SequenceSinkOptions | undefined) {
    this.identifier = options?.identifier ?? 'seq';
    this.gate = options?.gate ? new Int32Array(options.gate) : undefined;
  }

  write(r: LogRecord): void {
    if (r.kind !== 'metric' || r.identifier !== this.identifier) {
      this.foreign++;
      return;
    }
    const v = r.value;
    const rank = r.rank;
    if (!Number.isSafeInteger(v) || v < 0) {
      this.foreign++;
      return;
    }
    this.received++;
    while (this.next.length <= rank) {
      this.next.push(0);
      this.got.push(0);
    }
    this.got[rank]!++;
    const step = r.step;
    if (step !== undefined && step !== v) this.stepMismatch++;
    const e = this.next[rank]!;
    if (v === e) {
      this.next[rank] = e + 1;
      return;
    }
    if (v > e) {
      this.gaps += v - e;
      let m = this.missing.get(rank);
      if (m === undefined) this.missing.set(rank, (m = new Set()));
      // Bounded: a test that loses a lot fails anyway; keep at most 1M holes per rank.
      for (let x = e; x < v && m.size < 1_000_000; x++) m.add(x);
      this.next[rank] = v + 1;
      return;
    }
    const m = this.missing.get(rank);
    if (m?.delete(v)) this.outOfOrder++;
    else this.duplicates++;
  }

  commit(): void {
    const g = this.gate;
    if (g !== undefined) while (Atomics.load(g, 0) === 0) Atomics.wait(g, 0, 0, 1000);
    this.commits++;
  }

  close(): void {
    this.closed++;
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = {
      received: this.received,
      outOfOrder: this.outOfOrder,
      duplicates: this.duplicates,
      gaps: this.gaps,
      stepMismatch: this.stepMismatch,
      foreign: this.foreign,
      commits: this.commits,
      closed: this.closed,
    };
    for (let r = 0; r < this.next.length; r++) {
      if (this.got[r] === 0) continue;
      s[`next_r${r}`] = this.next[r]!;
      s[`received_r${r}`] = this.got[r]!;
    }
    return s;
  }
}

const createSequenceSink: SinkFactory<SequenceSinkOptions | undefined> = (options) => new SequenceSink(options);
export default createSequenceSink;
