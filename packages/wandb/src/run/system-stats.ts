/**
 * System metrics for StatsRecords, under the keys wandb's system monitor uses, so they land in
 * the run's System charts: the process's CPU share of the machine, its memory, the machine's memory.
 * Sampled only when a run is due one (every STATS_INTERVAL_MS while records flow).
 */
import { cpus, freemem, totalmem } from 'node:os';
import type { Item } from '../records/messages.js';
import { numberJson } from './json-value.js';

/** wandb's default sampling interval (x_stats_sampling_interval). */
export const STATS_INTERVAL_MS = 15_000;

const round = (v: number) => Math.round(v * 100) / 100;

export class SystemStats {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private readonly cores = Math.max(1, cpus().length);

  sample(): Item[] {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const usedMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const wallMicros = Math.max(1, (now - this.lastAt) * 1000);
    this.lastCpu = cpu;
    this.lastAt = now;
    const rss = process.memoryUsage.rss();
    const total = totalmem();
    const free = freemem();
    return [
      { key: 'cpu', json: numberJson(round((usedMicros / wallMicros / this.cores) * 100)) },
      { key: 'proc.memory.rssMB', json: numberJson(round(rss / 2 ** 20)) },
      { key: 'proc.memory.percent', json: numberJson(round((rss / total) * 100)) },
      { key: 'memory_percent', json: numberJson(round(((total - free) / total) * 100)) },
      { key: 'proc.memory.availableMB', json: numberJson(round(free / 2 ** 20)) },
    ];
  }
}
