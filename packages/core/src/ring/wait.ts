/**
 * Waiting until the writers have released (committed) everything a ring's
 * producer published: for flush from a worker, detach, and exit paths.
 * Any thread may wait on any ring; writers that died (X_DEAD) or closed (X_CLOSED) are not waited for.
 */
import { CTRL_BYTES, C_CONSUMERS, C_HEAD, C_PROGRESS, C_TAIL, C_WAITING, MAX_BACKENDS, X_CLOSED, X_DEAD, X_WAKE } from './layout.js';

/** One Atomics.wait slice; the loop re-checks after each. */
const SLICE_MS = 50;

function behind(ctrl: Int32Array, context: Int32Array, target: number): boolean {
  const consumers = ctrl[C_CONSUMERS]! & ~(Atomics.load(context, X_DEAD) | Atomics.load(context, X_CLOSED));
  for (let b = 0; b < MAX_BACKENDS; b++) {
    if ((consumers & (1 << b)) !== 0 && ((target - Atomics.load(ctrl, C_TAIL + b)) | 0) > 0) return true;
  }
  return false;
}

function wakeWriters(context: Int32Array): void {
  Atomics.add(context, X_WAKE, 1);
  Atomics.notify(context, X_WAKE);
}

/**
 * One wait for a ring's producer head as it was at the start: each step() says whether the
 * writers released it (true), the time ran out (false), or how long to wait on C_PROGRESS for
 * `seen` to change. C_WAITING is set around the wait so consumers bump C_PROGRESS; the second
 * look after setting it closes the gap where a release would bump nothing.
 */
class ReleaseWait {
  readonly ctrl: Int32Array;
  private readonly target: number;
  private readonly deadline: number;
  seen = 0;

  constructor(
    sab: SharedArrayBuffer,
    private readonly context: Int32Array,
    timeoutMs: number,
  ) {
    this.ctrl = new Int32Array(sab, 0, CTRL_BYTES / 4);
    this.target = Atomics.load(this.ctrl, C_HEAD);
    this.deadline = Date.now() + timeoutMs;
    wakeWriters(context);
  }

  step(): boolean | number {
    if (!behind(this.ctrl, this.context, this.target)) return true;
    const left = this.deadline - Date.now();
    if (left <= 0) return false;
    this.seen = Atomics.load(this.ctrl, C_PROGRESS);
    Atomics.store(this.ctrl, C_WAITING, 1);
    return behind(this.ctrl, this.context, this.target) ? Math.min(left, SLICE_MS) : 0;
  }

  settle(): void {
    Atomics.store(this.ctrl, C_WAITING, 0);
  }
}

/** Blocks the calling thread (Atomics.wait). Returns false on timeout. */
export function waitReleased(sab: SharedArrayBuffer, context: Int32Array, timeoutMs: number): boolean {
  const w = new ReleaseWait(sab, context, timeoutMs);
  for (;;) {
    const s = w.step();
    if (typeof s === 'boolean') return s;
    if (s > 0) Atomics.wait(w.ctrl, C_PROGRESS, w.seen, s);
    w.settle();
  }
}

/** The same without blocking the event loop (which it keeps alive while waiting). */
export async function released(sab: SharedArrayBuffer, context: Int32Array, timeoutMs: number): Promise<boolean> {
  const w = new ReleaseWait(sab, context, timeoutMs);
  for (;;) {
    const s = w.step();
    if (typeof s === 'boolean') return s;
    const r = s > 0 ? Atomics.waitAsync(w.ctrl, C_PROGRESS, w.seen, s) : undefined;
    if (r?.async) {
      // Atomics.waitAsync does not keep Node's event loop alive: a worker awaiting detach() would exit mid-wait.
      const keepAlive = setTimeout(() => undefined, s + 10);
      await r.value;
      clearTimeout(keepAlive);
    }
    w.settle();
  }
}
