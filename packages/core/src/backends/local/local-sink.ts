/**
 * Local-files backend, writer side: one directory per run that pandas, a
 * spreadsheet, `jq` or a file browser read without ranklog.
 *
 * <savedir>/<runName>/
 *   run.json             {ranklog_layout: 1, run_name, created_at, coordinator_rank, world_size, status: "running",
 *                        tags?, notes?, group?, job_type?}; created once. At close its creator replaces it (rename: a
 *                        reader sees one or the other) with status "finished" | "failed" | "killed" and ended_at.
 *                        A job whose ranks met at a rendezvous adds job: {id, launcher, ranks, status: "running"},
 *                        and its host (rank 0) replaces it at close with the job's end (docs/jobs.md)
 *   metrics.csv          timestamp,rank,identifier,step,batch_idx,value  (NaN, inf, -inf for non-finite values)
 *   metrics.jsonl        {timestamp, time_ms, rank, identifier, step, batch_idx, value} ("NaN", "Infinity", "-Infinity"); not with jsonl: false
 *   params.jsonl         {timestamp, time_ms, rank, identifier, value}, every param record in log order
 *   params.json          {identifier: value}; a different value from another rank as "<identifier>@rank<r>"
 *   histograms.jsonl     {timestamp, time_ms, rank, identifier, step, batch_idx, count, min, max, mean, values}
 *   datasets.jsonl       {timestamp, time_ms, rank, identifier, step, name, digest, source, schema?}
 *   aggregates.csv       timestamp,identifier,step,stat,value,ranks,expected_ranks,count: cross-rank aggregates
 *                        (the aggregate option), written by the job-level run's writer only (aggregate-lines.ts)
 *   text/<identifier>/<stem>.txt
 *   dicts/<identifier>/<stem>.json
 *   images/<identifier>/<stem>.png | .jpg
 *   figures/<identifier>/<stem>.png                      every figure, as PNG (SVG at its own size, Vega-Lite drawn by vega)
 *   figures/<identifier>/<stem>.svg | <stem>.vl.json     beside it, the source of an SVG / Vega-Lite figure
 *   artifacts/<identifier>/<basename of the source>      (artifacts and models; file or directory)
 * where <stem> = rank<r>[-step<s>][-batch<b>]; a name already taken gets -1, -2, … before the extension.
 * A figure's files share one name: its suffix is free for .png, .svg and .vl.json alike. A figure
 * that cannot be rendered (invalid SVG or Vega-Lite spec) keeps its source only, with a warning.
 * Files appear when the first record of their kind arrives.
 *
 * Several processes (mpirun) write one run directory at once, each with its own sink:
 * - The *.jsonl files and metrics.csv are opened O_APPEND and each commit writes whole lines
 *   in one write(2) per file (per 1 MiB of lines for very large batches): append-file.ts.
 * - Files that must exist once (run.json, the CSV header) and per-item files are published
 *   with link(2), complete and never silently replaced: publish.ts.
 * - params.json is a deterministic fold of params.jsonl: params-fold.ts.
 *
 * This file takes records and commits; the lines are made by metric-lines.ts (metrics, the hot
 * path) and record-lines.ts (params, histograms, datasets), item files by item-files.ts.
 */
import { cutTornTail } from './torn-tail.js';
import * as path from 'node:path';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { FigureItem, ImageItem, JobAggregate, JobEnd, LogRecord, PathItem, RunEndReason, Sink, SinkEnv, SinkFactory } from '../../sink/index.js';
import { undoAppend, WriteFailure } from '../../sink/whole-records.js';
import { decideJobEnd } from '../../sink/job.js';
import { AppendFile } from './append-file.js';
import { AGGREGATES_HEADER, AggregateLines } from './aggregate-lines.js';
import { ItemFiles, stemOf } from './item-files.js';
import { CSV_HEADER, MetricLines } from './metric-lines.js';
import { Outcomes } from './outcomes.js';
import { ParamsFold } from './params-fold.js';
import { Publisher } from './publish.js';
import { RecordLines } from './record-lines.js';

export interface LocalSinkOptions {
  /** Absolute directory that holds one sub-directory per run. */
  savedir: string;
  /** Copy what symbolic links out of a logged directory point to (default: skip them, with a warning). */
  followExternalSymlinks?: boolean;
  /** Write metrics.jsonl beside metrics.csv (default true). */
  jsonl?: boolean;
}

export const LAYOUT_VERSION = 1;
/**
 * Past this many bytes of pending metric lines (~6800 records of JSONL, ~15000 of CSV) they are
 * written early, still as whole lines, so the line buffers stay bounded however large the batch.
 */
const SOFT_CAP = 1 << 20;

class LocalSink implements Sink {
  private readonly runDir: string;
  private closed = false;
  /** This sink created run.json (or took it over on resume): it records the run's end there. */
  private ownsRunJson = false;
  /** created_at of a resumed run: the earlier launch's. */
  private createdAt: string | undefined;
  private readonly outcomes: Outcomes;
  private readonly publisher: Publisher;

  private readonly csv: AppendFile;
  /** metrics.jsonl, unless jsonl: false. */
  private readonly jsonl: AppendFile | undefined;
  /** The larger of the two metric line buffers (for the soft cap). */
  private readonly metricPending: AppendFile;
  private readonly paramsLog: AppendFile;
  private readonly histograms: AppendFile;
  private readonly datasets: AppendFile;
  private csvReady = false;
  /** aggregates.csv, created with the first aggregate. */
  private aggregates: AppendFile | undefined;
  private aggregateLines: AggregateLines | undefined;

  private readonly metricLines: MetricLines;
  private readonly recordLines = new RecordLines();
  private readonly items: ItemFiles;
  private readonly params: ParamsFold;

  constructor(
    options: LocalSinkOptions,
    private readonly env: SinkEnv,
  ) {
    if (typeof options?.savedir !== 'string' || !path.isAbsolute(options.savedir)) {
      throw new TypeError(`ranklog local: options.savedir must be an absolute path, got ${JSON.stringify(options?.savedir)}`);
    }
    const savedir = path.resolve(options.savedir);
    this.runDir = path.resolve(savedir, env.runName);
    if (env.runName === '' || !this.runDir.startsWith(savedir + path.sep)) {
      throw new Error(`ranklog local: run name ${JSON.stringify(env.runName)} must name a directory inside ${savedir}`);
    }
    this.outcomes = new Outcomes(env);
    this.publisher = new Publisher(env, this.outcomes);
    this.publisher.ensureDir(this.runDir);
    if (env.resume) this.cutTornTails(options.jsonl !== false);
    this.csv = new AppendFile(path.join(this.runDir, 'metrics.csv'), 'a');
    this.jsonl = options.jsonl === false ? undefined : new AppendFile(path.join(this.runDir, 'metrics.jsonl'), 'a');
    this.metricPending = this.jsonl ?? this.csv;
    this.paramsLog = new AppendFile(path.join(this.runDir, 'params.jsonl'), 'a+');
    this.histograms = new AppendFile(path.join(this.runDir, 'histograms.jsonl'), 'a');
    this.datasets = new AppendFile(path.join(this.runDir, 'datasets.jsonl'), 'a');
    this.metricLines = new MetricLines(this.csv.pending, this.jsonl?.pending);
    this.items = new ItemFiles(this.runDir, env, this.outcomes, this.publisher, options.followExternalSymlinks === true);
    this.params = new ParamsFold(this.runDir, this.paramsLog, this.publisher, this.outcomes, env);
    this.writeRunJson();
  }

  /** A resumed run appends to what a killed launch left: cut any torn last line first (torn-tail.ts). */
  private cutTornTails(jsonl: boolean): void {
    for (const name of ['metrics.csv', ...(jsonl ? ['metrics.jsonl'] : []), 'params.jsonl', 'histograms.jsonl', 'datasets.jsonl']) {
      const cut = cutTornTail(path.join(this.runDir, name));
      if (cut > 0) this.env.warn(`ranklog: resuming run ${this.env.runName}: cut a torn last line (${cut} bytes, left by the earlier launch) off ${name}`);
    }
  }

  /** run.json's content: while running (no `ended`), or at the run's end. */
  private runJson(ended?: { status: JobEnd['status']; job?: JobEnd }): Record<string, unknown> {
    const job = this.env.job;
    const end = ended?.job;
    return {
      ranklog_layout: LAYOUT_VERSION,
      run_name: this.env.runName,
      // Every rank of a job proposes the same content: the agreed start, not its own clock.
      created_at: this.createdAt ?? new Date(job?.startTimeMs ?? Date.now()).toISOString(),
      coordinator_rank: job ? 0 : this.env.coordinatorRank,
      world_size: job?.worldSize ?? this.env.worldSize ?? null,
      status: ended?.status ?? 'running',
      ...(ended && { ended_at: new Date().toISOString() }),
      ...(this.env.run && {
        tags: this.env.run.tags,
        ...(this.env.run.notes !== undefined && { notes: this.env.run.notes }),
        ...(this.env.run.group !== undefined && { group: this.env.run.group }),
        ...(this.env.run.jobType !== undefined && { job_type: this.env.run.jobType }),
      }),
      ...(job && {
        job: {
          id: job.id,
          launcher: job.launcher,
          ranks: job.ranks,
          status: end?.status ?? 'running',
          ...(end && { ended_at: new Date().toISOString(), rank_ends: end.ranks, summary: end.summary }),
        },
      }),
    };
  }

  private writeRunJson(): void {
    const file = path.join(this.runDir, 'run.json');
    this.ownsRunJson = this.publisher.publishOnce(file, JSON.stringify(this.runJson(), null, 2) + '\n');
    if (!this.ownsRunJson && this.env.resume && !this.env.job) {
      // A resumed run is running again: its launch takes run.json over, keeping the run's creation time.
      try {
        const earlier = JSON.parse(readFileSync(file, 'utf8')) as { created_at?: unknown };
        if (typeof earlier.created_at === 'string') this.createdAt = earlier.created_at;
      } catch {
        // unreadable: this launch's own time
      }
      this.ownsRunJson = this.replaceRunJson(this.runJson(), 'the resumed run');
    }
  }

  /** run.json replaced: written beside it, then renamed over it, so a reader sees one or the other. */
  private replaceRunJson(content: Record<string, unknown>, what: string): boolean {
    const file = path.join(this.runDir, 'run.json');
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      const text = JSON.stringify(content, null, 2) + '\n';
      let before = 0;
      try {
        before = statSync(file).size;
      } catch {
        // not there (removed by someone): counted whole
      }
      writeFileSync(tmp, text);
      renameSync(tmp, file);
      this.outcomes.counters.bytes += Buffer.byteLength(text) - before;
      return true;
    } catch (e) {
      rmSync(tmp, { force: true });
      this.env.warn(`cannot record ${what} in ${file}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  write(r: LogRecord): void {
    if (r.kind !== 'metric' || this.closed) return this.writeOther(r);
    this.metricLines.add(r);
    this.csv.records++;
    this.outcomes.counters.metrics++;
    if (this.metricPending.pending.pos > SOFT_CAP) this.flushMetrics();
  }

  writeAggregate(a: JobAggregate): void {
    if (this.closed) throw new Error('ranklog local: writeAggregate() after close()');
    if (!this.aggregates) {
      this.aggregates = new AppendFile(path.join(this.runDir, 'aggregates.csv'), 'a');
      this.aggregateLines = new AggregateLines();
      this.publisher.publishOnce(this.aggregates.file, AGGREGATES_HEADER);
    }
    this.aggregates.pending.text(this.aggregateLines!.lines(a));
    this.aggregates.records++;
  }

  private writeOther(r: LogRecord): void {
    if (this.closed) throw new Error('ranklog local: write() after close()');
    const stem = stemOf(r.rank, r.step, r.batchIdx);
    switch (r.kind) {
      case 'param':
        this.paramsLog.pending.text(this.recordLines.param(r));
        this.paramsLog.records++;
        this.outcomes.counters.params++;
        return;
      case 'histogram':
        this.histograms.pending.text(this.recordLines.histogram(r));
        this.histograms.records++;
        return;
      case 'dataset':
        this.datasets.pending.text(this.recordLines.dataset(r));
        this.datasets.records++;
        return;
      case 'text':
        return this.items.write('text', r.identifier, stem, '.txt', String(r.item));
      case 'dict': {
        let text: string;
        try {
          text = JSON.stringify(r.item, null, 2) + '\n';
        } catch (err) {
          return this.outcomes.skip(`ranklog local: dict '${r.identifier}' is not JSON-serialisable (${String(err)}); record skipped`);
        }
        return this.items.write('dicts', r.identifier, stem, '.json', text);
      }
      case 'image':
        return this.items.queueImage(r.identifier, stem, r.item as ImageItem);
      case 'figure':
        return this.items.queueFigure(r.identifier, stem, r.item as FigureItem);
      case 'artifact':
      case 'model':
        return this.items.copy(r.identifier, r.item as PathItem);
      default:
        this.env.debug(`ranklog local: kind ${String(r.kind)} is not written by this backend`);
    }
  }

  /**
   * Metric lines go to metrics.jsonl, then metrics.csv; a record is written when both have it. If
   * the CSV append fails after the JSONL one succeeded, the JSONL lines are taken back too (unless
   * another process appended behind them), so the two files hold the same rows.
   */
  private flushMetrics(): void {
    const records = this.csv.records;
    if (records === 0) return;
    const failures = this.outcomes.failures;
    const jsonl = this.jsonl;
    if (!failures.shouldTry()) {
      failures.drop(this.csv.discard());
      jsonl?.discard();
      return;
    }
    const jsonBytes = jsonl?.pending.pos ?? 0;
    let jsonBefore = 0;
    try {
      if (!this.csvReady) {
        this.publisher.publishOnce(this.csv.file, CSV_HEADER);
        this.csvReady = true;
      }
      if (jsonl !== undefined) jsonBefore = jsonl.write();
    } catch (e) {
      this.csv.discard();
      jsonl?.discard();
      return failures.fail(e, e instanceof WriteFailure ? e.path : this.csv.file, records);
    }
    const csvBytes = this.csv.pending.pos;
    try {
      this.csv.write();
    } catch (e) {
      if (jsonl !== undefined) undoAppend(jsonl.fd, jsonBefore, jsonBytes);
      return failures.fail(e, this.csv.file, records);
    }
    this.outcomes.counters.bytes += jsonBytes + csvBytes;
    failures.succeed();
  }

  /** Append one file's pending lines; its records are lost if the disk refuses them. */
  private flushLines(f: AppendFile): boolean {
    if (f.pending.pos === 0) return true;
    const records = f.records;
    const failures = this.outcomes.failures;
    if (!failures.shouldTry()) {
      failures.drop(f.discard());
      return false;
    }
    const bytes = f.pending.pos;
    try {
      f.write();
    } catch (e) {
      failures.fail(e, f.file, records);
      return false;
    }
    this.outcomes.counters.bytes += bytes;
    failures.succeed();
    return true;
  }

  commit(): number | Promise<number> {
    if (this.items.hasQueued) return this.items.finish().then(() => this.commitSync());
    return this.commitSync();
  }

  /** Returns the records of this batch that the disk refused. */
  private commitSync(): number {
    this.flushMetrics();
    this.flushLines(this.histograms);
    this.flushLines(this.datasets);
    if (this.aggregates) this.flushLines(this.aggregates);
    if (this.paramsLog.pending.pos > 0 && this.flushLines(this.paramsLog)) {
      try {
        this.params.writeSnapshot();
      } catch (e) {
        // params.jsonl has them; the snapshot is rewritten with the next params that arrive
        this.outcomes.failures.fail(e, path.join(this.runDir, 'params.json'), 0);
      }
    }
    return this.outcomes.failures.take();
  }

  /** The end reason changes nothing here (every file is already valid after each commit), except the job's end on its host. */
  async close(reason?: RunEndReason, job?: JobEnd): Promise<number> {
    if (this.closed) return 0;
    const lost = await this.commit();
    // On an exit path the host decides nothing (it cannot wait for the others): its own end is the job's.
    if (this.env.job?.host) {
      const end = job ?? decideJobEnd({ [this.env.coordinatorRank]: reason ?? 'finished' });
      this.replaceRunJson(this.runJson({ status: end.status, job: end }), "the job's end"); // a member's knowledge is partial: run.json stays rank 0's
    } else if (!this.env.job && this.ownsRunJson) this.replaceRunJson(this.runJson({ status: reason ?? 'finished' }), "the run's end");
    this.closed = true;
    for (const f of [this.csv, this.jsonl, this.paramsLog, this.histograms, this.datasets, this.aggregates]) f?.close();
    this.outcomes.failures.report();
    return lost;
  }

  stats(): Record<string, number> {
    return { ...this.outcomes.counters };
  }
}

const createLocalSink: SinkFactory<LocalSinkOptions> = (options, env) => new LocalSink(options, env);
export default createLocalSink;
