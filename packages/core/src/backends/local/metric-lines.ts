/**
 * metrics.csv and metrics.jsonl lines of metric records, encoded straight to bytes: the local
 * sink's hot path (one record per logged scalar).
 *
 *   metrics.csv    timestamp,rank,identifier,step,batch_idx,value   (NaN, inf, -inf for non-finite values)
 *   metrics.jsonl  {"timestamp":…,"time_ms":…,"rank":…,"identifier":…,"step":…,"batch_idx":…,"value":…}
 *                  ("NaN", "Infinity", "-Infinity"; null for a missing step or batch_idx)
 */
import type { LogRecord } from '../../sink/index.js';
import { IsoTime } from './iso-time.js';
import { LineBuffer } from './line-buffer.js';

export const CSV_HEADER = 'timestamp,rank,identifier,step,batch_idx,value\n';

/**
 * Room to reserve after a metric line's head: three numbers (String() of any number is at most
 * 25 characters) and at most 24 bytes of keys and punctuation.
 */
const LINE_ROOM = 128;
/** Room for a line head without its identifier: keys, a 24-character ISO time, a time in ms and a rank. */
const HEAD_ROOM = 96;
const COMMA = 0x2c;
const LF = 0x0a;
const asciiBytes = (s: string) => Buffer.from(s, 'latin1');
const NO_BYTES = new Uint8Array(0);
const MINUS_ZERO = asciiBytes('-0');
const NULL = asciiBytes('null');
const BATCH_KEY = asciiBytes(',"batch_idx":');
const VALUE_KEY = asciiBytes(',"value":');
const OBJECT_END = asciiBytes('}\n');
const TIMESTAMP_KEY = asciiBytes('{"timestamp":"');
const TIME_MS_KEY = asciiBytes('","time_ms":');
const RANK_KEY = asciiBytes(',"rank":');
/** Non-finite values: [CSV, JSON] spellings. */
const NAN = [asciiBytes('NaN'), asciiBytes('"NaN"')] as const;
const INF = [asciiBytes('inf'), asciiBytes('"Infinity"')] as const;
const NEG_INF = [asciiBytes('-inf'), asciiBytes('"-Infinity"')] as const;
/** Identifiers are interned by the producer, so this only guards against a caller that invents names forever. */
const ID_CACHE_MAX = 1 << 16;

/** RFC 4180: quote a field that holds a comma, a quote or a line break; double inner quotes. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/**
 * What metric lines of one identifier start with, as UTF-8, for the time and rank it was
 * last logged at: copied whole into each line, while the time and rank stay the same.
 */
interface LineHeads {
  /** `,<csv-quoted identifier>,` as UTF-8 */
  csvId: Uint8Array;
  /** `,"identifier":<json>,"step":` as UTF-8 */
  jsonId: Uint8Array;
  timeMs: number;
  rank: number;
  /** Where the heads are rebuilt in place (no allocation when only the time changed). */
  csvHead: LineBuffer;
  jsonHead: LineBuffer;
  /** `<iso>,<rank>,<csv-quoted identifier>,`: csvHead's bytes */
  csv: Uint8Array;
  /** `{"timestamp":…,"time_ms":…,"rank":<rank>,"identifier":<json>,"step":`: jsonHead's bytes */
  json: Uint8Array;
}

const EMPTY_HEADS: LineHeads = {
  csvId: NO_BYTES,
  jsonId: NO_BYTES,
  timeMs: NaN,
  rank: -1,
  csvHead: new LineBuffer(0),
  jsonHead: new LineBuffer(0),
  csv: NO_BYTES,
  json: NO_BYTES,
};

/** Appends each metric record's CSV line to `csv` and its JSON line to `json` (if there is one). */
export class MetricLines {
  // Consecutive records mostly share a millisecond and a few identifiers.
  private readonly iso = new IsoTime();
  private readonly heads = new Map<string, LineHeads>();
  /** The heads of the identifier logged last: runs of one identifier skip the map. */
  private lastId: string | undefined;
  private last: LineHeads = EMPTY_HEADS;

  constructor(
    private readonly csv: LineBuffer,
    private readonly json: LineBuffer | undefined,
  ) {}

  add(r: LogRecord): void {
    const id = r.identifier;
    let h = this.last;
    if (id !== this.lastId) {
      h = this.heads.get(id) ?? this.cacheId(id);
      this.last = h;
      this.lastId = id;
    }
    const t = r.timeMs;
    const rank = r.rank;
    if (h.timeMs !== t || h.rank !== rank) this.renewHeads(h, t, rank);
    const step = r.step;
    const b = r.batchIdx;
    const v = r.value;

    // Each number is formatted once, into the CSV line, and its bytes copied into the JSON line.
    const c = this.csv;
    c.reserve(h.csv.length + LINE_ROOM);
    c.bytes(h.csv);
    const s0 = c.pos;
    if (step !== undefined) c.number(step);
    const s1 = c.pos;
    c.byte(COMMA);
    if (b !== undefined) c.number(b);
    const b1 = c.pos;
    c.byte(COMMA);
    const nonFinite = v - v === 0 ? undefined : v !== v ? NAN : v > 0 ? INF : NEG_INF;
    if (nonFinite !== undefined) c.small(nonFinite[0]);
    else if (v === 0 && 1 / v < 0) c.small(MINUS_ZERO);
    else c.number(v); // String(v): the shortest text that round-trips
    const v1 = c.pos;
    c.byte(LF);

    const j = this.json;
    if (j === undefined) return;
    j.reserve(h.json.length + LINE_ROOM);
    j.bytes(h.json);
    if (step === undefined) j.small(NULL);
    else j.copyFrom(c, s0, s1);
    j.small(BATCH_KEY);
    if (b === undefined) j.small(NULL);
    else j.copyFrom(c, s1 + 1, b1);
    j.small(VALUE_KEY);
    if (nonFinite !== undefined) j.small(nonFinite[1]);
    else j.copyFrom(c, b1 + 1, v1);
    j.small(OBJECT_END);
  }

  private cacheId(id: string): LineHeads {
    if (this.heads.size >= ID_CACHE_MAX) this.heads.clear(); // (`last` stays valid: it is never looked up again)
    // timeMs NaN: the heads are made by renewHeads before the first line.
    const csvId = Buffer.from(',' + csvField(id) + ',', 'utf8');
    const jsonId = Buffer.from(',"identifier":' + JSON.stringify(id) + ',"step":', 'utf8');
    const room = HEAD_ROOM + jsonId.length;
    const h = { csvId, jsonId, timeMs: NaN, rank: -1, csvHead: new LineBuffer(room), jsonHead: new LineBuffer(room), csv: NO_BYTES, json: NO_BYTES };
    this.heads.set(id, h);
    return h;
  }

  private renewHeads(h: LineHeads, t: number, rank: number): void {
    h.timeMs = t;
    h.rank = rank;
    const c = h.csvHead;
    c.clear();
    c.reserve(HEAD_ROOM + h.csvId.length);
    this.iso.write(c, t);
    c.byte(COMMA);
    c.number(rank);
    c.bytes(h.csvId);
    h.csv = c.reusableView();
    if (this.json === undefined) return;
    const j = h.jsonHead;
    j.clear();
    j.reserve(HEAD_ROOM + h.jsonId.length);
    j.bytes(TIMESTAMP_KEY);
    this.iso.write(j, t);
    j.bytes(TIME_MS_KEY);
    j.number(t);
    j.bytes(RANK_KEY);
    j.number(rank);
    j.bytes(h.jsonId);
    h.json = j.reusableView();
  }
}
