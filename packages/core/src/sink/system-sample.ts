/**
 * One system-metrics sample, as a sink receives it (the systemMetrics option). The process's
 * sampler thread takes it off the training thread; every backend that asked for samples gets it
 * from its writer thread. A reading the machine does not offer is undefined, never a guess.
 */
export interface SystemSample {
  /** Samples this backend received before this one (0, 1, 2, …): the step of the generic metrics. */
  readonly index: number;
  /** Wall-clock time of the sample, ms since the Unix epoch. */
  readonly timeMs: number;
  /** Seconds between two samples for this backend. */
  readonly intervalSecs: number;
  /** Rank of the process (the context's coordinating rank). */
  readonly rank: number;
  /** The process (every thread): CPU since the previous sample, 100 = one core busy (as `top` shows it). */
  readonly processCpuPercent: number | undefined;
  readonly processRssMb: number | undefined;
  /** OS threads of the process (Linux). */
  readonly processThreads: number | undefined;
  /** The training thread (the one that created the context): V8 heap in use. */
  readonly heapUsedMb: number | undefined;
  /** The training thread: share of the last interval its event loop was busy, 0–100. */
  readonly eventLoopUtilizationPercent: number | undefined;
  /** The machine: CPU busy since the previous sample, 0–100 (all cores). */
  readonly hostCpuPercent: number | undefined;
  /** Logical CPUs of the machine. */
  readonly hostCpuCount: number;
  /** The machine's memory in use (total − available), 0–100. */
  readonly hostMemoryUsedPercent: number | undefined;
  readonly hostMemoryAvailableMb: number | undefined;
  readonly hostMemoryTotalMb: number | undefined;
  /** I/O of the block device holding this backend's directory, since sampling began (Linux /proc/diskstats). */
  readonly disk: DiskSample | undefined;
  /** One entry per GPU nvidia-smi lists, in its order; empty without nvidia-smi. */
  readonly gpus: readonly GpuSample[];
}

export interface DiskSample {
  /** The kernel's name of the device, e.g. 'nvme0n1p2', 'sda1', 'vda'. */
  readonly device: string;
  readonly readMb: number;
  readonly writtenMb: number;
}

export interface GpuSample {
  /** nvidia-smi's index of the GPU. */
  readonly index: number;
  /** Time a kernel ran in the last sample period, 0–100 (utilization.gpu). */
  readonly utilizationPercent: number | undefined;
  /** Time the memory was read or written, 0–100 (utilization.memory). */
  readonly memoryBusyPercent: number | undefined;
  readonly memoryUsedMb: number | undefined;
  readonly memoryTotalMb: number | undefined;
  readonly temperatureC: number | undefined;
}
