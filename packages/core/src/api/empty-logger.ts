import { LoggerBase } from './logger.js';
import type { BackendSpec, LogStats } from '../context/log-context.js';
import { MetricHandle } from '../dispatch/metric-handle.js';

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
  override log(): void {}
  override metric(): void {}
  override handle(identifier: string): MetricHandle {
    return new MetricHandle(identifier, -1, 0, this);
  }
  override saveHyperparameters(): void {}
  override async flush(): Promise<void> {}
  /** Always zero counts. */
  override async stats(): Promise<LogStats> {
    return this.destroyLoggerContext();
  }
}
