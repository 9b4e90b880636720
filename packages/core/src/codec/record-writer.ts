/**
 * The producing thread's record encoder: writes records into the frames its
 * ring reserves (layout in record-layout.ts). The scalar path is the fast path
 * of the whole library: a handful of typed-array stores, no allocation.
 */
import type { RingProducer } from '../ring/producer.js';
import { CLOCK_ASLEEP, SHARED, SLOT_BYTES } from '../ring/layout.js';
import { ALL_READERS, frameSlots, REC_BLOB, REC_DEFINE, REC_PAYLOAD, REC_SCALAR } from './record-layout.js';
import { RecordClock } from './record-clock.js';

const utf8 = new TextEncoder();

// Plain numbers for the per-record path: a property load from the layout objects would cost a few ns there.
const CLOCK_MS = SHARED.CLOCK_MS;

export class RecordWriter {
  private readonly clock: RecordClock;
  // The ring's data area, cached here: one hop less per store on the fast path.
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly shared: Int32Array;
  private nextId = 0;
  /** Payloads above this many bytes go to a blob file instead of the ring. */
  readonly maxInlineBytes: number;

  constructor(readonly ring: RingProducer) {
    this.clock = new RecordClock(ring.shared);
    this.u32 = ring.u32;
    this.i32 = ring.i32;
    this.f64 = ring.f64;
    this.shared = ring.shared;
    this.maxInlineBytes = (ring.capacity * SLOT_BYTES) >> 3;
  }

  /** One scalar record. Returns false when it was dropped (drop-newest policy, ring full). */
  scalar(id: number, mask: number, value: number, step: number, batchIdx: number): boolean {
    const slot = this.ring.claimOne(mask);
    if (slot < 0) return false;
    const b = slot << 3;
    const f = b >> 1;
    const u32 = this.u32;
    u32[b] = REC_SCALAR | (mask << 8);
    u32[b + 1] = id;
    this.f64[f + 1] = value;
    this.f64[f + 2] = step;
    this.i32[b + 6] = batchIdx;
    u32[b + 7] = this.now();
    this.ring.publish(1);
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

  /** The record's time: the clock thread's word while it ticks (one plain load), else the system clock (record-clock.ts). */
  private now(): number {
    const t = this.shared[CLOCK_MS]!;
    return t !== CLOCK_ASLEEP ? t : this.clock.now();
  }

  private frame(type: number, id: number, mask: number, kindCode: number, bytes: Uint8Array, step: number, batchIdx: number, definition: boolean): boolean {
    const ring = this.ring;
    const slots = frameSlots(bytes.length);
    if (slots > ring.capacity >> 1) {
      throw new RangeError(`ranklog: a ${bytes.length}-byte record does not fit the ring; this is a bug (big payloads go to blob files)`);
    }
    const slot = ring.claim(slots, mask, definition);
    if (slot < 0) return false;
    const b = slot << 3;
    this.u32[b] = type | (mask << 8);
    this.u32[b + 1] = id;
    this.u32[b + 2] = kindCode;
    this.u32[b + 3] = bytes.length;
    this.f64[(b >> 1) + 2] = step;
    this.i32[b + 6] = batchIdx;
    this.u32[b + 7] = definition ? 0 : this.now();
    ring.u8.set(bytes, (slot + 1) * SLOT_BYTES);
    if (definition) ring.publishUncounted(slots);
    else ring.publish(slots);
    return true;
  }
}
