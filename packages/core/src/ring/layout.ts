/**
 * Ring wire format. One ring per producing thread, read by every writer
 * thread with its own cursor (a broadcast ring: the producer's free space is
 * bounded by the slowest cursor).
 *
 * SharedArrayBuffer = [ control block (CTRL_BYTES) | data: capacity × 32-byte slots ]
 *
 * Every record starts on a slot:
 *   u32[0]  header = type | mask << 8        (mask: one bit per backend that takes it)
 *   u32[1]  identifier id (interned per ring)
 *   bytes 8..15   SCALAR: f64 value | PAYLOAD/BLOB: u32 kind code, u32 payload length | DEFINE: u32 0, u32 name length
 *   bytes 16..23  f64 step (NaN = none)
 *   bytes 24..27  i32 batchIdx (-1 = none)
 *   bytes 28..31  u32 time, ms since the context's clock base
 * PAYLOAD, BLOB and DEFINE records continue with their bytes in the following slots.
 * PAD fills the tail of the buffer when a multi-slot record would not fit contiguously.
 */
import type { RunEndReason } from '../sink/index.js';

export const SLOT_BYTES = 32;
export const SLOT_U32 = SLOT_BYTES / 4;
export const SLOT_F64 = SLOT_BYTES / 8;

export const REC_SCALAR = 1;
export const REC_PAYLOAD = 2;
export const REC_DEFINE = 3;
export const REC_PAD = 4;
/** Payload too big for the ring: the bytes live in a spool file whose path is the payload. */
export const REC_BLOB = 5;

/** Backends per context: the mask has 16 bits. */
export const MAX_BACKENDS = 16;

/** Control block, Int32 word indices. */
export const C_HEAD = 0; // slots published by the producer (wrapping u32 counter)
export const C_WAITING = 1; // 1 while the producer sleeps on a full ring
export const C_PROGRESS = 2; // futex bumped by consumers after they release space to a waiting producer
export const C_RANK = 3;
export const C_CONSUMERS = 4; // mask of the backends that read this ring
export const C_STATE = 5; // STATE_*
export const C_CAPACITY = 6; // slots (power of two)
export const C_ATTACHED = 7; // 1 once a producer owns the ring: a ring has exactly one producer
export const C_TAIL = 16; // C_TAIL + b: slots released by backend b
/** Float64 indices of the control block (counters past 2^32). */
// (Int32 words 0..31 take bytes 0..127, so the Float64 counters start at byte 128.)
export const F_RECORDS_IN = 16; // records accepted (published) by the producer
export const F_DROPPED = 17; // records dropped by the drop-newest policy
export const F_DROPPED_BY = 18; // F_DROPPED_BY + b: records meant for backend b that were dropped
export const CTRL_BYTES = 512;

export const STATE_OPEN = 0;
/** The producer detached cleanly (no more records will come). */
export const STATE_DETACHED = 1;

/** Context block: one per context, shared by every ring and writer. Int32 word indices. */
export const X_WAKE = 0; // futex the writers sleep on; producers bump it at a watermark
export const X_CLOCK = 1; // ms since XF_BASE (u32), refreshed by the clock thread; CLOCK_ASLEEP while it sleeps
export const X_CLOSING = 2; // 1 once the coordinator is closing
export const X_DEAD = 3; // mask of backends whose writer died: producers stop waiting for their cursors
export const X_END = 4; // END_*: set by an exit path that cannot await; writers then drain, close their sinks with that reason
export const X_CLOSED = 5; // mask of backends whose sink has closed (answers X_END)
export const END_NONE = 0;
export const END_FINISHED = 1;
export const END_KILLED = 2;
export const END_FAILED = 3;
/** X_END's code for each way a run ends, and back. */
export const END_CODE: Readonly<Record<RunEndReason, number>> = { finished: END_FINISHED, killed: END_KILLED, failed: END_FAILED };
export const END_REASON: readonly (RunEndReason | undefined)[] = [undefined, 'finished', 'killed', 'failed'];
export const XF_BASE = 4; // Float64 index (bytes 32..39, after the Int32 words 0..7): epoch ms the clock counts from
export const CONTEXT_BYTES = 64;
/** X_CLOCK value while the clock thread sleeps (records are few): producers read the time themselves, and wake it when they log fast. */
export const CLOCK_ASLEEP = -1;

export const DEFAULT_RING_BYTES = 8 * 1024 * 1024;
export const MIN_RING_BYTES = 64 * 1024;
