/**
 * A strict RFC 4180 CSV parser, written from the RFC's grammar and independent of
 * the sink's writer, so tests check the files a spreadsheet or pandas would read:
 *
 *   file        = [header CRLF] record *(CRLF record) [CRLF]
 *   record      = field *(COMMA field)
 *   field       = escaped / non-escaped
 *   escaped     = DQUOTE *(TEXTDATA / COMMA / CR / LF / 2DQUOTE) DQUOTE
 *   non-escaped = *TEXTDATA
 *
 * Line breaks may be CRLF or a bare LF (what most writers emit). Anything outside the
 * grammar (a quote inside an unquoted field, text after a closing quote, an unclosed
 * quote) throws with its offset, so a torn or interleaved line fails the test.
 */
export interface CsvField {
  value: string;
  /** The field was written as an escaped ("…") field. */
  quoted: boolean;
}

export function parseCsvDetailed(text: string): CsvField[][] {
  const rows: CsvField[][] = [];
  let row: CsvField[] = [];
  let i = 0;
  const n = text.length;
  if (n === 0) return rows;
  for (;;) {
    // One field starts at i.
    let value = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= n) throw new SyntaxError(`CSV: unclosed quoted field (row ${rows.length + 1})`);
        const c = text[i];
        if (c === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          value += c;
          i++;
        }
      }
    } else {
      const start = i;
      while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        if (text[i] === '"') throw new SyntaxError(`CSV: quote inside an unquoted field at offset ${i} (row ${rows.length + 1})`);
        i++;
      }
      value = text.slice(start, i);
    }
    row.push({ value, quoted });
    // After a field: a comma, a line break or the end.
    if (i >= n) {
      rows.push(row);
      return rows;
    }
    const c = text[i];
    if (c === ',') {
      i++;
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') i += 2;
    else if (c === '\n') i++;
    else throw new SyntaxError(`CSV: unexpected ${JSON.stringify(c)} after a field at offset ${i} (row ${rows.length + 1})`);
    rows.push(row);
    row = [];
    if (i >= n) return rows; // the optional final line break
  }
}

export function parseCsv(text: string): string[][] {
  return parseCsvDetailed(text).map((r) => r.map((f) => f.value));
}
