/**
 * A run's metrics.csv (`timestamp,rank,identifier,step,batch_idx,value`) as one Curve per
 * identifier and rank, read from the last offset. Malformed rows (wrong field count, bad
 * timestamp, rank, step, batch index or value) are skipped and counted, never thrown. Curves
 * past their raw cap are summarised (curve.ts); a zoom into one re-reads the rows it needs.
 */
import * as path from 'node:path';
import { FileTail } from '../tail/file-tail.js';
import { Columns } from './columns.js';
import { Curve, DEFAULT_RAW_CAP } from './curve.js';
import { IdentifierTable } from './identifier-table.js';
import { MetricRowParser } from './metric-row.js';

/** One identifier's curves: one per rank. */
export class IdentifierMetrics {
  readonly ranks = new Map<number, Curve>();
  /** Some row had a batch index. */
  batchLevel = false;

  constructor(
    readonly identifier: string,
    private readonly rawCap: number,
  ) {}

  rank(r: number): Curve {
    let c = this.ranks.get(r);
    if (!c) {
      c = new Curve(this.rawCap);
      this.ranks.set(r, c);
    }
    return c;
  }
}

export interface RunMetricsOptions {
  /** Bytes read per update at most, so a huge file is loaded in steps the server can answer between. */
  maxBytesPerUpdate?: number;
  /** Bytes read by the first update at most (a small first step: the first chart comes sooner). Default: maxBytesPerUpdate. */
  maxBytesFirstUpdate?: number;
  /** Points of a curve kept as they are before it is summarised; default DEFAULT_RAW_CAP (curve.ts). */
  rawCap?: number;
}

/** Bytes read past a curve's last row offset when re-reading: longer than any row. */
const ROW_SLACK = 1 << 20;

export class RunMetrics {
  readonly table: IdentifierTable<IdentifierMetrics>;
  readonly file: string;
  private readonly tail: FileTail;
  private readonly row = new MetricRowParser();
  private readonly stepBytes: number;
  /** Rows read, the header excluded. */
  rows = 0;
  /** Rows skipped as malformed. */
  skipped = 0;

  constructor(
    readonly runDir: string,
    options: RunMetricsOptions = {},
  ) {
    const rawCap = options.rawCap ?? DEFAULT_RAW_CAP;
    this.table = new IdentifierTable((id) => new IdentifierMetrics(id, rawCap));
    this.file = path.join(runDir, 'metrics.csv');
    this.tail = new FileTail(this.file, { csv: true, header: true });
    this.stepBytes = options.maxBytesPerUpdate ?? Number.POSITIVE_INFINITY;
    this.tail.maxBytes = options.maxBytesFirstUpdate ?? this.stepBytes;
  }

  /** Bytes of metrics.csv read, and its size when last looked at. */
  get progress(): { offset: number; size: number } {
    return { offset: this.tail.offset, size: this.tail.size };
  }

  /** The last update stopped at its byte limit with more of the file there. */
  get behind(): boolean {
    return this.tail.behind;
  }

  /** Reads what was appended since the last update; `between` is awaited between chunks (see FileTail.read). */
  async update(between?: () => Promise<void>): Promise<number> {
    const n = await this.tail.read(
      (buf, start, end, quoted, at) => this.add(buf, start, end, quoted, at),
      () => this.reset(),
      between,
    );
    this.tail.maxBytes = this.stepBytes;
    return n;
  }

  identifiers(): IdentifierMetrics[] {
    return [...this.table.entries()].map((e) => e.value).sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
  }

  find(identifier: string): IdentifierMetrics | undefined {
    return this.table.find(identifier);
  }

  /**
   * The rows of (identifier, rank) whose start lies between two byte offsets of metrics.csv, read
   * again from the file (a zoom into a summarised curve). Only those bytes are read.
   */
  async reread(identifier: string, rank: number, fromOffset: number, toOffset: number): Promise<Columns> {
    const out = new Columns();
    const tail = new FileTail(this.file, { csv: true, maxBytes: toOffset - fromOffset + ROW_SLACK }, fromOffset);
    const row = new MetricRowParser();
    const want = Buffer.from(identifier, 'utf8');
    await tail.read((buf, start, end, quoted, at) => {
      if (at > toOffset || !row.parse(buf, start, end, quoted) || row.rank !== rank) return;
      const same = row.idText !== undefined ? row.idText === identifier : want.equals(buf.subarray(row.idStart, row.idEnd));
      if (same) out.push(row.step, row.batch, row.timeMs, row.value);
    });
    return out;
  }

  private reset(): void {
    for (const e of this.table.entries()) e.value.ranks.clear();
    this.rows = 0;
    this.skipped = 0;
  }

  private add(buf: Buffer, start: number, end: number, quoted: boolean, at: number): void {
    this.rows++;
    const r = this.row;
    if (!r.parse(buf, start, end, quoted)) {
      this.skipped++;
      return;
    }
    const ident = (r.idText !== undefined ? this.table.getByName(r.idText) : this.table.get(buf, r.idStart, r.idEnd)).value;
    if (r.batch === r.batch) ident.batchLevel = true;
    ident.rank(r.rank).push(r.step, r.batch, r.timeMs, r.value, at);
  }
}
