/**
 * How ranklog's steps become W&B history rows. W&B's `_step` must only grow, while ranklog steps
 * need not (epoch-level and batch-level records count on different scales, each identifier on
 * its own). So `_step` is a row counter of the run, and each row carries its records' own step
 * under the key of their scale — `step` for batch-level records (logged with a batchIdx), `epoch`
 * for epoch-level ones — which a MetricRecord (define_metric) makes the x-axis of their charts.
 * Consecutive records of one scale and one step share a row until a key would repeat.
 *
 * A row's items are encoded as they arrive, once: the HistoryRecord's `item` and the
 * SummaryRecord's `update` are both field 1 with the same item layout, so both records of a row
 * start with these bytes.
 */
import { ProtoWriter } from '@ranklog/core/sink';
import { writeItem } from '../records/messages.js';
import { numberJson } from './json-value.js';

/** HistoryRecord.item and SummaryRecord.update. */
const ITEMS_FIELD = 1;

/** The history key carrying the step of a record: the x-axis of its charts. */
export function axisOf(batchIdx: number | undefined): 'step' | 'epoch' {
  return batchIdx === undefined ? 'epoch' : 'step';
}

export class HistoryRow {
  open = false;
  axis = '';
  step = 0;
  /** The `_step` this row gets if it is written. */
  wandbStep = 0;
  /** Log time of the row's first record (ms): its `_timestamp` and `_runtime`. */
  timeMs = 0;
  /** ranklog records in the row. */
  records = 0;
  /** The row's items, encoded. */
  readonly items = new ProtoWriter(1 << 10);
  /** Media files its values point to, relative to files/: a Files record goes before the row. */
  readonly files: string[] = [];
  private readonly present = new Set<string>();

  /** Whether a record of `key` at `step` on scale `axis` belongs in this row. */
  accepts(axis: string, step: number, key: string): boolean {
    return this.open && this.axis === axis && this.step === step && !this.present.has(key);
  }

  start(axis: string, step: number, wandbStep: number, timeMs: number): void {
    this.open = true;
    this.axis = axis;
    this.step = step;
    this.wandbStep = wandbStep;
    this.timeMs = timeMs;
    this.put(axis, numberJson(step));
  }

  /** A record's value. */
  set(key: string, json: string): void {
    this.put(key, json);
    this.records++;
  }

  private put(key: string, json: string): void {
    writeItem(this.items, ITEMS_FIELD, key, json);
    this.present.add(key);
  }

  reset(): void {
    this.open = false;
    this.records = 0;
    this.items.pos = 0;
    this.files.length = 0;
    this.present.clear();
  }
}
