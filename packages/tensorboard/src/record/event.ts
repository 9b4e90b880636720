/**
 * Event protos (event.proto): the general path builds them with ProtoWriter;
 * scalars — millions per second — are written straight into the record
 * buffer from a per-tag template (see ScalarTemplate).
 */
import { ProtoWriter, varintLength } from '@ranklog/core/sink';
import { EVENT, FILE_VERSION, SESSION_LOG, SESSION_STATUS, SUMMARY, VALUE } from '../proto/fields.js';
import { HEADER_BYTES, FOOTER_BYTES, type RecordBuffer } from './record-buffer.js';
import { CrcRun, crc32cUpdate, crc32cUpdate4 } from './crc32c.js';

const utf8 = new TextEncoder();
/** A float's bits as an int32, for the value's CRC. */
const f32 = new Float32Array(1);
const f32bits = new Int32Array(f32.buffer);

export function fileVersionEvent(wallTimeSecs: number): Uint8Array {
  return new ProtoWriter(32).double(EVENT.wallTime, wallTimeSecs).string(EVENT.fileVersion, FILE_VERSION).finish();
}

/**
 * SessionLog START at `step`: TensorBoard then drops the events of this run it has read with a step
 * at or after it (a restart from a checkpoint; torch's SummaryWriter(purge_step=…) writes the same).
 */
export function sessionStartEvent(wallTimeSecs: number, step: number): Uint8Array {
  const w = new ProtoWriter(32).double(EVENT.wallTime, wallTimeSecs);
  if (step !== 0) w.int64(EVENT.step, step);
  return w.message(EVENT.sessionLog, (m) => m.int64(SESSION_LOG.status, SESSION_STATUS.start)).finish();
}

/** An Event holding one Summary.Value (already encoded). */
export function summaryEvent(wallTimeSecs: number, step: number, value: Uint8Array): Uint8Array {
  const w = new ProtoWriter(value.length + 32).double(EVENT.wallTime, wallTimeSecs);
  if (step !== 0) w.int64(EVENT.step, step); // proto3: 0 is the default and is not written
  return w.message(EVENT.summary, (s) => s.bytes(SUMMARY.value, value)).finish();
}

function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  if (v <= 0x7fffffff) {
    // int32: shifts, not divisions (steps nearly always)
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    return pos;
  }
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/**
 * Event { wall_time, step, summary { value { tag, simple_value } } } for one tag,
 * with every byte that does not depend on the record precomputed — and its CRC: the payload's
 * CRC is carried along as it is written, across the tag's fixed bytes in 4 lookups (CrcRun),
 * from a wall time's CRC kept while the millisecond lasts.
 */
export class ScalarTemplate {
  /** summary field key, summary length, value key, value length, tag key, tag length, tag, simple_value key */
  private readonly tail: Uint8Array;
  /** tail as little-endian int32 words (its last length % 4 bytes in the last, zero-padded): 4 bytes per store. */
  private readonly tailWords: Int32Array;
  private readonly tailCrc: CrcRun;
  /** The CRC register after the wall-time field of `lastWall` (not 0: -0 has other bytes). */
  private lastWall = 0;
  private lastWallCrc = 0;

  constructor(tag: string) {
    const tagBytes = utf8.encode(tag);
    const valueLen = 1 + varintLength(tagBytes.length) + tagBytes.length + 1 + 4;
    const summaryLen = 1 + varintLength(valueLen) + valueLen;
    const t = new Uint8Array(1 + varintLength(summaryLen) + 1 + varintLength(valueLen) + 1 + varintLength(tagBytes.length) + tagBytes.length + 1);
    let p = 0;
    t[p++] = (EVENT.summary << 3) | 2;
    p = writeVarint(t, p, summaryLen);
    t[p++] = (SUMMARY.value << 3) | 2;
    p = writeVarint(t, p, valueLen);
    t[p++] = (VALUE.tag << 3) | 2;
    p = writeVarint(t, p, tagBytes.length);
    t.set(tagBytes, p);
    p += tagBytes.length;
    t[p++] = (VALUE.simpleValue << 3) | 5;
    this.tail = t;
    const padded = new Uint8Array(Math.ceil(t.length / 4) * 4);
    padded.set(t);
    const dv = new DataView(padded.buffer);
    this.tailWords = Int32Array.from({ length: padded.length / 4 }, (_, k) => dv.getInt32(4 * k, true));
    this.tailCrc = new CrcRun(t);
  }

  /** The Summary.Value of a scalar, for the general path. */
  static value(tag: string, value: number): Uint8Array {
    return new ProtoWriter(tag.length + 16).string(VALUE.tag, tag).float(VALUE.simpleValue, value).finish();
  }

  /** Append one framed scalar event; negative steps take the general path (10-byte varints). */
  write(out: RecordBuffer, wallTimeSecs: number, step: number, value: number): void {
    const tail = this.tail;
    out.reserve(HEADER_BYTES + 9 + 11 + tail.length + 3 + 4 + FOOTER_BYTES); // (+3: the tail's last word)
    const buf = out.buf;
    const view = out.view;
    const start = out.pos + HEADER_BYTES;
    let p = start;
    buf[p++] = (EVENT.wallTime << 3) | 1;
    view.setFloat64(p, wallTimeSecs, true);
    p += 8;
    let c: number;
    if (wallTimeSecs === this.lastWall && wallTimeSecs !== 0) c = this.lastWallCrc;
    else {
      c = crc32cUpdate(~0, buf, start, p);
      this.lastWall = wallTimeSecs;
      this.lastWallCrc = c;
    }
    if (step !== 0) {
      const s0 = p;
      buf[p++] = (EVENT.step << 3) | 0;
      p = writeVarint(buf, p, step);
      c = crc32cUpdate(c, buf, s0, p);
    }
    // The tail by words (set() costs more than copying ~20 bytes); the last word's padding is overwritten next.
    const words = this.tailWords;
    for (let k = 0; k < words.length; k++) view.setInt32(p + 4 * k, words[k]!, true);
    p += tail.length;
    c = this.tailCrc.over(c);
    f32[0] = value;
    const bits = f32bits[0]!;
    view.setInt32(p, bits, true);
    c = crc32cUpdate4(c, bits);
    p += 4;
    out.sealWithCrc(p - start, ~c >>> 0);
  }
}
