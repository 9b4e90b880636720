/**
 * The W&B backend's writer-thread side: one W&B run per logging rank.
 *
 *   one logging rank     one run, named as the job (or runName / WANDB_NAME), in `group` if given
 *   several ranks        a run per rank (its own id and directory), named <name>-rank<r>,
 *                        all in one group: `group` / WANDB_RUN_GROUP, else the job's run name
 *   the job              rank 0 of a job (docs/jobs.md) adds a job run <name>-job in that group, made
 *                        by its first cross-rank aggregate or the job's end: the aggregates as its
 *                        history, the job's end in its summary (job/status, job/ranks, job/summary)
 *                        and its exit code (0 FINISHED, 1 FAILED, 255 KILLED)
 *
 * Each run gets its delivery by mode: offline, a run directory for `wandb sync` (offline/);
 * online, the same directory and the run sent to W&B beside it (online/). 'disabled'
 * (WANDB_MODE=disabled) writes nothing.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  WriteFailures,
  type JobAggregate,
  type JobEnd,
  type LogRecord,
  type RunEndReason,
  type Sink,
  type SinkEnv,
  type SinkFactory,
  type SystemSample,
} from '@ranklog/core/sink';
import { FINISH_TIMEOUT_MS } from './settings.js';
import { OfflineDelivery } from './offline/offline-delivery.js';
import { newRunId, RunDirectory } from './offline/run-directory.js';
import { OnlineDelivery } from './online/online-delivery.js';
import { DEFAULT_TIMING, RunUploader, type OnlineTiming } from './online/run-uploader.js';
import { WandbHttp } from './online/wandb-http.js';
import type { RunDelivery } from './run/delivery.js';
import { PRODUCER, WandbRun, type RunContext } from './run/wandb-run.js';

export type WandbMode = 'online' | 'offline' | 'disabled';

/** The online mode's server; the key is taken out of the options at once and kept only in the HTTP client's #private field. */
export interface WandbOnlineOptions {
  baseUrl: string;
  apiKey: string;
  timing?: Partial<OnlineTiming>;
  /** How long close() waits for the server before it leaves the rest to `wandb sync` (ms). */
  finishTimeoutMs?: number;
}

export interface WandbSinkOptions {
  mode: WandbMode;
  /** Absolute directory; runs go to <dir>/wandb/offline-run-…/ as wandb puts them. */
  dir: string;
  project: string;
  entity: string;
  /** The W&B run name; default ranklog's run name. */
  displayName: string | undefined;
  group: string | undefined;
  jobType: string;
  notes: string;
  tags: string[];
  /** The run id (several ranks: <runId>-rank<r>); default 8 random characters per run. */
  runId: string | undefined;
  /** Whether more than one rank may log to this backend: each rank then gets a run of its own. */
  multiRank: boolean;
  followExternalSymlinks: boolean;
  /** The training script (process.argv[1] of the main thread; a writer thread has its own). */
  program: string;
  /** mode 'online' only. */
  online?: WandbOnlineOptions;
}

/** The job run's key in WandbSink.runs (no rank is negative). */
const JOB_RUN = -1;

class WandbSink implements Sink {
  private readonly runs = new Map<number, WandbRun>();
  private readonly deliveries: RunDelivery[] = [];
  private readonly multiRank: boolean;
  private readonly failures: WriteFailures;
  private readonly ctx: RunContext;
  private readonly host = hostname();
  private readonly uploaders: { uploader: RunUploader; dir: string }[] = [];
  private readonly http: WandbHttp | undefined;
  private readonly timing: OnlineTiming;
  private readonly finishTimeoutMs: number;
  private readonly options: Omit<WandbSinkOptions, 'online'>;

  constructor(
    sinkOptions: WandbSinkOptions,
    private readonly env: SinkEnv,
  ) {
    const { online, ...options } = sinkOptions;
    this.options = options;
    if (options.mode === 'online') {
      if (online === undefined) throw new Error('the online W&B mode needs its server (sink option online)');
      this.http = new WandbHttp(online.baseUrl, online.apiKey);
    }
    this.timing = { ...DEFAULT_TIMING, ...online?.timing };
    this.finishTimeoutMs = online?.finishTimeoutMs ?? FINISH_TIMEOUT_MS;
    // logOnWorkers -1 in a world of one rank is still a single run.
    this.multiRank = options.multiRank && env.worldSize !== 1;
    this.failures = new WriteFailures(env.warn, 'ranklog wandb');
    this.ctx = {
      env,
      failures: this.failures,
      counters: { rows: 0, mediaFiles: 0, histogramNonFinite: 0, skipped: 0 },
      followExternalSymlinks: options.followExternalSymlinks,
      program: options.program,
      told: new Set(),
    };
  }

  private run(rank: number, timeMs: number): WandbRun {
    const run = this.runs.get(rank);
    if (run !== undefined) return run;
    return this.newRun(rank, timeMs);
  }

  /** rank JOB_RUN: the job run (rank 0 of a job only). */
  private newRun(rank: number, timeMs: number): WandbRun {
    const o = this.options;
    const name = o.displayName ?? this.env.runName;
    const job = rank === JOB_RUN;
    const suffix = job ? '-job' : this.multiRank ? `-rank${rank}` : '';
    const runId = o.runId === undefined ? newRunId() : `${o.runId}${suffix}`;
    // The run starts with its first record: every later record of the rank has a runtime ≥ 0.
    const startTimeMs = Math.min(timeMs, Date.now());
    const directory = new RunDirectory(join(o.dir, 'wandb'), runId, startTimeMs, {
      writer: PRODUCER,
      runName: this.env.runName,
      rank,
      pid: process.pid,
      host: this.host,
    });
    let delivery: RunDelivery;
    if (this.http === undefined) delivery = new OfflineDelivery(directory, this.failures);
    else {
      const uploader = new RunUploader(
        this.http,
        this.timing,
        directory.filesDir,
        this.env.debug,
        (id) => this.stopped(id),
        (id, reason) => this.gaveUp(id, reason, directory.dir),
      );
      this.uploaders.push({ uploader, dir: directory.dir });
      delivery = new OnlineDelivery(directory, this.failures, uploader);
    }
    this.deliveries.push(delivery);
    this.env.debug(`wandb: rank ${rank} logs to ${directory.dir}`);
    const run = new WandbRun(
      delivery,
      {
        runId,
        entity: o.entity,
        project: o.project,
        // W&B's own options and variables beat createLoggerContext()'s, as a backend's own option beats the shared one.
        group: o.group ?? this.env.run?.group ?? (this.multiRank || job ? this.env.runName : ''),
        jobType: o.jobType || (this.env.run?.jobType ?? ''),
        displayName: `${name}${suffix}`,
        notes: o.notes || (this.env.run?.notes ?? ''),
        tags: o.tags.length > 0 ? o.tags : [...(this.env.run?.tags ?? [])],
        host: this.host,
        startTimeMs,
      },
      this.ctx,
    );
    this.runs.set(rank, run);
    return run;
  }

  write(r: LogRecord): void | Promise<void> {
    if (this.options.mode === 'disabled') return;
    return this.run(r.rank, r.timeMs).write(r);
  }

  /** A StatsRecord in the run of the process's rank (its System charts); the run starts here if nothing was logged yet. */
  writeSystemSample(s: SystemSample): void {
    if (this.options.mode === 'disabled') return;
    this.run(s.rank, s.timeMs).stats(s);
  }

  /** A cross-rank aggregate: a history row of the job run. */
  writeAggregate(a: JobAggregate): void {
    if (this.options.mode === 'disabled') return;
    this.run(JOB_RUN, this.env.job?.startTimeMs ?? a.timeMs).aggregate(a);
  }

  /** Returns the records of this batch the disk refused (dropped; every file ends with whole records). */
  commit(): number {
    for (const run of this.runs.values()) run.commit();
    return this.failures.take();
  }

  /** Online: what is waiting goes to the server now (the transaction log has it already). */
  async flush(): Promise<void> {
    await Promise.all(this.deliveries.map((d) => d.flush?.()));
  }

  async close(reason: RunEndReason, job?: JobEnd): Promise<number> {
    // Only the job's host (rank 0) decides its end; a member that lost rank 0 knows only its own.
    if (job && this.env.job?.host && this.options.mode !== 'disabled') {
      this.run(JOB_RUN, this.env.job.startTimeMs).summarize([
        { key: 'job/status', json: JSON.stringify(job.status) },
        { key: 'job/ranks', json: JSON.stringify(job.ranks) },
        { key: 'job/summary', json: JSON.stringify(job.summary) },
      ]);
    }
    for (const [rank, run] of this.runs) run.close(rank === JOB_RUN ? (job?.status ?? reason) : reason);
    this.failures.report();
    const lost = this.failures.take();
    if (this.http !== undefined) {
      const deadline = Date.now() + this.finishTimeoutMs;
      await Promise.all(this.deliveries.map((d) => d.finish?.(deadline)));
      this.http.close();
      this.tellWhatIsLeft();
    }
    return lost;
  }

  /** The run was stopped in the W&B UI: said once; the run goes on, to its directory only. */
  private stopped(runId: string): void {
    if (this.ctx.told.has('stopped')) return;
    this.ctx.told.add('stopped');
    this.env.warn(
      `W&B: run ${runId} was stopped in the W&B UI; ranklog stops sending it (the server takes no more) and keeps writing its transaction log; records not sent are counted in stats().wandbNotSent`,
    );
  }

  /** The first run that stops sending is said at once (the command to upload it comes at close, when the run is whole). */
  private gaveUp(runId: string, reason: string, dir: string): void {
    if (this.ctx.told.has('offline')) return;
    this.ctx.told.add('offline');
    this.env.warn(
      `W&B: run ${runId} could not be sent (${reason}); it goes on to its directory only (${dir}), nothing is lost; at the end ranklog prints the command that uploads it`,
    );
  }

  /** One warning at close for the runs the server did not take whole, with the command that uploads them. */
  private tellWhatIsLeft(): void {
    const left = this.uploaders.filter((u) => u.uploader.state === 'offline');
    if (left.length === 0) return;
    const reasons = [...new Set(left.map((u) => u.uploader.reason))].join('; ');
    const dirs = left.map((u) => JSON.stringify(u.dir)).join(' ');
    this.env.warn(
      `W&B: ${left.length === 1 ? 'a run was' : `${left.length} runs were`} not sent whole (${reasons}); everything is in the run directory: upload it with \`wandb sync ${dirs}\` (or \`npx ranklog-wandb-replay --upload ${dirs}\` with WANDB_BASE_URL and WANDB_API_KEY)`,
    );
  }

  stats(): Record<string, number> {
    let records = 0;
    let bytes = 0;
    for (const d of this.deliveries) {
      records += d.records;
      bytes += d.bytes;
    }
    const out: Record<string, number> = { runs: this.runs.size, wandbRecords: records, bytes, ...this.ctx.counters };
    if (this.http !== undefined) {
      const sum = (k: keyof RunUploader['counters']) => this.uploaders.reduce((n, u) => n + u.uploader.counters[k], 0);
      out.wandbSent = sum('sent');
      out.wandbNotSent = sum('notSent');
      out.wandbRequests = this.http.requests;
      out.wandbRetries = sum('retries');
      out.wandbUploads = sum('uploads');
      out.wandbOffline = this.uploaders.filter((u) => u.uploader.state === 'offline').length;
      out.wandbStopped = this.uploaders.filter((u) => u.uploader.state === 'stopped').length;
    }
    return out;
  }
}

const createWandbSink: SinkFactory<WandbSinkOptions> = (options, env) => new WandbSink(options, env);
export default createWandbSink;
