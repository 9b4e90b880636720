/**
 * Lines encoded straight to bytes in one reusable buffer, handed to write(2) as they are:
 * no string concatenation per line and no UTF-8 encoding of the whole batch at commit
 * (flattening that rope was about half of the local sink's time per metric record).
 */

import { digitCount, putDigits } from './decimal-digits.js';
import { writeShortest } from './shortest-double.js';

/** Sized for a few hundred metric lines; a buffer that grew past RETAIN_MAX is dropped at clear(). */
const INITIAL = 1 << 14;
const RETAIN_MAX = 4 << 20;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Appends write without bounds checks (a typed array silently drops bytes past its end):
 * call reserve() first with an upper bound for what follows. text() reserves for itself.
 */
export class LineBuffer {
  buf: Buffer;
  /** Bytes in use. */
  pos = 0;

  constructor(private readonly initial = INITIAL) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Make room for n more bytes after pos. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** bytes() for a few bytes (keys, null, '}\n'): a loop beats set()'s call overhead below ~16. */
  small(b: Uint8Array): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) buf[p++] = b[i]!;
    this.pos = p;
  }

  /** s must be ASCII (every number's String() is). */
  ascii(s: string): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /**
   * String(n), at most 25 bytes, without making a string for integers in [0, 2^53) — steps,
   * ranks, ms timestamps: below 2^53, x / 10 rounded down and x − 10q are exact in doubles — and
   * for the doubles writeShortest takes; String(n) for the rest.
   */
  number(n: number): void {
    if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
      // int32 (batch indices, most steps, ranks); -0 is written as 0, like String(-0)
      const count = digitCount(n);
      putDigits(this.buf, n, count, this.pos + count);
      this.pos += count;
      return;
    }
    if (!(n >= 0 && n <= MAX_SAFE && Math.floor(n) === n)) {
      const end = writeShortest(this.buf, this.pos, n);
      if (end < 0) return this.ascii('' + n);
      this.pos = end;
      return;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    const buf = this.buf;
    let p = this.pos + digits;
    this.pos = p;
    let x = n;
    do {
      const q = Math.floor(x / 10);
      buf[--p] = 48 + (x - q * 10); // parenthesised: 48 + x would round above 2^53
      x = q;
    } while (x !== 0);
  }

  /** Bytes [start, end) of another line buffer: text formatted once, needed twice. */
  copyFrom(src: LineBuffer, start: number, end: number): void {
    const from = src.buf;
    const buf = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) buf[p++] = from[i]!;
    this.pos = p;
  }

  /** Any string, as UTF-8. */
  text(s: string): void {
    this.reserve(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** The bytes so far, valid until the next append or clear(). */
  bytesSoFar(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private view: Uint8Array | undefined;
  private viewOf: Buffer | undefined;
  /**
   * bytesSoFar() for a buffer that is cleared and refilled with text of the same length (a line
   * head whose time changed): the same view object while the length and the buffer stay, so
   * refilling allocates nothing.
   */
  reusableView(): Uint8Array {
    if (this.view === undefined || this.view.length !== this.pos || this.viewOf !== this.buf) {
      this.view = this.bytesSoFar();
      this.viewOf = this.buf;
    }
    return this.view;
  }

  clear(): void {
    this.pos = 0;
    if (this.buf.length > RETAIN_MAX) this.buf = Buffer.allocUnsafe(this.initial);
  }
}
