/**
 * Reading the records ranklog wrote: the repair scan and the online upload walk messages field by
 * field, without a schema (the field numbers are in fields.ts).
 */
/** A protobuf field walker over one message: the fields ranklog reads back (wire types 0 and 2; fixed-size ones skipped). */
export function* fields(b: Uint8Array): Generator<{ field: number; wire: number; value: number; bytes: Uint8Array }> {
  let p = 0;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= b.length) throw new Error('truncated varint');
      const byte = b[p++]!;
      v += (byte & 0x7f) * mul;
      if (byte < 0x80) return v;
      mul *= 128;
    }
  };
  while (p < b.length) {
    const tag = varint();
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    if (wire === 0) yield { field, wire, value: varint(), bytes: b.subarray(0, 0) };
    else if (wire === 2) {
      const n = varint();
      if (p + n > b.length) throw new Error('truncated field');
      yield { field, wire, value: n, bytes: b.subarray(p, p + n) };
      p += n;
    } else if (wire === 1 || wire === 5) p += wire === 1 ? 8 : 4;
    else throw new Error(`wire type ${wire}`);
  }
}
