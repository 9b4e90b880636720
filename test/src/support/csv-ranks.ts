/** The ranks that have rows in a run's metrics.csv, sorted. */
import { readFileSync } from 'node:fs';
import { parseCsv } from './csv-parse.js';

export function csvRanks(file: string): number[] {
  const ranks = new Set(
    parseCsv(readFileSync(file, 'utf8'))
      .slice(1)
      .map((r) => Number(r[1])),
  );
  return [...ranks].sort((a, b) => a - b);
}
