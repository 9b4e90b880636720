/**
 * A run's histograms.jsonl (`{timestamp, time_ms, rank, identifier, step, batch_idx, count, min,
 * max, mean, values}` per line), read from the last offset, and binned for a
 * distribution-over-steps view. Values are kept as Float32 (a chart's precision); malformed lines
 * are skipped and counted.
 */
import * as path from 'node:path';
import { FileTail } from '../tail/file-tail.js';

export interface HistogramRow {
  step: number | null;
  batchIdx: number | null;
  values: Float32Array;
}

export interface BinnedHistograms {
  identifier: string;
  rank: number;
  /** bins + 1 edges, equal bins over the finite min…max of every row. */
  edges: number[];
  rows: { step: number | null; batchIdx: number | null; count: number; counts: number[] }[];
}

const toNumber = (v: unknown): number =>
  typeof v === 'number' ? v : v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number.NaN;
const intOrNull = (v: unknown): number | null | undefined => (v === null || v === undefined ? null : Number.isSafeInteger(v) ? (v as number) : undefined);

export class RunHistograms {
  /** identifier → rank → rows in file order. */
  readonly byIdentifier = new Map<string, Map<number, HistogramRow[]>>();
  rows = 0;
  skipped = 0;
  private readonly tail: FileTail;

  constructor(runDir: string) {
    this.tail = new FileTail(path.join(runDir, 'histograms.jsonl'));
  }

  get behind(): boolean {
    return this.tail.behind;
  }

  update(): Promise<number> {
    return this.tail.read(
      (buf, start, end) => this.line(buf.toString('utf8', start, end)),
      () => {
        this.byIdentifier.clear();
        this.rows = 0;
        this.skipped = 0;
      },
    );
  }

  private line(text: string): void {
    this.rows++;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.skipped++;
      return;
    }
    const { identifier, rank, values } = o;
    const step = intOrNull(o.step);
    const batchIdx = intOrNull(o.batch_idx);
    if (
      typeof identifier !== 'string' ||
      identifier === '' ||
      !Number.isSafeInteger(rank) ||
      (rank as number) < 0 ||
      !Array.isArray(values) ||
      step === undefined ||
      batchIdx === undefined
    ) {
      this.skipped++;
      return;
    }
    let ranks = this.byIdentifier.get(identifier);
    if (!ranks) {
      ranks = new Map();
      this.byIdentifier.set(identifier, ranks);
    }
    let rows = ranks.get(rank as number);
    if (!rows) {
      rows = [];
      ranks.set(rank as number, rows);
    }
    rows.push({ step, batchIdx, values: Float32Array.from(values, toNumber) });
  }

  /** One rank's rows binned into `bins` equal bins over the finite range of all of them. */
  binned(identifier: string, rank: number, bins: number): BinnedHistograms | undefined {
    const rows = this.byIdentifier.get(identifier)?.get(rank);
    if (!rows) return undefined;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const r of rows)
      for (const v of r.values)
        if (v - v === 0) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
    if (lo > hi) {
      lo = 0;
      hi = 1;
    } else if (lo === hi) {
      lo -= 0.5;
      hi += 0.5;
    }
    const widthOf = (hi - lo) / bins;
    const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * widthOf));
    return {
      identifier,
      rank,
      edges,
      rows: rows.map((r) => {
        const counts = new Array<number>(bins).fill(0);
        let count = 0;
        for (const v of r.values) {
          if (v - v !== 0) continue;
          count++;
          const b = Math.min(bins - 1, Math.floor((v - lo) / widthOf));
          counts[b]!++;
        }
        return { step: r.step, batchIdx: r.batchIdx, count, counts };
      }),
    };
  }
}
