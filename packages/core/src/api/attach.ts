/**
 * The training worker_thread's side: attachLogger(handle) gives a logger
 * bound to the worker's rank whose records go into its own ring, drained by
 * the coordinator's writer threads. The ring lives in shared memory, so what
 * was logged survives the worker throwing or being terminated.
 */
import { argError } from '../vocab/errors.js';
import { flattenHyperparameters } from './hyperparameters.js';
import { badLogOptions, checkLogOptionKeys, metricsOptions, type KindLogOptions, type LogOptions, type MetricsOptions } from './logger.js';
import { MetricsHandle } from '../dispatch/metrics-handle.js';
import type { Kind } from '../vocab/kinds.js';
import type { KindItems } from '../vocab/kind-items.js';
import { isWorkerHandle, type WorkerHandle } from '../context/worker-handle.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import type { MetricHandle } from '../dispatch/metric-handle.js';
import { RingProducer } from '../ring/producer.js';
import { RecordWriter } from '../codec/record-writer.js';

/** How long detach() waits for the writers to commit this worker's records by default. */
const DETACH_WAIT_MS = 30_000;

/** A training worker_thread's logger: the same calls and rules as the coordinator's, records written by its writer threads. */
export class AttachedLogger {
  private readonly dispatcher: Dispatcher;
  private readonly producer: RingProducer | undefined;
  private detached = false;
  readonly rank: number;
  readonly runName: string;

  constructor(handle: WorkerHandle) {
    this.rank = handle.rank;
    this.runName = handle.runName;
    this.producer = handle.ringSab && handle.sharedSab ? new RingProducer(handle.ringSab, new Int32Array(handle.sharedSab), handle.policy) : undefined;
    this.dispatcher = new Dispatcher(handle.routes, handle.rank, this.producer && new RecordWriter(this.producer), handle.blobDir);
  }

  private check(method: string): void {
    if (this.detached) throw new Error(`ranklog: AttachedLogger.${method}() after detach(); attach a new logger with attachLogger(handle).`);
  }

  /** As LoggerBase.log(): a number as a metric. */
  log(item: number, identifier: string, options?: LogOptions<'metric'>): void;
  /** As LoggerBase.log(): `item` as `options.kind`. */
  log<K extends Kind>(item: KindItems[K], identifier: string, options: KindLogOptions<K>): void;
  /** As LoggerBase.log(). */
  log(item: unknown, identifier: string, options?: LogOptions): void {
    this.check('log');
    if (options === undefined) this.dispatcher.log(item, identifier, undefined, undefined, undefined, 0xffff);
    else if (typeof options === 'object' && options !== null) {
      // As in LoggerBase.log(): the hot path (a number with a step, kind metric) skips the scan, decided at compile time.
      if (typeof item !== 'number' || options.step === undefined || options.batchIdx === undefined || (options.kind !== undefined && options.kind !== 'metric'))
        checkLogOptionKeys(options);
      this.dispatcher.log(item, identifier, options.kind, options.step, options.batchIdx, 0xffff);
    } else throw badLogOptions(options);
  }

  /** As LoggerBase.handle(). */
  handle(identifier: string): MetricHandle {
    this.check('handle');
    return this.dispatcher.handle(identifier, 0xffff);
  }

  /** As LoggerBase.metric(): the allocation-free fast path. */
  metric(handle: MetricHandle, value: number, step?: number, batchIdx?: number): void {
    if (this.detached) this.check('metric');
    this.dispatcher.metric(handle, value, step, batchIdx);
  }

  /** As LoggerBase.metricsHandle(). */
  metricsHandle(identifiers: readonly string[]): MetricsHandle {
    this.check('metricsHandle');
    return this.dispatcher.metricsHandle(identifiers, 0xffff);
  }

  /** As LoggerBase.logMetrics(): several scalars in one call. */
  logMetrics(metrics: Readonly<Record<string, number>>, options?: MetricsOptions): void;
  /** As LoggerBase.logMetrics(): the fast variant with a metricsHandle(). */
  logMetrics(handle: MetricsHandle, values: ArrayLike<number>, step?: number, batchIdx?: number): void;
  logMetrics(first: MetricsHandle | Readonly<Record<string, number>>, second?: ArrayLike<number> | MetricsOptions, step?: number, batchIdx?: number): void {
    if (this.detached) this.check('logMetrics');
    if (first instanceof MetricsHandle) return this.dispatcher.metrics(first, second as ArrayLike<number>, step, batchIdx);
    const o = metricsOptions(second);
    this.dispatcher.logMetrics(first, o?.step, o?.batchIdx, 0xffff);
  }

  /** As LoggerBase.saveHyperparameters(). */
  saveHyperparameters(params: Record<string, unknown>): void {
    this.check('saveHyperparameters');
    for (const [k, v] of flattenHyperparameters(params)) this.dispatcher.log(v, k, 'param', undefined, undefined, 0xffff);
  }

  /** Resolves when the writers have committed everything this worker logged so far. */
  async flush(timeoutMs = DETACH_WAIT_MS): Promise<boolean> {
    return this.producer ? this.producer.drained(timeoutMs) : true;
  }

  /** No more records from this worker; resolves when what it logged is committed (or the timeout). */
  async detach(timeoutMs = DETACH_WAIT_MS): Promise<boolean> {
    if (this.detached) return true;
    this.detached = true;
    if (!this.producer) return true;
    this.producer.detach();
    return this.producer.drained(timeoutMs);
  }
}

/** In a training worker_thread: a logger bound to the rank of the handle that workerHandle(rank) made. */
export function attachLogger(handle: WorkerHandle): AttachedLogger {
  if (!isWorkerHandle(handle)) {
    throw argError('handle', handle, 'pass the value of logger.workerHandle(rank) from the coordinator, e.g. attachLogger(workerData.ranklog).');
  }
  return new AttachedLogger(handle);
}
