/**
 * Field parsers for the local-files CSVs (metrics.csv, aggregates.csv), working on bytes so the
 * common row costs no string but its value: ISO-8601 UTC timestamps as written by ranklog, decimal
 * integers, and numbers as ranklog writes them (shortest round-trip decimals, NaN, inf, -inf).
 */

const ZERO = 0x30;

/** Unsigned decimal integer in buf[start..end), or NaN (empty, a sign, anything else, or beyond 2^53). */
export function parseUint(buf: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 15) return Number.NaN;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - ZERO;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/** Signed decimal integer, or NaN. */
export function parseInt10(buf: Uint8Array, start: number, end: number): number {
  if (end > start && buf[start] === 0x2d) return -parseUint(buf, start + 1, end);
  return parseUint(buf, start, end);
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * A number as ranklog writes it, or undefined when the text is not one. Plain decimals of at
 * most 15 significant digits are computed from the bytes: an integer below 2^53 divided by an
 * exact power of ten is correctly rounded (one IEEE operation on exact operands). Everything
 * else (more digits, exponents) goes through Number() on the text, which is exact too.
 */
export function parseNumber(buf: Uint8Array, start: number, end: number): number | undefined {
  if (end <= start) return undefined;
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = -1; // digits after the point; -1 while no point was seen
  for (; i < end; i++) {
    const b = buf[i]!;
    const d = b - ZERO;
    if (d >= 0 && d <= 9) {
      if (mantissa !== 0 || d !== 0) digits++;
      mantissa = mantissa * 10 + d;
      if (fraction >= 0) fraction++;
    } else if (b === 0x2e && fraction < 0) fraction = 0;
    else break;
  }
  if (i === end && fraction !== 0 && i > start + (negative ? 1 : 0) && buf[i - 1] !== 0x2e) {
    // A plain decimal: exact from the bytes when short; else Number() on its text (no syntax check needed).
    if (digits <= 15 && fraction <= 22) {
      const v = fraction > 0 ? mantissa / POW10[fraction]! : mantissa;
      return negative ? -v : v;
    }
    return Number(Buffer.prototype.latin1Slice.call(buf, start, end) as string);
  }
  return slowNumber(buf, start, end);
}

function slowNumber(buf: Uint8Array, start: number, end: number): number | undefined {
  const text = Buffer.prototype.latin1Slice.call(buf, start, end) as string;
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case 'inf':
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
  }
  // Number('') is 0 and Number(' 1') is 1: only a plain JS number literal (what ranklog writes) is accepted.
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/**
 * ranklog's timestamps, `YYYY-MM-DDTHH:MM:SS.mmmZ`, in ms since the epoch; other ISO-8601 forms
 * through Date.parse; NaN when not a date. The day's start is cached: rows of one day share it.
 */
export class TimestampParser {
  private dayKey = -1;
  private dayMs = 0;

  parse(buf: Uint8Array, start: number, end: number): number {
    if (end - start === 24 && buf[start + 10] === 0x54 && buf[start + 23] === 0x5a && buf[start + 19] === 0x2e) {
      const day = digits(buf, start, 4) * 10000 + digits(buf, start + 5, 2) * 100 + digits(buf, start + 8, 2);
      const hh = digits(buf, start + 11, 2);
      const mm = digits(buf, start + 14, 2);
      const ss = digits(buf, start + 17, 2);
      const ms = digits(buf, start + 20, 3);
      if (day >= 0 && hh >= 0 && hh < 24 && mm >= 0 && mm < 60 && ss >= 0 && ss < 61 && ms >= 0 && buf[start + 4] === 0x2d && buf[start + 7] === 0x2d) {
        if (day !== this.dayKey) {
          const y = Math.floor(day / 10000);
          const mo = Math.floor(day / 100) % 100;
          const d = day % 100;
          const t = Date.UTC(y, mo - 1, d);
          if (mo < 1 || mo > 12 || d < 1 || d > 31 || new Date(t).getUTCDate() !== d) return Number.NaN;
          this.dayKey = day;
          this.dayMs = t;
        }
        return this.dayMs + ((hh * 60 + mm) * 60 + ss) * 1000 + ms;
      }
    }
    return Date.parse(Buffer.prototype.latin1Slice.call(buf, start, end) as string);
  }
}

/** `n` decimal digits at buf[at..], or -1. */
function digits(buf: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = buf[i]! - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Splits one CSV record (RFC 4180, as text) into fields, undoing the quoting. */
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
