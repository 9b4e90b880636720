/**
 * The producing thread's record encoder: writes records into the frames its
 * ring reserves (layout in record-layout.ts). The scalar path is the fast path
 * of the whole library: a handful of typed-array stores, no allocation.
 */
import type { RingProducer } from '../ring/producer.js';
import { SLOT_BYTES } from '../ring/layout.js';
import { ALL_READERS, frameSlots, REC_BLOB, REC_DEFINE, REC_PAYLOAD, REC_SCALAR } from './record-layout.js';
import { RecordClock } from './record-clock.js';

const utf8 = new TextEncoder();

export class RecordWriter {
  private readonly clock: RecordClock;
  private nextId = 0;
  /** Payloads above this many bytes go to a blob file instead of the ring. */
  readonly maxInlineBytes: number;

  constructor(readonly ring: RingProducer) {
    this.clock = new RecordClock(ring.shared);
    this.maxInlineBytes = (ring.capacity * SLOT_BYTES) >> 3;
  }

  /** One scalar record. Returns false when it was dropped (drop-newest policy, ring full). */
  scalar(id: number, mask: number, value: number, step: number, batchIdx: number): boolean {
    const ring = this.ring;
    if (!ring.reserve(1, mask)) return false;
    const b = (ring.head & ring.slotMask) << 3;
    const f = b >> 1;
    const u32 = ring.u32;
    u32[b] = REC_SCALAR | (mask << 8);
    u32[b + 1] = id;
    ring.f64[f + 1] = value;
    ring.f64[f + 2] = step;
    ring.i32[b + 6] = batchIdx;
    u32[b + 7] = this.clock.now();
    ring.publish(1);
    return true;
  }

  /** A record whose bytes (msgpack, raw histogram bytes) follow its header slot. */
  payload(id: number, mask: number, kindCode: number, bytes: Uint8Array, step: number, batchIdx: number): boolean {
    return this.frame(REC_PAYLOAD, id, mask, kindCode, bytes, step, batchIdx, false);
  }

  /** A record whose bytes wait in a blob file: `frame` is BlobWriter.spill()'s reader count and path. */
  blob(id: number, mask: number, kindCode: number, frame: Uint8Array, step: number, batchIdx: number): boolean {
    return this.frame(REC_BLOB, id, mask, kindCode, frame, step, batchIdx, false);
  }

  /** Intern an identifier: writes its definition and returns its id. Never dropped: every later record of the id needs it. */
  define(name: string): number {
    const id = this.nextId++;
    this.frame(REC_DEFINE, id, ALL_READERS, 0, utf8.encode(name), NaN, -1, true);
    return id;
  }

  private frame(type: number, id: number, mask: number, kindCode: number, bytes: Uint8Array, step: number, batchIdx: number, definition: boolean): boolean {
    const ring = this.ring;
    const slots = frameSlots(bytes.length);
    if (slots > ring.capacity >> 1) {
      throw new RangeError(`ranklog: a ${bytes.length}-byte record does not fit the ring; this is a bug (big payloads go to blob files)`);
    }
    if (!ring.reserve(slots, mask, definition)) return false;
    const slot = ring.head & ring.slotMask;
    const b = slot << 3;
    ring.u32[b] = type | (mask << 8);
    ring.u32[b + 1] = id;
    ring.u32[b + 2] = kindCode;
    ring.u32[b + 3] = bytes.length;
    ring.f64[(b >> 1) + 2] = step;
    ring.i32[b + 6] = batchIdx;
    ring.u32[b + 7] = definition ? 0 : this.clock.now();
    ring.u8.set(bytes, (slot + 1) * SLOT_BYTES);
    ring.publish(slots, !definition);
    return true;
  }
}
