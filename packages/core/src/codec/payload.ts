/**
 * Bytes of non-scalar records. msgpackr carries the normalised item (binary
 * stays binary, no base64); histograms travel as raw float64 bytes.
 * Scalars never come here: they have the fixed 32-byte layout of ring/layout.ts.
 */
import { Packr } from 'msgpackr';
import { KIND_CODE, kindFromCode, type Kind } from '../vocab/kinds.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
const HISTOGRAM = KIND_CODE.histogram;
const IMAGE = KIND_CODE.image;
const FIGURE = KIND_CODE.figure;

export function encodePayload(kind: Kind, item: unknown): Uint8Array {
  if (kind === 'histogram') {
    const h = item as Float64Array;
    return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
  }
  return packr.pack(item);
}

/** Own, aligned copy of binary fields, so nothing aliases ring memory or a shared decode buffer. */
function ownBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/** `bytes` must be the record's own copy (not a view of the ring). */
export function decodePayload(kindCode: number, bytes: Uint8Array): unknown {
  if (kindCode === HISTOGRAM) {
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
    return new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8);
  }
  kindFromCode(kindCode); // throws on a corrupt code
  const item = packr.unpack(bytes) as unknown;
  if ((kindCode === IMAGE || kindCode === FIGURE) && item !== null && typeof item === 'object') {
    const o = item as { data?: unknown };
    if (o.data instanceof Uint8Array) return { ...o, data: ownBytes(o.data) };
  }
  return item;
}
