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

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export const crc32: (data: Uint8Array) => number = typeof native === 'function' ? (data) => native(data) : tableCrc32;
