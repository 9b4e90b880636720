/**
 * A run's aggregates.csv (`timestamp,identifier,step,stat,value,ranks,expected_ranks,count`: the
 * cross-rank statistics of a job, docs/jobs.md "Aggregates") as columns per identifier and
 * statistic, read from the last offset. Malformed rows are skipped and counted.
 */
import * as path from 'node:path';
import { FileTail } from '../tail/file-tail.js';
import { Columns } from './columns.js';
import { parseInt10, parseNumber, splitCsvRecord, TimestampParser } from './parse-fields.js';

export class RunAggregates {
  /** identifier → statistic → points (x: step and time; batch is NaN). */
  readonly byIdentifier = new Map<string, Map<string, Columns>>();
  rows = 0;
  skipped = 0;
  private readonly tail: FileTail;
  private readonly time = new TimestampParser();

  constructor(runDir: string) {
    this.tail = new FileTail(path.join(runDir, 'aggregates.csv'), { csv: true, header: true });
  }

  get behind(): boolean {
    return this.tail.behind;
  }

  update(): Promise<number> {
    return this.tail.read(
      (buf, start, end) => this.row(buf.toString('utf8', start, end)),
      () => {
        this.byIdentifier.clear();
        this.rows = 0;
        this.skipped = 0;
      },
    );
  }

  /** The statistics of an identifier, in a stable order. */
  stats(identifier: string): string[] {
    return [...(this.byIdentifier.get(identifier)?.keys() ?? [])].sort();
  }

  private row(line: string): void {
    this.rows++;
    const f = splitCsvRecord(line);
    if (f.length !== 8 || f[1] === '' || !/^[a-z0-9_]+$/i.test(f[3]!)) {
      this.skipped++;
      return;
    }
    const b = (s: string) => Buffer.from(s, 'utf8');
    const ts = b(f[0]!);
    const st = b(f[2]!);
    const v = b(f[4]!);
    const timeMs = this.time.parse(ts, 0, ts.length);
    const step = parseInt10(st, 0, st.length);
    const value = parseNumber(v, 0, v.length);
    if (Number.isNaN(timeMs) || Number.isNaN(step) || value === undefined) {
      this.skipped++;
      return;
    }
    let stats = this.byIdentifier.get(f[1]!);
    if (!stats) {
      stats = new Map();
      this.byIdentifier.set(f[1]!, stats);
    }
    let c = stats.get(f[3]!);
    if (!c) {
      c = new Columns();
      stats.set(f[3]!, c);
    }
    c.push(step, Number.NaN, timeMs, value);
  }
}
