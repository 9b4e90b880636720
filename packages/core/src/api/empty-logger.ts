import { LoggerBase, type KindLogOptions, type LogOptions, type MetricsOptions } from './logger.js';
import type { Kind } from '../vocab/kinds.js';
import type { KindItems } from '../vocab/kind-items.js';
import type { BackendSpec, LogStats } from '../context/log-context.js';
import { MetricHandle } from '../dispatch/metric-handle.js';
import { MetricsHandle } from '../dispatch/metrics-handle.js';

/**
 * A logger that logs nothing and starts nothing: hand it to code that wants
 * a logger when logging is off. Every method is a no-op.
 */
export class EmptyLogger extends LoggerBase {
  /** @internal */
  protected specs(): BackendSpec[] {
    return [];
  }
  override async createLoggerContext(): Promise<void> {}
  override async destroyLoggerContext(): Promise<LogStats> {
    return { recordsIn: 0, dropped: 0, afterClose: 0, rings: 0, ringBytes: 0, backends: [] };
  }
  override log(item: number, identifier: string, options?: LogOptions<'metric'>): void;
  override log<K extends Kind>(item: KindItems[K], identifier: string, options: KindLogOptions<K>): void;
  override log(): void {}
  override metric(): void {}
  override handle(identifier: string): MetricHandle {
    return new MetricHandle(identifier, -1, 0, this, { next: 0 });
  }
  override metricsHandle(identifiers: readonly string[]): MetricsHandle {
    return new MetricsHandle(
      identifiers.map((id) => this.handle(id)),
      this,
    );
  }
  override logMetrics(metrics: Readonly<Record<string, number>>, options?: MetricsOptions): void;
  override logMetrics(handle: MetricsHandle, values: ArrayLike<number>, step?: number, batchIdx?: number): void;
  override logMetrics(): void {}
  override saveHyperparameters(): void {}
  override async flush(): Promise<void> {}
  /** Always zero counts. */
  override async stats(): Promise<LogStats> {
    return this.destroyLoggerContext();
  }
}
