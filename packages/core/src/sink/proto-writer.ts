/**
 * A minimal protobuf encoder (wire format: varint, 64-bit, length-delimited, 32-bit).
 * Messages are built inside-out: encode the child into its own writer, then
 * write it as a length-delimited field of the parent. Field numbers live with
 * the message definitions of each backend (e.g. the TensorBoard package's proto/fields.ts).
 */
import { Growable } from './growable.js';

const utf8 = new TextEncoder();

/** Bytes of `v` (≥ 0, up to 2^53) as a protobuf varint: for sizing a length prefix before writing it. */
export function varintLength(v: number): number {
  let n = 1;
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export class ProtoWriter extends Growable {
  constructor(initial = 256) {
    super(initial);
  }

  /** Unsigned varint of a non-negative safe integer. */
  varint(v: number): this {
    this.reserve(10);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** int64/int32 field (negative values as 10-byte two's complement, as protobuf does). */
  int64(field: number, v: number): this {
    this.tag(field, 0);
    if (v >= 0) return this.varint(v);
    // Two's complement over 64 bits: write low 63 bits then the sign-carrying high bits.
    const big = BigInt.asUintN(64, BigInt(v));
    this.reserve(10);
    let x = big;
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
    return this;
  }

  /** A bool field. */
  bool(field: number, v: boolean): this {
    this.tag(field, 0);
    return this.varint(v ? 1 : 0);
  }

  /** A double field (fixed64). */
  double(field: number, v: number): this {
    this.tag(field, 1);
    this.reserve(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  /** A float field (fixed32). */
  float(field: number, v: number): this {
    this.tag(field, 5);
    this.reserve(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  /** A bytes field (length-delimited). */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A string field, UTF-8 (length-delimited). */
  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  /** A nested message, encoded by `fill` into a fresh writer. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const child = new ProtoWriter(64);
    fill(child);
    return this.bytes(field, child.finish());
  }

  /** repeated double, packed. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    this.tag(field, 2);
    this.varint(values.length * 8);
    this.reserve(values.length * 8);
    for (let i = 0; i < values.length; i++) {
      this.view.setFloat64(this.pos, values[i]!, true);
      this.pos += 8;
    }
    return this;
  }

  /** The encoded bytes (a view; copy if the writer is reused). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
