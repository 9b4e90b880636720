/**
 * What a sink receives for the `aggregate` option (docs/jobs.md "Aggregates"): one identifier at
 * one step, aggregated over the ranks, to be written as a job-level series (local files
 * aggregates.csv, TensorBoard <run>/job/, MLflow's parent run, …). Only the process that writes
 * the job-level run gets them: rank 0 of a job, or the one process of worker_thread ranks.
 */
import type { AggregateStat } from '../aggregate/partial.js';

export type { AggregateStat } from '../aggregate/partial.js';
export { AGGREGATE_STATS, aggregateKey } from '../aggregate/partial.js';

/** One statistic of a job-level aggregate. */
export interface AggregateValue {
  readonly stat: AggregateStat;
  /** The series name: the identifier itself for the mean, `<identifier>.<stat>` otherwise (aggregateKey). */
  readonly key: string;
  readonly value: number;
}

/** One identifier at one step over the ranks that logged it. */
export interface JobAggregate {
  readonly identifier: string;
  readonly step: number;
  /** The latest log() time among its values, ms since the epoch. */
  readonly timeMs: number;
  /** Ranks whose values it holds; below expectedRanks when a rank's value did not come within the timeout. */
  readonly ranks: number;
  /** Ranks that log to this backend. */
  readonly expectedRanks: number;
  /** Values it holds (a rank that logged the identifier twice at one step counts twice). */
  readonly count: number;
  /** The statistics the aggregate option asked for, in its order. */
  readonly values: readonly AggregateValue[];
}
