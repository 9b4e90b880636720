/**
 * The training thread's share of the system metrics: its V8 heap and event-loop utilisation can
 * only be read on that thread. An unref'd timer stores them in the system block once per
 * interval (benchmarks/src/system-metrics.ts measures a tick: a few µs); the sampler copies them.
 */
import { getHeapStatistics } from 'node:v8';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { SYS_F64 } from './block-layout.js';

const MB = 2 ** 20;

export class ThreadProbe {
  private readonly f64: Float64Array;
  private last: EventLoopUtilization | undefined;

  constructor(block: SharedArrayBuffer) {
    this.f64 = new Float64Array(block);
  }

  /** Store the heap in use and the event loop's busy share since the previous tick. */
  tick(): void {
    const now = performance.eventLoopUtilization();
    if (this.last) this.f64[SYS_F64.PROBE_ELU_PERCENT] = performance.eventLoopUtilization(now, this.last).utilization * 100;
    this.last = now;
    this.f64[SYS_F64.PROBE_HEAP_MB] = getHeapStatistics().used_heap_size / MB;
    this.f64[SYS_F64.PROBE_TIME_MS] = Date.now();
  }
}

/** Starts the probe on the calling thread; returns its stop. */
export function startThreadProbe(block: SharedArrayBuffer, intervalMs: number): () => void {
  const probe = new ThreadProbe(block);
  probe.tick();
  const timer = setInterval(() => probe.tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
