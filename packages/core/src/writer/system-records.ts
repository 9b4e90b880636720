/**
 * A system sample as `metric` records, for sinks without writeSystemSample(): one reused record
 * object, as the drain loop hands records, named by systemMetricEntries().
 */
import type { Kind, LogRecord } from '../sink/index.js';
import { systemMetricEntries } from '../sink/system-metric-names.js';
import type { SystemSample } from '../sink/system-sample.js';

class SystemMetricRecord implements LogRecord {
  readonly kind: Kind = 'metric';
  rank = 0;
  identifier = '';
  step: number | undefined = 0;
  readonly batchIdx = undefined;
  timeMs = 0;
  value = 0;
  get item(): number {
    return this.value;
  }
}

/** Calls take() for each metric of the sample: step = the sample's index for this backend. */
export async function takeAsMetrics(sample: SystemSample, take: (r: LogRecord) => void | Promise<void>): Promise<void> {
  const r = new SystemMetricRecord();
  r.rank = sample.rank;
  r.step = sample.index;
  r.timeMs = sample.timeMs;
  for (const [identifier, value] of systemMetricEntries(sample)) {
    r.identifier = identifier;
    r.value = value;
    const p = take(r);
    if (p !== undefined) await p;
  }
}
