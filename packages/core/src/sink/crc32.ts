/**
 * CRC-32 (IEEE 802.3, the polynomial of PNG chunks and zlib). node:zlib has it from
 * Node 20.15; older Node 20 releases (engines: >=20) get the table version.
 */
import * as zlib from 'node:zlib';

let table: Uint32Array | undefined;

/** The byte-at-a-time table algorithm of the PNG specification (Annex D). */
export function tableCrc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

let table8: Int32Array | undefined;

/**
 * Slicing-by-8: eight bytes per step. For short inputs — W&B chunks of a history row are
 * 50–300 bytes — it is several times faster than a call into zlib, whose fixed cost (about
 * 1 µs on the development VM) dominates there.
 */
export function sliceBy8Crc32(data: Uint8Array): number {
  let t = table8;
  if (t === undefined) {
    t = table8 = new Int32Array(8 * 256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c;
    }
    for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  }
  let c = ~0;
  let i = 0;
  const end = data.length;
  for (; i + 8 <= end; i += 8) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c =
      t[7 * 256 + (c & 0xff)]! ^
      t[6 * 256 + ((c >>> 8) & 0xff)]! ^
      t[5 * 256 + ((c >>> 16) & 0xff)]! ^
      t[4 * 256 + (c >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** Below this many bytes the JavaScript loop beats the call into zlib. */
const NATIVE_FROM = 1024;

/** CRC-32 (IEEE 802.3, as zlib and PNG) of bytes, continuing from `crc`. */
export const crc32: (data: Uint8Array) => number =
  typeof native === 'function' ? (data) => (data.length < NATIVE_FROM ? sliceBy8Crc32(data) : native(data)) : sliceBy8Crc32;
