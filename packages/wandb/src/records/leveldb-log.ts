/**
 * The framing of a W&B transaction log (`run-<id>.wandb`): a 7-byte header, then LevelDB's log
 * format (github.com/google/leveldb doc/log_format.md) with W&B's one change, a plain IEEE CRC-32:
 *
 *   file   := header block*          header := ':W&B' | uint16 LE 0xBEE1 | version 0
 *   block  := chunk* tail?           32 KiB, counted from file offset 0 (so the first holds 32761 bytes after the header)
 *   chunk  := crc32 (uint32 LE, over the type byte and the data) | length (uint16 LE) | type | data
 *
 * A record that does not fit in the rest of its block is cut into FIRST, MIDDLE…, LAST chunks;
 * a chunk never crosses a block boundary; a block tail of fewer than 7 bytes is zero-filled;
 * exactly 7 bytes left hold an empty FIRST chunk. Nothing is padded at the end of the file.
 */
import { crc32, type Growable } from '@ranklog/core/sink';

export const BLOCK_SIZE = 32 * 1024;
export const CHUNK_HEADER = 7;
export const CHUNK = { FULL: 1, FIRST: 2, MIDDLE: 3, LAST: 4 } as const;
/** ':W&B', 0xBEE1 little-endian, version 0. */
export const FILE_HEADER = Uint8Array.of(0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00);

function chunk(out: Growable, type: number, data: Uint8Array, from: number, to: number): void {
  const length = to - from;
  out.reserve(CHUNK_HEADER + length);
  const at = out.pos;
  out.view.setUint16(at + 4, length, true);
  out.buf[at + 6] = type;
  out.buf.set(data.subarray(from, to), at + CHUNK_HEADER);
  // The type byte sits right before the data, so one pass covers both.
  out.view.setUint32(at, crc32(out.buf.subarray(at + 6, at + CHUNK_HEADER + length)), true);
  out.pos = at + CHUNK_HEADER + length;
}

/**
 * Append one record, framed, to `out`, whose byte 0 lands at file offset `position`
 * (the framing depends on where in its block a record starts).
 */
export function appendRecord(out: Growable, position: number, payload: Uint8Array): void {
  let from = 0;
  let first = true;
  for (;;) {
    const left = BLOCK_SIZE - ((position + out.pos) % BLOCK_SIZE);
    if (left < CHUNK_HEADER) {
      out.reserve(left);
      out.buf.fill(0, out.pos, out.pos + left);
      out.pos += left;
      continue;
    }
    const room = left - CHUNK_HEADER;
    const rest = payload.length - from;
    if (rest <= room) {
      chunk(out, first ? CHUNK.FULL : CHUNK.LAST, payload, from, payload.length);
      return;
    }
    chunk(out, first ? CHUNK.FIRST : CHUNK.MIDDLE, payload, from, from + room);
    from += room;
    first = false;
  }
}
