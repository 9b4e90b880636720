/**
 * Metric definitions (define_metric: a key's chart x-axis) as the service takes them online: not
 * as records but in the run's config, `_wandb.m`, a list with one entry per metric. wandb's core
 * writes each MetricRecord there with its field numbers as keys — "1" the name, "5" the 1-based
 * index of its step metric in the same list (instead of the name, field 4), "6" the field numbers
 * of the options set (a message of booleans becomes that list) — and gives every step metric an
 * entry of its own.
 */
import { METRIC } from '../records/fields.js';
import { fields } from '../records/proto-fields.js';

const utf8 = new TextDecoder();

interface Entry {
  name: string;
  /** Index in the list of the step metric. */
  step: number | undefined;
  options: number[];
}

export class MetricDefinitions {
  private readonly entries: Entry[] = [];
  private readonly indexByName = new Map<string, number>();

  /** A MetricRecord message as the transaction log stores it. */
  take(message: Uint8Array): void {
    let name: string | undefined;
    let stepMetric: string | undefined;
    const options: number[] = [];
    for (const f of fields(message)) {
      if (f.field === METRIC.name && f.wire === 2) name = utf8.decode(f.bytes);
      else if (f.field === METRIC.stepMetric && f.wire === 2) stepMetric = utf8.decode(f.bytes);
      else if (f.field === METRIC.options && f.wire === 2) {
        for (const o of fields(f.bytes)) if (o.wire === 0 && o.value !== 0) options.push(o.field);
      }
    }
    if (name === undefined) return; // a glob definition: ranklog writes none
    const entry = this.entryOf(name);
    entry.options = options.sort((a, b) => a - b);
    if (stepMetric !== undefined) entry.step = this.indexOf(stepMetric);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The JSON of `_wandb.m`. */
  toJson(): string {
    const items = this.entries.map((e) => {
      const o: Record<string, unknown> = { '1': e.name };
      if (e.step !== undefined) o['5'] = e.step + 1;
      if (e.options.length > 0) o['6'] = e.options;
      return o;
    });
    return JSON.stringify(items);
  }

  private indexOf(name: string): number {
    let i = this.indexByName.get(name);
    if (i === undefined) {
      i = this.entries.push({ name, step: undefined, options: [] }) - 1;
      this.indexByName.set(name, i);
    }
    return i;
  }

  private entryOf(name: string): Entry {
    return this.entries[this.indexOf(name)]!;
  }
}
