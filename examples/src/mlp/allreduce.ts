// Sum-allreduce of a Float64Array across worker threads through one SharedArrayBuffer.
//
// Layout:  Int32 control words [arrived, generation, aborted, -] (16 bytes), then
//          two halves × worldSize slots × length Float64 values.
// A call: rank r copies its vector into slot r of half (call # mod 2), waits at the
// barrier, then sums slots 0..worldSize-1 in rank order. Every rank adds the same
// numbers in the same order, so every rank gets bit-identical results.
// Why two halves: a fast rank that leaves call k and enters call k+1 writes into the
// other half, so it cannot overwrite slots a slow rank is still reading for call k;
// it cannot reach call k+2 (same half again) before every rank has arrived at call
// k+1's barrier, i.e. finished reading call k. So one barrier per call is enough.

const ARRIVED = 0;
const GEN = 1;
const ABORTED = 2;
const CTRL_BYTES = 16; // 4 Int32 words; keeps the Float64 data 8-byte aligned

export function createAllreduceBuffer(worldSize: number, length: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CTRL_BYTES + 2 * worldSize * length * Float64Array.BYTES_PER_ELEMENT);
}

/**
 * Makes every rank's pending or next allreduce throw instead of waiting for a peer
 * that will never arrive. Called by the coordinator when a worker fails.
 */
export function abortAllreduce(sab: SharedArrayBuffer): void {
  const ctrl = new Int32Array(sab, 0, 4);
  Atomics.store(ctrl, ABORTED, 1);
  Atomics.add(ctrl, GEN, 1); // change the word waiters sleep on, then wake them
  Atomics.notify(ctrl, GEN);
}

export class Allreduce {
  private readonly ctrl: Int32Array;
  private readonly data: Float64Array;
  private calls = 0;

  constructor(
    sab: SharedArrayBuffer,
    private readonly rank: number,
    private readonly worldSize: number,
    private readonly length: number,
    private readonly timeoutMs = 30_000,
  ) {
    if (sab.byteLength !== CTRL_BYTES + 2 * worldSize * length * 8) {
      throw new Error(`allreduce buffer has ${sab.byteLength} bytes, expected ${CTRL_BYTES + 2 * worldSize * length * 8}`);
    }
    this.ctrl = new Int32Array(sab, 0, 4);
    this.data = new Float64Array(sab, CTRL_BYTES);
  }

  /** vec ← Σ over ranks of vec, in place. Every rank must call it the same number of times. */
  sum(vec: Float64Array): void {
    if (vec.length !== this.length) throw new Error(`allreduce: vector length ${vec.length}, expected ${this.length}`);
    const { data, worldSize, length } = this;
    const half = (this.calls++ & 1) * worldSize * length;
    data.set(vec, half + this.rank * length);
    this.barrier();
    for (let i = 0; i < length; i++) vec[i] = data[half + i]!;
    for (let r = 1; r < worldSize; r++) {
      const off = half + r * length;
      for (let i = 0; i < length; i++) vec[i]! += data[off + i]!;
    }
  }

  /**
   * Reusable barrier: the last rank to arrive resets the counter and bumps the
   * generation; the others sleep until the generation changes. Atomics are
   * sequentially consistent, so slot writes made before arriving are visible
   * to every rank after it leaves.
   */
  private barrier(): void {
    const c = this.ctrl;
    const gen = Atomics.load(c, GEN);
    // Checked after reading gen: an abort after this point changes gen and wakes us.
    if (Atomics.load(c, ABORTED)) throw new Error(`allreduce aborted on rank ${this.rank}: another rank failed`);
    if (Atomics.add(c, ARRIVED, 1) === this.worldSize - 1) {
      Atomics.store(c, ARRIVED, 0); // reset before releasing, so the next barrier counts from 0
      Atomics.add(c, GEN, 1);
      Atomics.notify(c, GEN);
    } else {
      const deadline = Date.now() + this.timeoutMs;
      while (Atomics.load(c, GEN) === gen) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`allreduce barrier timed out on rank ${this.rank} after ${this.timeoutMs} ms: a peer rank is stuck or dead`);
        }
        Atomics.wait(c, GEN, gen, left);
      }
    }
    if (Atomics.load(c, ABORTED)) throw new Error(`allreduce aborted on rank ${this.rank}: another rank failed`);
  }
}
