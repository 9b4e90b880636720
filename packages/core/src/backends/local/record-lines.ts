/**
 * The JSON lines of params, histograms and datasets (params.jsonl, histograms.jsonl,
 * datasets.jsonl): made as strings — these records are few, unlike metrics (metric-lines.ts).
 *
 *   params.jsonl       {timestamp, time_ms, rank, identifier, value}
 *   histograms.jsonl   {timestamp, time_ms, rank, identifier, step, batch_idx, count, min, max, mean, values}
 *   datasets.jsonl     {timestamp, time_ms, rank, identifier, step, name, digest, source, schema?}
 */
import type { DatasetItem, LogRecord } from '../../sink/index.js';
import { IsoTime } from './iso-time.js';

/** A JSON number, or the string MLflow/pandas-friendly spelling for NaN and ±Infinity. */
function jsonNumber(v: number): string {
  if (v - v === 0) return v === 0 && 1 / v < 0 ? '-0' : '' + v;
  return v !== v ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

function jsonValue(v: unknown): string {
  return typeof v === 'number' ? jsonNumber(v) : (JSON.stringify(v) ?? 'null');
}

/** `,"count":…,"min":…,"max":…,"mean":…,"values":[…]`; min/max/mean over the finite values (null if none). */
function histogramFields(values: Float64Array): string {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    parts[i] = jsonNumber(v);
    if (v - v === 0) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      finite++;
    }
  }
  const stat = (x: number) => (finite === 0 ? 'null' : jsonNumber(x));
  return `,"count":${values.length},"min":${stat(min)},"max":${stat(max)},"mean":${stat(sum / finite)},"values":[${parts.join(',')}]`;
}

export class RecordLines {
  private lastMs = NaN;
  private readonly iso = new IsoTime();
  /** `{"timestamp":"<iso>","time_ms":<lastMs>,"rank":` */
  private timeHead = '';

  /** `{"timestamp":…,"time_ms":…,"rank":…,"identifier":…` */
  private head(r: LogRecord): string {
    const t = r.timeMs;
    if (t !== this.lastMs) {
      this.lastMs = t;
      this.timeHead = '{"timestamp":"' + this.iso.text(t) + '","time_ms":' + t + ',"rank":';
    }
    return this.timeHead + r.rank + ',"identifier":' + JSON.stringify(r.identifier);
  }

  param(r: LogRecord): string {
    return this.head(r) + ',"value":' + jsonValue(r.item) + '}\n';
  }

  histogram(r: LogRecord): string {
    return (
      this.head(r) +
      ',"step":' +
      step(r) +
      ',"batch_idx":' +
      (r.batchIdx === undefined ? 'null' : '' + r.batchIdx) +
      histogramFields(r.item as Float64Array) +
      '}\n'
    );
  }

  dataset(r: LogRecord): string {
    const d = r.item as DatasetItem;
    return (
      this.head(r) +
      ',"step":' +
      step(r) +
      ',"name":' +
      JSON.stringify(d.name) +
      ',"digest":' +
      JSON.stringify(d.digest) +
      ',"source":' +
      JSON.stringify(d.source) +
      (d.schema === undefined ? '' : ',"schema":' + JSON.stringify(d.schema)) +
      '}\n'
    );
  }
}

function step(r: LogRecord): string {
  return r.step === undefined ? 'null' : '' + r.step;
}
