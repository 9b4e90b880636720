/**
 * A system sample as ordinary metrics: the names every backend without writeSystemSample() gets
 * (local files, TensorBoard, MLflow, the console). Each name carries its unit; readings the machine
 * does not offer are left out, not written as NaN.
 */
import type { SystemSample } from './system-sample.js';

/** [identifier, value] of every reading the sample has, in a fixed order. */
export function systemMetricEntries(s: SystemSample): [string, number][] {
  const out: [string, number][] = [];
  const add = (name: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) out.push([`system/${name}`, v]);
  };
  add('process_cpu_percent', s.processCpuPercent);
  add('process_rss_mb', s.processRssMb);
  add('process_threads', s.processThreads);
  add('heap_used_mb', s.heapUsedMb);
  add('event_loop_utilization_percent', s.eventLoopUtilizationPercent);
  add('host_cpu_percent', s.hostCpuPercent);
  add('host_memory_used_percent', s.hostMemoryUsedPercent);
  add('host_memory_available_mb', s.hostMemoryAvailableMb);
  if (s.disk) {
    add('disk_read_mb_total', s.disk.readMb);
    add('disk_written_mb_total', s.disk.writtenMb);
  }
  for (const g of s.gpus) {
    add(`gpu${g.index}_utilization_percent`, g.utilizationPercent);
    add(`gpu${g.index}_memory_busy_percent`, g.memoryBusyPercent);
    add(`gpu${g.index}_memory_used_mb`, g.memoryUsedMb);
    add(`gpu${g.index}_memory_total_mb`, g.memoryTotalMb);
    add(`gpu${g.index}_temperature_c`, g.temperatureC);
  }
  return out;
}
