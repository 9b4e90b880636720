/**
 * The MLflow backend's writer-thread side. Records are batched per logical
 * run and handed, as ops, to the delivery (rest: a tracking server, with
 * retries, spool and replay; file: the mlruns/ layout). commit() never waits
 * for the network, so a slow or absent server never blocks training.
 *
 * Runs: one run; or, when several ranks log, one parent run for the job and a
 * nested run per logging rank (named <run>-rank<r>), so ranks never mix
 * their points under one key. Separate processes (mpirun/srun) share the
 * parent: created once and ended when every logging process has ended
 * (job-run.ts).
 */
import { NAME_RE } from './filestore/validation.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import {
  figureSource,
  noFigureRendererWarning,
  WriteFailures,
  type DatasetItem,
  type FigureItem,
  type ImageItem,
  type JobAggregate,
  type JobEnd,
  type LogRecord,
  type PathItem,
  type RawImage,
  type RunEndReason,
  type Sink,
  type SinkEnv,
  type SinkFactory,
} from '@ranklog/core/sink';
import { FileStore } from './filestore/file-store.js';
import { jobKey } from './job-key.js';
import { endTag, endValue, JOB_TAG } from './job-run.js';
import { credentialsFromEnv, HttpClient } from './rest/http-client.js';
import { MAX_METRICS_PER_BATCH, splitBatch } from './rest/limits.js';
import { RestStore } from './rest/rest-store.js';
import { Delivery, type FindingStore } from './spool/delivery.js';
import type { Op, SpoolState } from './spool/ops.js';
import { Spool } from './spool/spool.js';
import type { ArtifactTreeOptions, Batch, RunStatus, RunTag } from './store.js';
import { replayCommand } from './replay-command.js';

export interface MlflowSinkOptions {
  /** http(s)://… or file:… / a path (then the mlruns/ file store). May carry user:password@: only the HTTP client reads it. */
  trackingUri: string;
  experimentName: string;
  /** MLflow run name (default: ranklog's run name). */
  runName?: string;
  runDescription?: string;
  /** Attach to this existing run instead of creating one (runId option or MLFLOW_RUN_ID). */
  runId?: string;
  /** Create our run(s) nested under this run. */
  parentRunId?: string;
  /** Whether several ranks may log to this backend. */
  multiRank: boolean;
  /** Whether the ranks are separate processes (a launcher's world), each with its own writer. */
  multiProcess: boolean;
  /** The logger's logOnWorkers as ranks (-1: all): with separate processes, the ranks whose end the job's parent waits for. */
  logOnWorkers: -1 | number[];
  /** The launcher's job identity (job-key.ts), read on the main thread; part of the job key. */
  launchId?: string;
  /** The tracking URI without credentials, for messages and the spool's state. */
  displayUri: string;
  /** Directory of ranklog run directories: <savedir>/<runName>/ holds the spool and staged artifacts. */
  savedir: string;
  /** Seconds between batches sent to the server in steady state. */
  flushSecs: number;
  /** The training script (mlflow.source.name), read on the main thread. */
  sourceName: string;
  /** How long close() keeps trying to deliver (probing a server that is away) before it leaves the rest in the spool. */
  closeTimeoutSecs: number;
  /** Upload what symbolic links out of a logged directory point to (default: skip them, with a warning). */
  followExternalSymlinks?: boolean;
}

const STATUS: Record<RunEndReason, RunStatus> = { finished: 'FINISHED', failed: 'FAILED', killed: 'KILLED' };

/**
 * The job's end as the rendezvous host saw it: every rank's end tag (a rank that vanished, never
 * came or outlasted the wait counts as failed: it wrote no end of its own) and one line saying why.
 */
function jobEndTags(job: JobEnd): RunTag[] {
  const tags: RunTag[] = Object.entries(job.ranks).map(([r, e]) => ({
    key: endTag(Number(r)),
    value: e === 'finished' || e === 'killed' || e === 'failed' ? e : 'failed',
  }));
  tags.push({ key: 'ranklog.job.end', value: job.summary === '' ? 'every rank finished' : job.summary.slice(0, 5000) });
  return tags;
}

class MlflowSink implements Sink {
  private readonly delivery: Delivery;
  private readonly spool: Spool;
  private readonly pending = new Map<string, Batch>();
  private noRendererWarned = false;
  private pendingCount = 0;
  private readonly refs = new Map<number, string>();
  private readonly timer: NodeJS.Timeout;
  private readonly runName: string;
  private readonly stageDir: string;
  private staged = 0;
  private skipped = 0;
  private parentReady = false;
  /** ranklog.job of the job's run: the run name, with the launcher's job identity. */
  private readonly jobKey: string;
  /** Separate processes share the job's parent run (find/create it, end it together). */
  private readonly shared: boolean;
  /** Runs of the earlier launch that this one resumes (createLoggerContext({ resume })). */
  private readonly resumedRefs: Set<string>;
  /** Run tags that are no valid MLflow key, told once each. */
  private readonly badTagWarned = new Set<string>();

  constructor(
    private readonly o: MlflowSinkOptions,
    private readonly env: SinkEnv,
    private readonly store: FindingStore,
  ) {
    this.runName = o.runName ?? env.runName;
    // A job whose ranks met at a rendezvous names its parent by the agreed key: one parent, whatever each rank's environment says.
    this.jobKey = env.job?.key ?? jobKey(env.runName, o.launchId);
    this.shared = o.multiRank && o.multiProcess;
    // One spool per process: the processes of a job (mpirun) may share the run directory.
    const runDir = join(o.savedir, env.runName);
    const proc = `rank${env.coordinatorRank}`;
    this.spool = new Spool(join(runDir, 'mlflow-spool', proc));
    this.stageDir = join(runDir, 'mlflow-artifacts', proc);
    // Ops an earlier launch left undelivered are replayed first, into that launch's runs (its run
    // ids are in the state). Otherwise this launch starts afresh: its own runs, and the job's parent
    // found or created by this launch's job key, not the run ids a finished launch left behind.
    const left = this.spool.readState();
    // Resuming (createLoggerContext({ resume })): the earlier launch's run ids, so the runs continue where they were.
    const resumable = env.resume !== undefined && left !== undefined && left.trackingUri === o.displayUri && left.experimentName === o.experimentName;
    if (env.resume !== undefined && !resumable)
      env.warn(
        `ranklog mlflow: nothing to resume for run ${env.runName} in ${runDir} with this tracking URI and experiment (no earlier launch's state there); starting new runs.`,
      );
    const state: SpoolState =
      left !== undefined && (resumable || left.delivered < this.spool.readOps().length)
        ? left
        : { version: 1, trackingUri: o.displayUri, experimentName: o.experimentName, runIds: {}, delivered: 0 };
    this.resumedRefs = new Set(resumable ? Object.keys(state.runIds) : []);
    this.delivery = new Delivery(store, this.spool, state, env.warn, new WriteFailures(env.warn, 'ranklog mlflow'), {
      followExternalSymlinks: o.followExternalSymlinks === true,
    });
    this.timer = setInterval(() => this.send(), o.flushSecs * 1000);
  }

  private systemTags(runName: string): RunTag[] {
    const tags: RunTag[] = [
      { key: 'mlflow.runName', value: runName },
      { key: 'mlflow.user', value: process.env.USER ?? safeUser() },
      { key: 'mlflow.source.name', value: this.o.sourceName },
      { key: 'mlflow.source.type', value: 'LOCAL' },
    ];
    // The logger's runDescription beats the context's notes, as a backend's own option beats the shared one.
    const run = this.env.run;
    const note = this.o.runDescription ?? run?.notes;
    if (note) tags.push({ key: 'mlflow.note.content', value: note });
    if (run) {
      // A W&B-style tag is an MLflow tag with an empty value (search: tags.`baseline` = ''); keys MLflow refuses are said once.
      for (const tag of run.tags) {
        if (NAME_RE.test(tag)) tags.push({ key: tag, value: '' });
        else if (!this.badTagWarned.has(tag)) {
          this.badTagWarned.add(tag);
          this.env.warn(
            `ranklog mlflow: run tag ${JSON.stringify(tag)} is not a valid MLflow tag key (letters, digits, _ - . / space :); it is kept only as ranklog.tags`,
          );
        }
      }
      if (run.tags.length > 0) tags.push({ key: 'ranklog.tags', value: run.tags.join(', ').slice(0, 5000) });
      if (run.group !== undefined) tags.push({ key: 'ranklog.group', value: run.group });
      if (run.jobType !== undefined) tags.push({ key: 'ranklog.job_type', value: run.jobType });
    }
    return tags;
  }

  /** The logical run of a rank, creating its ops on first use. */
  private ref(rank: number, firstRecordMs: number): string {
    let ref = this.refs.get(rank);
    if (ref !== undefined) return ref;
    const now = Math.round(firstRecordMs); // the run starts with its first record, not when the writer saw it
    if (!this.o.multiRank) {
      ref = 'run';
      if (this.o.runId) this.delivery.enqueue([{ op: 'attach', ref, runId: this.o.runId }]);
      else if (this.o.parentRunId)
        this.delivery.enqueue([{ op: 'attach', ref: 'parent', runId: this.o.parentRunId }, this.runOp(ref, this.runName, now, 'parent')]);
      else this.delivery.enqueue([this.runOp(ref, this.runName, now)]);
    } else {
      if (!this.parentReady) this.delivery.enqueue(this.parentOps(now));
      ref = `rank${rank}`;
      this.delivery.enqueue([this.runOp(ref, `${this.runName}-rank${rank}`, now, 'job', rank)]);
    }
    // A resumed run that an earlier launch ended (or left RUNNING after a kill) is RUNNING again until this launch ends it.
    if (this.resumedRefs.has(ref)) this.delivery.enqueue([{ op: 'end', ref, status: 'RUNNING', endTime: 0 }]);
    this.refs.set(rank, ref);
    return ref;
  }

  /** Ops that make the job's parent run ('job') ready, nested under the parentRunId option's run if given. */
  private parentOps(startTime: number): Op[] {
    this.parentReady = true;
    const ops: Op[] = [];
    if (this.o.parentRunId) ops.push({ op: 'attach', ref: 'parent', runId: this.o.parentRunId });
    if (this.o.runId) ops.push({ op: 'attach', ref: 'job', runId: this.o.runId });
    else {
      const job = this.runOp('job', this.runName, this.env.job?.startTimeMs ?? startTime, this.o.parentRunId ? 'parent' : undefined);
      // On a tracking server one process creates it, the others wait for it: the lowest rank that logs here (rank 0 may not).
      ops.push(
        this.shared
          ? {
              op: 'find',
              ref: 'job',
              tag: { key: JOB_TAG, value: this.jobKey },
              orCreate: job,
              wait: this.env.coordinatorRank !== Math.min(...this.jobRanks()),
            }
          : job,
      );
    }
    // 'running' replaces an end tag an earlier launch with the same job key left, before anyone reads it at the end.
    if (this.shared)
      ops.push({ op: 'batch', ref: 'job', batch: { metrics: [], params: [], tags: [{ key: endTag(this.env.coordinatorRank), value: endValue('RUNNING') }] } });
    return ops;
  }

  /** Process ranks that log to this backend (logOnWorkers within the world): the parent ends when all of them have. */
  private jobRanks(): number[] {
    const w = this.o.logOnWorkers;
    const world = Array.from({ length: this.env.worldSize ?? 1 }, (_, r) => r);
    return w === -1 ? world : world.filter((r) => w.includes(r));
  }

  private runOp(ref: string, runName: string, startTime: number, parent?: string, rank?: number): Extract<Op, { op: 'run' }> {
    const tags = this.systemTags(runName);
    // Only the job's own run carries ranklog.job: other processes find (or join) the parent by it.
    if (rank === undefined) tags.push({ key: JOB_TAG, value: this.jobKey });
    else tags.push({ key: 'ranklog.rank', value: String(rank) });
    return { op: 'run', ref, runName, parent, tags, startTime };
  }

  private batch(ref: string): Batch {
    let b = this.pending.get(ref);
    if (b === undefined) {
      b = { metrics: [], params: [], tags: [] };
      this.pending.set(ref, b);
    }
    return b;
  }

  /** A cross-rank aggregate (the aggregate option): metrics of the job's parent run, the mean under the identifier itself. */
  writeAggregate(a: JobAggregate): void {
    // One logging rank has no parent run, and nothing to aggregate across.
    if (!this.o.multiRank) {
      this.skipped++;
      return;
    }
    if (!this.parentReady) this.delivery.enqueue(this.parentOps(Math.round(a.timeMs)));
    const b = this.batch('job');
    for (const v of a.values) b.metrics.push({ key: v.key, value: v.value, timestamp: Math.round(a.timeMs), step: a.step });
    this.pendingCount += a.values.length;
    if (this.pendingCount >= MAX_METRICS_PER_BATCH) this.send();
  }

  write(r: LogRecord): void | Promise<void> {
    const ref = this.ref(r.rank, r.timeMs);
    switch (r.kind) {
      case 'metric':
        this.batch(ref).metrics.push({ key: r.identifier, value: r.value, timestamp: Math.round(r.timeMs), step: r.step ?? 0 });
        if (++this.pendingCount >= MAX_METRICS_PER_BATCH) this.send();
        return;
      case 'param': {
        const v = r.item;
        // A parent run shows the job's params too, so the UI compares jobs; each rank's run has them as well.
        this.batch(ref).params.push({ key: r.identifier, value: v === null ? 'None' : String(v) });
        this.pendingCount++;
        return;
      }
      case 'text':
        return this.artifactFile(ref, r, 'txt', r.item as string);
      case 'dict':
        return this.artifactFile(ref, r, 'json', JSON.stringify(r.item, null, 2) + '\n');
      case 'image':
        return this.image(ref, r, r.item as ImageItem);
      case 'figure':
        return this.figure(ref, r, r.item as FigureItem);
      case 'artifact':
      case 'model': {
        const item = r.item as PathItem;
        this.send(ref);
        // A file goes under <identifier>/; a directory's contents become <identifier>/ itself.
        this.delivery.enqueue([{ op: 'artifact', ref, localPath: item.path, artifactPath: r.identifier }]);
        return;
      }
      case 'dataset': {
        const d = r.item as DatasetItem;
        this.send(ref);
        const sourceType = /^https?:/.test(d.source) ? 'http' : /^s3:/.test(d.source) ? 's3' : 'local';
        this.delivery.enqueue([
          {
            op: 'inputs',
            ref,
            datasets: [
              {
                name: d.name,
                digest: d.digest,
                source: JSON.stringify({ uri: d.source }),
                sourceType,
                schema: d.schema === undefined ? undefined : JSON.stringify(d.schema),
                tags: [{ key: 'mlflow.data.context', value: r.identifier }],
              },
            ],
          },
        ]);
        return;
      }
      default:
        this.skipped++;
    }
  }

  /** Text, dicts, images, figures: a file staged in the run directory, then an artifact op. */
  private artifactFile(ref: string, r: LogRecord, ext: string, content: string | Uint8Array): void {
    const name = `${r.identifier.split('/').pop()}${r.step === undefined ? '' : `_step${r.step}`}${ref === 'run' ? '' : `_${ref}`}.${ext}`;
    const dir = join(this.stageDir, String(this.staged++));
    const file = resolve(dir, name);
    if (!file.startsWith(resolve(this.stageDir) + sep)) throw new Error(`ranklog mlflow: identifier ${r.identifier} escapes the staging directory`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    const parent = r.identifier.includes('/') ? r.identifier.slice(0, r.identifier.lastIndexOf('/')) : '';
    this.send(ref);
    this.delivery.enqueue([{ op: 'artifact', ref, localPath: file, artifactPath: parent }]);
  }

  private async image(ref: string, r: LogRecord, item: ImageItem): Promise<void> {
    const bytes = item.format === 'raw' ? await this.env.encodePng(item as RawImage) : item.data;
    this.artifactFile(ref, r, item.format === 'jpeg' ? 'jpg' : 'png', bytes);
  }

  private async figure(ref: string, r: LogRecord, item: FigureItem): Promise<void> {
    if (item.format === 'png') return this.artifactFile(ref, r, 'png', item.data);
    if (this.env.renderFigure) {
      try {
        const png = await this.env.renderFigure(item, (m) => this.env.warn(`figure '${r.identifier}': ${m}`));
        return this.artifactFile(ref, r, 'png', png);
      } catch (e) {
        this.env.warn(`figure '${r.identifier}' could not be rendered (${e instanceof Error ? e.message : String(e)}); logging its source`);
      }
    } else if (!this.noRendererWarned) {
      this.noRendererWarned = true;
      this.env.warn(noFigureRendererWarning('ranklog mlflow'));
    }
    const source = figureSource(item);
    this.artifactFile(ref, r, source.ext.slice(1), source.text);
  }

  /** Hand pending metrics/params to the delivery (all runs, or one). */
  private send(only?: string): void {
    const ops: Op[] = [];
    for (const [ref, b] of this.pending) {
      if (only !== undefined && ref !== only) continue;
      if (b.metrics.length + b.params.length + b.tags.length === 0) continue;
      // One op per request: an op that failed part-way is never re-sent whole (no duplicate points).
      for (const part of splitBatch(b)) ops.push({ op: 'batch', ref, batch: part });
      this.pending.delete(ref);
    }
    if (only === undefined) this.pendingCount = 0;
    this.delivery.enqueue(ops);
  }

  /** Records a disk (the file store's, the spool's) refused since the last commit: they were taken earlier, and are not written after all. */
  commit(): number {
    // Nothing to wait for: batches leave on the flush interval (or when full), so a slow
    // server never holds the ring. flush() and close() deliver or spool.
    return this.delivery.failures.take();
  }

  async flush(): Promise<void> {
    this.send();
    await this.delivery.drain();
  }

  async close(reason: RunEndReason, job?: JobEnd): Promise<number> {
    clearInterval(this.timer);
    this.send();
    const end = Date.now();
    const ends: Op[] = [];
    for (const ref of this.refs.values()) ends.push({ op: 'end', ref, status: STATUS[reason], endTime: end });
    if (this.shared) {
      // A process that logged nothing still joins the job and says it ended: the others wait for its end tag.
      if (!this.parentReady) this.delivery.enqueue(this.parentOps(end));
      ends.push({
        op: 'endShared',
        ref: 'job',
        rank: this.env.coordinatorRank,
        status: STATUS[reason],
        endTime: end,
        ranks: this.jobRanks(),
        tags: job && jobEndTags(job),
      });
    } else if (this.o.multiRank && this.parentReady) ends.push({ op: 'end', ref: 'job', status: STATUS[reason], endTime: end });
    this.delivery.enqueue(ends);
    await this.delivery.settle(Date.now() + this.o.closeTimeoutSecs * 1000);
    this.delivery.stop();
    const left = this.delivery.undelivered();
    if (left > 0) {
      this.env.warn(
        `${left} records could not be delivered to ${this.o.displayUri}; they are kept in ${this.spool.dir}. ` +
          `Replay them when the server is back with (the ranklog-mlflow-replay command): ${replayCommand(this.spool.dir)}`,
      );
    }
    this.delivery.failures.report();
    return this.delivery.failures.take();
  }

  stats(): Record<string, number> {
    const c = this.delivery.counters;
    return {
      delivered: c.delivered,
      spooled: c.spooled,
      replayed: c.replayed,
      rejected: c.rejected,
      diskFailed: c.failed,
      retries: (this.store as { retries?: number }).retries ?? 0,
      skipped: this.skipped,
      undelivered: this.delivery.undelivered(),
    };
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The store behind a tracking URI: a server (http/https) or the file store (file: or a path). */
export function storeFor(trackingUri: string, artifacts: ArtifactTreeOptions = {}): FindingStore {
  if (/^https?:\/\//i.test(trackingUri)) return new RestStore(new HttpClient(trackingUri, credentialsFromEnv()), undefined, artifacts);
  const path = trackingUri.startsWith('file:') ? new URL(trackingUri).pathname : trackingUri;
  return new FileStore(resolve(path), artifacts);
}

const createMlflowSink: SinkFactory<MlflowSinkOptions> = (options, env) =>
  new MlflowSink(options, env, storeFor(options.trackingUri, { followExternalSymlinks: options.followExternalSymlinks === true, warn: env.warn }));
export default createMlflowSink;
