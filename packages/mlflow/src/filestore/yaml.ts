/**
 * The YAML that MLflow's file store writes, emitted by hand.
 *
 * MLflow writes every meta.yaml with
 * `yaml.dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True,
 * Dumper=CSafeDumper)` (mlflow/utils/file_utils.py `write_yaml`), i.e. libyaml's
 * emitter whenever PyYAML was built with it (the usual wheels), and PyYAML's
 * resolver to decide whether a string may stay unquoted. This module follows
 * that emitter for the shapes the file store writes: a block mapping (keys
 * sorted by code point) of scalars, empty lists (`[]`), empty mappings (`{}`)
 * and nested block mappings of string scalars.
 *
 * Scalar styles follow libyaml's analysis: plain when the text allows it and
 * would read back as a string, else single-quoted, else double-quoted with
 * escapes. Lines are folded at spaces past column 80 as libyaml does (best
 * width 80, indent 2).
 *
 * `readYamlMapping` is a small reader for these same files (and for the
 * meta.yaml files MLflow itself writes), used by the store to find experiment
 * names and to rewrite run metadata. It is not a general YAML parser.
 */

export type YamlScalar = string | number | bigint | boolean | null;
export interface YamlMapping {
  readonly [key: string]: YamlValue;
}
export type YamlValue = YamlScalar | readonly [] | YamlMapping;

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

/** Code points of a string (Python's str indexing unit). */
function codePoints(s: string): string[] {
  return Array.from(s);
}

function cp(ch: string): number {
  return ch.codePointAt(0)!;
}

/** libyaml's IS_PRINTABLE (it does not count characters outside the BMP, nor NEL, as printable). */
function isPrintable(ch: string): boolean {
  const c = cp(ch);
  return c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
}

/** libyaml's IS_BREAK. */
function isBreak(ch: string | undefined): boolean {
  return ch === '\r' || ch === '\n' || ch === '\u0085' || ch === '\u2028' || ch === '\u2029';
}

/** libyaml's IS_BLANKZ (space, tab, break, or the end). */
function isBlankz(ch: string | undefined): boolean {
  return ch === undefined || ch === ' ' || ch === '\t' || ch === '\0' || isBreak(ch);
}

// PyYAML's implicit resolvers (yaml/resolver.py): a plain scalar matching one of
// these would load as something other than a string, so such strings are quoted.
// The float pattern is the union of PyYAML 6.0's and of a later variant that also
// reads `1e5` as a float, so that the text stays a string under either.
const IMPLICIT_NON_STR: readonly RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

/** True when PyYAML would read `s`, written plain, as a string. */
export function plainReadsAsString(s: string): boolean {
  return !IMPLICIT_NON_STR.some((re) => re.test(s));
}

interface Analysis {
  chars: string[];
  empty: boolean;
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
}

/** libyaml's yaml_emitter_analyze_scalar, reduced to what block context needs. */
function analyze(value: string): Analysis {
  const chars = codePoints(value);
  if (chars.length === 0) {
    return { chars, empty: true, multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;

  if (value.startsWith('---') || value.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  let followedByWhitespace = isBlankz(chars[1]);
  const last = chars.length - 1;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':') && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(ch)) specialCharacters = true;
    if (isBreak(ch)) lineBreaks = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(ch)) {
      if (i === 0) leadingBreak = true;
      if (i === last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(ch);
    if (i + 1 < chars.length) followedByWhitespace = isBlankz(chars[i + 2]);
  }
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { chars, empty: false, multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed };
}

const ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Byte-compatible with libyaml's emitter for the shapes documented above. */
class Emitter {
  out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];

  private put(s: string): void {
    this.out += s;
    this.column += codePoints(s).length;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  /** A break character as it stands in the text (libyaml's WRITE_BREAK). */
  private writeBreak(ch: string): void {
    this.out += ch === '\r' ? '\n' : ch;
    this.column = 0;
  }

  private increaseIndent(flow: boolean): void {
    this.indents.push(this.indent);
    this.indent = this.indent < 0 ? (flow ? BEST_INDENT : 0) : this.indent + BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writePlain(chars: string[], allowBreaks: boolean): void {
    if (!this.whitespace && chars.length > 0) this.put(' ');
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && chars[i + 1] !== ' ') {
          this.writeIndent();
        } else {
          this.put(ch);
        }
        spaces = true;
      } else {
        this.put(ch);
        this.indention = false;
        spaces = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(chars: string[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1 && chars[i + 1] !== ' ') {
          this.writeIndent();
        } else {
          this.put(ch);
        }
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch === "'" ? "''" : ch);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    if (breaks) this.writeIndent();
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(chars: string[], allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      const c = cp(ch);
      if (!isPrintable(ch) || c === 0xfeff || isBreak(ch) || ch === '"' || ch === '\\') {
        const esc = ESCAPES.get(c);
        if (esc !== undefined) this.put('\\' + esc);
        else if (c <= 0xff) this.put('\\x' + hex(c, 2));
        else if (c <= 0xffff) this.put('\\u' + hex(c, 4));
        else this.put('\\U' + hex(c, 8));
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === ' ') this.put('\\');
        } else {
          this.put(ch);
        }
        spaces = true;
      } else {
        this.put(ch);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /** A scalar in block context: `simpleKey` for a key written as `key:`. */
  private scalar(value: YamlScalar, simpleKey: boolean): void {
    let text: string;
    let plainImplicit: boolean;
    if (typeof value === 'string') {
      text = value;
      plainImplicit = plainReadsAsString(value);
    } else if (value === null) {
      text = 'null';
      plainImplicit = true;
    } else if (typeof value === 'boolean') {
      text = value ? 'true' : 'false';
      plainImplicit = true;
    } else {
      if (typeof value === 'number' && !Number.isInteger(value)) {
        throw new TypeError(`YAML emitter: only integers are written, got ${value}`);
      }
      text = BigInt(value).toString();
      plainImplicit = true;
    }
    const a = analyze(text);
    let style: 'plain' | 'single' | 'double' = 'plain';
    if (simpleKey && a.multiline) style = 'double';
    if (style === 'plain') {
      if (!a.blockPlainAllowed) style = 'single';
      if (a.empty && simpleKey) style = 'single';
      if (!plainImplicit) style = 'single';
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';

    this.increaseIndent(true);
    const allowBreaks = !simpleKey;
    if (style === 'plain') this.writePlain(a.chars, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(a.chars, allowBreaks);
    else this.writeDoubleQuoted(a.chars, allowBreaks);
    this.popIndent();
  }

  private isSimpleKey(key: string): boolean {
    return !analyze(key).multiline && utf8Length(key) <= 128;
  }

  private node(value: YamlValue): void {
    if (Array.isArray(value)) {
      if (value.length !== 0) throw new TypeError('YAML emitter: only empty lists are written');
      this.writeIndicator('[', true, true, false);
      this.writeIndicator(']', false, false, false);
    } else if (value !== null && typeof value === 'object') {
      const m = value as YamlMapping;
      if (Object.keys(m).length === 0) {
        this.writeIndicator('{', true, true, false);
        this.writeIndicator('}', false, false, false);
      } else {
        this.blockMapping(m);
      }
    } else {
      this.scalar(value as YamlScalar, false);
    }
  }

  blockMapping(m: YamlMapping): void {
    this.increaseIndent(false);
    for (const key of sortedKeys(m)) {
      this.writeIndent();
      if (this.isSimpleKey(key)) {
        this.scalar(key, true);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.scalar(key, false);
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(m[key]!);
    }
    this.popIndent();
  }
}

function compareCodePoints(a: string, b: string): number {
  const ca = codePoints(a);
  const cb = codePoints(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const d = cp(ca[i]!) - cp(cb[i]!);
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

/** Keys in Python's `sorted()` order (by code point). */
export function sortedKeys(m: YamlMapping): string[] {
  return Object.keys(m).sort(compareCodePoints);
}

/** The text `yaml.dump(m, default_flow_style=False, allow_unicode=True, sort_keys=True, Dumper=CSafeDumper)` writes. */
export function dumpYaml(m: YamlMapping): string {
  if (Object.keys(m).length === 0) return '{}\n';
  const e = new Emitter();
  e.blockMapping(m);
  e.writeIndent();
  return e.out;
}

// ---------------------------------------------------------------------------
// Reader

export type ReadValue = string | number | boolean | null | ReadValue[] | { [key: string]: ReadValue };

/**
 * YAML line folding inside a flow scalar (PyYAML's scanner): leading white
 * space of continuation lines and trailing white space before a break are
 * dropped; a lone line feed between text becomes a space, each further (empty)
 * line adds a newline; LS and PS breaks are kept as they are. `escapedBreaks`
 * (double-quoted scalars): a break right after an odd run of backslashes joins
 * the lines without a space (the backslash is dropped).
 */
function fold(body: string, escapedBreaks: boolean): string {
  const parts = body.split(/(\r\n|[\r\n\u0085\u2028\u2029])/);
  const norm = (br: string): string => (br === '\u2028' || br === '\u2029' ? br : '\n');
  const lead = (t: string | undefined): string => (t ?? '').replace(/^[ \t]+/, '');
  let s = parts[0]!;
  let i = 1;
  while (i < parts.length) {
    if (escapedBreaks && /(?:^|[^\\])(?:\\\\)*\\$/.test(s)) {
      s = s.slice(0, -1) + lead(parts[i + 1]);
      i += 2;
      continue;
    }
    s = trimTrailingWhite(s, escapedBreaks);
    const first = norm(parts[i]!);
    let text = lead(parts[i + 1]);
    i += 2;
    let extra = '';
    while (text === '' && i < parts.length) {
      extra += norm(parts[i]!);
      text = lead(parts[i + 1]);
      i += 2;
    }
    s += (first !== '\n' ? first : extra === '' ? ' ' : '') + extra + text;
  }
  return s;
}

/** Drops trailing spaces and tabs, keeping one that a backslash escapes. */
function trimTrailingWhite(s: string, escapes: boolean): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  if (escapes && end < s.length) {
    let bs = 0;
    while (end - 1 - bs >= 0 && s[end - 1 - bs] === '\\') bs++;
    if (bs % 2 === 1) end++;
  }
  return s.slice(0, end);
}

function readSingleQuoted(body: string): string {
  return fold(body, false).replace(/''/g, "'");
}

function unescapeDoubleQuoted(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const n = s[++i];
    const simple: Record<string, string> = {
      '0': '\0',
      a: '\x07',
      b: '\b',
      t: '\t',
      '\t': '\t',
      n: '\n',
      v: '\v',
      f: '\f',
      r: '\r',
      e: '\x1b',
      ' ': ' ',
      '"': '"',
      '/': '/',
      '\\': '\\',
      N: '\u0085',
      _: '\u00a0',
      L: '\u2028',
      P: '\u2029',
    };
    const width = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
    if (width > 0) {
      const digits = s.slice(i + 1, i + 1 + width);
      if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== width) throw new Error(`YAML reader: bad escape \\${n}${digits}`);
      out += String.fromCodePoint(parseInt(digits, 16));
      i += width;
    } else if (n !== undefined && n in simple) {
      out += simple[n];
    } else {
      throw new Error(`YAML reader: unknown escape \\${n ?? ''}`);
    }
  }
  return out;
}

function readDoubleQuoted(body: string): string {
  return unescapeDoubleQuoted(fold(body, true));
}

function resolvePlain(text: string): ReadValue {
  if (/^(?:~|null|Null|NULL|)$/.test(text)) return null;
  if (/^(?:true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(text)) return true;
  if (/^(?:false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(text)) return false;
  if (/^[-+]?(?:0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (text === '[]') return [];
  if (text === '{}') return {};
  return text;
}

/** Ends of a quoted scalar starting at `text[0]` (a quote), or -1 if it does not end. */
function quotedEnd(text: string): number {
  const q = text[0];
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (q === "'") {
      if (ch === "'") {
        if (text[i + 1] === "'") {
          i++;
          continue;
        }
        return i;
      }
    } else if (ch === '\\') {
      i++;
    } else if (ch === '"') {
      return i;
    }
  }
  return -1;
}

function readScalarText(text: string): ReadValue {
  if (text.startsWith("'")) {
    const end = quotedEnd(text);
    if (end < 0) throw new Error('YAML reader: unterminated single-quoted scalar');
    return readSingleQuoted(text.slice(1, end));
  }
  if (text.startsWith('"')) {
    const end = quotedEnd(text);
    if (end < 0) throw new Error('YAML reader: unterminated double-quoted scalar');
    return readDoubleQuoted(text.slice(1, end));
  }
  return resolvePlain(fold(text, false).replace(/^[ \t]+|[ \t]+$/g, ''));
}

/** Splits `key: rest` (key plain or quoted) or returns null. */
function splitKey(line: string): { key: string; rest: string } | null {
  if (line.startsWith("'") || line.startsWith('"')) {
    const end = quotedEnd(line);
    if (end < 0 || line[end + 1] !== ':') return null;
    const key = readScalarText(line.slice(0, end + 1));
    const rest = line.slice(end + 2);
    if (rest !== '' && !rest.startsWith(' ')) return null;
    return { key: String(key), rest: rest.slice(1) };
  }
  const m = /^([^ \t#][^\n]*?):(?: |$)/.exec(line);
  if (!m) return null;
  return { key: m[1]!, rest: line.slice(m[0].length) };
}

/** A line that only continues the entry above it: blank, more indented, or starting with a raw LS/PS/NEL break. */
function continues(line: string, pad: string): boolean {
  return isBlank(line) || line.startsWith(pad + ' ') || /^[\u0085\u2028\u2029]/.test(line);
}

function isBlank(line: string): boolean {
  return /^[ \t]*$/.test(line);
}

function readMappingLines(lines: string[], indent: number): { [key: string]: ReadValue } {
  const out: { [key: string]: ReadValue } = {};
  let i = 0;
  const pad = ' '.repeat(indent);
  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlank(line)) {
      i++;
      continue;
    }
    if (!line.startsWith(pad) || line[indent] === ' ') throw new Error(`YAML reader: unexpected indentation: ${JSON.stringify(line)}`);
    const body = line.slice(indent);
    // continuation lines: more indented than this key
    let j = i + 1;
    while (j < lines.length && continues(lines[j]!, pad)) j++;
    // trailing blank lines belong to nobody
    let k = j;
    while (k > i + 1 && isBlank(lines[k - 1]!)) k--;
    const cont = lines.slice(i + 1, k);
    if (body.startsWith('? ')) {
      // complex key: "? key" (and its continuation lines), then ": value" at the same indent
      const colonLine = lines[j];
      if (colonLine === undefined || !(colonLine.startsWith(pad + ': ') || colonLine === pad + ':')) {
        throw new Error('YAML reader: "?" key without ":"');
      }
      const key = String(readScalarText([body.slice(2), ...cont].join('\n')));
      let v = j + 1;
      while (v < lines.length && continues(lines[v]!, pad)) v++;
      let w = v;
      while (w > j + 1 && isBlank(lines[w - 1]!)) w--;
      out[key] = readScalarText([colonLine.slice(indent + 2), ...lines.slice(j + 1, w)].join('\n'));
      i = v;
      continue;
    }
    const kv = splitKey(body);
    if (!kv) throw new Error(`YAML reader: not a "key: value" line: ${JSON.stringify(line)}`);
    if (isBlank(kv.rest) && cont.length > 0 && /^\s+\S/.test(cont[0]!)) {
      const childIndent = /^( *)/.exec(cont[0]!)![1]!.length;
      const isMapping = cont.some(
        (l) => l.length > childIndent && l[childIndent] !== ' ' && (splitKey(l.slice(childIndent)) !== null || l.slice(childIndent).startsWith('? ')),
      );
      if (isMapping) {
        out[kv.key] = readMappingLines(cont, childIndent);
        i = j;
        continue;
      }
    }
    out[kv.key] = readScalarText([kv.rest, ...cont].join('\n'));
    i = j;
  }
  return out;
}

/** Reads a block mapping as written by `dumpYaml` (or by MLflow) into plain values. */
export function readYamlMapping(text: string): { [key: string]: ReadValue } {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 1 && lines[0]!.trim() === '{}') return {};
  return readMappingLines(lines, 0);
}
