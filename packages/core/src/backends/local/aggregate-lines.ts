/**
 * aggregates.csv of the local-files backend (docs/jobs.md "Aggregates"): one line per statistic of
 * a job-level aggregate, written only by the process that writes the job-level run (rank 0).
 *
 *   timestamp,identifier,step,stat,value,ranks,expected_ranks,count
 *
 * `ranks` below `expected_ranks`: the step was written after its timeout (or at close) with the
 * ranks that came. Values are written as in metrics.csv (shortest round-trip decimal; NaN, inf, -inf).
 */
import type { JobAggregate } from '../../sink/index.js';
import { IsoTime } from './iso-time.js';
import { csvField } from './metric-lines.js';

export const AGGREGATES_HEADER = 'timestamp,identifier,step,stat,value,ranks,expected_ranks,count\n';

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return Object.is(v, -0) ? '-0' : String(v);
}

export class AggregateLines {
  private readonly iso = new IsoTime();

  lines(a: JobAggregate): string {
    const head = `${this.iso.text(a.timeMs)},${csvField(a.identifier)},${a.step},`;
    const tail = `,${a.ranks},${a.expectedRanks},${a.count}\n`;
    let out = '';
    for (const v of a.values) out += `${head}${v.stat},${number(v.value)}${tail}`;
    return out;
  }
}
