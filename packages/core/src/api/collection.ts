/**
 * A collection fans every call out to its loggers through ONE context: each
 * record is written once into the ring with a mask of the backends that take
 * it; each logger applies its own logFreq/logOnWorkers/kinds.
 */
import { argError, describe } from '../vocab/errors.js';
import { Logger, LoggerBase } from './logger.js';
import type { Kind } from '../vocab/kinds.js';
import { MAX_READERS } from '../ring/layout.js';
import type { BackendSpec, LogContext } from '../context/log-context.js';

export class LoggersCollection extends LoggerBase {
  readonly loggers: readonly Logger[];

  constructor(loggers: readonly Logger[]) {
    super();
    if (!Array.isArray(loggers))
      throw argError('loggers', loggers, 'pass an array of loggers, e.g. new LoggersCollection([new ConsoleLogger(), new LocalFileLogger()]).');
    const classes = new Set<unknown>();
    for (const [i, l] of loggers.entries()) {
      if (!(l instanceof Logger))
        throw argError(`loggers[${i}]`, l, 'each entry must be a backend logger (ConsoleLogger, LocalFileLogger, …); collections do not nest.');
      if (classes.has(l.constructor)) {
        throw argError(
          `loggers[${i}]`,
          l,
          `the collection already has a ${l.name}; two loggers of the same class would write the same run twice. Keep one (give it the union of the ranks/frequency you need).`,
        );
      }
      classes.add(l.constructor);
    }
    if (loggers.length > MAX_READERS)
      throw argError('loggers', loggers, `a collection takes at most ${MAX_READERS} loggers, not ${loggers.length}.`, RangeError);
    this.loggers = [...loggers];
  }

  get supportedKinds(): Kind[] {
    return [...new Set(this.loggers.flatMap((l) => l.supportedKinds))];
  }

  protected specs(): BackendSpec[] {
    return this.loggers.map((l, i) => l.spec(i));
  }

  protected override attachContext(ctx: LogContext | undefined, destroyed = false): void {
    super.attachContext(ctx, destroyed);
    this.loggers.forEach((l, i) => l.bind(ctx, ctx ? 1 << i : 0, false, destroyed));
  }

  override toString(): string {
    return `LoggersCollection(${this.loggers.map((l) => describe(l)).join(', ')})`;
  }
}
