/**
 * Shared-memory layout of the rings and of the block a context's threads share.
 * docs/ring.md draws it; this file is the one place the indices are defined.
 *
 * A ring is a broadcast ring of 32-byte slots with one producer and up to 16
 * readers (one per backend), each with its own released position; the
 * producer's free space is bounded by the slowest live reader.
 *
 * SharedArrayBuffer = [ control block (CTRL_BYTES) | data: capacity × SLOT_BYTES ]
 *
 * The ring moves frames of whole slots and knows one thing about them: the
 * low byte of a frame's first word is its type, and PAD_FRAME (reserved by the
 * ring) fills the tail of the buffer when a frame would not fit contiguously.
 * What the other types mean is the record codec's business (codec/record-layout.ts).
 */
import type { RunEndReason } from '../sink/index.js';

export const SLOT_BYTES = 32;
export const SLOT_U32 = SLOT_BYTES / 4;
/** The low byte of a frame's first word. */
export const FRAME_TYPE_MASK = 0xff;
/** The ring's own frame type: the rest of the buffer is unused, the next frame starts at slot 0. */
export const PAD_FRAME = 4;

/** Readers (backends) per ring: a frame's reader mask has 16 bits. */
export const MAX_READERS = 16;

/** Int32 words of a ring's control block. */
export const RING = {
  /** Slots the producer has published (a wrapping u32 counter). */
  PUBLISHED: 0,
  /** 1 while the producer sleeps on a full ring (readers then bump RELEASE_SIGNAL). */
  PRODUCER_WAITING: 1,
  /** Futex bumped by readers after they release space to a waiting producer. */
  RELEASE_SIGNAL: 2,
  /** Rank of the producing thread. */
  RANK: 3,
  /** Bit mask of the readers (backends) of this ring. */
  READERS: 4,
  /** PRODUCER_OPEN or PRODUCER_DETACHED. */
  PRODUCER_STATE: 5,
  /** Slots in the data area (a power of two). */
  CAPACITY: 6,
  /** 1 once a producer owns the ring: a ring has exactly one producer. */
  PRODUCER_ATTACHED: 7,
  /** RELEASED + r: slots released by reader r (its durable position). */
  RELEASED: 16,
} as const;

/** Float64 indices of the control block: counters that pass 2^32 (after the Int32 words 0..31, bytes 0..127). */
export const RING_F64 = {
  /** Frames published (records accepted). */
  RECORDS_IN: 16,
  /** Records dropped by the drop-newest policy. */
  DROPPED: 17,
  /** DROPPED_FOR + r: records meant for reader r that were dropped. */
  DROPPED_FOR: 18,
} as const;

export const CTRL_BYTES = 512;

export const PRODUCER_OPEN = 0;
/** The producer detached cleanly (no more frames will come). */
export const PRODUCER_DETACHED = 1;

/** Int32 words of the block shared by every ring, writer thread and the clock thread of one context. */
export const SHARED = {
  /** Futex the writers sleep on; producers bump it at a watermark, flush and close. */
  WRITER_WAKE: 0,
  /** ms since CLOCK_BASE_MS (u32), kept by the clock thread; CLOCK_ASLEEP while it sleeps. */
  CLOCK_MS: 1,
  /** 1 once the clock thread must end. */
  CLOCK_STOP: 2,
  /** Bit mask of writers that died: producers stop waiting for their positions. */
  DEAD_WRITERS: 3,
  /** END_* set by an exit path that cannot await: every writer drains, then closes its sink with that reason. */
  END_REQUEST: 4,
  /** Bit mask of writers whose sink has closed (answers END_REQUEST; producers stop waiting for them). */
  CLOSED_WRITERS: 5,
} as const;

/** Float64 indices of the shared block (bytes 32..39, after the Int32 words 0..7). */
export const SHARED_F64 = {
  /** Epoch ms the clock word counts from. */
  CLOCK_BASE_MS: 4,
} as const;

export const SHARED_BYTES = 64;

/** CLOCK_MS while the clock thread sleeps (records are few): producers read the time themselves, and wake it when they log fast. */
export const CLOCK_ASLEEP = -1;

export const END_NONE = 0;
/** END_REQUEST's code for each way a run ends, and back. */
export const END_CODE: Readonly<Record<RunEndReason, number>> = { finished: 1, killed: 2, failed: 3 };
export const END_REASON: readonly (RunEndReason | undefined)[] = [undefined, 'finished', 'killed', 'failed'];

export const DEFAULT_RING_BYTES = 8 * 1024 * 1024;
export const MIN_RING_BYTES = 64 * 1024;
