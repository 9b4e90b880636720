/** Allocation and typed views of one ring's SharedArrayBuffer. */
import { CTRL_BYTES, MIN_RING_BYTES, RING, SLOT_BYTES } from './layout.js';

export interface RingViews {
  readonly sab: SharedArrayBuffer;
  readonly ctrl: Int32Array;
  readonly ctrlF64: Float64Array;
  /** The data area, as words of every width a frame's fields use. */
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly u8: Uint8Array;
  /** Slots (power of two). */
  readonly capacity: number;
  readonly mask: number;
}

/** A ring of the largest power of two of slots that fits in dataBytes, for a producer of `rank` and the readers in `readers` (bit mask). */
export function createRing(dataBytes: number, rank: number, readers: number): SharedArrayBuffer {
  if (!Number.isSafeInteger(dataBytes) || dataBytes < MIN_RING_BYTES) {
    throw new RangeError(`ranklog: ringBytes is ${dataBytes}; pass an integer of at least ${MIN_RING_BYTES} (64 KiB); the default is 8 MiB.`);
  }
  let slots = 1;
  while (slots * 2 * SLOT_BYTES <= dataBytes && slots < 1 << 30) slots *= 2;
  const sab = new SharedArrayBuffer(CTRL_BYTES + slots * SLOT_BYTES);
  const ctrl = new Int32Array(sab, 0, CTRL_BYTES / 4);
  ctrl[RING.CAPACITY] = slots;
  ctrl[RING.RANK] = rank;
  ctrl[RING.READERS] = readers;
  return sab;
}

export function ringViews(sab: SharedArrayBuffer): RingViews {
  const ctrl = new Int32Array(sab, 0, CTRL_BYTES / 4);
  const capacity = ctrl[RING.CAPACITY]!;
  return {
    sab,
    ctrl,
    ctrlF64: new Float64Array(sab, 0, CTRL_BYTES / 8),
    u32: new Uint32Array(sab, CTRL_BYTES),
    i32: new Int32Array(sab, CTRL_BYTES),
    f64: new Float64Array(sab, CTRL_BYTES),
    u8: new Uint8Array(sab, CTRL_BYTES),
    capacity,
    mask: capacity - 1,
  };
}
