/**
 * One metrics.csv row (`timestamp,rank,identifier,step,batch_idx,value`) parsed from its bytes:
 * the fields land in this object's properties (reused: no allocation per row). The common row
 * (no quote) is parsed from bytes; a quoted row through its text.
 */
import { parseInt10, parseNumber, parseUint, splitCsvRecord, TimestampParser } from './parse-fields.js';

const COMMA = 0x2c;

export class MetricRowParser {
  timeMs = 0;
  rank = 0;
  /** NaN when the row has none. */
  step = 0;
  /** NaN for an epoch-level row. */
  batch = 0;
  value = 0;
  /** The identifier's bytes, buf[idStart..idEnd), for a row without quotes. */
  idStart = 0;
  idEnd = 0;
  /** The identifier's text for a quoted row; undefined otherwise. */
  idText: string | undefined;
  private readonly time = new TimestampParser();
  private readonly commas = new Int32Array(5);

  /** Parses buf[start..end); false when the row is malformed. */
  parse(buf: Buffer, start: number, end: number, quoted: boolean): boolean {
    return quoted ? this.parseText(buf.toString('utf8', start, end)) : this.parseBytes(buf, start, end);
  }

  private parseBytes(buf: Buffer, start: number, end: number): boolean {
    // Field boundaries. ranklog's timestamps are 24 bytes: look for commas after them.
    let n = 0;
    const from = start + 24 < end && buf[start + 24] === COMMA ? start + 24 : start;
    const c = this.commas;
    for (let i = from; i < end; i++) {
      if (buf[i] === COMMA) {
        if (n === 5) return false;
        c[n++] = i;
      }
    }
    if (n !== 5) return false;
    const stepEmpty = c[2]! + 1 === c[3]!;
    const batchEmpty = c[3]! + 1 === c[4]!;
    this.timeMs = this.time.parse(buf, start, c[0]!);
    this.rank = parseUint(buf, c[0]! + 1, c[1]!);
    this.step = stepEmpty ? Number.NaN : parseInt10(buf, c[2]! + 1, c[3]!);
    this.batch = batchEmpty ? Number.NaN : parseInt10(buf, c[3]! + 1, c[4]!);
    const value = parseNumber(buf, c[4]! + 1, end);
    this.idStart = c[1]! + 1;
    this.idEnd = c[2]!;
    this.idText = undefined;
    if (
      Number.isNaN(this.timeMs) ||
      Number.isNaN(this.rank) ||
      this.idStart === this.idEnd ||
      (!stepEmpty && Number.isNaN(this.step)) ||
      (!batchEmpty && Number.isNaN(this.batch)) ||
      value === undefined
    )
      return false;
    this.value = value;
    return true;
  }

  /** A row with quoted fields (an identifier holding a comma, quote or line break). */
  private parseText(line: string): boolean {
    const f = splitCsvRecord(line);
    if (f.length !== 6 || f[2] === '') return false;
    const field = (i: number) => Buffer.from(f[i]!, 'utf8');
    const ts = field(0);
    const r = field(1);
    const s = field(3);
    const b = field(4);
    const v = field(5);
    this.timeMs = this.time.parse(ts, 0, ts.length);
    this.rank = parseUint(r, 0, r.length);
    this.step = s.length === 0 ? Number.NaN : parseInt10(s, 0, s.length);
    this.batch = b.length === 0 ? Number.NaN : parseInt10(b, 0, b.length);
    const value = parseNumber(v, 0, v.length);
    this.idText = f[2]!;
    if (
      Number.isNaN(this.timeMs) ||
      Number.isNaN(this.rank) ||
      (s.length > 0 && Number.isNaN(this.step)) ||
      (b.length > 0 && Number.isNaN(this.batch)) ||
      value === undefined
    )
      return false;
    this.value = value;
    return true;
  }
}
