import { argError, describe } from './errors.js';
import type { OptionKeys } from './option-keys.js';
import type { AggregateOption } from './aggregate-option.js';

/** 'epoch': calls without batchIdx; 'batch': every call; N: batchIdx % N === 0 and calls without batchIdx. */
export type LogFreq = 'epoch' | 'batch' | number;
/** -1: all ranks; a rank; a list of ranks. */
export type LogOnWorkers = number | readonly number[];

/** Options every backend logger accepts. */
export interface CommonLoggerOptions {
  logFreq?: LogFreq;
  logOnWorkers?: LogOnWorkers;
  /**
   * Sample system metrics (CPU, memory, disk I/O, GPUs) every this many seconds and give them to
   * this backend (README "System metrics"); true is W&B's default, 15 s. Default: off (false or 0).
   */
  systemMetrics?: number | boolean;
  /**
   * Cross-rank aggregates per step, written as a job-level series by rank 0 (docs/jobs.md
   * "Aggregates"): a metric identifier, or '*' for every other metric, → the statistics
   * ('mean', 'min', 'max', 'std', 'sum', 'count'), e.g. `{ 'train/loss': ['mean', 'min', 'max', 'std'] }`.
   * Computed in the writer threads, never on the training thread. Default: none.
   */
  aggregate?: AggregateOption;
  /** Steps that may wait for their ranks at once (default 32768, about 14 MB); beyond it the oldest is dropped, counted (stats().aggregateDropped) and warned about once. */
  aggregateWindow?: number;
  /** How long a rank may send nothing for an identifier, s (default 30), before the steps waiting for it are written with the ranks that came; a slow rank that keeps logging is waited for. */
  aggregateTimeoutSecs?: number;
}

/** Spread into a backend's own OptionKeys, for checkOptionKeys(). */
export const COMMON_OPTION_KEYS: OptionKeys<CommonLoggerOptions> = {
  logFreq: true,
  logOnWorkers: true,
  systemMetrics: true,
  aggregate: true,
  aggregateWindow: true,
  aggregateTimeoutSecs: true,
};

/** What systemMetrics: true means: wandb's own sampling interval (x_stats_sampling_interval). */
export const DEFAULT_SYSTEM_METRICS_SECS = 15;
/** Below a second a sample costs more than it tells (reading /proc, running nvidia-smi). */
export const MIN_SYSTEM_METRICS_SECS = 1;
/** A day: longer would be one sample per run. */
export const MAX_SYSTEM_METRICS_SECS = 86_400;

/** systemMetrics as an interval in ms; 0 = off. */
export function normalizeSystemMetrics(value: unknown, owner: string): number {
  if (value === undefined || value === false || value === 0) return 0;
  if (value === true) return DEFAULT_SYSTEM_METRICS_SECS * 1000;
  if (typeof value === 'number' && Number.isFinite(value) && value >= MIN_SYSTEM_METRICS_SECS && value <= MAX_SYSTEM_METRICS_SECS) {
    return Math.round(value * 1000);
  }
  throw argError(
    `${owner} option systemMetrics`,
    value,
    `pass an interval in seconds from ${MIN_SYSTEM_METRICS_SECS} to ${MAX_SYSTEM_METRICS_SECS} (e.g. ${DEFAULT_SYSTEM_METRICS_SECS}, W&B's default), true for ${DEFAULT_SYSTEM_METRICS_SECS} s, or false / 0 to sample nothing (the default).`,
    typeof value === 'number' ? RangeError : TypeError,
  );
}

/** logFreq as a single number for the hot path: 0 = 'batch' (every call), -1 = 'epoch', N > 0 = every N batches. */
export function normalizeLogFreq(logFreq: unknown, owner: string): number {
  if (logFreq === undefined || logFreq === 'epoch') return -1;
  if (logFreq === 'batch') return 0;
  if (typeof logFreq === 'number' && Number.isSafeInteger(logFreq) && logFreq > 0) return logFreq;
  throw argError(
    `${owner} option logFreq`,
    logFreq,
    `use 'epoch' (log calls without batchIdx), 'batch' (log every call) or a positive integer N (log when batchIdx % N === 0).`,
  );
}

/** logOnWorkers as a predicate over ranks. */
export function normalizeLogOnWorkers(value: unknown, owner: string): (rank: number) => boolean {
  const fix = 'use -1 (all ranks), a rank such as 0, or a list of ranks such as [0, 2].';
  if (value === undefined) return (r) => r === 0;
  if (value === -1) return () => true;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw argError(`${owner} option logOnWorkers`, value, fix);
    return (r) => r === value;
  }
  if (Array.isArray(value)) {
    for (const r of value) {
      if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 0) {
        throw argError(`${owner} option logOnWorkers`, value, `${describe(r)} is not a rank; ${fix}`);
      }
    }
    const set = new Set<number>(value);
    return (r) => set.has(r);
  }
  throw argError(`${owner} option logOnWorkers`, value, fix);
}
