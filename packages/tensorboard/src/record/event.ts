/**
 * Event protos (event.proto): the general path builds them with ProtoWriter;
 * scalars — millions per second — are written straight into the record
 * buffer from a per-tag template (see ScalarTemplate).
 */
import { ProtoWriter } from '../proto/writer.js';
import { EVENT, FILE_VERSION, SUMMARY, VALUE } from '../proto/fields.js';
import { HEADER_BYTES, FOOTER_BYTES, type RecordBuffer } from './record-buffer.js';

const utf8 = new TextEncoder();

export function fileVersionEvent(wallTimeSecs: number): Uint8Array {
  return new ProtoWriter(32).double(EVENT.wallTime, wallTimeSecs).string(EVENT.fileVersion, FILE_VERSION).finish();
}

/** An Event holding one Summary.Value (already encoded). */
export function summaryEvent(wallTimeSecs: number, step: number, value: Uint8Array): Uint8Array {
  const w = new ProtoWriter(value.length + 32).double(EVENT.wallTime, wallTimeSecs);
  if (step !== 0) w.int64(EVENT.step, step); // proto3: 0 is the default and is not written
  return w.message(EVENT.summary, (s) => s.bytes(SUMMARY.value, value)).finish();
}

function varintLength(v: number): number {
  let n = 1;
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/**
 * Event { wall_time, step, summary { value { tag, simple_value } } } for one tag,
 * with every byte that does not depend on the record precomputed.
 */
export class ScalarTemplate {
  /** summary field key, summary length, value key, value length, tag key, tag length, tag, simple_value key */
  private readonly tail: Uint8Array;

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
  }

  /** The Summary.Value of a scalar, for the general path. */
  static value(tag: string, value: number): Uint8Array {
    return new ProtoWriter(tag.length + 16).string(VALUE.tag, tag).float(VALUE.simpleValue, value).finish();
  }

  /** Append one framed scalar event; negative steps take the general path (10-byte varints). */
  write(out: RecordBuffer, wallTimeSecs: number, step: number, value: number): void {
    const tail = this.tail;
    out.reserve(HEADER_BYTES + 9 + 11 + tail.length + 4 + FOOTER_BYTES);
    const buf = out.buf;
    const start = out.pos + HEADER_BYTES;
    let p = start;
    buf[p++] = (EVENT.wallTime << 3) | 1;
    out.view.setFloat64(p, wallTimeSecs, true);
    p += 8;
    if (step !== 0) {
      buf[p++] = (EVENT.step << 3) | 0;
      p = writeVarint(buf, p, step);
    }
    buf.set(tail, p);
    p += tail.length;
    out.view.setFloat32(p, value, true);
    p += 4;
    out.seal(p - start);
  }
}
