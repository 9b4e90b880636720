/**
 * The Logger abstraction of the reference design: lifecycle, log(),
 * saveHyperparameters(), logFreq and logOnWorkers. LoggerBase holds what a
 * single backend and a collection share: the binding to a LogContext.
 */
import { KINDS, type Kind } from '../vocab/kinds.js';
import { argError } from '../vocab/errors.js';
import { flattenHyperparameters } from './hyperparameters.js';
import { checkOptionKeys, unknownOptionError, type OptionKeys } from '../vocab/option-keys.js';
import { normalizeLogFreq, normalizeLogOnWorkers, normalizeSystemMetrics, type CommonLoggerOptions, type LogOnWorkers } from '../vocab/options.js';
import { rankFromEnv, worldSizeFromEnv } from './rank.js';
import { normalizeAggregate, normalizeAggregateTimeout, normalizeAggregateWindow, type AggregateOption } from '../vocab/aggregate-option.js';
import { CONTEXT_OPTION_KEYS, LogContext, type BackendSpec, type ContextOptions, type LogStats } from '../context/log-context.js';
import { defaultRunName } from '../context/run-name.js';
import { runMetaFrom } from '../context/run-meta.js';
import { resumeFrom } from '../context/resume.js';
import { joinJob, planJob, type JobJoin } from '../context/job-link.js';
import type { WorkerHandle } from '../context/worker-handle.js';
import type { MetricHandle } from '../dispatch/metric-handle.js';
import { MetricsHandle } from '../dispatch/metrics-handle.js';
import type { KindItems } from '../vocab/kind-items.js';
import type { BackendLimits } from '../dispatch/route.js';
import { warn } from '../util/diag.js';
import { isMultiRank } from './backend-helpers.js';
import { LOGGER_BRAND, LOGGER_PROTOCOL } from './brand.js';

/** The options of log(): the kind, the step, and batchIdx for batch-level calls. */
export interface LogOptions<K extends Kind = Kind> {
  /** Default 'metric'. */
  kind?: K;
  /** Default: the identifier's next automatic step on this rank, 0, 1, 2, … (README "Steps"). */
  step?: number;
  /** Present for batch-level calls; absent for epoch-level calls (see logFreq). */
  batchIdx?: number;
}

/** log()'s options for a kind other than 'metric': the kind is required, and decides the item's type. */
export interface KindLogOptions<K extends Kind> extends LogOptions<K> {
  kind: K;
}

/** The options of logMetrics(values, options): one step and batchIdx for every value. */
export interface MetricsOptions {
  /** Default: each identifier's next automatic step. */
  step?: number;
  /** Present for batch-level calls (see logFreq). */
  batchIdx?: number;
}

/** log()'s third argument must be an options object (the reference's positional kind is `{ kind }` here). */
export function badLogOptions(options: unknown): Error {
  return argError('log() options', options, "pass an object { kind, step, batchIdx }, e.g. log(x, 'notes', { kind: 'text' }), or leave it out for a metric.");
}

const LOG_OPTION_KEYS: OptionKeys<LogOptions> = { kind: true, step: true, batchIdx: true };
const METRICS_OPTION_KEYS: OptionKeys<MetricsOptions> = { step: true, batchIdx: true };

/** logMetrics(values, options)'s options, checked by name (not the fast variant: it takes positional numbers). */
export function metricsOptions(options: unknown): MetricsOptions | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw argError('logMetrics() options', options, 'pass { step, batchIdx } or leave it out (values in an array go with a metricsHandle()).');
  checkOptionKeys(options as MetricsOptions, 'logMetrics()', METRICS_OPTION_KEYS);
  return options as MetricsOptions;
}

/**
 * A misspelled key ({ stepp: 3 }) would otherwise be ignored. Callers skip this scan on the hot
 * path, a number with a step and kind metric (the test in log()): V8 optimises the
 * options literal away when log() is inlined, and any scan of its keys (for-in, Object.keys) makes
 * it allocate the literal again on every call (+15–20 ns, about +30 %).
 */
export function checkLogOptionKeys(options: LogOptions): void {
  for (const key in options) {
    if (key !== 'kind' && key !== 'step' && key !== 'batchIdx') {
      throw unknownOptionError('log()', key, (options as Record<string, unknown>)[key], Object.keys(LOG_OPTION_KEYS));
    }
  }
}

/** What a backend logger and a collection share: the lifecycle and the logging calls, bound to one context. */
export abstract class LoggerBase {
  /** @internal */
  protected ctx: LogContext | undefined;
  /** @internal mask of the backends this object logs to */
  protected subset = 0;
  /** @internal whether this object created (and so destroys) the context */
  protected owner = false;
  private lastRunName: string | undefined;
  /** createLoggerContext() is waiting for the job's rendezvous (context/job-link.ts). */
  private joining = false;
  /** Unbound by destroyLoggerContext() (for messages: "after", not "before"). */
  private destroyed = false;

  get name(): string {
    return this.constructor.name;
  }

  /** @internal Backends of this object, in mask-bit order. */
  protected abstract specs(): BackendSpec[];

  /** @internal */
  bind(ctx: LogContext | undefined, subset: number, owner: boolean, destroyed = false): void {
    if (ctx) this.lastRunName = ctx.runName;
    this.destroyed = destroyed;
    this.ctx = ctx;
    this.subset = subset;
    this.owner = owner;
  }

  /** @internal */
  protected notInitialized(method: string): Error {
    const when = this.destroyed ? 'after destroyLoggerContext(); the logger is no longer initialized' : 'before createLoggerContext()';
    return new Error(
      `ranklog: ${this.name}.${method}() was called ${when}. ` +
        `Call await logger.createLoggerContext() first, or wrap the training in startLogging(logger, async () => { … }).`,
    );
  }

  /**
   * @internal
   * A call on a context that is closed: after a signal, an uncaught exception or process.exit()
   * closed it, the call is counted and dropped (the loop may run on for a moment before the
   * process ends, and must not die of a misleading error); otherwise it is a usage error.
   */
  protected refuse(c: LogContext | undefined, method: string): void {
    if (c?.endedAbruptly) c.refuseLate();
    else throw this.notInitialized(method);
  }

  /** @internal */
  protected active(method: string): LogContext {
    const c = this.ctx;
    if (c === undefined || (c.isClosed && !c.endedAbruptly)) throw this.notInitialized(method);
    return c;
  }

  /** Start the backends: rank from options or the launcher's environment; no threads, files or sockets on a rank that does not log. */
  async createLoggerContext(options: ContextOptions = {}): Promise<void> {
    if ((this.ctx !== undefined && !this.ctx.isClosed) || this.joining) {
      warn(`Trying to initialize ${this.name} twice.. Skipping initialization.`);
      return;
    }
    if (typeof options !== 'object' || options === null) throw argError('options', options, 'pass an object such as { rank: 0 } or nothing.');
    checkOptionKeys(options, 'createLoggerContext()', CONTEXT_OPTION_KEYS);
    // Read the launcher's environment only for what the options leave out, so { rank } overrides a broken RANK.
    const rank = options.rank ?? rankFromEnv().rank;
    if (!Number.isSafeInteger(rank) || rank < 0)
      throw argError(
        'options.rank',
        rank,
        'pass a non-negative integer, or leave it out to read it from the launcher (RANK, OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK, SLURM_PROCID).',
      );
    const worldSize = options.worldSize ?? worldSizeFromEnv();
    if (worldSize !== undefined && (!Number.isSafeInteger(worldSize) || worldSize < 1))
      throw argError('options.worldSize', worldSize, 'pass a positive integer or leave it out.');
    if (worldSize !== undefined && rank >= worldSize)
      throw argError('options.rank', rank, `it must be below worldSize (${worldSize}); check the launcher's environment or the options.`, RangeError);
    const runName = options.runName ?? defaultRunName();
    if (typeof runName !== 'string' || !/^[\w.-]{1,200}$/.test(runName)) {
      throw argError('options.runName', runName, 'use 1 to 200 letters, digits, ".", "-" or "_" (it names a directory).');
    }
    runMetaFrom(options); // tags, notes, group, jobType: bad ones throw now, not after the rendezvous
    resumeFrom(options.resume);
    if (options.resume && options.runName === undefined && process.env.RANKLOG_RUN_NAME === undefined)
      throw argError('options.resume', options.resume, 'name the run to continue: pass runName (or set RANKLOG_RUN_NAME) with resume.');
    const specs = this.specs();
    // Separate processes of one job agree on the run name (and more) through rank 0 (docs/jobs.md): a bounded wait, in a job
    // thread. Only then is there an await before the context is bound, and a second call meanwhile must still only warn.
    const plan = planJob({ routes: specs.map((b) => b.route), rank, worldSize, runName, rendezvous: options.rendezvous });
    // separate: the ranks log from separate processes, so cross-rank aggregates need rank 0's rendezvous.
    let job: JobJoin = { link: undefined, info: undefined, separate: plan !== undefined };
    if (plan) {
      this.joining = true;
      try {
        job = await joinJob(plan);
      } finally {
        this.joining = false;
      }
    }
    if (job.info && options.runName !== undefined && options.runName !== job.info.runName) {
      warn(
        `ranklog: rank ${rank} asked for run name ${JSON.stringify(options.runName)}, but rank 0's is ${JSON.stringify(job.info.runName)}; the job uses rank 0's (one run per job).`,
      );
    }
    const ctx = new LogContext(specs, rank, worldSize, { ...options, runName: job.info?.runName ?? runName }, job);
    this.attachContext(ctx);
    try {
      await ctx.started();
    } catch (e) {
      await ctx.close().catch(() => undefined);
      this.attachContext(undefined);
      throw e;
    }
  }

  /** @internal bind this object (and its children) to ctx */
  protected attachContext(ctx: LogContext | undefined, destroyed = false): void {
    this.bind(ctx, ctx ? (1 << this.specs().length) - 1 : 0, true, destroyed);
  }

  /** Flush and close every backend; resolves with the final counts. */
  async destroyLoggerContext(): Promise<LogStats> {
    const ctx = this.active('destroyLoggerContext');
    if (ctx.endedAbruptly) return ctx.stats();
    if (!this.owner) throw new Error(`ranklog: ${this.name} belongs to a collection; destroy the collection instead.`);
    try {
      return await ctx.close('finished');
    } finally {
      this.attachContext(undefined, true);
    }
  }

  /** Log a number as a metric (the default kind). */
  log(item: number, identifier: string, options?: LogOptions<'metric'>): void;
  /** Log `item` as `options.kind`; the kind decides the item's type (KindItems). */
  log<K extends Kind>(item: KindItems[K], identifier: string, options: KindLogOptions<K>): void;
  /** Log `item` under `identifier`. Records that logFreq or logOnWorkers exclude cost a few nanoseconds and do no I/O. */
  log(item: unknown, identifier: string, options?: LogOptions): void {
    const c = this.ctx;
    if (c === undefined || c.isClosed) return this.refuse(c, 'log');
    if (options === undefined) c.dispatcher.log(item, identifier, undefined, undefined, undefined, this.subset);
    else if (typeof options === 'object' && options !== null) {
      // Written out here, not in a helper: the test must stay in this body, where V8 decides it from the
      // literal's shape at compile time and drops the scan (and the literal's allocation) on the hot path.
      if (typeof item !== 'number' || options.step === undefined || options.batchIdx === undefined || (options.kind !== undefined && options.kind !== 'metric'))
        checkLogOptionKeys(options);
      c.dispatcher.log(item, identifier, options.kind, options.step, options.batchIdx, this.subset);
    } else throw badLogOptions(options);
  }

  /** A pre-resolved metric identifier for metric(): resolve once, log millions of times without allocation. */
  handle(identifier: string): MetricHandle {
    return this.active('handle').dispatcher.handle(identifier, this.subset);
  }

  /** The allocation-free fast path for scalar metrics. */
  metric(handle: MetricHandle, value: number, step?: number, batchIdx?: number): void {
    const c = this.ctx;
    if (c === undefined || c.isClosed) return this.refuse(c, 'metric');
    c.dispatcher.metric(handle, value, step, batchIdx);
  }

  /** Pre-resolved identifiers for logMetrics(handle, values): resolve once, then log the set without allocation. */
  metricsHandle(identifiers: readonly string[]): MetricsHandle {
    return this.active('metricsHandle').dispatcher.metricsHandle(identifiers, this.subset);
  }

  /** Several scalars in one call, as Lightning's log_metrics and Accelerate's log(dict): `logMetrics({ loss, acc }, { step, batchIdx })`. */
  logMetrics(metrics: Readonly<Record<string, number>>, options?: MetricsOptions): void;
  /** The fast variant: values in the order of metricsHandle()'s identifiers (reuse a Float64Array to allocate nothing). */
  logMetrics(handle: MetricsHandle, values: ArrayLike<number>, step?: number, batchIdx?: number): void;
  logMetrics(first: MetricsHandle | Readonly<Record<string, number>>, second?: ArrayLike<number> | MetricsOptions, step?: number, batchIdx?: number): void {
    const c = this.ctx;
    if (c === undefined || c.isClosed) return this.refuse(c, 'logMetrics');
    if (first instanceof MetricsHandle) return c.dispatcher.metrics(first, second as ArrayLike<number>, step, batchIdx);
    const o = metricsOptions(second);
    c.dispatcher.logMetrics(first, o?.step, o?.batchIdx, this.subset);
  }

  /** Log every entry as a param; nested objects are flattened with '.'. */
  saveHyperparameters(params: Record<string, unknown>): void {
    const c = this.active('saveHyperparameters');
    if (c.endedAbruptly) return c.refuseLate();
    for (const [k, v] of flattenHyperparameters(params)) c.dispatcher.log(v, k, 'param', undefined, undefined, this.subset); // keys checked up front: all or nothing
  }

  /** Resolves when everything logged before the call, from every thread, is written by every backend. */
  flush(): Promise<void> {
    const c = this.active('flush');
    return c.endedAbruptly ? Promise.resolve() : c.flush();
  }

  /** Counts so far: records in, written, failed and dropped, per backend. */
  stats(): Promise<LogStats> {
    return this.active('stats').stats();
  }

  /** A structured-cloneable handle for a training worker_thread of `rank`; pass it in workerData and call attachLogger(handle) there. */
  workerHandle(rank: number): WorkerHandle {
    return this.active('workerHandle').workerHandle(rank);
  }

  /** This process's rank, once the context exists. */
  get rank(): number | undefined {
    return this.ctx?.rank;
  }

  /** The run's name, once the context exists (kept after destroy, so you can still find the files). */
  get runName(): string | undefined {
    return this.ctx?.runName ?? this.lastRunName;
  }

  /** `await using`: destroys the context if this object created it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.ctx && !this.ctx.isClosed && this.owner) await this.destroyLoggerContext();
  }
}

/** A single backend. Subclasses declare their kinds and their writer-thread sink. */
export abstract class Logger extends LoggerBase {
  readonly logFreq: 'epoch' | 'batch' | number;
  readonly logOnWorkers: LogOnWorkers;
  /** @internal */
  protected readonly freq: number;
  /** Seconds between system-metrics samples for this backend; false: none (README "System metrics"). */
  readonly systemMetrics: number | false;

  /** The kinds this backend writes; others are skipped by it (debug message once per identifier). */
  abstract readonly supportedKinds: readonly Kind[];

  /** The aggregate option, checked; undefined: no cross-rank aggregates. */
  readonly aggregate: AggregateOption | undefined;
  /** @internal */
  private readonly aggregateLimits: { window: number; timeoutMs: number };

  constructor(options: CommonLoggerOptions = {}) {
    super();
    if (typeof options !== 'object' || options === null) throw argError(`${new.target.name} options`, options, 'pass an object or nothing.');
    this.freq = normalizeLogFreq(options.logFreq, this.name);
    normalizeLogOnWorkers(options.logOnWorkers, this.name);
    this.logFreq = options.logFreq ?? 'epoch';
    this.logOnWorkers = options.logOnWorkers ?? 0;
    const ms = normalizeSystemMetrics(options.systemMetrics, this.name);
    this.systemMetrics = ms > 0 ? ms / 1000 : false;
    this.aggregate = normalizeAggregate(options.aggregate, this.name);
    this.aggregateLimits = {
      window: normalizeAggregateWindow(options.aggregateWindow, this.name),
      timeoutMs: normalizeAggregateTimeout(options.aggregateTimeoutSecs, this.name) * 1000,
    };
  }

  /**
   * The writer thread's sink module and its options (structured-cloneable); pollMs: how often its
   * idle writer looks for records (default 1000 ms); closeTimeoutMs: how long its close may take
   * (a network backend delivering what is left), which exit paths wait for; runDir: the directory
   * it writes into, whose device's I/O system metrics report (default: the working directory).
   */
  abstract sinkSpec(): { sinkModule: string; sinkOptions: unknown; pollMs?: number; closeTimeoutMs?: number; runDir?: string };

  /** Whether several ranks may log to this backend (logOnWorkers -1, or a list of more than one rank): its sink must keep them apart. */
  protected get multiRank(): boolean {
    return isMultiRank(this.logOnWorkers);
  }

  /** Rules of the backend's service that log() checks at the call (key pattern, param length). */
  protected limits(): BackendLimits | undefined {
    return undefined;
  }

  /** @internal */
  spec(index: number): BackendSpec {
    for (const k of this.supportedKinds) if (!KINDS.includes(k)) throw new TypeError(`ranklog: ${this.name}.supportedKinds has unknown kind '${k}'`);
    return {
      route: { index, name: this.name, kinds: [...this.supportedKinds], freq: this.freq, logOnWorkers: this.logOnWorkers, limits: this.limits() },
      ...this.sinkSpec(),
      systemMetricsMs: this.systemMetrics === false ? 0 : this.systemMetrics * 1000,
      ...(this.aggregate && { aggregate: { option: this.aggregate, ...this.aggregateLimits } }),
    };
  }

  /** @internal */
  protected specs(): BackendSpec[] {
    return [this.spec(0)];
  }
}

// On the prototype, not as a field: every backend logger, of any subclass and any copy of core, carries it (api/brand.ts).
Object.defineProperty(Logger.prototype, LOGGER_BRAND, { value: LOGGER_PROTOCOL });
