/**
 * Reads a growing CSV file (RFC 4180) from the last offset: each call to `read()` streams only the
 * bytes appended since the previous call and hands back whole records. A record still being written
 * (no line feed yet, or a quoted field still open) stays in the file and is read again next time,
 * so a half-written line is never parsed and the bytes already read are never read again.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** Splits one record (its bytes without the line feed) into fields, undoing RFC 4180 quoting. */
export function splitCsvRecord(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** The tail of one CSV file: where the next read starts, and the record counts so far. */
export class CsvTail {
  /** Bytes consumed: the offset of the first record not yet read. */
  offset = 0;
  /** Whole records read, the header included. */
  records = 0;
  /** Whether the first record (the header) has been seen. */
  private headerSeen = false;

  constructor(readonly file: string) {}

  /**
   * Streams the bytes appended since the last call and calls `onRecord` with the fields of every
   * whole record after the header. Resolves with the number of records read. A missing file reads
   * as empty; a file that shrank (rewritten) is read again from its start.
   */
  async read(onRecord: (fields: string[]) => void): Promise<number> {
    let size: number;
    try {
      size = (await stat(this.file)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    if (size < this.offset) {
      this.offset = 0;
      this.headerSeen = false;
    }
    if (size === this.offset) return 0;
    const end = size - 1; // read no further than what was there when we looked
    const stream = createReadStream(this.file, { start: this.offset, end, highWaterMark: 1 << 20 });
    let carry: Buffer = Buffer.alloc(0);
    let quoted = false;
    let scanFrom = 0;
    let count = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
      let start = 0;
      for (let i = scanFrom; i < buf.length; i++) {
        const b = buf[i];
        if (b === QUOTE) quoted = !quoted;
        else if (b === LF && !quoted) {
          const stop = i > start && buf[i - 1] === CR ? i - 1 : i;
          const line = buf.toString('utf8', start, stop);
          this.offset += i + 1 - start;
          start = i + 1;
          this.records++;
          if (!this.headerSeen) {
            this.headerSeen = true;
            continue;
          }
          count++;
          onRecord(splitCsvRecord(line));
        }
      }
      carry = buf.subarray(start);
      scanFrom = carry.length;
    }
    return count;
  }
}
