/**
 * Reads a growing text file of records from the last offset: each `read()` reads only the bytes
 * appended since the previous one and hands back the whole records among them, as byte ranges of
 * a reused buffer (no string per line unless the parser wants one). A record still being written
 * (no line feed yet, or, for CSV, a quoted field still open) stays in the file and is read again
 * next time, so a half-written line is never parsed and a byte is never read twice.
 */
import { type FileHandle, open } from 'node:fs/promises';

const LF = 0x0a;
const QUOTE = 0x22;
// Parsed between two reads: ~15k rows of metrics.csv, so a request waits at most that long for the event loop while a large file loads.
const CHUNK = 1 << 20;

/**
 * Called with each whole record: `buf[start..end)` without its line feed (nor a CR before it).
 * `quoted`: the record holds a double quote (CSV only; false for JSON lines). `at`: the byte
 * offset of the record's start in the file.
 */
export type RecordCallback = (buf: Buffer, start: number, end: number, quoted: boolean, at: number) => void;

export interface FileTailOptions {
  /** CSV (RFC 4180): a line feed inside a quoted field does not end the record. Default false (JSON lines). */
  csv?: boolean;
  /** Skip the first record (a CSV header). Default false. */
  header?: boolean;
  /** Read at most this many bytes per `read()` (the rest next time); default unlimited. Can be changed between reads (`maxBytes`). */
  maxBytes?: number;
}

export class FileTail {
  /** Bytes consumed: the offset of the first record not yet read. */
  offset = 0;
  /** Whole records handed out (the header excluded). */
  records = 0;
  /** Bytes in the file when it was last looked at. */
  size = 0;
  /** Bytes read per `read()` at most; Infinity for no bound. */
  maxBytes: number;
  private headerSeen = false;
  private buf: Buffer = Buffer.allocUnsafe(CHUNK);

  /** `from`: the offset to start at (a record's start), for reading a part of a file again. */
  constructor(
    readonly file: string,
    private readonly options: FileTailOptions = {},
    from = 0,
  ) {
    this.offset = from;
    this.headerSeen = from > 0;
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  /** The last read stopped at `maxBytes` with more of the file there (not merely a half-written last line). */
  behind = false;

  /**
   * Reads what was appended and calls `onRecord` for every whole record. Resolves with the number
   * of records read. A missing file reads as empty; a file that shrank (rewritten) is read again
   * from its start, and `onReset` is called first so the caller can drop what it had.
   * `between`, when given, is awaited between two chunks (a background read can make way).
   */
  async read(onRecord: RecordCallback, onReset?: () => void, between?: () => Promise<void>): Promise<number> {
    let fh: FileHandle;
    try {
      fh = await open(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    try {
      const size = (await fh.stat()).size;
      this.size = size;
      if (size < this.offset) {
        this.offset = 0;
        this.headerSeen = false;
        this.records = 0;
        onReset?.();
      }
      const limit = Math.min(size, this.offset + this.maxBytes);
      this.behind = limit < size;
      let count = 0;
      let carry = 0; // bytes at the start of buf not yet consumed (a record cut by the chunk end)
      let pos = this.offset + carry;
      while (pos < limit) {
        if (between && pos > this.offset + carry) await between(); // not before the first chunk
        if (carry === this.buf.length) {
          // One record longer than the buffer: grow it.
          const bigger = Buffer.allocUnsafe(this.buf.length * 2);
          this.buf.copy(bigger, 0, 0, carry);
          this.buf = bigger;
        }
        const want = Math.min(this.buf.length - carry, limit - pos);
        const { bytesRead } = await fh.read(this.buf, carry, want, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        const filled = carry + bytesRead;
        const used = this.split(this.buf, filled, onRecord);
        count += used.records;
        this.offset += used.bytes;
        carry = filled - used.bytes;
        if (carry > 0) this.buf.copy(this.buf, 0, used.bytes, filled);
      }
      this.records += count;
      return count;
    } finally {
      await fh.close();
    }
  }

  /** Hands out the whole records of buf[0..filled); returns the bytes and records consumed. */
  private split(buf: Buffer, filled: number, onRecord: RecordCallback): { bytes: number; records: number } {
    const csv = this.options.csv === true;
    let start = 0;
    let records = 0;
    // The next quote at or after `start`, found with the native indexOf; lines without one (nearly all) need no byte loop.
    let nextQuote = csv ? buf.indexOf(QUOTE, 0) : -1;
    if (nextQuote >= filled) nextQuote = -1;
    while (start < filled) {
      let lf = buf.indexOf(LF, start);
      if (lf < 0 || lf >= filled) break;
      const quoted = nextQuote >= 0 && nextQuote < lf;
      if (quoted) {
        // A quoted field: the record ends at the first LF outside quotes.
        lf = this.quotedEnd(buf, start, filled);
        if (lf < 0) break;
        nextQuote = buf.indexOf(QUOTE, lf + 1);
        if (nextQuote >= filled) nextQuote = -1;
      }
      const end = lf > start && buf[lf - 1] === 0x0d ? lf - 1 : lf;
      if (this.options.header && !this.headerSeen) this.headerSeen = true;
      else if (end > start) {
        onRecord(buf, start, end, quoted, this.offset + start);
        records++;
      }
      start = lf + 1;
    }
    return { bytes: start, records };
  }

  private quotedEnd(buf: Buffer, from: number, filled: number): number {
    let quoted = false;
    for (let i = from; i < filled; i++) {
      const b = buf[i];
      if (b === QUOTE) quoted = !quoted;
      else if (b === LF && !quoted) return i;
    }
    return -1;
  }
}
