/**
 * What the aggregate tests compare against: the statistics computed directly from the values each
 * rank logged (two-pass for std, independent of the writers' Welford merge), and aggregates.csv read back.
 */
import { readFileSync } from 'node:fs';
import { parseCsv } from './csv-parse.js';

export interface Direct {
  mean: number;
  min: number;
  max: number;
  std: number;
  count: number;
}

/** The population statistics of one step's values (ddof 0). */
export function direct(values: readonly number[]): Direct {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) * (v - mean);
  return { mean, min: Math.min(...values), max: Math.max(...values), std: Math.sqrt(sq / values.length), count: values.length };
}

export interface CsvAggregate {
  stats: Map<string, number>;
  ranks: number;
  expectedRanks: number;
  count: number;
}

/** aggregates.csv as identifier → step → row; also checks the header. */
export function readAggregatesCsv(file: string): Map<string, Map<number, CsvAggregate>> {
  const rows = parseCsv(readFileSync(file, 'utf8'));
  const header = rows[0]?.join(',');
  if (header !== 'timestamp,identifier,step,stat,value,ranks,expected_ranks,count') throw new Error(`aggregates.csv header is ${header}`);
  const out = new Map<string, Map<number, CsvAggregate>>();
  for (const r of rows.slice(1)) {
    const [, id, step, stat, value, ranks, expected, count] = r as [string, string, string, string, string, string, string, string];
    let steps = out.get(id);
    if (!steps) out.set(id, (steps = new Map()));
    let a = steps.get(Number(step));
    if (!a) steps.set(Number(step), (a = { stats: new Map(), ranks: Number(ranks), expectedRanks: Number(expected), count: Number(count) }));
    if (a.stats.has(stat)) throw new Error(`aggregates.csv has ${id} step ${step} ${stat} twice`);
    a.stats.set(stat, value === 'NaN' ? NaN : value === 'inf' ? Infinity : value === '-inf' ? -Infinity : Number(value));
  }
  return out;
}
