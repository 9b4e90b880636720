/**
 * The sampler thread's readings of the process and the machine. Rates (CPU) are over the time
 * since the previous reading; disk I/O counts from the first. Every reading the OS does not
 * offer stays NaN; nothing here throws.
 */
import { readFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';

const MB = 2 ** 20;
const SECTOR_BYTES = 512; // /proc/diskstats counts 512-byte sectors whatever the device's own sector size

export interface Readings {
  processCpuPercent: number;
  processRssMb: number;
  processThreads: number;
  hostCpuPercent: number;
  hostMemoryUsedPercent: number;
  hostMemoryAvailableMb: number;
  hostMemoryTotalMb: number;
  /** Per disk slot: MB read and written since the first reading. */
  disks: { readMb: number; writtenMb: number }[];
}

interface HostCpuTimes {
  busy: number;
  total: number;
}

function hostCpuTimes(): HostCpuTimes {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/** Sectors read and written per device name, from /proc/diskstats (fields 3, 6 and 10). */
function diskSectors(): Map<string, [number, number]> | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/diskstats', 'latin1');
  } catch {
    return undefined;
  }
  const out = new Map<string, [number, number]>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 10) out.set(f[2]!, [Number(f[5]), Number(f[9])]);
  }
  return out;
}

/** OS threads of this process: field 20 of /proc/self/stat (after the command name in parentheses). */
function threadCount(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[17]);
  } catch {
    return NaN;
  }
}

export class SystemReadings {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private lastHost = hostCpuTimes();
  private readonly diskStart: ([number, number] | undefined)[];

  constructor(private readonly disks: readonly string[]) {
    const s = diskSectors();
    this.diskStart = disks.map((d) => s?.get(d));
  }

  read(): Readings {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const wallMicros = (now - this.lastAt) * 1000;
    const usedMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    this.lastCpu = cpu;
    this.lastAt = now;
    const host = hostCpuTimes();
    const hostTotal = host.total - this.lastHost.total;
    const hostCpuPercent = hostTotal > 0 ? ((host.busy - this.lastHost.busy) / hostTotal) * 100 : NaN;
    this.lastHost = host;
    const total = totalmem();
    const available = freemem(); // MemAvailable on Linux
    const sectors = this.disks.length > 0 ? diskSectors() : undefined;
    return {
      processCpuPercent: wallMicros > 0 ? (usedMicros / wallMicros) * 100 : NaN,
      processRssMb: process.memoryUsage.rss() / MB,
      processThreads: process.platform === 'linux' ? threadCount() : NaN,
      hostCpuPercent,
      hostMemoryUsedPercent: total > 0 ? ((total - available) / total) * 100 : NaN,
      hostMemoryAvailableMb: available / MB,
      hostMemoryTotalMb: total / MB,
      disks: this.disks.map((d, i) => {
        const start = this.diskStart[i];
        const nowSectors = sectors?.get(d);
        if (!start || !nowSectors) return { readMb: NaN, writtenMb: NaN };
        return { readMb: ((nowSectors[0] - start[0]) * SECTOR_BYTES) / MB, writtenMb: ((nowSectors[1] - start[1]) * SECTOR_BYTES) / MB };
      }),
    };
  }
}
