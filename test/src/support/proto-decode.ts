/**
 * A schema-less protobuf wire-format reader for tests, written from the public encoding
 * description (protobuf.dev "Encoding"): a message is a sequence of (tag, value) pairs,
 * tag = (field_number << 3) | wire_type, with wire types
 *   0 VARINT (up to 10 bytes; negative int32/int64 are sign-extended to 10 bytes),
 *   1 I64 (8 bytes little-endian: fixed64, sfixed64, double),
 *   2 LEN (varint length + bytes: string, bytes, sub-message, packed repeated),
 *   5 I32 (4 bytes little-endian: fixed32, sfixed32, float).
 * Groups (3, 4) are deprecated and rejected. Field 0 is invalid.
 *
 * decodeMessage() keeps every field occurrence, in order, grouped by field number, so a
 * repeated field keeps all its elements and a singular field that appears twice can be
 * noticed (the typed decoders in tb-decode.ts report that instead of silently taking the
 * last one, which is what a lenient parser would do).
 *
 * Anything malformed throws a ProtoError with the byte offset — a test oracle should not
 * guess.
 */

export class ProtoError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'ProtoError';
  }
}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;
export type WireType = 0 | 1 | 2 | 5;

const WIRE_NAMES: Record<number, string> = { 0: 'VARINT', 1: 'I64', 2: 'LEN', 3: 'SGROUP', 4: 'EGROUP', 5: 'I32' };

/** One occurrence of a field. */
export interface ProtoField {
  readonly number: number;
  readonly wire: WireType;
  /** VARINT: the low and high 32 bits of the 64-bit value, unsigned. */
  readonly lo: number;
  readonly hi: number;
  /** I64 (8 bytes), I32 (4 bytes), LEN (the payload): a view into the input. */
  readonly bytes: Uint8Array;
  /** Where the tag of this occurrence starts in the buffer given to decodeMessage. */
  readonly offset: number;
}

export interface Varint {
  lo: number;
  hi: number;
  /** Position after the varint. */
  next: number;
}

/** Read a base-128 varint of at most 10 bytes starting at `pos` (before `end`). */
export function readVarint(buf: Uint8Array, pos: number, end = buf.length): Varint {
  let lo = 0;
  let hi = 0;
  const start = pos;
  for (let n = 0; n < 10; n++) {
    if (pos >= end) throw new ProtoError('truncated varint', start);
    const b = buf[pos++]!;
    const payload = b & 0x7f;
    if (n < 4) {
      lo |= payload << (7 * n);
    } else if (n === 4) {
      lo |= (payload & 0x0f) << 28; // bits 28..31
      hi |= payload >>> 4; // bits 32..34
    } else {
      if (n === 9 && payload > 1) throw new ProtoError('varint longer than 64 bits', start);
      hi |= payload << (7 * n - 32); // bits 35.. of the value → bits 3.. of hi
    }
    if ((b & 0x80) === 0) return { lo: lo >>> 0, hi: hi >>> 0, next: pos };
  }
  throw new ProtoError('varint with more than 10 bytes', start);
}

/** A varint's 64 bits as an unsigned bigint. */
export function varintToUint64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** A varint's 64 bits read as a two's-complement int64. */
export function varintToInt64(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, varintToUint64(lo, hi));
}

/** A varint as a JavaScript number when it is a safe integer as int64, else throws. */
export function varintToSafeNumber(lo: number, hi: number): number {
  const v = varintToInt64(lo, hi);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`int64 ${v} is not a safe JavaScript integer`);
  return Number(v);
}

/** A decoded message: every occurrence of every field, in wire order and by number. */
export class ProtoMessage {
  readonly fields: readonly ProtoField[];
  private readonly byNumber = new Map<number, ProtoField[]>();

  constructor(fields: ProtoField[]) {
    this.fields = fields;
    for (const f of fields) {
      const list = this.byNumber.get(f.number);
      if (list) list.push(f);
      else this.byNumber.set(f.number, [f]);
    }
  }

  /** The field numbers present, sorted ascending (each once). */
  numbers(): number[] {
    return [...this.byNumber.keys()].sort((a, b) => a - b);
  }

  has(n: number): boolean {
    return this.byNumber.has(n);
  }

  all(n: number): ProtoField[] {
    return this.byNumber.get(n) ?? [];
  }

  count(n: number): number {
    return this.byNumber.get(n)?.length ?? 0;
  }

  /** The only occurrence of a singular field, or undefined. Throws if it occurs twice or has another wire type. */
  one(n: number, wire: WireType): ProtoField | undefined {
    const list = this.byNumber.get(n);
    if (list === undefined) return undefined;
    if (list.length > 1) throw new ProtoError(`singular field ${n} occurs ${list.length} times`, list[1]!.offset);
    const f = list[0]!;
    if (f.wire !== wire) throw new ProtoError(`field ${n} has wire type ${WIRE_NAMES[f.wire]}, expected ${WIRE_NAMES[wire]}`, f.offset);
    return f;
  }

  // ------------------------------------------------------------ singular scalars (proto3 defaults when absent)

  uint64(n: number): bigint {
    const f = this.one(n, WIRE_VARINT);
    return f ? varintToUint64(f.lo, f.hi) : 0n;
  }

  int64(n: number): bigint {
    const f = this.one(n, WIRE_VARINT);
    return f ? varintToInt64(f.lo, f.hi) : 0n;
  }

  /** int32 (and enums): the low 32 bits, signed; a negative value is sign-extended to 10 bytes on the wire. */
  int32(n: number): number {
    const f = this.one(n, WIRE_VARINT);
    if (!f) return 0;
    const v = varintToInt64(f.lo, f.hi);
    if (v < -2147483648n || v > 2147483647n) throw new ProtoError(`int32 field ${n} holds ${v}`, f.offset);
    return f.lo | 0;
  }

  bool(n: number): boolean {
    const f = this.one(n, WIRE_VARINT);
    return f ? f.lo !== 0 || f.hi !== 0 : false;
  }

  double(n: number): number {
    const f = this.one(n, WIRE_I64);
    return f ? readDouble(f.bytes, 0) : 0;
  }

  float(n: number): number {
    const f = this.one(n, WIRE_I32);
    return f ? readFloat(f.bytes, 0) : 0;
  }

  fixed32(n: number): number {
    const f = this.one(n, WIRE_I32);
    return f ? new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getUint32(0, true) : 0;
  }

  bytes(n: number): Uint8Array | undefined {
    return this.one(n, WIRE_LEN)?.bytes;
  }

  /** A string field (UTF-8, fatal on invalid sequences); '' when absent. */
  string(n: number): string {
    const b = this.bytes(n);
    return b === undefined ? '' : utf8(b, n);
  }

  /** A singular sub-message, or undefined when absent. */
  message(n: number): ProtoMessage | undefined {
    const b = this.bytes(n);
    return b === undefined ? undefined : decodeMessage(b);
  }

  // ------------------------------------------------------------ repeated

  /** Every element of a repeated sub-message field. */
  messages(n: number): ProtoMessage[] {
    return this.all(n).map((f) => {
      if (f.wire !== WIRE_LEN) throw new ProtoError(`message field ${n} has wire type ${WIRE_NAMES[f.wire]}`, f.offset);
      return decodeMessage(f.bytes);
    });
  }

  /** Every element of a repeated string/bytes field. */
  bytesList(n: number): Uint8Array[] {
    return this.all(n).map((f) => {
      if (f.wire !== WIRE_LEN) throw new ProtoError(`bytes field ${n} has wire type ${WIRE_NAMES[f.wire]}`, f.offset);
      return f.bytes;
    });
  }

  stringList(n: number): string[] {
    return this.bytesList(n).map((b) => utf8(b, n));
  }

  /** A repeated double, packed (LEN of 8-byte chunks) or not (I64 each) — parsers must accept both. */
  packedDoubles(n: number): number[] {
    return packedFixed(this.all(n), n, 8, WIRE_I64, readDouble);
  }

  /** A repeated float, packed or not. */
  packedFloats(n: number): number[] {
    return packedFixed(this.all(n), n, 4, WIRE_I32, readFloat);
  }

  /** A repeated varint field (int32/int64/bool/enum), packed or not, as int64 bigints. */
  packedVarints(n: number): bigint[] {
    const out: bigint[] = [];
    for (const f of this.all(n)) {
      if (f.wire === WIRE_VARINT) out.push(varintToInt64(f.lo, f.hi));
      else if (f.wire === WIRE_LEN) {
        let p = 0;
        while (p < f.bytes.length) {
          const v = readVarint(f.bytes, p);
          out.push(varintToInt64(v.lo, v.hi));
          p = v.next;
        }
      } else throw new ProtoError(`varint field ${n} has wire type ${WIRE_NAMES[f.wire]}`, f.offset);
    }
    return out;
  }

  /** Whether repeated field n was written packed (one LEN occurrence) — informative for structure reports. */
  isPacked(n: number): boolean {
    const list = this.all(n);
    return list.length > 0 && list.every((f) => f.wire === WIRE_LEN);
  }
}

function packedFixed(list: ProtoField[], n: number, width: 4 | 8, wire: WireType, read: (b: Uint8Array, at: number) => number): number[] {
  const out: number[] = [];
  for (const f of list) {
    if (f.wire === wire) out.push(read(f.bytes, 0));
    else if (f.wire === WIRE_LEN) {
      if (f.bytes.length % width !== 0) throw new ProtoError(`packed field ${n} is ${f.bytes.length} bytes, not a multiple of ${width}`, f.offset);
      for (let p = 0; p < f.bytes.length; p += width) out.push(read(f.bytes, p));
    } else throw new ProtoError(`field ${n} has wire type ${WIRE_NAMES[f.wire]}`, f.offset);
  }
  return out;
}

export function readDouble(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset + at, 8).getFloat64(0, true);
}

export function readFloat(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset + at, 4).getFloat32(0, true);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8(b: Uint8Array, n: number): string {
  try {
    return UTF8.decode(b);
  } catch {
    throw new ProtoError(`string field ${n} is not valid UTF-8`, 0);
  }
}

/** Decode one message's wire format (the whole of `buf`). */
export function decodeMessage(buf: Uint8Array): ProtoMessage {
  const fields: ProtoField[] = [];
  const end = buf.length;
  let pos = 0;
  const empty = buf.subarray(0, 0);
  while (pos < end) {
    const offset = pos;
    const tag = readVarint(buf, pos, end);
    pos = tag.next;
    if (tag.hi !== 0) throw new ProtoError('tag does not fit in 32 bits', offset);
    const number = tag.lo >>> 3;
    const wire = tag.lo & 7;
    if (number === 0) throw new ProtoError('field number 0', offset);
    switch (wire) {
      case WIRE_VARINT: {
        const v = readVarint(buf, pos, end);
        pos = v.next;
        fields.push({ number, wire, lo: v.lo, hi: v.hi, bytes: empty, offset });
        break;
      }
      case WIRE_I64:
        if (pos + 8 > end) throw new ProtoError(`truncated I64 field ${number}`, offset);
        fields.push({ number, wire, lo: 0, hi: 0, bytes: buf.subarray(pos, pos + 8), offset });
        pos += 8;
        break;
      case WIRE_LEN: {
        const len = readVarint(buf, pos, end);
        pos = len.next;
        if (len.hi !== 0 || pos + len.lo > end)
          throw new ProtoError(`LEN field ${number} claims ${varintToUint64(len.lo, len.hi)} bytes, ${end - pos} remain`, offset);
        fields.push({ number, wire, lo: 0, hi: 0, bytes: buf.subarray(pos, pos + len.lo), offset });
        pos += len.lo;
        break;
      }
      case WIRE_I32:
        if (pos + 4 > end) throw new ProtoError(`truncated I32 field ${number}`, offset);
        fields.push({ number, wire, lo: 0, hi: 0, bytes: buf.subarray(pos, pos + 4), offset });
        pos += 4;
        break;
      default:
        throw new ProtoError(`wire type ${WIRE_NAMES[wire] ?? wire} of field ${number} is not supported`, offset);
    }
  }
  return new ProtoMessage(fields);
}
