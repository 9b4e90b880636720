/**
 * The producer end of a ring: frames of whole slots, written in place by the
 * record codec (codec/record-writer.ts) between reserve() and publish().
 * Plain typed-array stores, one Atomics.store to publish; no locks, no
 * postMessage, no syscalls, no allocation. Waits (or drops, by policy) only
 * when the slowest live reader has not released enough space.
 */
import { PAD_FRAME, PRODUCER_DETACHED, RING, RING_F64, MAX_READERS, SHARED } from './layout.js';
import { ringViews } from './ring.js';
import { released } from './wait.js';

/** 'wait': a full ring blocks the producer until a writer frees space (nothing lost); 'drop-newest': never blocks, drops are counted. */
export type FullRingPolicy = 'wait' | 'drop-newest';

/** How long one Atomics.wait on a full ring lasts before the producer looks again (ms). */
const FULL_WAIT_SLICE_MS = 50;
// Plain numbers for the per-record path: a property load from the layout objects would cost a few ns there.
const PUBLISHED = RING.PUBLISHED;
const RECORDS_IN = RING_F64.RECORDS_IN;

export class RingProducer {
  private readonly ctrl: Int32Array;
  private readonly ctrlF64: Float64Array;
  /** The data area, for the codec to write frames into (slot s starts at u32 index s << 3). */
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly u8: Uint8Array;
  readonly slotMask: number;
  readonly capacity: number;
  private readonly readers: number[] = [];
  private readonly wakeEvery: number;
  private readonly dropNewest: boolean;

  /** Where the next frame starts (a wrapping slot counter; the slot index is head & slotMask). */
  private head: number;
  /** The head may advance up to here without looking at the readers' positions. */
  private limit: number;
  private nextWake: number;
  private count: number;
  private dropped: number;

  constructor(
    readonly sab: SharedArrayBuffer,
    /** The context's shared block: writer wake-ups, dead and closed writers. */
    readonly shared: Int32Array,
    policy: FullRingPolicy,
  ) {
    const v = ringViews(sab);
    if (Atomics.compareExchange(v.ctrl, RING.PRODUCER_ATTACHED, 0, 1) !== 0) {
      throw new Error(
        'ranklog: this worker handle is already attached in another thread (a ring has exactly one producer); ' +
          'call logger.workerHandle(rank) once for each worker.',
      );
    }
    this.ctrl = v.ctrl;
    this.ctrlF64 = v.ctrlF64;
    this.u32 = v.u32;
    this.i32 = v.i32;
    this.f64 = v.f64;
    this.u8 = v.u8;
    this.capacity = v.capacity;
    this.slotMask = v.mask;
    const readerMask = v.ctrl[RING.READERS]!;
    for (let r = 0; r < MAX_READERS; r++) if (readerMask & (1 << r)) this.readers.push(r);
    this.dropNewest = policy === 'drop-newest';
    // Wake the writers when a quarter of the ring has filled since the last wake-up.
    this.wakeEvery = Math.max(1, this.capacity >> 2);
    this.head = Atomics.load(this.ctrl, RING.PUBLISHED);
    this.limit = this.head;
    this.nextWake = (this.head + this.wakeEvery) | 0;
    this.count = this.ctrlF64[RING_F64.RECORDS_IN]!;
    this.dropped = this.ctrlF64[RING_F64.DROPPED]!;
  }

  /**
   * Make room for a one-slot frame at `head`; returns its slot index, or -1 when it is dropped
   * (drop-newest policy, ring full), counted for the readers in `readerMask`. The fast path.
   */
  claimOne(readerMask: number): number {
    if (((this.limit - this.head) | 0) < 1 && !this.waitForRoom(1, readerMask, false)) return -1;
    return this.head & this.slotMask;
  }

  /**
   * Make room for a frame of `slots` contiguous slots (a PAD frame fills a buffer tail too short
   * for it); returns its slot index, or -1 when it is dropped. `mustWait` waits whatever the policy.
   */
  claim(slots: number, readerMask: number, mustWait: boolean): number {
    const idx = this.head & this.slotMask;
    const pad = idx + slots > this.capacity ? this.capacity - idx : 0;
    if (((this.limit - this.head) | 0) < pad + slots && !this.waitForRoom(pad + slots, readerMask, mustWait)) return -1;
    if (pad === 0) return idx;
    this.u32[idx << 3] = PAD_FRAME;
    this.head = (this.head + pad) | 0;
    return 0;
  }

  /** Publish the record of `slots` slots claimed last (counted in RECORDS_IN). */
  publish(slots: number): void {
    const h = (this.head + slots) | 0;
    this.head = h;
    // Counted just before it is published: a thread killed between the two leaves
    // RECORDS_IN one above what the ring holds (never below).
    this.ctrlF64[RECORDS_IN] = ++this.count;
    Atomics.store(this.ctrl, PUBLISHED, h);
    if (((h - this.nextWake) | 0) >= 0) this.wake();
  }

  /** Publish a frame that is not a record (an identifier's definition): not counted. */
  publishUncounted(slots: number): void {
    this.head = (this.head + slots) | 0;
    Atomics.store(this.ctrl, PUBLISHED, this.head);
  }

  /** Wake the writer threads now (watermark crossed, ring full, flush). */
  wake(): void {
    this.nextWake = (this.head + this.wakeEvery) | 0;
    Atomics.add(this.shared, SHARED.WRITER_WAKE, 1);
    Atomics.notify(this.shared, SHARED.WRITER_WAKE);
  }

  /** Slow path: look at the readers' positions; wait or drop when there is not room for n slots. */
  private waitForRoom(n: number, readerMask: number, mustWait: boolean): boolean {
    for (;;) {
      this.refreshLimit();
      if (((this.limit - this.head) | 0) >= n) return true;
      if (this.dropNewest && !mustWait) {
        this.ctrlF64[RING_F64.DROPPED] = ++this.dropped;
        for (let r = 0; r < MAX_READERS; r++) if (readerMask & (1 << r)) this.ctrlF64[RING_F64.DROPPED_FOR + r]! += 1;
        return false;
      }
      this.wake();
      const seen = Atomics.load(this.ctrl, RING.RELEASE_SIGNAL);
      Atomics.store(this.ctrl, RING.PRODUCER_WAITING, 1);
      this.refreshLimit();
      if (((this.limit - this.head) | 0) < n) Atomics.wait(this.ctrl, RING.RELEASE_SIGNAL, seen, FULL_WAIT_SLICE_MS);
      Atomics.store(this.ctrl, RING.PRODUCER_WAITING, 0);
    }
  }

  private refreshLimit(): void {
    const h = this.head;
    let minUsed = 0;
    let minReleased = h;
    // A writer that died or closed its sink reads no more: never wait for its position.
    const gone = Atomics.load(this.shared, SHARED.DEAD_WRITERS) | Atomics.load(this.shared, SHARED.CLOSED_WRITERS);
    for (const r of this.readers) {
      if (gone & (1 << r)) continue;
      const t = Atomics.load(this.ctrl, RING.RELEASED + r);
      const used = (h - t) | 0;
      if (used > minUsed) {
        minUsed = used;
        minReleased = t;
      }
    }
    this.limit = (minReleased + this.capacity) | 0;
  }

  /** Where the next frame starts (a wrapping slot counter). */
  get position(): number {
    return this.head;
  }

  /** Records published so far. */
  get published(): number {
    return this.count;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** No more frames will come from this producer. */
  detach(): void {
    Atomics.store(this.ctrl, RING.PRODUCER_STATE, PRODUCER_DETACHED);
    this.wake();
  }

  /** Resolves when every live writer has released what this producer published (false on timeout). */
  drained(timeoutMs: number): Promise<boolean> {
    return released(this.sab, this.shared, timeoutMs);
  }
}
