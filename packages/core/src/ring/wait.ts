/**
 * Waiting until the writers have released (made durable) everything a ring's
 * producer published: for flush from a worker, detach, and exit paths.
 * Any thread may wait on any ring; writers that died or closed are not waited for.
 */
import { CTRL_BYTES, MAX_READERS, RING, SHARED } from './layout.js';

/** One Atomics.wait slice; the loop looks again after each. */
const SLICE_MS = 50;

function behind(ctrl: Int32Array, shared: Int32Array, target: number): boolean {
  const readers = ctrl[RING.READERS]! & ~(Atomics.load(shared, SHARED.DEAD_WRITERS) | Atomics.load(shared, SHARED.CLOSED_WRITERS));
  for (let r = 0; r < MAX_READERS; r++) {
    if ((readers & (1 << r)) !== 0 && ((target - Atomics.load(ctrl, RING.RELEASED + r)) | 0) > 0) return true;
  }
  return false;
}

function wakeWriters(shared: Int32Array): void {
  Atomics.add(shared, SHARED.WRITER_WAKE, 1);
  Atomics.notify(shared, SHARED.WRITER_WAKE);
}

/**
 * One wait for a ring's producer head as it was at the start: each step() says whether the
 * writers released it (true), the time ran out (false), or how long to wait on RELEASE_SIGNAL
 * for `seen` to change. PRODUCER_WAITING is set around the wait so readers bump the signal; the
 * second look after setting it closes the gap where a release would bump nothing.
 */
class ReleaseWait {
  readonly ctrl: Int32Array;
  private readonly target: number;
  private readonly deadline: number;
  seen = 0;

  constructor(
    sab: SharedArrayBuffer,
    private readonly shared: Int32Array,
    timeoutMs: number,
  ) {
    this.ctrl = new Int32Array(sab, 0, CTRL_BYTES / 4);
    this.target = Atomics.load(this.ctrl, RING.PUBLISHED);
    this.deadline = Date.now() + timeoutMs;
    wakeWriters(shared);
  }

  step(): boolean | number {
    if (!behind(this.ctrl, this.shared, this.target)) return true;
    const left = this.deadline - Date.now();
    if (left <= 0) return false;
    this.seen = Atomics.load(this.ctrl, RING.RELEASE_SIGNAL);
    Atomics.store(this.ctrl, RING.PRODUCER_WAITING, 1);
    return behind(this.ctrl, this.shared, this.target) ? Math.min(left, SLICE_MS) : 0;
  }

  settle(): void {
    Atomics.store(this.ctrl, RING.PRODUCER_WAITING, 0);
  }
}

/** Blocks the calling thread (Atomics.wait). Returns false on timeout. */
export function waitReleased(sab: SharedArrayBuffer, shared: Int32Array, timeoutMs: number): boolean {
  const w = new ReleaseWait(sab, shared, timeoutMs);
  for (;;) {
    const s = w.step();
    if (typeof s === 'boolean') return s;
    if (s > 0) Atomics.wait(w.ctrl, RING.RELEASE_SIGNAL, w.seen, s);
    w.settle();
  }
}

/** The same without blocking the event loop (which it keeps alive while waiting). */
export async function released(sab: SharedArrayBuffer, shared: Int32Array, timeoutMs: number): Promise<boolean> {
  const w = new ReleaseWait(sab, shared, timeoutMs);
  for (;;) {
    const s = w.step();
    if (typeof s === 'boolean') return s;
    const r = s > 0 ? Atomics.waitAsync(w.ctrl, RING.RELEASE_SIGNAL, w.seen, s) : undefined;
    if (r?.async) {
      // Atomics.waitAsync does not keep Node's event loop alive: a worker awaiting detach() would exit
      // mid-wait (code 13). A repeating timer, not a one-shot one: on a loaded machine the wait's own
      // timeout can settle after a one-shot timer fired, leaving a gap with nothing to keep the loop alive.
      const keepAlive = setInterval(() => undefined, s + 10);
      await r.value;
      clearInterval(keepAlive);
    }
    w.settle();
  }
}
