/**
 * The coordinator's side of a logging context: owns the rings, the writer
 * threads (one per backend, started only when some rank logs to it), the
 * shared clock, and the shutdown hooks.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { argError } from '../vocab/errors.js';
import type { OptionKeys } from '../vocab/option-keys.js';
import { Dispatcher } from '../dispatch/dispatcher.js';
import { rankMask, type BackendRoute } from '../dispatch/route.js';
import { CLOCK_ASLEEP, DEFAULT_RING_BYTES, END_CODE, SHARED, SHARED_BYTES, SHARED_F64 } from '../ring/layout.js';
import { newBlobDir, removeBlobDir } from '../codec/blob-files.js';
import { RecordWriter } from '../codec/record-writer.js';
import { RingProducer, type FullRingPolicy } from '../ring/producer.js';
import { createRing } from '../ring/ring.js';
import { waitReleased } from '../ring/wait.js';
import { ringRecordsIn, ringDropped } from '../ring/stats.js';
import type { ResumeInfo, RunEndReason, RunMeta } from '../sink/index.js';
import { resumeFrom } from './resume.js';
import { runMetaFrom } from './run-meta.js';
import { decideJobEnd, type JobEnd } from '../sink/job.js';
import type { BackendStats } from '../writer/protocol.js';
import { spawnWriter, type WriterHandle } from './writer-handle.js';
import type { WorkerHandle } from './worker-handle.js';
import { registerContext, unregisterContext } from './shutdown.js';
import { warn } from '../util/diag.js';
import { SystemSampling } from '../system/system-sampling.js';
import type { JobJoin } from './job-link.js';
import type { AggregateOption } from '../vocab/aggregate-option.js';
import type { AggregateInit } from '../writer/aggregation.js';

/** Options of createLoggerContext(). */
export interface ContextOptions {
  /** This process's rank; default: from the launcher's environment (RANK, OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK, SLURM_PROCID), else 0. */
  rank?: number;
  worldSize?: number;
  /** Name of the run directory/run; default: RANKLOG_RUN_NAME, the Slurm job id, or run-<date>-<time>. */
  runName?: string;
  /** 'wait' (default: nothing is lost) or 'drop-newest' (never blocks; drops are counted in stats()). */
  fullRingPolicy?: FullRingPolicy;
  /** Ring memory per producing thread, bytes (default 8 MiB, at least 64 KiB). */
  ringBytes?: number;
  /**
   * How often an idle writer looks at the rings, ms, for every backend (default: the backend's own —
   * 100 for the console, 1000 for files and tracking servers). Producers also wake writers at 1/4 full.
   */
  pollMs?: number;
  /** Flush and close on SIGINT/SIGTERM/uncaught exceptions (default true). */
  handleSignals?: boolean;
  /**
   * Tick of the shared clock thread, ms (default 1). A thread that logs 128 records within one ms
   * starts it; it sleeps again after 16 ticks with fewer than 64 records per ms (docs/architecture.md,
   * "Timestamps"). Meanwhile each record carries Date.now() (exact to the ms). While it ticks, a
   * timestamp lags the call by up to one tick.
   */
  clockResolutionMs?: number;
  /**
   * Where rank 0 hosts the job's rendezvous when several processes log (docs/jobs.md): 'host:port',
   * 'unix:/path', or false for none; default RANKLOG_RENDEZVOUS, else MASTER_ADDR:MASTER_PORT+1,
   * else a Unix socket when every rank runs on this machine.
   */
  rendezvous?: string | false;
  /** The run's tags: W&B tags, MLflow tags, TensorBoard text and hparams, run.json (README "Run tags, notes, group"). */
  tags?: readonly string[];
  /** A description of the run: MLflow's description (mlflow.note.content), W&B notes, TensorBoard text, run.json. */
  notes?: string;
  /** Runs that belong together (W&B group; a tag elsewhere). */
  group?: string;
  /** What kind of run: 'train', 'eval', … (W&B job type; a tag elsewhere). */
  jobType?: string;
  /**
   * Continue the run named runName that an earlier launch began, e.g. after a crash (README "Resume"):
   * true, or { fromStep } with the step training resumes from (TensorBoard then hides what the
   * earlier launch logged at or after it). Default false.
   */
  resume?: boolean | { fromStep: number };
}

/** The keys createLoggerContext() accepts (anything else is a typo it reports). */
export const CONTEXT_OPTION_KEYS: OptionKeys<ContextOptions> = {
  rank: true,
  worldSize: true,
  runName: true,
  fullRingPolicy: true,
  ringBytes: true,
  pollMs: true,
  handleSignals: true,
  clockResolutionMs: true,
  rendezvous: true,
  tags: true,
  notes: true,
  group: true,
  jobType: true,
  resume: true,
};

export interface BackendSpec {
  route: BackendRoute;
  sinkModule: string;
  sinkOptions: unknown;
  /** The backend's idle poll interval, ms, unless the context sets pollMs (default DEFAULT_POLL_MS). */
  pollMs?: number;
  /** How long the backend may take to close (a network backend delivering what is left), ms; default 0. */
  closeTimeoutMs?: number;
  /** The logger's systemMetrics interval, ms; 0 or absent: no samples for this backend. */
  systemMetricsMs?: number;
  /** The directory the backend writes into: system metrics report the I/O of its block device. */
  runDir?: string;
  /** The logger's aggregate option and its limits (docs/jobs.md "Aggregates"). */
  aggregate?: { option: AggregateOption; window: number; timeoutMs: number };
}

/**
 * How long an exit path (a signal, an uncaught exception, process.exit()) waits for the writers to
 * drain the rings and close their sinks, on top of the slowest backend's own close timeout.
 */
export const EXIT_DRAIN_MS = 10_000;

/**
 * How often an idle writer looks at its rings, ms, for backends that set none. A wake-up costs
 * 30–300 µs of CPU on a virtual machine: at 1 s, three writers cost ~0.1 % of a core; a
 * file or a tracking server seen a second late loses nothing (flush() and close() wake the writers).
 */
export const DEFAULT_POLL_MS = 1000;

/** What destroyLoggerContext() and stats() return: records in and dropped, ring use, and each backend's counts. */
export interface LogStats {
  /** Records published into the rings by every producing thread. */
  recordsIn: number;
  /** Records dropped by the drop-newest policy (0 under the default policy). */
  dropped: number;
  /** Calls refused because a signal, an uncaught exception or process.exit() had closed the loggers. */
  afterClose: number;
  /** Producing threads (rings) and their total memory. */
  rings: number;
  ringBytes: number;
  backends: BackendStats[];
  /** On the job's host (rank 0 of a job with a rendezvous), after close: how the whole job ended. */
  job?: JobEnd;
}

interface RingEntry {
  sab: SharedArrayBuffer;
  rank: number;
  consumers: number;
}

export class LogContext {
  readonly runName: string;
  /** tags, notes, group, jobType: given to every sink. */
  private readonly runMeta: RunMeta | undefined;
  /** createLoggerContext({ resume }), for every sink. */
  private readonly resume: ResumeInfo | undefined;
  readonly blobDir: string;
  /** The block every ring, writer and the clock share (ring/layout.ts SHARED), created with the first ring. */
  private sharedSab: SharedArrayBuffer | undefined;
  private clock: Worker | undefined;
  private clockPort: MessagePort | undefined;
  private readonly writers: (WriterHandle | undefined)[] = [];
  private readonly rings: RingEntry[] = [];
  private readonly policy: FullRingPolicy;
  private readonly ringBytes: number;
  private readonly pollMs: number | undefined;
  private readonly clockMs: number;
  /** Control calls in flight per writer: Worker.ref()/unref() are switches, not counters. */
  private readonly refs = new Map<WriterHandle, number>();
  private closed: Promise<LogStats> | undefined;
  /** Set by an exit path that cannot await: the sinks were closed, or are closing, on their own. */
  private ended = false;
  /** The signal that interrupted the process, if any: the run ends 'killed' whoever closes it. */
  interrupted: NodeJS.Signals | undefined;
  /** Records the API refused because an exit path had closed the context (counted, reported once). */
  private late = 0;
  /** The coordinator thread's own dispatcher. */
  readonly dispatcher: Dispatcher;
  private readonly producer: RingProducer | undefined;
  private finalStats: LogStats | undefined;
  /** The sampler and probe, when a backend that logs on this rank asked for system metrics. */
  private system: SystemSampling | undefined;

  /**
   * The backends' specs, sink options included. A #private field: sink options may hold secrets
   * (MLflow's tracking URI with a password), and this keeps them out of util.inspect(logger),
   * JSON.stringify and Object.keys on anything that reaches the context.
   */
  readonly #backends: readonly BackendSpec[];

  constructor(
    backends: readonly BackendSpec[],
    readonly rank: number,
    readonly worldSize: number | undefined,
    options: ContextOptions,
    /** The job's rendezvous link and agreement, when this process's job has one (context/job-link.ts). */
    private readonly job: JobJoin = { link: undefined, info: undefined },
  ) {
    this.#backends = backends;
    this.runName = options.runName ?? '';
    this.runMeta = runMetaFrom(options);
    this.resume = resumeFrom(options.resume);
    this.policy = options.fullRingPolicy ?? 'wait';
    if (this.policy !== 'wait' && this.policy !== 'drop-newest') {
      throw argError('fullRingPolicy', this.policy, "use 'wait' (default, loses nothing) or 'drop-newest' (never blocks, counts drops).");
    }
    this.ringBytes = options.ringBytes ?? DEFAULT_RING_BYTES;
    this.pollMs = options.pollMs;
    if (this.pollMs !== undefined && !(this.pollMs >= 1 && this.pollMs <= 60_000)) {
      throw argError('pollMs', this.pollMs, "use a number of milliseconds from 1 to 60000, or leave it out for each backend's default.", RangeError);
    }
    this.clockMs = options.clockResolutionMs ?? 1;
    if (!(Number.isInteger(this.clockMs) && this.clockMs >= 1 && this.clockMs <= 1000)) {
      throw argError('clockResolutionMs', this.clockMs, 'use a whole number of milliseconds from 1 to 1000 (default 1).', RangeError);
    }
    this.blobDir = newBlobDir();
    this.startSystemMetrics();
    const ringSab = this.ringFor(rank);
    this.producer = ringSab ? new RingProducer(ringSab, this.shared(), this.policy) : undefined;
    this.dispatcher = new Dispatcher(this.routes, rank, this.producer && new RecordWriter(this.producer), this.blobDir);
    if (options.handleSignals !== false) registerContext(this);
  }

  get routes(): BackendRoute[] {
    return this.#backends.map((b) => b.route);
  }

  /** The context block, created with the first ring (a rank that logs nothing starts no thread). */
  private shared(): Int32Array {
    if (!this.sharedSab) {
      this.sharedSab = new SharedArrayBuffer(SHARED_BYTES);
      const base = Date.now();
      new Float64Array(this.sharedSab)[SHARED_F64.CLOCK_BASE_MS] = base;
      // The clock thread starts asleep: producers read the system clock until records flow fast.
      Atomics.store(new Int32Array(this.sharedSab), SHARED.CLOCK_MS, CLOCK_ASLEEP);
      const { port1, port2 } = new MessageChannel();
      this.clockPort = port1;
      this.clock = new Worker(new URL('./clock-thread.js', import.meta.url), {
        workerData: { sharedSab: this.sharedSab, port: port2, tickMs: this.clockMs },
        transferList: [port2],
        name: 'ranklog-clock',
      });
      this.clock.unref();
      port1.unref();
    }
    return new Int32Array(this.sharedSab);
  }

  /**
   * System samples are per process: a backend gets them when it asked (systemMetrics) and logs on
   * this context's rank; they go with that rank (docs/architecture.md, "System metrics").
   */
  private startSystemMetrics(): void {
    const mask = rankMask(this.routes, this.rank);
    const sampled = this.#backends
      .filter((b) => (b.systemMetricsMs ?? 0) > 0 && (mask & (1 << b.route.index)) !== 0)
      .map((b) => ({ index: b.route.index, intervalMs: b.systemMetricsMs!, dir: b.runDir }));
    if (sampled.length > 0) {
      this.shared();
      this.system = new SystemSampling(sampled, this.sharedSab!);
    }
  }

  /** A ring for a producing thread of `rank`, or undefined when no backend logs on that rank. */
  private ringFor(rank: number): SharedArrayBuffer | undefined {
    const consumers = rankMask(this.routes, rank);
    if (consumers === 0) return undefined;
    this.shared();
    const sab = createRing(this.ringBytes, rank, consumers);
    this.rings.push({ sab, rank, consumers });
    this.clockPort!.postMessage(sab);
    for (const spec of this.#backends) {
      if ((consumers & (1 << spec.route.index)) === 0) continue;
      const w = this.writers[spec.route.index];
      if (w) void this.call(w, () => w.api.addRing(sab));
      else this.writers[spec.route.index] = this.spawn(spec);
    }
    return sab;
  }

  private spawn(spec: BackendSpec): WriterHandle {
    const w = spawnWriter({
      sharedSab: this.sharedSab!,
      backend: spec.route.index,
      backendName: spec.route.name,
      sinkModule: spec.sinkModule,
      sinkOptions: spec.sinkOptions,
      rings: this.rings.filter((r) => r.consumers & (1 << spec.route.index)).map((r) => r.sab),
      runName: this.runName,
      coordinatorRank: this.rank,
      worldSize: this.worldSize,
      job: this.job.info,
      run: this.runMeta,
      resume: this.resume,
      pollMs: this.pollMs ?? spec.pollMs ?? DEFAULT_POLL_MS,
      systemMetrics: this.system?.initFor(spec.route.index),
      aggregate: this.aggregateFor(spec),
    });
    this.ref(w);
    void w.started.then(
      () => this.unref(w),
      () => this.unref(w),
    );
    return w;
  }

  /**
   * How this backend's writer takes part in cross-rank aggregates (writer/aggregation.ts): alone for
   * worker_thread ranks; through the job thread for separate processes; not at all when separate
   * processes have no rendezvous (each would aggregate only itself), said once.
   */
  private aggregateFor(spec: BackendSpec): AggregateInit | undefined {
    const a = spec.aggregate;
    if (!a) return undefined;
    const { link, info, separate } = this.job;
    const bit = 1 << spec.route.index;
    const world = info?.worldSize ?? this.worldSize;
    const expected = world === undefined ? undefined : Array.from({ length: world }, (_, r) => r).filter((r) => (rankMask(this.routes, r) & bit) !== 0);
    const common = { option: a.option, window: a.window, timeoutMs: a.timeoutMs, expected };
    if (!link) {
      if (separate) {
        if (!this.aggregateWarned)
          warn(`ranklog: ${spec.route.name}: no cross-rank aggregates: this rank is not connected to rank 0's rendezvous (see the warning above)`);
        this.aggregateWarned = true;
        return undefined;
      }
      return { ...common, role: 'local', port: undefined };
    }
    const { port1, port2 } = new MessageChannel();
    link.aggregatePort(spec.route.index, port2);
    return { ...common, role: link.host ? 'host' : 'member', port: port1 };
  }
  private aggregateWarned = false;

  /** Writers must not keep the process alive, except while we wait for their answer. */
  private ref(w: WriterHandle): void {
    const n = this.refs.get(w) ?? 0;
    this.refs.set(w, n + 1);
    if (n === 0) w.worker.ref();
  }
  private unref(w: WriterHandle): void {
    const n = (this.refs.get(w) ?? 1) - 1;
    this.refs.set(w, n);
    if (n === 0) w.worker.unref();
  }
  private async call<T>(w: WriterHandle, f: () => Promise<T> | T): Promise<T> {
    this.ref(w);
    try {
      return await Promise.race([f(), w.died]);
    } finally {
      this.unref(w);
    }
  }

  private liveWriters(): WriterHandle[] {
    return this.writers.filter((w): w is WriterHandle => w !== undefined && w.error === undefined);
  }

  /** Resolves when every backend has started (its sink is open); rejects with the first backend's error. */
  async started(): Promise<void> {
    await Promise.all(this.liveWriters().map((w) => Promise.race([w.started, w.died])));
  }

  workerHandle(rank: number): WorkerHandle {
    if (!Number.isSafeInteger(rank) || rank < 0) throw argError('rank', rank, 'pass a non-negative integer rank for the worker.');
    if (this.worldSize !== undefined && rank >= this.worldSize) {
      throw argError(
        'rank',
        rank,
        `the context's worldSize is ${this.worldSize}; pass a rank from 0 to ${this.worldSize - 1}, or a larger worldSize to createLoggerContext().`,
        RangeError,
      );
    }
    if (this.closed) throw new Error('ranklog: workerHandle() after destroyLoggerContext(); create worker handles while the context is open.');
    const ringSab = this.ringFor(rank);
    return {
      ranklog: 1,
      rank,
      routes: this.routes,
      ringSab,
      sharedSab: ringSab ? this.sharedSab : undefined,
      policy: this.policy,
      blobDir: this.blobDir,
      runName: this.runName,
    };
  }

  /** Everything logged before the call, from every thread, committed by every backend. */
  async flush(): Promise<void> {
    await this.started();
    await Promise.all(this.liveWriters().map((w) => this.call(w, () => w.api.flush())));
  }

  async stats(): Promise<LogStats> {
    if (this.finalStats) return this.finalStats;
    const backends = await Promise.all(this.liveWriters().map((w) => this.call(w, () => w.api.stats())));
    return this.summarise(backends);
  }

  private summarise(backends: BackendStats[]): LogStats {
    let recordsIn = 0;
    let dropped = 0;
    for (const r of this.rings) {
      recordsIn += ringRecordsIn(r.sab);
      dropped += ringDropped(r.sab);
    }
    return { recordsIn, dropped, afterClose: this.late, rings: this.rings.length, ringBytes: this.rings.reduce((s, r) => s + r.sab.byteLength, 0), backends };
  }

  /** Drain every ring, close every sink, stop the threads. Idempotent. */
  close(reason: RunEndReason = 'finished'): Promise<LogStats> {
    this.closed ??= this.doClose(reason);
    return this.closed;
  }

  private async doClose(requested: RunEndReason): Promise<LogStats> {
    // A run a signal interrupted ends 'killed', also when the program's own handler destroys the context.
    const reason = requested === 'finished' && this.interrupted ? 'killed' : requested;
    this.producer?.detach();
    // The job's host decides how the whole job ended before its own sinks close (they end the
    // job-level runs with it); it waits for the other ranks' ends, bounded (docs/jobs.md "End").
    const link = this.job.link;
    // A member that saw rank 0 vanish hands its sinks what it knows instead: rank 0 vanished.
    const jobEnd = link?.host ? await link.end(reason) : link?.hostGone ? decideJobEnd({ 0: 'vanished' }) : undefined;
    if (link?.host && jobEnd && jobEnd.status !== 'finished') warn(`ranklog: the job ended ${jobEnd.status.toUpperCase()}: ${jobEnd.summary}`);
    const backends: BackendStats[] = [];
    let firstError: unknown;
    for (const w of this.writers) {
      if (!w) continue;
      this.ref(w);
      try {
        await Promise.race([w.started, w.died]);
        backends.push(await Promise.race([w.api.close(reason, jobEnd), w.died]));
        await Promise.race([w.syncWarnings(), w.died]); // what the backend said while closing is shown, not lost with the thread
      } catch (e) {
        firstError ??= e;
        backends.push({ name: w.name, written: 0, failed: 0, dropped: 0, afterClose: 0, error: e instanceof Error ? e.message : String(e) });
      } finally {
        this.unref(w);
      }
      await w.worker.terminate();
    }
    if (this.sharedSab) {
      const shared = new Int32Array(this.sharedSab);
      Atomics.store(shared, SHARED.CLOCK_STOP, 1);
      Atomics.notify(shared, SHARED.CLOCK_STOP);
      Atomics.store(shared, SHARED.CLOCK_MS, 0);
      Atomics.notify(shared, SHARED.CLOCK_MS);
      Atomics.notify(shared, SHARED.WRITER_WAKE);
    }
    // A member says it ended only now that its sinks are closed: rank 0 then knows its records are written.
    if (link && !link.host) await link.end(reason);
    await link?.terminate();
    await this.system?.stop();
    await this.clock?.terminate();
    this.clockPort?.close();
    removeBlobDir(this.blobDir);
    unregisterContext(this);
    this.finalStats = this.summarise(backends);
    if (jobEnd && link?.host) this.finalStats.job = jobEnd;
    if (firstError !== undefined && backends.every((b) => 'error' in b)) throw firstError;
    return this.finalStats;
  }

  /**
   * Last resort for exit paths that cannot await (a signal, an uncaught exception, process.exit()):
   * block this thread until every writer has drained what was published when it saw the request
   * and closed its sink with `reason`. The writers run on their own threads, so waiting here does
   * not stop them; it also completes a destroyLoggerContext() that was under way. False on timeout.
   */
  endSync(reason: RunEndReason, timeoutMs = this.exitDrainMs): boolean {
    if (this.ended || this.finalStats) return true;
    this.ended = true;
    this.closed ??= Promise.resolve(this.summarise([]));
    unregisterContext(this);
    if (!this.sharedSab) {
      this.job.link?.endSync(reason);
      return true;
    }
    this.producer?.detach();
    const shared = new Int32Array(this.sharedSab);
    const deadline = Date.now() + timeoutMs;
    // Every writer snapshots the ring heads, drains to them and closes its sink with the reason
    // (an MLflow run ends KILLED or FAILED, a TensorBoard session FAILURE).
    Atomics.store(shared, SHARED.END_REQUEST, END_CODE[reason]);
    Atomics.add(shared, SHARED.WRITER_WAKE, 1);
    Atomics.notify(shared, SHARED.WRITER_WAKE);
    let live = 0;
    for (const w of this.writers) if (w) live |= 1 << w.index;
    let ok = true;
    for (;;) {
      const dead = Atomics.load(shared, SHARED.DEAD_WRITERS);
      const closed = Atomics.load(shared, SHARED.CLOSED_WRITERS);
      if ((live & ~dead & ~closed) === 0) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        ok = false;
        break;
      }
      Atomics.wait(shared, SHARED.CLOSED_WRITERS, closed, Math.min(left, 50));
    }
    // Every live writer has read its blob files: the directory can go (it would outlive the process in /tmp).
    if (ok) removeBlobDir(this.blobDir);
    // Then rank 0 hears how this rank ended (not 'vanished'); a host just stops hosting.
    this.job.link?.endSync(reason);
    return ok;
  }

  /**
   * JSON.stringify(logger) reaches the context: a summary, not the writer threads (whose comlink
   * proxies would turn toJSON into a call to the writer) nor the backends' sink options.
   */
  toJSON(): { runName: string; rank: number; worldSize: number | undefined; closed: boolean } {
    return { runName: this.runName, rank: this.rank, worldSize: this.worldSize, closed: this.isClosed };
  }

  get isClosed(): boolean {
    return this.closed !== undefined;
  }

  /** Closed by a signal, an uncaught exception or process.exit(), not by destroyLoggerContext(). */
  get endedAbruptly(): boolean {
    return this.ended;
  }

  /**
   * A record logged after an exit path closed the context: not written, never an exception (the
   * training loop may run on for a moment before the process ends). Counted; said once.
   */
  refuseLate(): void {
    if (this.late++ === 0) {
      warn(`ranklog: records logged after ${this.interrupted ?? 'the exit'} closed the loggers are not written (counted in stats().afterClose).`);
    }
  }

  /** How long exit paths wait for the writers: the slowest backend's close timeout, plus time to drain. */
  get exitDrainMs(): number {
    return EXIT_DRAIN_MS + Math.max(0, ...this.#backends.map((b) => b.closeTimeoutMs ?? 0));
  }

  /**
   * Block this thread until the writers have committed everything published so far (the program
   * handles a signal itself and owns the exit: write what was logged, close nothing). False on timeout.
   */
  flushSync(timeoutMs = EXIT_DRAIN_MS): boolean {
    if (this.ended || !this.sharedSab) return true;
    const shared = new Int32Array(this.sharedSab);
    const deadline = Date.now() + timeoutMs;
    let ok = true;
    for (const r of this.rings) ok = waitReleased(r.sab, shared, Math.max(0, deadline - Date.now())) && ok;
    return ok;
  }
}
