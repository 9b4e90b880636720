/**
 * A collection fans every call out to its loggers through ONE context: each
 * record is written once into the ring with a mask of the backends that take
 * it; each logger applies its own logFreq/logOnWorkers/kinds.
 */
import { argError, describe } from '../vocab/errors.js';
import { LoggerBase, type Logger } from './logger.js';
import { LOGGER_PROTOCOL, loggerProtocol } from './brand.js';
import type { Kind } from '../vocab/kinds.js';
import { MAX_READERS } from '../ring/layout.js';
import type { BackendSpec, LogContext } from '../context/log-context.js';

/** Several backend loggers behind one API and one context: each record is written once and read by every backend that takes it. */
export class LoggersCollection extends LoggerBase {
  readonly loggers: readonly Logger[];

  constructor(loggers: readonly Logger[]) {
    super();
    if (!Array.isArray(loggers))
      throw argError('loggers', loggers, 'pass an array of loggers, e.g. new LoggersCollection([new ConsoleLogger(), new LocalFileLogger()]).');
    // By class name, not constructor: the same backend class from two copies of core is still the same backend.
    const classes = new Set<string>();
    for (const [i, l] of loggers.entries()) {
      // A brand, not instanceof: a backend package may bring its own copy of core (api/brand.ts).
      const protocol = loggerProtocol(l);
      if (protocol === undefined)
        throw argError(`loggers[${i}]`, l, 'each entry must be a backend logger (ConsoleLogger, LocalFileLogger, …); collections do not nest.');
      if (protocol !== LOGGER_PROTOCOL) {
        throw argError(
          `loggers[${i}]`,
          l,
          `it comes from a copy of @ranklog/core that speaks logger protocol ${protocol}, this one speaks ${LOGGER_PROTOCOL}; install matching versions (npm ls @ranklog/core shows the copies; npm dedupe joins them).`,
        );
      }
      if (classes.has(l.name)) {
        throw argError(
          `loggers[${i}]`,
          l,
          `the collection already has a ${l.name}; two loggers of the same class would write the same run twice. Keep one (give it the union of the ranks/frequency you need).`,
        );
      }
      classes.add(l.name);
    }
    if (loggers.length > MAX_READERS)
      throw argError('loggers', loggers, `a collection takes at most ${MAX_READERS} loggers, not ${loggers.length}.`, RangeError);
    this.loggers = [...loggers];
  }

  get supportedKinds(): Kind[] {
    return [...new Set(this.loggers.flatMap((l) => l.supportedKinds))];
  }

  /** @internal */
  protected specs(): BackendSpec[] {
    return this.loggers.map((l, i) => l.spec(i));
  }

  /** @internal */
  protected override attachContext(ctx: LogContext | undefined, destroyed = false): void {
    super.attachContext(ctx, destroyed);
    this.loggers.forEach((l, i) => l.bind(ctx, ctx ? 1 << i : 0, false, destroyed));
  }

  override toString(): string {
    return `LoggersCollection(${this.loggers.map((l) => describe(l)).join(', ')})`;
  }
}
