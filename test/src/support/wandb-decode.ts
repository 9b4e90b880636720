/**
 * An independent reader of W&B's offline transaction log (`run-<id>.wandb`), written from its
 * public description and sharing no code with ranklog's writer:
 * - a 7-byte header: ':W&B', uint16 LE 0xBEE1, a version byte 0;
 * - then the LevelDB log format in 32 KiB blocks counted from file offset 0: chunks of
 *   crc32 (IEEE, not masked, over the type byte and the payload; uint32 LE), length (uint16 LE),
 *   type (FULL 1, FIRST 2, MIDDLE 3, LAST 4), payload; a chunk never crosses a block boundary;
 *   a block tail of fewer than 7 bytes is zero-filled; exactly 7 left holds an empty FIRST chunk;
 * - each record is a `wandb_internal.Record` protobuf (wandb/proto/wandb_internal.proto) with
 *   `num` (1) and exactly one record type set.
 * Anything off the format is reported, not guessed around: sync stops at the first bad record.
 */
import { decodeMessage, type ProtoMessage } from './proto-decode.js';
import { crc32 } from './png-decode.js';

export const BLOCK_SIZE = 32 * 1024;
export const CHUNK_HEADER = 7;
export const FILE_HEADER = 7;
export const CHUNK = { FULL: 1, FIRST: 2, MIDDLE: 3, LAST: 4 } as const;

/** Record.record_type: field number → name (the oneof members a ranklog run may hold, and the rest seen in wandb's proto). */
export const RECORD_TYPES: Readonly<Record<number, string>> = {
  2: 'history',
  3: 'summary',
  4: 'output',
  5: 'config',
  6: 'files',
  7: 'stats',
  8: 'artifact',
  9: 'tbrecord',
  10: 'alert',
  11: 'telemetry',
  12: 'metric',
  13: 'output_raw',
  17: 'run',
  18: 'exit',
  20: 'final',
  21: 'header',
  22: 'footer',
  23: 'preempting',
  24: 'link_artifact',
  25: 'use_artifact',
  26: 'environment',
  100: 'request',
};

export interface Framing {
  /** Record payloads, reassembled from their chunks, in file order. */
  records: Uint8Array[];
  /** Chunk types seen (FULL, FIRST, MIDDLE, LAST), and how many empty FIRST chunks. */
  chunkTypes: Record<number, number>;
  emptyFirst: number;
  /** Block tails of 1–6 bytes (all zero, else an error). */
  zeroTails: number;
  /** The file ends inside a chunk or a record: sync would stop here; what comes before is valid. */
  truncatedTail: boolean;
  errors: string[];
}

/** Read the framing of a .wandb file. */
export function readFraming(bytes: Uint8Array): Framing {
  const out: Framing = { records: [], chunkTypes: {}, emptyFirst: 0, zeroTails: 0, truncatedTail: false, errors: [] };
  if (bytes.length < FILE_HEADER) {
    out.errors.push(`file of ${bytes.length} bytes: no 7-byte header`);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ident = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (ident !== ':W&B') out.errors.push(`header ident ${JSON.stringify(ident)}, not ":W&B"`);
  if (view.getUint16(4, true) !== 0xbee1) out.errors.push(`header magic 0x${view.getUint16(4, true).toString(16)}, not 0xbee1`);
  if (bytes[6] !== 0) out.errors.push(`header version ${bytes[6]}, not 0`);
  let pos = FILE_HEADER;
  let pending: Uint8Array[] | undefined;
  while (pos < bytes.length && out.errors.length === 0) {
    const left = BLOCK_SIZE - (pos % BLOCK_SIZE);
    if (left < CHUNK_HEADER) {
      const tail = bytes.subarray(pos, Math.min(bytes.length, pos + left));
      if (tail.some((b) => b !== 0)) out.errors.push(`block tail of ${left} bytes at ${pos} is not zero-filled`);
      if (pos + left > bytes.length) out.truncatedTail = true; // a file may end inside the tail only if it was cut
      out.zeroTails++;
      pos += left;
      continue;
    }
    if (pos + CHUNK_HEADER > bytes.length) {
      out.truncatedTail = true;
      break;
    }
    const crc = view.getUint32(pos, true);
    const length = view.getUint16(pos + 4, true);
    const type = bytes[pos + 6]!;
    if (CHUNK_HEADER + length > left) {
      out.errors.push(`chunk at ${pos} (length ${length}) crosses the block boundary at ${pos + left}`);
      break;
    }
    if (pos + CHUNK_HEADER + length > bytes.length) {
      out.truncatedTail = true;
      break;
    }
    const payload = bytes.subarray(pos + CHUNK_HEADER, pos + CHUNK_HEADER + length);
    const expect = crc32(bytes.subarray(pos + 6, pos + CHUNK_HEADER + length));
    if (crc !== expect) {
      out.errors.push(`chunk at ${pos}: crc 0x${crc.toString(16)}, expected 0x${expect.toString(16)} (plain IEEE crc32 of type and payload)`);
      break;
    }
    out.chunkTypes[type] = (out.chunkTypes[type] ?? 0) + 1;
    switch (type) {
      case CHUNK.FULL:
        if (pending) out.errors.push(`FULL chunk at ${pos} inside a record begun by FIRST`);
        out.records.push(payload);
        break;
      case CHUNK.FIRST:
        if (pending) out.errors.push(`FIRST chunk at ${pos} inside a record`);
        if (length === 0) {
          out.emptyFirst++;
          if (left !== CHUNK_HEADER) out.errors.push(`empty FIRST chunk at ${pos} with ${left} bytes left in the block (only when exactly 7 are left)`);
        }
        pending = [payload];
        break;
      case CHUNK.MIDDLE:
      case CHUNK.LAST:
        if (!pending) {
          out.errors.push(`${type === CHUNK.MIDDLE ? 'MIDDLE' : 'LAST'} chunk at ${pos} without FIRST`);
          break;
        }
        pending.push(payload);
        if (type === CHUNK.LAST) {
          out.records.push(Buffer.concat(pending));
          pending = undefined;
        }
        break;
      default:
        out.errors.push(`chunk type ${type} at ${pos}`);
    }
    pos += CHUNK_HEADER + length;
  }
  if (pending && out.errors.length === 0) out.truncatedTail = true;
  return out;
}

export interface DecodedRecord {
  num: number;
  /** The one record type set (RECORD_TYPES name, or `field <n>`). */
  type: string;
  /** The record-type message. */
  body: ProtoMessage;
  /** Every field number set on the Record. */
  fields: number[];
}

/** One Record: `num` and exactly one record type (control 16, uuid 19 and _info 200 may accompany it). */
export function decodeRecord(payload: Uint8Array): DecodedRecord {
  const m = decodeMessage(payload);
  const types = m.numbers().filter((n) => n !== 1 && n !== 16 && n !== 19 && n !== 200);
  if (types.length !== 1) throw new Error(`a Record with ${types.length} record types set (fields ${m.numbers().join(', ')})`);
  const n = types[0]!;
  return { num: Number(m.int64(1)), type: RECORD_TYPES[n] ?? `field ${n}`, body: m.message(n)!, fields: m.numbers() };
}

/**
 * A value_json: JSON extended with the bare numbers NaN, Infinity and -Infinity, which Python's
 * json module writes for wandb and wandb's Go side reads back (its runhistory tests).
 */
export function parseValueJson(text: string): unknown {
  const mark = `\u0000nonfinite${Math.random()}:`;
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    const word = ['-Infinity', 'Infinity', 'NaN'].find((w) => text.startsWith(w, i));
    if (word !== undefined) {
      out += JSON.stringify(mark + word);
      i += word.length - 1;
      continue;
    }
    if (c === '"') inString = true;
    out += c;
  }
  return JSON.parse(out, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(mark) ? Number(v.slice(mark.length)) : v));
}

/** An item as stored: its key or nested key path, and its value_json text. */
export interface RawItem {
  key: string;
  nestedKey: string[];
  json: string;
}

export function rawItems(list: ProtoMessage[]): RawItem[] {
  return list.map((it) => ({ key: it.string(1), nestedKey: it.stringList(2), json: it.string(16) }));
}

/** key → JSON value of items { key 1, nested_key 2, value_json 16 } (HistoryItem, SummaryItem, ConfigItem, StatsItem); a nested key joined with '.'. */
export function items(list: ProtoMessage[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const it of rawItems(list)) {
    const key = [it.key, ...it.nestedKey].filter((k) => k !== '').join('.');
    out.set(key, parseValueJson(it.json));
  }
  return out;
}

/** MetricRecord: name 1, glob_name 2, step_metric 4, options 6 { step_sync 1, hidden 2, defined 3 }. */
export function metric(body: ProtoMessage): { name: string; stepMetric: string; stepSync: boolean; defined: boolean } {
  const o = body.message(6);
  return { name: body.string(1), stepMetric: body.string(4), stepSync: o?.bool(1) ?? false, defined: o?.bool(3) ?? false };
}

/** RunExitRecord: exit_code 1, runtime 2. */
export function exitInfo(body: ProtoMessage): { exitCode: number; runtime: number } {
  return { exitCode: body.int32(1), runtime: body.int32(2) };
}

export interface RunInfo {
  runId: string;
  entity: string;
  project: string;
  config: Map<string, unknown>;
  group: string;
  jobType: string;
  displayName: string;
  notes: string;
  tags: string[];
  host: string;
  /** google.protobuf.Timestamp { seconds 1, nanos 2 } as ms. */
  startTimeMs: number | undefined;
}

export function runInfo(body: ProtoMessage): RunInfo {
  const ts = body.message(17);
  return {
    runId: body.string(1),
    entity: body.string(2),
    project: body.string(3),
    config: items(body.message(4)?.messages(1) ?? []),
    group: body.string(6),
    jobType: body.string(7),
    displayName: body.string(8),
    notes: body.string(9),
    tags: body.stringList(10),
    host: body.string(13),
    startTimeMs: ts === undefined ? undefined : Number(ts.int64(1)) * 1000 + Math.floor(ts.int32(2) / 1e6),
  };
}

/** HistoryRecord: items (1) and step (2 → num 1). */
export function history(body: ProtoMessage): { items: Map<string, unknown>; step: number | undefined } {
  const step = body.message(2);
  return { items: items(body.messages(1)), step: step === undefined ? undefined : Number(step.int64(1)) };
}

/** FilesRecord: files (1) of { path 1, policy 2, type 3 }. */
export function files(body: ProtoMessage): { path: string; policy: number; type: number }[] {
  return body.messages(1).map((f) => ({ path: f.string(1), policy: f.int32(2), type: f.int32(3) }));
}

/** The whole file: framing, then every record decoded, with `num` checked to run 1, 2, 3, … */
export function readWandbFile(bytes: Uint8Array): { framing: Framing; records: DecodedRecord[]; errors: string[] } {
  const framing = readFraming(bytes);
  const errors = [...framing.errors];
  const records: DecodedRecord[] = [];
  for (const [i, payload] of framing.records.entries()) {
    try {
      const r = decodeRecord(payload);
      if (r.num !== i + 1) errors.push(`record ${i}: num ${r.num}, expected ${i + 1}`);
      records.push(r);
    } catch (e) {
      errors.push(`record ${i}: ${(e as Error).message}`);
      break;
    }
  }
  return { framing, records, errors };
}
