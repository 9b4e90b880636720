/**
 * A test sink for the mixed schedule of payloads.ts: checks, per rank, that
 * scalars and payload records (text/dict, inline and blob) arrive in exactly
 * the order the producer logged them, and that every payload arrives intact.
 * Counters (stats()):
 *   metrics, texts, dicts, bigs   records taken
 *   metricOrder                   a metric that is not the previous one + 1
 *   payloadOrder                  a payload that does not come right after metric <its step>
 *                                 (or repeats/precedes one of the same identifier)
 *   contentErrors                 a payload whose content differs from the schedule
 *   foreign                       anything else
 */
import { isDeepStrictEqual } from 'node:util';
import type { LogRecord, Sink, SinkFactory } from '@ranklog/core/sink';
import { bigTextFor, dictFor, ID_BIG, ID_DICT, ID_SEQ, ID_TEXT, textFor } from './payloads.js';

class OrderSink implements Sink {
  private readonly lastMetric: number[] = [];
  private readonly lastPayload = new Map<string, number>();
  private metrics = 0;
  private texts = 0;
  private dicts = 0;
  private bigs = 0;
  private metricOrder = 0;
  private payloadOrder = 0;
  private contentErrors = 0;
  private foreign = 0;

  write(r: LogRecord): void {
    const rank = r.rank;
    while (this.lastMetric.length <= rank) this.lastMetric.push(-1);
    if (r.kind === 'metric') {
      if (r.identifier !== ID_SEQ) return void this.foreign++;
      this.metrics++;
      if (r.value !== this.lastMetric[rank]! + 1) this.metricOrder++;
      this.lastMetric[rank] = r.value;
      return;
    }
    const step = r.step;
    if (step === undefined || (r.kind !== 'text' && r.kind !== 'dict')) return void this.foreign++;
    let ok: boolean;
    if (r.identifier === ID_TEXT && r.kind === 'text') {
      this.texts++;
      ok = r.item === textFor(rank, step);
    } else if (r.identifier === ID_BIG && r.kind === 'text') {
      this.bigs++;
      ok = r.item === bigTextFor(rank, step);
    } else if (r.identifier === ID_DICT && r.kind === 'dict') {
      this.dicts++;
      ok = isDeepStrictEqual(r.item, dictFor(rank, step));
    } else {
      return void this.foreign++;
    }
    if (!ok) this.contentErrors++;
    const key = `${rank}\u0000${r.identifier}`;
    const prev = this.lastPayload.get(key) ?? -1;
    if (step !== this.lastMetric[rank] || step <= prev) this.payloadOrder++;
    this.lastPayload.set(key, step);
  }

  commit(): void {}
  close(): void {}

  stats(): Record<string, number> {
    const s: Record<string, number> = {
      metrics: this.metrics,
      texts: this.texts,
      dicts: this.dicts,
      bigs: this.bigs,
      metricOrder: this.metricOrder,
      payloadOrder: this.payloadOrder,
      contentErrors: this.contentErrors,
      foreign: this.foreign,
    };
    for (let r = 0; r < this.lastMetric.length; r++) if (this.lastMetric[r] !== -1) s[`lastMetric_r${r}`] = this.lastMetric[r]!;
    return s;
  }
}

const createOrderSink: SinkFactory = () => new OrderSink();
export default createOrderSink;
