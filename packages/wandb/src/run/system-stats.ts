/**
 * A ranklog system sample as the items of a W&B StatsRecord, under the keys wandb's own system
 * monitor writes (wandb core/internal/monitor/system.go for the process, memory and disk keys,
 * xpu/src/gpu_nvidia.rs for the GPU keys), so they land in the run's System charts. Readings wandb
 * has no key for (the machine's CPU, the training thread's heap and event loop) go under `ranklog.`.
 */
import type { SystemSample } from '@ranklog/core/sink';
import type { Item } from '../records/messages.js';
import { numberJson } from './json-value.js';

const round = (v: number) => Math.round(v * 100) / 100;

export function statsItems(s: SystemSample): Item[] {
  const items: Item[] = [];
  const add = (key: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) items.push({ key, json: numberJson(round(v)) });
  };
  // wandb's `cpu` is the process's share of the whole machine (its CPU % over the CPU count).
  add('cpu', s.processCpuPercent === undefined ? undefined : s.processCpuPercent / Math.max(1, s.hostCpuCount));
  add('proc.cpu.threads', s.processThreads);
  add('proc.memory.rssMB', s.processRssMb);
  if (s.processRssMb !== undefined && s.hostMemoryTotalMb !== undefined && s.hostMemoryTotalMb > 0) {
    add('proc.memory.percent', (s.processRssMb / s.hostMemoryTotalMb) * 100);
  }
  add('memory_percent', s.hostMemoryUsedPercent);
  add('proc.memory.availableMB', s.hostMemoryAvailableMb);
  if (s.disk) {
    // MB read / written since sampling began, per device, as wandb counts them from its start.
    add(`disk.${s.disk.device}.in`, s.disk.readMb);
    add(`disk.${s.disk.device}.out`, s.disk.writtenMb);
  }
  for (const g of s.gpus) {
    add(`gpu.${g.index}.gpu`, g.utilizationPercent);
    add(`gpu.${g.index}.memory`, g.memoryBusyPercent);
    if (g.memoryUsedMb !== undefined && g.memoryTotalMb !== undefined && g.memoryTotalMb > 0) {
      add(`gpu.${g.index}.memoryAllocated`, (g.memoryUsedMb / g.memoryTotalMb) * 100);
    }
    add(`gpu.${g.index}.memoryAllocatedBytes`, g.memoryUsedMb === undefined ? undefined : g.memoryUsedMb * 2 ** 20);
    add(`gpu.${g.index}.temp`, g.temperatureC);
  }
  add('ranklog.hostCpuPercent', s.hostCpuPercent);
  add('ranklog.heapUsedMB', s.heapUsedMb);
  add('ranklog.eventLoopUtilizationPercent', s.eventLoopUtilizationPercent);
  return items;
}
