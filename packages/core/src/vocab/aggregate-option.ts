/**
 * The `aggregate` logger option (docs/jobs.md "Aggregates"): which metric identifiers are
 * aggregated over ranks per step, and with which statistics. `'*'` stands for every metric the
 * map does not name.
 *
 *   aggregate: { 'train/loss': ['mean', 'min', 'max', 'std'], '*': ['mean'] }
 */
import { argError, describe } from './errors.js';
import { AGGREGATE_STATS, type AggregateStat } from '../aggregate/partial.js';

/** Identifier (or '*': every other metric) → the statistics to report for it. */
export type AggregateOption = Readonly<Record<string, readonly AggregateStat[]>>;

/**
 * Steps open at once per backend by default: a step waits there until no rank can still add to it.
 * Sized by memory (about 430 bytes per open step: 14 MB when full), so that ranks drifting apart by
 * thousands of steps over a few identifiers lose nothing.
 */
export const DEFAULT_AGGREGATE_WINDOW = 32_768;
/** How long a rank may be silent for an identifier by default, s, before the steps waiting for it are written without it. */
export const DEFAULT_AGGREGATE_TIMEOUT_SECS = 30;

const FIX = `pass a map from a metric identifier (or '*' for every metric) to a list of ${AGGREGATE_STATS.map((s) => `'${s}'`).join(', ')}, e.g. { 'train/loss': ['mean', 'min', 'max', 'std'] }.`;

/** A checked copy of the option, or undefined when absent or empty. */
export function normalizeAggregate(value: unknown, owner: string): AggregateOption | undefined {
  if (value === undefined) return undefined;
  const name = `${owner} option aggregate`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw argError(name, value, FIX);
  const out: Record<string, AggregateStat[]> = {};
  for (const [id, stats] of Object.entries(value)) {
    if (id === '') throw argError(`${name} key`, id, `name a metric identifier or '*'; ${FIX}`);
    if (!Array.isArray(stats) || stats.length === 0) throw argError(`${name}[${JSON.stringify(id)}]`, stats, `pass a non-empty list of statistics; ${FIX}`);
    const seen = new Set<AggregateStat>();
    for (const s of stats) {
      if (!(AGGREGATE_STATS as readonly unknown[]).includes(s))
        throw argError(`${name}[${JSON.stringify(id)}]`, stats, `${describe(s)} is not a statistic; ${FIX}`);
      seen.add(s as AggregateStat);
    }
    out[id] = [...seen];
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** aggregateWindow: open steps per backend. */
export function normalizeAggregateWindow(value: unknown, owner: string): number {
  if (value === undefined) return DEFAULT_AGGREGATE_WINDOW;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= 1_000_000) return value;
  throw argError(
    `${owner} option aggregateWindow`,
    value,
    `pass how many steps may wait for their ranks at once, an integer from 1 to 1000000 (default ${DEFAULT_AGGREGATE_WINDOW}); older steps beyond it are dropped and counted.`,
    typeof value === 'number' ? RangeError : TypeError,
  );
}

/** aggregateTimeoutSecs: how long a silent rank is waited for. */
export function normalizeAggregateTimeout(value: unknown, owner: string): number {
  if (value === undefined) return DEFAULT_AGGREGATE_TIMEOUT_SECS;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 86_400) return value;
  throw argError(
    `${owner} option aggregateTimeoutSecs`,
    value,
    `pass seconds above 0 (at most 86400; default ${DEFAULT_AGGREGATE_TIMEOUT_SECS}): how long a rank may send nothing for an identifier before the steps waiting for it are written with the ranks they have.`,
    typeof value === 'number' ? RangeError : TypeError,
  );
}

/** The statistics for one identifier, or undefined when it is not aggregated. */
export function statsFor(option: AggregateOption, identifier: string): readonly AggregateStat[] | undefined {
  return Object.hasOwn(option, identifier) ? option[identifier] : option['*'];
}
