/**
 * What the callbacks need of a logger: a collection or backend logger (LoggerBase) on the
 * coordinator, or an AttachedLogger in a training worker_thread, both fit.
 */
import type { MetricsHandle } from '@ranklog/core';

/** The calls the tfjs callbacks make; LoggerBase and AttachedLogger both have them. */
export interface TfjsLogger {
  /** As LoggerBase.saveHyperparameters(). */
  saveHyperparameters(params: Record<string, unknown>): void;
  /** As LoggerBase.metricsHandle(). */
  metricsHandle(identifiers: readonly string[]): MetricsHandle;
  /** As LoggerBase.logMetrics(), the fast variant. */
  logMetrics(handle: MetricsHandle, values: ArrayLike<number>, step?: number, batchIdx?: number): void;
  /** As LoggerBase.log(), for text, histograms and the model. */
  log(item: unknown, identifier: string, options: { kind: 'text' | 'histogram' | 'model'; step?: number }): void;
  /** Resolves when what was logged is written (the saved model is copied before its directory goes). */
  flush(): Promise<unknown>;
}
