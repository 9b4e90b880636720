/**
 * The TensorBoard backend's writer-thread side: records → event files.
 *
 *   <savedir>/<runName>/events.out.tfevents.*            one logging rank
 *   <savedir>/<runName>/rank_<r>/events.out.tfevents.*   several: one TensorBoard run per rank, so curves overlay
 *   <savedir>/<runName>/job/events.out.tfevents.*      the job-level run, written by rank 0 of a job only:
 *                                                      cross-rank aggregates (the aggregate option; the mean under the
 *                                                      identifier's own tag, so it overlays the ranks' curves; other
 *                                                      statistics as <identifier>.<stat>) and the job's end (a text
 *                                                      summary `job/end`, the hparams session's end status)
 *
 * Each commit appends whole records to each file with one write(2), so events
 * reach the file within one writer poll (the logger sets it from flushSecs).
 */
import { join, resolve, sep } from 'node:path';
import {
  figureSource,
  noFigureRendererWarning,
  WriteFailures,
  type FigureItem,
  type ImageItem,
  type JobAggregate,
  type JobEnd,
  type LogRecord,
  type RawImage,
  type RunEndReason,
  type RunMeta,
  type Sink,
  type SinkEnv,
  type SinkFactory,
} from '@ranklog/core/sink';
import { EventFile } from './record/event-file.js';
import { ScalarTemplate, sessionStartEvent, summaryEvent } from './record/event.js';
import { textValue } from './summary/text.js';
import { imageValue, jpegSize, pngSize, type ImageSize } from './summary/image.js';
import { histogramValue } from './summary/histogram.js';
import { HparamsCollector } from './summary/hparams-collector.js';

/** The Text dashboard's tag of the run's notes, tags, group and job type. */
export const RUN_TEXT_TAG = 'run/description';

/** The run's description as Markdown for the Text dashboard; '' when there is nothing to say. */
function runDescription(run: RunMeta): string {
  const lines: string[] = [];
  if (run.notes !== undefined) lines.push(run.notes, '');
  if (run.tags.length > 0) lines.push(`**tags:** ${run.tags.join(', ')}`, '');
  if (run.group !== undefined) lines.push(`**group:** ${run.group}`, '');
  if (run.jobType !== undefined) lines.push(`**job type:** ${run.jobType}`, '');
  return lines.join('\n').trim();
}

export interface TensorBoardSinkOptions {
  /** Absolute directory holding one sub-directory per run. */
  savedir: string;
  /** Whether more than one rank may log to this backend: each rank then gets rank_<r>/. */
  multiRank: boolean;
}

class RankFiles {
  readonly file: EventFile;
  private readonly scalars = new Map<string, ScalarTemplate>();
  /** The tag logged last, and its template: a run of one tag skips the map. */
  private lastTag: string | undefined;
  private lastTemplate: ScalarTemplate | undefined;
  /** Next step for each tag logged without one. */
  readonly autoStep = new Map<string, number>();
  constructor(readonly dir: string) {
    this.file = new EventFile(dir);
  }

  scalar(tag: string): ScalarTemplate {
    if (tag === this.lastTag) return this.lastTemplate!;
    let t = this.scalars.get(tag);
    if (t === undefined) {
      t = new ScalarTemplate(tag);
      this.scalars.set(tag, t);
    }
    this.lastTag = tag;
    this.lastTemplate = t;
    return t;
  }
}

class TensorBoardSink implements Sink {
  private readonly runDir: string;
  private readonly ranks = new Map<number, RankFiles>();
  private readonly hparams: HparamsCollector;
  private counters = { scalars: 0, events: 0, skipped: 0, histogramNonFinite: 0, aggregates: 0 };
  private readonly nonFiniteWarned = new Set<string>();
  private noRendererWarned = false;
  private readonly multiRank: boolean;
  /** Records the disk refused: dropped, counted, said once. */
  private readonly failures: WriteFailures;

  constructor(
    options: TensorBoardSinkOptions,
    private readonly env: SinkEnv,
  ) {
    const savedir = resolve(options.savedir);
    this.runDir = resolve(savedir, env.runName);
    if (!this.runDir.startsWith(savedir + sep))
      throw new Error(`ranklog tensorboard: run name ${JSON.stringify(env.runName)} must name a directory inside ${savedir}`);
    // logOnWorkers -1 in a world of one rank is still a single run.
    this.multiRank = options.multiRank && env.worldSize !== 1;
    this.hparams = new HparamsCollector(env.runName, env.debug);
    // The run's description as hparams (so the HPARAMS table can filter and group by it) and as text (below).
    const run = env.run;
    if (run) {
      if (run.tags.length > 0) this.hparams.addParam('run/tags', run.tags.join(', '));
      if (run.group !== undefined) this.hparams.addParam('run/group', run.group);
      if (run.jobType !== undefined) this.hparams.addParam('run/job_type', run.jobType);
    }
    this.failures = new WriteFailures(env.warn, 'ranklog tensorboard');
  }

  /** The job-level run (<run>/job/), created with the first aggregate. */
  private job: RankFiles | undefined;

  private jobFiles(): RankFiles {
    if (!this.job) {
      this.job = new RankFiles(join(this.runDir, 'job'));
      this.ranks.set(-1, this.job); // flushed and closed with the ranks' files
      this.hparams.addRun(this.job.file); // one session of the job's group, ended with the job's status
    }
    return this.job;
  }

  writeAggregate(a: JobAggregate): void {
    const job = this.jobFiles();
    for (const v of a.values) {
      const t = job.scalar(v.key);
      if (a.step >= 0) t.write(job.file.out, a.timeMs / 1000, a.step, v.value);
      else job.file.out.append(summaryEvent(a.timeMs / 1000, a.step, ScalarTemplate.value(v.key, v.value)));
    }
    job.file.records++;
    this.counters.aggregates++;
  }

  /** The rank logged last: records of one rank come in runs (a ring at a time). */
  private lastRank = -1;
  private lastFiles: RankFiles | undefined;

  private rank(r: number): RankFiles {
    if (r === this.lastRank) return this.lastFiles!;
    let f = this.ranks.get(r);
    if (f === undefined) {
      f = new RankFiles(this.multiRank ? join(this.runDir, `rank_${r}`) : this.runDir);
      this.ranks.set(r, f);
      this.hparams.addRun(f.file);
      // Resuming from a checkpoint's step: what the earlier launch logged from it on is superseded (event.ts).
      const from = this.env.resume?.fromStep;
      if (from !== undefined) f.file.appendRequired(sessionStartEvent(Date.now() / 1000, from));
      const text = this.env.run && runDescription(this.env.run);
      if (text) {
        f.file.out.append(summaryEvent(Date.now() / 1000, 0, textValue(RUN_TEXT_TAG, text)));
        f.file.records++;
      }
    }
    this.lastRank = r;
    this.lastFiles = f;
    return f;
  }

  private stepOf(f: RankFiles, r: LogRecord): number {
    if (r.step !== undefined) return r.step;
    const next = f.autoStep.get(r.identifier) ?? 0;
    f.autoStep.set(r.identifier, next + 1);
    return next;
  }

  write(r: LogRecord): void | Promise<void> {
    const f = this.rank(r.rank);
    if (r.kind === 'metric') {
      const t = f.scalar(r.identifier);
      const step = this.stepOf(f, r);
      if (step >= 0) t.write(f.file.out, r.timeMs / 1000, step, r.value);
      else f.file.out.append(summaryEvent(r.timeMs / 1000, step, ScalarTemplate.value(r.identifier, r.value)));
      f.file.records++;
      this.counters.scalars++;
      return;
    }
    switch (r.kind) {
      case 'text':
        return this.event(f, r, textValue(r.identifier, r.item as string));
      case 'dict':
        return this.event(f, r, textValue(r.identifier, '```json\n' + JSON.stringify(r.item, null, 2) + '\n```'));
      case 'histogram': {
        const values = r.item as Float64Array;
        let nonFinite = 0;
        for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) nonFinite++;
        if (nonFinite > 0) {
          // TensorBoard's histograms cannot hold NaN/±Infinity (TensorFlow rejects the whole summary): say so, count them.
          this.counters.histogramNonFinite += nonFinite;
          if (!this.nonFiniteWarned.has(r.identifier)) {
            this.nonFiniteWarned.add(r.identifier);
            this.env.warn(
              `histogram '${r.identifier}': ${nonFinite} NaN/±Infinity values left out (TensorBoard histograms cannot hold them); counted in stats().histogramNonFinite`,
            );
          }
        }
        return this.event(f, r, histogramValue(r.identifier, values));
      }
      case 'param':
        this.hparams.addParam(r.identifier, r.item as string | number | boolean | null);
        return;
      case 'image':
        return this.image(f, r, r.identifier, r.item as ImageItem);
      case 'figure':
        return this.figure(f, r, r.identifier, r.item as FigureItem);
      default:
        // artifact, model, dataset: TensorBoard has no place for them (docs/architecture.md §1: skipped by the backend).
        this.counters.skipped++;
        return;
    }
  }

  private event(f: RankFiles, r: LogRecord, value: Uint8Array): void {
    f.file.out.append(summaryEvent(r.timeMs / 1000, this.stepOf(f, r), value));
    f.file.records++;
    this.counters.events++;
  }

  private async image(f: RankFiles, r: LogRecord, tag: string, item: ImageItem): Promise<void> {
    let encoded: Uint8Array;
    let size: ImageSize;
    if (item.format === 'raw') {
      encoded = await this.env.encodePng(item as RawImage);
      size = { width: item.width, height: item.height, colorspace: item.channels };
    } else if (item.format === 'png') {
      encoded = item.data;
      size = pngSize(item.data);
    } else {
      encoded = item.data;
      size = jpegSize(item.data);
    }
    this.event(f, r, imageValue(tag, encoded, size));
  }

  private async figure(f: RankFiles, r: LogRecord, tag: string, item: FigureItem): Promise<void> {
    if (item.format === 'png') return this.image(f, r, tag, item);
    if (!this.env.renderFigure) {
      // No renderer (@ranklog/figures not installed): the source as text under the figure's tag, in a code block.
      if (!this.noRendererWarned) {
        this.noRendererWarned = true;
        this.env.warn(noFigureRendererWarning('ranklog tensorboard'));
      }
      const source = figureSource(item);
      return this.event(f, r, textValue(tag, '```' + (item.format === 'svg' ? 'svg' : 'json') + '\n' + source.text.trimEnd() + '\n```'));
    }
    const png = await this.env.renderFigure(item, (m) => this.env.warn(`figure '${tag}': ${m}`));
    this.event(f, r, imageValue(tag, png, pngSize(png)));
  }

  /** Returns the records of this batch that the disk refused (dropped; the files end with whole records). */
  commit(): number {
    // Writing at every commit keeps events within one writer poll of the log() call.
    this.hparams.flush();
    for (const f of this.ranks.values()) this.flushFile(f.file);
    return this.failures.take();
  }

  private flushFile(file: EventFile): void {
    const records = file.records;
    if (!this.failures.shouldTry()) {
      file.out.clear();
      file.records = 0;
      return this.failures.drop(records);
    }
    try {
      file.flush();
      this.failures.succeed();
    } catch (e) {
      this.failures.fail(e, file.path ?? file.dir, records);
    }
  }

  close(reason: RunEndReason, job?: JobEnd): void {
    // Only the job's host (rank 0) decides its end; a member that lost rank 0 knows only its own.
    const own = new Map<EventFile, RunEndReason>();
    if (job && this.env.job?.host) {
      const f = this.jobFiles();
      const nowSecs = Date.now() / 1000;
      f.file.out.append(summaryEvent(nowSecs, 0, textValue('job/end', jobEndMarkdown(job))));
      f.file.records++;
      own.set(f.file, job.status);
    }
    this.hparams.finish(reason, own);
    for (const f of this.ranks.values()) {
      this.flushFile(f.file);
      try {
        f.file.close();
      } catch (e) {
        this.failures.fail(e, f.file.path ?? f.file.dir, 0);
      }
    }
    this.failures.report();
  }

  stats(): Record<string, number> {
    let bytes = 0;
    for (const f of this.ranks.values()) bytes += f.file.written;
    return { ...this.counters, bytes, files: this.ranks.size, paramsAfterSessionStart: this.hparams.paramsAfterStart };
  }
}

/** The job's end as TensorBoard's TEXT tab shows it (markdown): the status, then a table of every rank's end. */
function jobEndMarkdown(job: JobEnd): string {
  const rows = Object.entries(job.ranks).map(([r, e]) => `| ${r} | ${e} |`);
  return [`**${job.status.toUpperCase()}**${job.summary ? `: ${job.summary}` : ''}`, '', '| rank | end |', '|---|---|', ...rows].join('\n');
}

const createTensorBoardSink: SinkFactory<TensorBoardSinkOptions> = (options, env) => new TensorBoardSink(options, env);
export default createTensorBoardSink;
