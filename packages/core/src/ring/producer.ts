/**
 * The producer end of a ring: the training thread's hot path.
 * Plain typed-array stores for the record, one Atomics.store to publish it.
 * No locks, no postMessage, no syscalls, no allocation for scalars.
 */
import {
  C_ATTACHED, C_HEAD, C_PROGRESS, F_DROPPED_BY, C_TAIL, C_WAITING, C_CONSUMERS, C_STATE, F_DROPPED, F_RECORDS_IN,
  CLOCK_ASLEEP, XF_BASE, X_CLOSED, X_DEAD, REC_BLOB, REC_DEFINE, REC_PAD, REC_PAYLOAD, REC_SCALAR, SLOT_BYTES, STATE_DETACHED, X_CLOCK, X_WAKE, MAX_BACKENDS,
} from './layout.js';
import { ringViews } from './ring.js';
import { released } from './wait.js';

export type FullRingPolicy = 'wait' | 'drop-newest';

const utf8 = new TextEncoder();
/**
 * Records within one millisecond, read from the system clock, after which the producer asks the
 * clock thread to tick. Date.now() costs ~70 ns per record; a 1 ms tick costs 40-70 µs of CPU
 * per ms on this VM (a few µs on bare metal): the break-even lies between ~70 and ~600 records
 * per ms. From 128, Date.now() would take over 1 % of the logging thread.
 */
const TICK_AFTER_SAME_MS = 128;
/** How long one Atomics.wait on a full ring lasts before the producer re-checks (ms). */
const FULL_WAIT_SLICE_MS = 50;

export class RingProducer {
  private readonly ctrl: Int32Array;
  private readonly ctrlF64: Float64Array;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly slotMask: number;
  readonly capacity: number;
  private readonly consumers: number[] = [];
  private readonly wakeEvery: number;
  private readonly dropNewest: boolean;

  private head: number;
  /** The head may advance up to here without looking at consumer cursors. */
  private limit: number;
  private nextWake: number;
  private count: number;
  private dropped: number;
  private nextId = 0;
  private readonly clockBase: number;
  /** The last time read from the system clock, and how many more records read the same ms. */
  private lastDirectMs = -1;
  private sameMs = 0;
  /** Slots a payload may take before it goes to a blob file instead. */
  readonly maxInlineBytes: number;

  constructor(
    readonly sab: SharedArrayBuffer,
    private readonly context: Int32Array,
    policy: FullRingPolicy,
  ) {
    const v = ringViews(sab);
    if (Atomics.compareExchange(v.ctrl, C_ATTACHED, 0, 1) !== 0) {
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
    const consumerMask = v.ctrl[C_CONSUMERS]!;
    for (let b = 0; b < MAX_BACKENDS; b++) if (consumerMask & (1 << b)) this.consumers.push(b);
    this.dropNewest = policy === 'drop-newest';
    this.clockBase = new Float64Array(context.buffer)[XF_BASE]!;
    // Wake the writers when a quarter of the ring has filled since the last wake-up.
    this.wakeEvery = Math.max(1, this.capacity >> 2);
    this.head = Atomics.load(this.ctrl, C_HEAD);
    this.limit = this.head;
    this.nextWake = (this.head + this.wakeEvery) | 0;
    this.count = this.ctrlF64[F_RECORDS_IN]!;
    this.dropped = this.ctrlF64[F_DROPPED]!;
    this.maxInlineBytes = (this.capacity * SLOT_BYTES) >> 3;
  }

  /** One scalar record. Returns false when the record was dropped (drop-newest policy, ring full). */
  scalar(id: number, mask: number, value: number, step: number, batchIdx: number): boolean {
    const h = this.head;
    if (((this.limit - h) | 0) < 1 && !this.reserve(1, mask)) return false;
    const b = (h & this.slotMask) << 3;
    const f = b >> 1;
    this.u32[b] = REC_SCALAR | (mask << 8);
    this.u32[b + 1] = id;
    this.f64[f + 1] = value;
    this.f64[f + 2] = step;
    this.i32[b + 6] = batchIdx;
    this.u32[b + 7] = this.now();
    this.publish((h + 1) | 0);
    return true;
  }

  /** A record whose bytes follow the header slot (REC_PAYLOAD, REC_BLOB, REC_DEFINE). */
  variable(type: number, id: number, mask: number, kindCode: number, bytes: Uint8Array, step: number, batchIdx: number): boolean {
    const total = 1 + Math.ceil(bytes.length / SLOT_BYTES);
    if (total > this.capacity >> 1) {
      throw new RangeError(`ranklog: a ${bytes.length}-byte record does not fit the ring; this is a bug (big payloads go to blob files)`);
    }
    let h = this.head;
    const idx = h & this.slotMask;
    const pad = idx + total > this.capacity ? this.capacity - idx : 0;
    if (((this.limit - h) | 0) < pad + total && !this.reserve(pad + total, mask)) return false;
    if (pad > 0) {
      this.u32[idx << 3] = REC_PAD;
      h = (h + pad) | 0;
    }
    const b = (h & this.slotMask) << 3;
    const f = b >> 1;
    this.u32[b] = type | (mask << 8);
    this.u32[b + 1] = id;
    this.u32[b + 2] = kindCode;
    this.u32[b + 3] = bytes.length;
    this.f64[f + 2] = step;
    this.i32[b + 6] = batchIdx;
    this.u32[b + 7] = this.now();
    this.u8.set(bytes, ((h & this.slotMask) + 1) * SLOT_BYTES);
    this.publish((h + total) | 0);
    return true;
  }

  /** Intern an identifier: writes its definition record and returns its id. Never dropped. */
  define(name: string): number {
    const id = this.nextId++;
    const bytes = utf8.encode(name);
    let h = this.head;
    const total = 1 + Math.ceil(bytes.length / SLOT_BYTES);
    const idx = h & this.slotMask;
    const pad = idx + total > this.capacity ? this.capacity - idx : 0;
    // Definitions must not be lost, or every later record of the id would be unreadable: always wait.
    if (((this.limit - h) | 0) < pad + total) this.reserve(pad + total, 0, true);
    if (pad > 0) {
      this.u32[idx << 3] = REC_PAD;
      h = (h + pad) | 0;
    }
    const b = (h & this.slotMask) << 3;
    this.u32[b] = REC_DEFINE | (0xffff << 8);
    this.u32[b + 1] = id;
    this.u32[b + 2] = 0;
    this.u32[b + 3] = bytes.length;
    this.u8.set(bytes, ((h & this.slotMask) + 1) * SLOT_BYTES);
    this.head = (h + total) | 0;
    Atomics.store(this.ctrl, C_HEAD, this.head);
    return id;
  }

  /** A payload spooled to a file: the record carries how many backends must still read it, and the path. */
  blob(id: number, mask: number, kindCode: number, path: string, step: number, batchIdx: number): boolean {
    const name = utf8.encode(path);
    const bytes = new Uint8Array(4 + name.length);
    let readers = 0;
    for (let m = mask; m !== 0; m &= m - 1) readers++;
    new DataView(bytes.buffer).setInt32(0, readers, true);
    bytes.set(name, 4);
    return this.variable(REC_BLOB, id, mask, kindCode, bytes, step, batchIdx);
  }

  payload(id: number, mask: number, kindCode: number, bytes: Uint8Array, step: number, batchIdx: number): boolean {
    return this.variable(REC_PAYLOAD, id, mask, kindCode, bytes, step, batchIdx);
  }

  /**
   * The record's time, ms since the clock base. While the clock thread ticks (records flow fast),
   * one plain read of the shared word — not Atomics.load: in Node 20 that is a builtin call (~8 ns,
   * a third of this path), and a clock needs no ordering; an aligned 32-bit word is never torn, and
   * optimized code re-reads it on every call (checked: a hot loop sees every tick).
   */
  private now(): number {
    const t = this.context[X_CLOCK]!;
    return t !== CLOCK_ASLEEP ? t : this.readClock();
  }

  /**
   * The clock thread sleeps because records are few: read the system clock here (Date.now(), ~70 ns,
   * cheaper than a thread waking every ms), and wake the clock thread once this thread logs
   * TICK_AFTER_SAME_MS records within one millisecond.
   */
  private readClock(): number {
    const t = Date.now() - this.clockBase;
    if (t !== this.lastDirectMs) {
      this.lastDirectMs = t;
      this.sameMs = 0;
    } else if (++this.sameMs >= TICK_AFTER_SAME_MS) {
      this.sameMs = 0;
      if (Atomics.compareExchange(this.context, X_CLOCK, CLOCK_ASLEEP, t) === CLOCK_ASLEEP) Atomics.notify(this.context, X_CLOCK, 1);
    }
    return t;
  }

  private publish(h: number): void {
    // Counted just before it is published: a thread killed between the two leaves
    // recordsIn one above what the ring holds (never below).
    this.head = h;
    this.ctrlF64[F_RECORDS_IN] = ++this.count;
    Atomics.store(this.ctrl, C_HEAD, h);
    if (((h - this.nextWake) | 0) >= 0) this.wake();
  }

  /** Wake the writer threads now (watermark crossed, ring full, flush). */
  wake(): void {
    this.nextWake = (this.head + this.wakeEvery) | 0;
    Atomics.add(this.context, X_WAKE, 1);
    Atomics.notify(this.context, X_WAKE);
  }

  /** Slow path: look at the consumers' cursors; wait or drop when there is not room for n slots. */
  private reserve(n: number, mask: number, mustWait = false): boolean {
    for (;;) {
      this.refreshLimit();
      if (((this.limit - this.head) | 0) >= n) return true;
      if (this.dropNewest && !mustWait) {
        this.ctrlF64[F_DROPPED] = ++this.dropped;
        for (let b = 0; b < MAX_BACKENDS; b++) if (mask & (1 << b)) this.ctrlF64[F_DROPPED_BY + b]! += 1;
        return false;
      }
      this.wake();
      const seen = Atomics.load(this.ctrl, C_PROGRESS);
      Atomics.store(this.ctrl, C_WAITING, 1);
      this.refreshLimit();
      if (((this.limit - this.head) | 0) < n) Atomics.wait(this.ctrl, C_PROGRESS, seen, FULL_WAIT_SLICE_MS);
      Atomics.store(this.ctrl, C_WAITING, 0);
    }
  }

  private refreshLimit(): void {
    const h = this.head;
    let minUsed = 0;
    let minTail = h;
    // A writer that died or closed its sink reads no more: never wait for its cursor.
    const gone = Atomics.load(this.context, X_DEAD) | Atomics.load(this.context, X_CLOSED);
    for (const b of this.consumers) {
      if (gone & (1 << b)) continue;
      const t = Atomics.load(this.ctrl, C_TAIL + b);
      const used = (h - t) | 0;
      if (used > minUsed) {
        minUsed = used;
        minTail = t;
      }
    }
    this.limit = (minTail + this.capacity) | 0;
  }

  /** Records published so far. */
  get published(): number {
    return this.count;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  /** Head position, for flush targets. */
  get position(): number {
    return this.head;
  }

  /** No more records will come from this producer. */
  detach(): void {
    Atomics.store(this.ctrl, C_STATE, STATE_DETACHED);
    this.wake();
  }

  /** Resolves when every live writer has committed what this producer published (false on timeout). */
  drained(timeoutMs: number): Promise<boolean> {
    return released(this.sab, this.context, timeoutMs);
  }
}
