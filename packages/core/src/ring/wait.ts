/**
 * Waiting until the writers have released (committed) everything a ring's
 * producer published: for flush from a worker, detach, and exit paths.
 * Any thread may wait on any ring; dead writers (X_DEAD) are not waited for.
 */
import { CTRL_BYTES, C_CONSUMERS, C_HEAD, C_PROGRESS, C_TAIL, C_WAITING, MAX_BACKENDS, X_DEAD, X_WAKE } from './layout.js';

/** One Atomics.wait slice; the loop re-checks after each. */
const SLICE_MS = 50;

function behind(ctrl: Int32Array, context: Int32Array, target: number): boolean {
  const consumers = ctrl[C_CONSUMERS]! & ~Atomics.load(context, X_DEAD);
  for (let b = 0; b < MAX_BACKENDS; b++) {
    if ((consumers & (1 << b)) !== 0 && ((target - Atomics.load(ctrl, C_TAIL + b)) | 0) > 0) return true;
  }
  return false;
}

function wakeWriters(context: Int32Array): void {
  Atomics.add(context, X_WAKE, 1);
  Atomics.notify(context, X_WAKE);
}

/** Blocks the calling thread (Atomics.wait). Returns false on timeout. */
export function waitReleased(sab: SharedArrayBuffer, context: Int32Array, timeoutMs: number): boolean {
  const ctrl = new Int32Array(sab, 0, CTRL_BYTES / 4);
  const target = Atomics.load(ctrl, C_HEAD);
  const deadline = Date.now() + timeoutMs;
  wakeWriters(context);
  for (;;) {
    if (!behind(ctrl, context, target)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    const seen = Atomics.load(ctrl, C_PROGRESS);
    Atomics.store(ctrl, C_WAITING, 1);
    if (behind(ctrl, context, target)) Atomics.wait(ctrl, C_PROGRESS, seen, Math.min(left, SLICE_MS));
    Atomics.store(ctrl, C_WAITING, 0);
  }
}

/** The same without blocking the event loop (which it keeps alive while waiting). */
export async function released(sab: SharedArrayBuffer, context: Int32Array, timeoutMs: number): Promise<boolean> {
  const ctrl = new Int32Array(sab, 0, CTRL_BYTES / 4);
  const target = Atomics.load(ctrl, C_HEAD);
  const deadline = Date.now() + timeoutMs;
  wakeWriters(context);
  for (;;) {
    if (!behind(ctrl, context, target)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    const seen = Atomics.load(ctrl, C_PROGRESS);
    Atomics.store(ctrl, C_WAITING, 1);
    const slice = Math.min(left, SLICE_MS);
    const r = Atomics.waitAsync(ctrl, C_PROGRESS, seen, slice);
    if (r.async) {
      // Atomics.waitAsync does not keep Node's event loop alive: a worker awaiting detach() would exit mid-wait.
      const keepAlive = setTimeout(() => undefined, slice + 10);
      await r.value;
      clearTimeout(keepAlive);
    }
    Atomics.store(ctrl, C_WAITING, 0);
  }
}
