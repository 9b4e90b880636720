/**
 * tfjs hands callbacks a `logs` object per batch and epoch ({ loss, acc, val_loss, … }, plus
 * `batch` and `size` per batch), whose values may still be scalar tensors for a tf.Callback. A
 * LogsRow turns it into one logMetrics() call through a MetricsHandle it keeps for the key set,
 * and a Float64Array it reuses: no handle lookup per key, and no allocation while the keys stay.
 */
import type { MetricsHandle } from '@ranklog/core';
import type { TfjsLogger } from './logger-like.js';

/** Bookkeeping keys of a batch's logs, not metrics. */
const NOT_METRICS = new Set(['batch', 'size']);

type LogValue = number | { dataSync(): ArrayLike<number> };

export class LogsRow {
  private keys: string[] = [];
  private handle: MetricsHandle | undefined;
  private values = new Float64Array(0);

  constructor(
    private readonly logger: TfjsLogger,
    /** Prepended to each key: 'batch/' → batch/loss. */
    private readonly prefix: string,
  ) {}

  /** Log every metric of `logs` at `step` (and `batchIdx` for batch-level rows). */
  log(logs: Readonly<Record<string, LogValue>> | undefined, step: number, batchIdx?: number): void {
    if (logs === undefined) return;
    let i = 0;
    let same = true;
    for (const key in logs) {
      if (NOT_METRICS.has(key)) continue;
      if (this.keys[i] !== key) same = false;
      i++;
    }
    if (!same || i !== this.keys.length) this.rebuild(logs);
    if (this.handle === undefined) return;
    const keys = this.keys;
    const values = this.values;
    for (let k = 0; k < keys.length; k++) values[k] = scalar(logs[keys[k]!]!);
    this.logger.logMetrics(this.handle, values, step, batchIdx);
  }

  private rebuild(logs: Readonly<Record<string, LogValue>>): void {
    this.keys = Object.keys(logs).filter((k) => !NOT_METRICS.has(k));
    this.values = new Float64Array(this.keys.length);
    this.handle = this.keys.length === 0 ? undefined : this.logger.metricsHandle(this.keys.map((k) => this.prefix + k));
  }
}

/** A number, or the value of a scalar tensor (a tf.Callback may get them unresolved). */
function scalar(v: LogValue): number {
  return typeof v === 'number' ? v : Number(v.dataSync()[0]);
}
