import { argError, describe } from './errors.js';
import type { OptionKeys } from './option-keys.js';

/** 'epoch': calls without batchIdx; 'batch': every call; N: batchIdx % N === 0 and calls without batchIdx. */
export type LogFreq = 'epoch' | 'batch' | number;
/** -1: all ranks; a rank; a list of ranks. */
export type LogOnWorkers = number | readonly number[];

/** Options every backend logger accepts. */
export interface CommonLoggerOptions {
  logFreq?: LogFreq;
  logOnWorkers?: LogOnWorkers;
}

/** Spread into a backend's own OptionKeys, for checkOptionKeys(). */
export const COMMON_OPTION_KEYS: OptionKeys<CommonLoggerOptions> = { logFreq: true, logOnWorkers: true };

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
