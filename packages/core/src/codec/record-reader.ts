/**
 * A writer thread's record decoder for one ring: walks the frames a
 * RingConsumer hands out, keeps the ring's identifier table, decodes payloads
 * (msgpack, histogram bytes, blob files) and fills the one record object the
 * sink receives. Layout in record-layout.ts.
 */
import { KIND_CODE, kindFromCode, type Kind } from '../vocab/kinds.js';
import type { LogRecord } from '../sink/index.js';
import type { RingConsumer } from '../ring/consumer.js';
import { SLOT_BYTES } from '../ring/layout.js';
import { takeBlob } from './blob-files.js';
import { decodePayload } from './payload.js';
import { frameSlots, REC_BLOB, REC_DEFINE, REC_PAYLOAD, REC_SCALAR } from './record-layout.js';

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

export class RecordReader {
  private readonly names: string[] = [];
  private readonly bit: number;

  constructor(
    readonly ring: RingConsumer,
    /** Epoch ms the records' times count from (the context's clock base). */
    private readonly clockBase: number,
  ) {
    this.bit = 1 << ring.reader;
  }

  /**
   * Read up to `maxSlots` slots. For every record meant for this backend, fill `view` and call
   * `take(view)`; awaits only when take returns a promise. Returns the number of records taken.
   */
  async read(view: RecordView, maxSlots: number, take: (r: RecordView) => void | Promise<void>): Promise<number> {
    const ring = this.ring;
    const { u32, i32, f64, u8 } = ring;
    const head = ring.head();
    const end = ((head - ring.position) | 0) > maxSlots ? (ring.position + maxSlots) | 0 : head;
    view.rank = ring.rank;
    let n = 0;
    for (let slot = ring.nextFrame(end); slot >= 0; slot = ring.nextFrame(end)) {
      const b = slot << 3;
      const header = u32[b]!;
      const type = header & 0xff;
      if (type === REC_SCALAR) {
        ring.advance(1);
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
      const len = u32[b + 3]!;
      const start = (slot + 1) * SLOT_BYTES;
      ring.advance(frameSlots(len));
      if (type === REC_DEFINE) {
        this.names[u32[b + 1]!] = utf8.decode(u8.slice(start, start + len));
        continue;
      }
      if (type !== REC_PAYLOAD && type !== REC_BLOB) {
        throw new Error(`ranklog: corrupt ring record type ${type} at slot ${slot} (rank ${ring.rank})`);
      }
      if (((header >>> 8) & this.bit) === 0) continue;
      const kindCode = u32[b + 2]!;
      let bytes: Buffer;
      if (type === REC_BLOB) bytes = takeBlob(u8, start, len, i32);
      else {
        // A Buffer view of our own copy: msgpackr decodes Buffers several times faster than plain Uint8Arrays.
        const own = u8.slice(start, start + len);
        bytes = Buffer.from(own.buffer, own.byteOffset, own.byteLength);
      }
      view.kind = kindCode === METRIC_CODE ? 'metric' : kindFromCode(kindCode);
      view.identifier = this.names[u32[b + 1]!]!;
      view.value = NaN;
      view.payload = decodePayload(kindCode, bytes);
      view.rawStep = f64[(b >> 1) + 2]!;
      view.rawBatchIdx = i32[b + 6]!;
      view.timeMs = this.clockBase + u32[b + 7]!;
      n++;
      const r = take(view);
      if (r !== undefined) await r;
    }
    return n;
  }

  /** Records for this backend between the read position and the head, counted without reading them (they stay unread). */
  countPending(): number {
    const ring = this.ring;
    const { u32 } = ring;
    const from = ring.position;
    const head = ring.head();
    let n = 0;
    for (let slot = ring.nextFrame(head); slot >= 0; slot = ring.nextFrame(head)) {
      const header = u32[slot << 3]!;
      const type = header & 0xff;
      ring.advance(type === REC_SCALAR ? 1 : frameSlots(u32[(slot << 3) + 3]!));
      if (type !== REC_DEFINE && ((header >>> 8) & this.bit) !== 0) n++;
    }
    ring.position = from;
    return n;
  }
}
