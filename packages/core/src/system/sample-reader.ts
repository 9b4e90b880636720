/**
 * A writer thread's view of the system block: notices a new sample (the sequence number moved
 * on), copies it out whole (seqlock: retried if the sampler wrote meanwhile) and keeps every
 * `every`-th one, so a backend with a longer interval than the sampler's gets its own pace.
 */
import { availableParallelism } from 'node:os';
import type { DiskSample, GpuSample, SystemSample } from '../sink/system-sample.js';
import { DISK_FIELDS, GPU_FIELDS, SYS, SYS_F64 } from './block-layout.js';

/** What a writer needs to read samples for its backend (structured-cloneable, in WriterInit). */
export interface SystemMetricsInit {
  block: SharedArrayBuffer;
  /** Keep every this many of the sampler's samples (the backend's interval / the sampler's). */
  every: number;
  intervalSecs: number;
  /** Disk slot of the device holding the backend's directory, and its name; -1 / '' for none. */
  diskSlot: number;
  diskName: string;
}

const opt = (v: number): number | undefined => (v === v ? v : undefined);

export class SampleReader {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly cpuCount = availableParallelism();
  private seenSeq = 0;
  private seenIndex = -1;
  /** Samples handed to this backend. */
  taken = 0;

  constructor(
    private readonly init: SystemMetricsInit,
    private readonly rank: number,
  ) {
    this.i32 = new Int32Array(init.block);
    this.f64 = new Float64Array(init.block);
  }

  /** The next sample this backend takes, once; undefined when there is none new. */
  next(): SystemSample | undefined {
    for (let attempt = 0; attempt < 100; attempt++) {
      const seq = Atomics.load(this.i32, SYS.SEQ);
      if (seq === this.seenSeq) return undefined;
      if (seq & 1) continue; // the sampler is writing: its stores take well under a µs
      const s = this.copy();
      if (Atomics.load(this.i32, SYS.SEQ) !== seq) continue;
      this.seenSeq = seq;
      if (s.index === this.seenIndex) return undefined;
      this.seenIndex = s.index;
      if (s.index % this.init.every !== 0) return undefined;
      return { ...s, index: this.taken++ };
    }
    return undefined;
  }

  private copy(): SystemSample {
    const f = this.f64;
    const { diskSlot, diskName } = this.init;
    let disk: DiskSample | undefined;
    if (diskSlot >= 0) {
      const readMb = f[SYS_F64.DISKS + diskSlot * DISK_FIELDS]!;
      const writtenMb = f[SYS_F64.DISKS + diskSlot * DISK_FIELDS + 1]!;
      if (readMb === readMb && writtenMb === writtenMb) disk = { device: diskName, readMb, writtenMb };
    }
    const gpus: GpuSample[] = [];
    const n = f[SYS_F64.GPU_COUNT]! | 0;
    for (let i = 0; i < n; i++) {
      const at = SYS_F64.GPUS + i * GPU_FIELDS;
      gpus.push({
        index: f[at]!,
        utilizationPercent: opt(f[at + 1]!),
        memoryBusyPercent: opt(f[at + 2]!),
        memoryUsedMb: opt(f[at + 3]!),
        memoryTotalMb: opt(f[at + 4]!),
        temperatureC: opt(f[at + 5]!),
      });
    }
    return {
      index: f[SYS_F64.SAMPLE_INDEX]!,
      timeMs: f[SYS_F64.TIME_MS]!,
      intervalSecs: this.init.intervalSecs,
      rank: this.rank,
      processCpuPercent: opt(f[SYS_F64.PROCESS_CPU_PERCENT]!),
      processRssMb: opt(f[SYS_F64.PROCESS_RSS_MB]!),
      processThreads: opt(f[SYS_F64.PROCESS_THREADS]!),
      heapUsedMb: opt(f[SYS_F64.HEAP_USED_MB]!),
      eventLoopUtilizationPercent: opt(f[SYS_F64.ELU_PERCENT]!),
      hostCpuPercent: opt(f[SYS_F64.HOST_CPU_PERCENT]!),
      hostCpuCount: this.cpuCount,
      hostMemoryUsedPercent: opt(f[SYS_F64.HOST_MEMORY_USED_PERCENT]!),
      hostMemoryAvailableMb: opt(f[SYS_F64.HOST_MEMORY_AVAILABLE_MB]!),
      hostMemoryTotalMb: opt(f[SYS_F64.HOST_MEMORY_TOTAL_MB]!),
      disk,
      gpus,
    };
  }
}
