/**
 * The consumer end of a ring, used by one writer thread for one backend.
 * Reads records between its cursor and the published head, and releases
 * the space only when the backend has made them durable.
 */
import { readFileSync, rmSync } from 'node:fs';
import { KIND_CODE, kindFromCode, type Kind } from '../api/kinds.js';
import { decodePayload } from '../codec/payload.js';
import type { LogRecord } from '../sink/index.js';
import {
  C_HEAD, C_PROGRESS, C_RANK, C_STATE, C_TAIL, C_WAITING, REC_BLOB, REC_DEFINE, REC_PAD, REC_PAYLOAD, REC_SCALAR,
  SLOT_BYTES, STATE_DETACHED,
} from './layout.js';
import { ringViews, type RingViews } from './ring.js';

const utf8 = new TextDecoder();
const METRIC_CODE = KIND_CODE.metric;

/** The one record object a drain loop hands to its sink, refilled for every record. */
export class RecordView implements LogRecord {
  kind: Kind = 'metric';
  rank = 0;
  identifier = '';
  // Numeric fields only ever hold doubles (NaN / -1 for "none"), so V8 keeps
  // them unboxed and refilling the view allocates nothing per record.
  timeMs = 0.5;
  value = NaN;
  /** @internal */ rawStep = NaN;
  /** @internal */ rawBatchIdx = -1;
  /** @internal */ payload: unknown = undefined;

  get step(): number | undefined {
    const s = this.rawStep;
    return s === s ? s : undefined;
  }
  get batchIdx(): number | undefined {
    return this.rawBatchIdx < 0 ? undefined : this.rawBatchIdx;
  }
  get item(): unknown {
    return this.kind === 'metric' ? this.value : this.payload;
  }
}

export class RingConsumer {
  private readonly v: RingViews;
  private readonly bit: number;
  readonly rank: number;
  /** Next slot to read. */
  private cursor: number;
  private readonly names: string[] = [];
  /** Records of this ring taken by this backend so far. */
  taken = 0;

  constructor(
    readonly sab: SharedArrayBuffer,
    private readonly backend: number,
    private readonly clockBase: number,
  ) {
    this.v = ringViews(sab);
    this.bit = 1 << backend;
    this.rank = this.v.ctrl[C_RANK]!;
    this.cursor = Atomics.load(this.v.ctrl, C_TAIL + backend);
  }

  /** Slots published but not yet read. */
  pending(): number {
    return (Atomics.load(this.v.ctrl, C_HEAD) - this.cursor) | 0;
  }

  get detached(): boolean {
    return Atomics.load(this.v.ctrl, C_STATE) === STATE_DETACHED;
  }

  /**
   * Read up to `maxSlots` slots. For every record meant for this backend,
   * fill `view` and call `take(view)`; awaits only when take returns a promise.
   * Returns the number of records taken.
   */
  async read(view: RecordView, maxSlots: number, take: (r: RecordView) => void | Promise<void>): Promise<number> {
    const { u32, i32, f64, u8, mask: slotMask } = this.v;
    const head = Atomics.load(this.v.ctrl, C_HEAD);
    let pos = this.cursor;
    let n = 0;
    const end = ((head - pos) | 0) > maxSlots ? (pos + maxSlots) | 0 : head;
    view.rank = this.rank;
    while (pos !== end && ((end - pos) | 0) > 0) {
      const b = (pos & slotMask) << 3;
      const header = u32[b]!;
      const type = header & 0xff;
      if (type === REC_SCALAR) {
        pos = (pos + 1) | 0;
        if (((header >>> 8) & this.bit) === 0) continue;
        const f = b >> 1;
        view.kind = 'metric';
        view.identifier = this.names[u32[b + 1]!]!;
        view.value = f64[f + 1]!;
        view.rawStep = f64[f + 2]!;
        view.rawBatchIdx = i32[b + 6]!;
        view.timeMs = this.clockBase + u32[b + 7]!;
        n++;
        const r = take(view);
        if (r !== undefined) await r;
        continue;
      }
      if (type === REC_PAD) {
        pos = (pos + (this.v.capacity - (pos & slotMask))) | 0;
        continue;
      }
      const len = u32[b + 3]!;
      const total = 1 + Math.ceil(len / SLOT_BYTES);
      const start = ((pos & slotMask) + 1) * SLOT_BYTES;
      if (type === REC_DEFINE) {
        this.names[u32[b + 1]!] = utf8.decode(u8.slice(start, start + len));
        pos = (pos + total) | 0;
        continue;
      }
      if (type !== REC_PAYLOAD && type !== REC_BLOB) {
        throw new Error(`ranklog: corrupt ring record type ${type} at slot ${pos} (rank ${this.rank})`);
      }
      pos = (pos + total) | 0;
      if (((header >>> 8) & this.bit) === 0) continue;
      const kindCode = u32[b + 2]!;
      let bytes: Buffer;
      if (type === REC_BLOB) {
        // Payload: u32 count of backends still to read the file, then its path. The last reader deletes it.
        const path = utf8.decode(u8.subarray(start + 4, start + len));
        bytes = readFileSync(path);
        if (Atomics.sub(i32, start >> 2, 1) === 1) rmSync(path, { force: true });
      } else {
        // A Buffer view of our own copy: msgpackr decodes Buffers several times faster than plain Uint8Arrays.
        const own = u8.slice(start, start + len);
        bytes = Buffer.from(own.buffer, own.byteOffset, own.byteLength);
      }
      const f = b >> 1;
      view.kind = kindCode === METRIC_CODE ? 'metric' : kindFromCode(kindCode);
      view.identifier = this.names[u32[b + 1]!]!;
      view.value = NaN;
      view.payload = decodePayload(kindCode, bytes);
      view.rawStep = f64[f + 2]!;
      view.rawBatchIdx = i32[b + 6]!;
      view.timeMs = this.clockBase + u32[b + 7]!;
      n++;
      const r = take(view);
      if (r !== undefined) await r;
    }
    this.cursor = pos;
    this.taken += n;
    return n;
  }

  /** Records for this backend between the cursor and the head, counted without reading them. */
  countPending(): number {
    const { u32, mask: slotMask, capacity } = this.v;
    const head = Atomics.load(this.v.ctrl, C_HEAD);
    let n = 0;
    for (let pos = this.cursor; ((head - pos) | 0) > 0; ) {
      const b = (pos & slotMask) << 3;
      const header = u32[b]!;
      const type = header & 0xff;
      if (type === REC_PAD) pos = (pos + (capacity - (pos & slotMask))) | 0;
      else if (type === REC_SCALAR) pos = (pos + 1) | 0;
      else pos = (pos + 1 + Math.ceil(u32[b + 3]! / SLOT_BYTES)) | 0;
      if (type !== REC_PAD && type !== REC_DEFINE && ((header >>> 8) & this.bit) !== 0) n++;
    }
    return n;
  }

  /** Give back everything read so far (call after the backend made it durable). */
  release(): void {
    const ctrl = this.v.ctrl;
    if (Atomics.load(ctrl, C_TAIL + this.backend) === this.cursor) return;
    Atomics.store(ctrl, C_TAIL + this.backend, this.cursor);
    if (Atomics.load(ctrl, C_WAITING) !== 0) {
      Atomics.add(ctrl, C_PROGRESS, 1);
      Atomics.notify(ctrl, C_PROGRESS);
    }
  }

  /** Wake a producer that waits for space (also when this consumer gives up). */
  wakeProducer(): void {
    Atomics.add(this.v.ctrl, C_PROGRESS, 1);
    Atomics.notify(this.v.ctrl, C_PROGRESS);
  }

  /** Released position, for flush targets. */
  get released(): number {
    return Atomics.load(this.v.ctrl, C_TAIL + this.backend);
  }

  get position(): number {
    return this.cursor;
  }
}
