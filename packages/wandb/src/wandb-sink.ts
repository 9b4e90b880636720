/**
 * The W&B backend's writer-thread side: one W&B run per logging rank.
 *
 *   one logging rank     one run, named as the job (or runName / WANDB_NAME), in `group` if given
 *   several ranks        a run per rank (its own id and directory), named <name>-rank<r>,
 *                        all in one group: `group` / WANDB_RUN_GROUP, else the job's run name
 *
 * Each run gets its delivery by mode: offline, a run directory for `wandb sync` (offline/);
 * the online delivery goes beside it. 'disabled' (WANDB_MODE=disabled) writes nothing.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WriteFailures, type LogRecord, type RunEndReason, type Sink, type SinkEnv, type SinkFactory, type SystemSample } from '@ranklog/core/sink';
import { OfflineDelivery } from './offline/offline-delivery.js';
import { newRunId, RunDirectory } from './offline/run-directory.js';
import type { RunDelivery } from './run/delivery.js';
import { PRODUCER, WandbRun, type RunContext } from './run/wandb-run.js';

export type WandbMode = 'offline' | 'disabled';

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
}

class WandbSink implements Sink {
  private readonly runs = new Map<number, WandbRun>();
  private readonly deliveries: RunDelivery[] = [];
  private readonly multiRank: boolean;
  private readonly failures: WriteFailures;
  private readonly ctx: RunContext;
  private readonly host = hostname();

  constructor(
    private readonly options: WandbSinkOptions,
    private readonly env: SinkEnv,
  ) {
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
    let run = this.runs.get(rank);
    if (run !== undefined) return run;
    const o = this.options;
    const name = o.displayName ?? this.env.runName;
    const runId = o.runId === undefined ? newRunId() : this.multiRank ? `${o.runId}-rank${rank}` : o.runId;
    // The run starts with its first record: every later record of the rank has a runtime ≥ 0.
    const startTimeMs = Math.min(timeMs, Date.now());
    const directory = new RunDirectory(join(o.dir, 'wandb'), runId, startTimeMs, {
      writer: PRODUCER,
      runName: this.env.runName,
      rank,
      pid: process.pid,
      host: this.host,
    });
    const delivery = new OfflineDelivery(directory, this.failures);
    this.deliveries.push(delivery);
    this.env.debug(`wandb: rank ${rank} logs to ${directory.dir}`);
    run = new WandbRun(
      delivery,
      {
        runId,
        entity: o.entity,
        project: o.project,
        group: o.group ?? (this.multiRank ? this.env.runName : ''),
        jobType: o.jobType,
        displayName: this.multiRank ? `${name}-rank${rank}` : name,
        notes: o.notes,
        tags: o.tags,
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

  /** Returns the records of this batch the disk refused (dropped; every file ends with whole records). */
  commit(): number {
    for (const run of this.runs.values()) run.commit();
    return this.failures.take();
  }

  close(reason: RunEndReason): number {
    for (const run of this.runs.values()) run.close(reason);
    this.failures.report();
    return this.failures.take();
  }

  stats(): Record<string, number> {
    let records = 0;
    let bytes = 0;
    for (const d of this.deliveries) {
      records += d.records;
      bytes += d.bytes;
    }
    return { runs: this.runs.size, wandbRecords: records, bytes, ...this.ctx.counters };
  }
}

const createWandbSink: SinkFactory<WandbSinkOptions> = (options, env) => new WandbSink(options, env);
export default createWandbSink;
