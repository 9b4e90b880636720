/**
 * The system-metrics block: one SharedArrayBuffer per context with system metrics on. The sampler
 * thread publishes each sample here under a sequence number (a seqlock: odd while it writes);
 * each writer thread copies the sample out when the number moves on. The training thread's probe
 * writes its own three slots, which the sampler copies into the next sample. NaN = no reading.
 * docs/ring.md, "The system-metrics block", draws it.
 */

/** Int32 words (bytes 0..7). */
export const SYS = {
  /** Even: a whole sample is in place; odd: the sampler is writing one. */
  SEQ: 0,
} as const;

/** GPUs and disks a sample has room for (nvidia-smi's first 16; one disk per backend directory). */
export const MAX_GPUS = 16;
export const MAX_DISKS = 4;
export const GPU_FIELDS = 6;
export const DISK_FIELDS = 2;

/** Float64 slots (index × 8 = byte offset; slot 0 holds the Int32 words). */
export const SYS_F64 = {
  /** Written by the training thread's probe. */
  PROBE_TIME_MS: 1,
  PROBE_HEAP_MB: 2,
  PROBE_ELU_PERCENT: 3,
  /** Written by the sampler, under SEQ. */
  SAMPLE_INDEX: 4,
  TIME_MS: 5,
  PROCESS_CPU_PERCENT: 6,
  PROCESS_RSS_MB: 7,
  PROCESS_THREADS: 8,
  HEAP_USED_MB: 9,
  ELU_PERCENT: 10,
  HOST_CPU_PERCENT: 11,
  HOST_MEMORY_USED_PERCENT: 12,
  HOST_MEMORY_AVAILABLE_MB: 13,
  HOST_MEMORY_TOTAL_MB: 14,
  GPU_COUNT: 15,
  /** DISKS + DISK_FIELDS × d: MB read, MB written since sampling began, of disk slot d. */
  DISKS: 16,
  /** GPUS + GPU_FIELDS × g: index, utilization %, memory busy %, memory used MB, memory total MB, temperature °C. */
  GPUS: 16 + MAX_DISKS * DISK_FIELDS,
} as const;

export const SYSTEM_BLOCK_BYTES = (SYS_F64.GPUS + MAX_GPUS * GPU_FIELDS) * 8;

export function newSystemBlock(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(SYSTEM_BLOCK_BYTES);
  new Float64Array(sab).fill(NaN, 1);
  return sab;
}
