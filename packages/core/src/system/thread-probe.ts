/**
 * The training thread's share of the system metrics: its V8 heap and event-loop utilisation can
 * only be read on that thread. An unref'd timer stores them in the system block once per
 * interval (benchmarks/src/system-metrics.ts measures its cost); the sampler copies them.
 */
import { getHeapStatistics } from 'node:v8';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { SYS_F64 } from './block-layout.js';

const MB = 2 ** 20;

/** Starts the probe on the calling thread; returns its stop. */
export function startThreadProbe(block: SharedArrayBuffer, intervalMs: number): () => void {
  const f64 = new Float64Array(block);
  let last: EventLoopUtilization | undefined;
  const probe = () => {
    const now = performance.eventLoopUtilization();
    if (last) f64[SYS_F64.PROBE_ELU_PERCENT] = performance.eventLoopUtilization(now, last).utilization * 100;
    last = now;
    f64[SYS_F64.PROBE_HEAP_MB] = getHeapStatistics().used_heap_size / MB;
    f64[SYS_F64.PROBE_TIME_MS] = Date.now();
  };
  probe();
  const timer = setInterval(probe, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
