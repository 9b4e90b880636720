/**
 * A per-step partial of one identifier's values (docs/jobs.md "Aggregates"): what a rank's writer
 * folds and sends, and what rank 0 merges. count, sum, min and max merge exactly; the spread is
 * kept as Welford's M2 (sum of squared deviations from the mean), merged with Chan et al.'s
 * pairwise formula, which stays accurate where a raw sum of squares cancels (values around 1e6
 * whose spread is 1).
 */

/** The statistics an aggregate can report; std is the population standard deviation (ddof 0, numpy's default). */
export const AGGREGATE_STATS = ['mean', 'min', 'max', 'std', 'sum', 'count'] as const;
/** One statistic of an aggregate over ranks. */
export type AggregateStat = (typeof AGGREGATE_STATS)[number];

/** count, sum, M2, min, max: 5 numbers whatever the number of ranks. */
export interface StepPartial {
  count: number;
  sum: number;
  m2: number;
  min: number;
  max: number;
}

export function partialOf(value: number): StepPartial {
  return { count: 1, sum: value, m2: 0, min: value, max: value };
}

/** Fold b into a (a changes). */
export function mergeInto(a: StepPartial, b: StepPartial): void {
  const n = a.count + b.count;
  if (b.count === 0) return;
  if (a.count === 0) {
    Object.assign(a, b);
    return;
  }
  const delta = b.sum / b.count - a.sum / a.count;
  a.m2 += b.m2 + (delta * delta * a.count * b.count) / n;
  a.count = n;
  a.sum += b.sum;
  // Math.min/max would turn a NaN into NaN too; a NaN value is kept visible, as in the rank's own series.
  a.min = Math.min(a.min, b.min);
  a.max = Math.max(a.max, b.max);
}

/** One value into a partial (the writer's hot path: no allocation). */
export function addValue(p: StepPartial, value: number): void {
  const n = p.count + 1;
  const mean = p.count === 0 ? 0 : p.sum / p.count;
  const delta = value - mean;
  p.m2 += p.count === 0 ? 0 : (delta * delta * p.count) / n;
  p.count = n;
  p.sum += value;
  p.min = p.count === 1 ? value : Math.min(p.min, value);
  p.max = p.count === 1 ? value : Math.max(p.max, value);
}

export function statOf(p: StepPartial, stat: AggregateStat): number {
  switch (stat) {
    case 'mean':
      return p.sum / p.count;
    case 'min':
      return p.min;
    case 'max':
      return p.max;
    case 'std':
      return Math.sqrt(Math.max(0, p.m2) / p.count);
    case 'sum':
      return p.sum;
    case 'count':
      return p.count;
  }
}

/**
 * The job-level series name of a statistic: the mean keeps the identifier itself (so in TensorBoard
 * and MLflow it overlays the ranks' curves of that identifier), the others are `<identifier>.<stat>`
 * (as W&B names summaries). Not `<identifier>/<stat>`: MLflow's file store keeps a metric as a file
 * named by its key, so `loss` and `loss/min` cannot both exist in one run.
 */
export function aggregateKey(identifier: string, stat: AggregateStat): string {
  return stat === 'mean' ? identifier : `${identifier}.${stat}`;
}
