/**
 * A reader's end of a ring (one per backend and ring, in that backend's writer
 * thread): walks the frames between its position and the published head and
 * releases the space only when the backend has made them durable. It skips the
 * ring's PAD frames; what a frame holds, and how many slots it takes, is the
 * record codec's to say (codec/record-reader.ts).
 */
import { FRAME_TYPE_MASK, PAD_FRAME, PRODUCER_DETACHED, RING } from './layout.js';
import { ringViews } from './ring.js';

export class RingConsumer {
  /** The data area (slot s starts at u32 index s << 3). */
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly u8: Uint8Array;
  readonly capacity: number;
  readonly slotMask: number;
  private readonly ctrl: Int32Array;
  readonly rank: number;
  /** Start of the next frame to read (a wrapping slot counter). */
  position: number;

  constructor(
    readonly sab: SharedArrayBuffer,
    /** This reader's index: its bit in frames' reader masks. */
    readonly reader: number,
  ) {
    const v = ringViews(sab);
    this.u32 = v.u32;
    this.i32 = v.i32;
    this.f64 = v.f64;
    this.u8 = v.u8;
    this.capacity = v.capacity;
    this.slotMask = v.mask;
    this.ctrl = v.ctrl;
    this.rank = v.ctrl[RING.RANK]!;
    this.position = Atomics.load(this.ctrl, RING.RELEASED + reader);
  }

  /** The published head now. */
  head(): number {
    return Atomics.load(this.ctrl, RING.PUBLISHED);
  }

  /** Slots published but not yet read. */
  pending(): number {
    return (this.head() - this.position) | 0;
  }

  /**
   * The slot index of the next frame before `end` (a slot counter), skipping PAD frames, or -1 when
   * there is none. The caller reads the frame and then calls advance() with its length in slots.
   */
  nextFrame(end: number): number {
    for (;;) {
      const pos = this.position;
      if (pos === end || ((end - pos) | 0) <= 0) return -1;
      const idx = pos & this.slotMask;
      if ((this.u32[idx << 3]! & FRAME_TYPE_MASK) !== PAD_FRAME) return idx;
      this.position = (pos + (this.capacity - idx)) | 0;
    }
  }

  advance(slots: number): void {
    this.position = (this.position + slots) | 0;
  }

  /** Give back everything read so far (call after the backend made it durable). */
  release(): void {
    const ctrl = this.ctrl;
    if (Atomics.load(ctrl, RING.RELEASED + this.reader) === this.position) return;
    Atomics.store(ctrl, RING.RELEASED + this.reader, this.position);
    if (Atomics.load(ctrl, RING.PRODUCER_WAITING) !== 0) this.wakeProducer();
  }

  /** Wake a producer that waits for space (also when this reader gives up). */
  wakeProducer(): void {
    Atomics.add(this.ctrl, RING.RELEASE_SIGNAL, 1);
    Atomics.notify(this.ctrl, RING.RELEASE_SIGNAL);
  }

  /** Released position (what this reader has made durable), for flush targets. */
  get released(): number {
    return Atomics.load(this.ctrl, RING.RELEASED + this.reader);
  }

  /** The producer detached cleanly: no more frames will come. */
  get producerDetached(): boolean {
    return Atomics.load(this.ctrl, RING.PRODUCER_STATE) === PRODUCER_DETACHED;
  }
}
