/**
 * A run's metrics.csv (`timestamp,rank,identifier,step,batch_idx,value`) as columns per identifier
 * and rank, read from the last offset. Malformed rows (wrong field count, bad timestamp, rank,
 * step, batch index or value) are skipped and counted, never thrown.
 */
import * as path from 'node:path';
import { FileTail } from '../tail/file-tail.js';
import { Columns } from './columns.js';
import { IdentifierTable } from './identifier-table.js';
import { parseInt10, parseNumber, parseUint, splitCsvRecord, TimestampParser } from './parse-fields.js';

const COMMA = 0x2c;

/** One identifier's curves: one per rank. */
export class IdentifierMetrics {
  readonly ranks = new Map<number, Columns>();
  /** Some row had a batch index. */
  batchLevel = false;

  constructor(readonly identifier: string) {}

  rank(r: number): Columns {
    let c = this.ranks.get(r);
    if (!c) {
      c = new Columns();
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
}

export class RunMetrics {
  readonly table = new IdentifierTable((id) => new IdentifierMetrics(id));
  private readonly tail: FileTail;
  private readonly time = new TimestampParser();
  /** Rows read, the header excluded. */
  rows = 0;
  /** Rows skipped as malformed. */
  skipped = 0;
  /** Field ends of the row being parsed (reused). */
  private readonly commas = new Int32Array(5);

  constructor(
    readonly runDir: string,
    options: RunMetricsOptions = {},
  ) {
    this.tail = new FileTail(path.join(runDir, 'metrics.csv'), { csv: true, header: true });
    this.stepBytes = options.maxBytesPerUpdate ?? Number.POSITIVE_INFINITY;
    this.tail.maxBytes = options.maxBytesFirstUpdate ?? this.stepBytes;
  }

  private readonly stepBytes: number;

  /** Bytes of metrics.csv read, and its size when last looked at. */
  get progress(): { offset: number; size: number } {
    return { offset: this.tail.offset, size: this.tail.size };
  }

  /** More of the file is there than was read (a step of a large file, or rows appended since). */
  get behind(): boolean {
    return this.tail.behind;
  }

  /** Reads what was appended since the last update; `between` is awaited between chunks (see FileTail.read). */
  async update(between?: () => Promise<void>): Promise<number> {
    const n = await this.tail.read(
      (buf, start, end, quoted) => (quoted ? this.quotedRow(buf.toString('utf8', start, end)) : this.row(buf, start, end)),
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

  private reset(): void {
    for (const e of this.table.entries()) e.value.ranks.clear();
    this.rows = 0;
    this.skipped = 0;
  }

  private row(buf: Buffer, start: number, end: number): void {
    this.rows++;
    // Field boundaries. ranklog's timestamps are 24 bytes: start looking for commas after them.
    let n = 0;
    const from = start + 24 < end && buf[start + 24] === COMMA ? start + 24 : start;
    for (let i = from; i < end; i++) {
      if (buf[i] === COMMA) {
        if (n === 5) {
          this.skipped++;
          return;
        }
        this.commas[n++] = i;
      }
    }
    const c = this.commas;
    if (n !== 5) {
      this.skipped++;
      return;
    }
    const timeMs = this.time.parse(buf, start, c[0]!);
    const rank = parseUint(buf, c[0]! + 1, c[1]!);
    const stepEmpty = c[2]! + 1 === c[3]!;
    const batchEmpty = c[3]! + 1 === c[4]!;
    const step = stepEmpty ? Number.NaN : parseInt10(buf, c[2]! + 1, c[3]!);
    const batch = batchEmpty ? Number.NaN : parseInt10(buf, c[3]! + 1, c[4]!);
    const value = parseNumber(buf, c[4]! + 1, end);
    if (
      Number.isNaN(timeMs) ||
      Number.isNaN(rank) ||
      c[1]! + 1 === c[2]! ||
      (!stepEmpty && Number.isNaN(step)) ||
      (!batchEmpty && Number.isNaN(batch)) ||
      value === undefined
    ) {
      this.skipped++;
      return;
    }
    const ident = this.table.get(buf, c[1]! + 1, c[2]!).value;
    if (!batchEmpty) ident.batchLevel = true;
    ident.rank(rank).push(step, batch, timeMs, value);
  }

  /** A row with quoted fields (an identifier holding a comma, quote or line break). */
  private quotedRow(line: string): void {
    this.rows++;
    const f = splitCsvRecord(line);
    if (f.length !== 6) {
      this.skipped++;
      return;
    }
    const bytes = (s: string) => Buffer.from(s, 'utf8');
    const field = (i: number) => bytes(f[i]!);
    const ts = field(0);
    const timeMs = this.time.parse(ts, 0, ts.length);
    const r = field(1);
    const rank = parseUint(r, 0, r.length);
    const s = field(3);
    const b = field(4);
    const v = field(5);
    const step = s.length === 0 ? Number.NaN : parseInt10(s, 0, s.length);
    const batch = b.length === 0 ? Number.NaN : parseInt10(b, 0, b.length);
    const value = parseNumber(v, 0, v.length);
    if (
      Number.isNaN(timeMs) ||
      Number.isNaN(rank) ||
      f[2] === '' ||
      (s.length > 0 && Number.isNaN(step)) ||
      (b.length > 0 && Number.isNaN(batch)) ||
      value === undefined
    ) {
      this.skipped++;
      return;
    }
    const ident = this.table.getByName(f[2]!).value;
    if (b.length > 0) ident.batchLevel = true;
    ident.rank(rank).push(step, batch, timeMs, value);
  }
}
