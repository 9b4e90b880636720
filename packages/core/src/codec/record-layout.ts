/**
 * The record codec's frame layout: what a frame in a ring holds (docs/ring.md).
 * Every record starts on a slot; its first slot is a header:
 *   u32[0]        type | readerMask << 8   (type: REC_*, mask: one bit per backend that takes it)
 *   u32[1]        identifier id (interned per ring by a REC_DEFINE frame)
 *   bytes 8..15   SCALAR: f64 value | PAYLOAD/BLOB: u32 kind code, u32 byte length | DEFINE: u32 0, u32 name length
 *   bytes 16..23  f64 step (NaN = none)
 *   bytes 24..27  i32 batchIdx (-1 = none)
 *   bytes 28..31  u32 time, ms since the context's clock base
 * PAYLOAD, BLOB and DEFINE frames continue with their bytes in the following slots.
 * Type 4 is the ring's PAD frame (ring/layout.ts).
 */
import { SLOT_BYTES } from '../ring/layout.js';

export const REC_SCALAR = 1;
export const REC_PAYLOAD = 2;
export const REC_DEFINE = 3;
/** Payload too big for the ring: the bytes live in a blob file whose reader count and path are the payload. */
export const REC_BLOB = 5;

/** The reader mask of DEFINE frames: every backend needs every identifier. */
export const ALL_READERS = 0xffff;

/** Slots a frame with `bytes` payload bytes takes (its header slot included). */
export function frameSlots(bytes: number): number {
  return 1 + Math.ceil(bytes / SLOT_BYTES);
}
