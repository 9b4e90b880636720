/**
 * One W&B run (one logging rank): ranklog records in, W&B records and files out, in the order
 * wandb's own SDK writes them (checked against a transaction log wandb wrote, test/…/wandb-reference):
 *
 *   Header, Run, Environment                          when the run starts (kept until stored)
 *   Metric (define_metric)                            before the first row of a key: its x-axis
 *   per history row: Files (its media, policy NOW), Summary {_wandb.runtime, _runtime},
 *                    Summary {the row's keys, _step, _timestamp}, History {keys, _timestamp, _runtime, _step}
 *   Config                                            params and datasets: consecutive ones in one record
 *   Files (+ Summary)                                 artifacts, models, dicts
 *   Stats                                             system metrics, per sample (the systemMetrics option)
 *   Summary {runtime}, Exit, Final                    at close
 *
 * Kind by kind (README "Weights & Biases" has the table): metric, image, figure, histogram and
 * text are history values; param and dataset go to the config; dict is a JSON file plus its last
 * value in the summary; artifact and model are copied under files/.
 */
import { arch, cpus, release, type as osType } from 'node:os';
import {
  figureSource,
  noFigureRendererWarning,
  readJpegHeader,
  readPngHeader,
  ProtoWriter,
  type DatasetItem,
  type FigureItem,
  type FigureSource,
  type ImageItem,
  type JobAggregate,
  type LogRecord,
  type PathItem,
  type RawImage,
  type RunEndReason,
  type SinkEnv,
  type SystemSample,
  type WriteFailures,
} from '@ranklog/core/sink';
import {
  environmentMessage,
  exitMessage,
  filesMessage,
  headerMessage,
  metricMessage,
  rowHistoryMessage,
  rowSummaryMessage,
  runMessage,
  statsMessage,
  updateMessage,
  EMPTY_MESSAGE,
  type Item,
  type RunFields,
} from '../records/messages.js';
import { ConfigKeys } from './config-keys.js';
import type { RunDelivery } from './delivery.js';
import { histogram } from './histogram.js';
import { axisOf, HistoryRow } from './history-row.js';
import { numberJson, secondsJson, valueJson } from './json-value.js';
import { publishMedia, type PublishedFile } from './media-files.js';
import { publishPath } from './publish-path.js';
import { statsItems } from './system-stats.js';

/** The header's producer: which writer made the log. */
export const PRODUCER = 'ranklog-wandb 0.1.0';
/** wandb's exit codes: 0 marks the run finished; anything else failed. */
export const EXIT_CODES: Readonly<Record<RunEndReason, number>> = { finished: 0, failed: 1, killed: 255 };
/** Dicts up to this size (compact JSON) also go into the summary, where the run's overview shows them. */
export const DICT_SUMMARY_MAX_BYTES = 64 * 1024;

export interface RunCounters {
  rows: number;
  mediaFiles: number;
  histogramNonFinite: number;
  skipped: number;
}

/** What the runs of one sink share. */
export interface RunContext {
  env: SinkEnv;
  failures: WriteFailures;
  counters: RunCounters;
  followExternalSymlinks: boolean;
  /** The training program (the main thread's script), for the Environment record. */
  program: string;
  /** Warnings said once per sink, by topic. */
  told: Set<string>;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export class WandbRun {
  private readonly w = new ProtoWriter(1 << 12);
  private readonly row = new HistoryRow();
  /** `_step` of the next row written. */
  private nextWandbStep = 0;
  /** Keys with a MetricRecord, and the step keys defined as metrics. */
  private readonly defined = new Set<string>();
  /** Next step of each identifier logged without one. */
  private readonly autoStep = new Map<string, number>();
  private readonly configItems: Item[] = [];
  private readonly configKeys: ConfigKeys;
  /** Rows logged in the same millisecond share these strings (number formatting is a large part of a row's cost). */
  private lastRowMs = NaN;
  private lastTimestampJson = '';
  private lastRuntimeJson = '';
  private lastTimingSecs = -1;
  private lastTiming = new Uint8Array(0);

  constructor(
    private readonly delivery: RunDelivery,
    private readonly fields: RunFields,
    private readonly ctx: RunContext,
  ) {
    this.configKeys = new ConfigKeys((m) => ctx.env.warn(m));
    const w = this.w;
    delivery.addRequired('header', headerMessage(w, PRODUCER));
    delivery.addRequired('run', runMessage(w, fields));
    delivery.addRequired(
      'environment',
      environmentMessage(w, {
        os: `${osType()}-${release()}-${arch()}`,
        program: ctx.program,
        executable: process.execPath,
        host: fields.host,
        cpuCountLogical: cpus().length,
        startedAtMs: fields.startTimeMs,
      }),
    );
  }

  get runId(): string {
    return this.fields.runId;
  }

  /** Take one record; a file the disk refuses costs that record only (counted by WriteFailures). */
  write(r: LogRecord): void | Promise<void> {
    if (r.kind === 'param') return this.config(this.configKeys.paramKey(r.identifier), valueJson(r.item));
    if (r.kind === 'dataset') {
      const d = r.item as DatasetItem;
      const json = JSON.stringify(d.schema === undefined ? { name: d.name, digest: d.digest, source: d.source } : d);
      return this.config(this.configKeys.pathKey(['datasets', r.identifier]), json);
    }
    // Consecutive params make one ConfigRecord, stored where they were logged (before what follows them).
    this.flushConfig();
    switch (r.kind) {
      case 'metric':
        return this.history(r, numberJson(r.value));
      case 'histogram':
        return this.histogram(r);
      case 'text':
        return this.text(r);
      case 'image':
        return this.image(r, r.item as ImageItem);
      case 'figure':
        return this.figure(r, r.item as FigureItem);
      case 'dict':
        return this.dict(r);
      case 'artifact':
      case 'model':
        return this.path(r, r.item as PathItem);
    }
  }

  private stepOf(r: LogRecord): number {
    if (r.step !== undefined) return r.step;
    const next = this.autoStep.get(r.identifier) ?? 0;
    this.autoStep.set(r.identifier, next + 1);
    return next;
  }

  /** Put the record's row in place (closing the open one if it does not belong there); returns the row's `_step`. */
  private rowFor(r: LogRecord, step: number): number {
    const axis = axisOf(r.batchIdx);
    const key = r.identifier;
    if (!this.row.accepts(axis, step, key)) {
      this.closeRow();
      this.row.start(axis, step, this.nextWandbStep, r.timeMs);
    }
    if (!this.defined.has(key)) {
      // define_metric(key, step_metric=axis): the chart's x-axis is the record's own step.
      if (!this.defined.has(axis)) {
        this.delivery.addRequired('metric', metricMessage(this.w, axis, undefined));
        this.defined.add(axis);
      }
      this.delivery.addRequired('metric', metricMessage(this.w, key, axis));
      this.defined.add(key);
    }
    return this.row.wandbStep;
  }

  private history(r: LogRecord, json: string, file?: string): void {
    this.rowFor(r, this.stepOf(r));
    this.row.set(r.identifier, json);
    if (file !== undefined) this.row.files.push(file);
  }

  /** Write a media file for the record's row, then its value; a refused file loses this record only. */
  private media(r: LogRecord, subdir: string, ext: string, bytes: Uint8Array, value: (f: PublishedFile) => Record<string, unknown>): void {
    const step = this.stepOf(r);
    const wandbStep = this.rowFor(r, step);
    let f: PublishedFile;
    try {
      if (!this.ctx.failures.shouldTry()) return this.ctx.failures.drop(1);
      this.delivery.prepare();
      f = publishMedia(this.delivery.filesDir, subdir, r.identifier, wandbStep, ext, bytes);
    } catch (e) {
      return this.ctx.failures.fail(e, `${this.delivery.filesDir}/${subdir}`, 1);
    }
    this.ctx.counters.mediaFiles++;
    this.row.set(r.identifier, JSON.stringify(value(f)));
    this.row.files.push(f.path);
  }

  private histogram(r: LogRecord): void {
    const all = r.item as Float64Array;
    let finite = all;
    let nonFinite = 0;
    for (let i = 0; i < all.length; i++) if (!Number.isFinite(all[i]!)) nonFinite++;
    if (nonFinite > 0) {
      // numpy.histogram (what wandb.Histogram calls) refuses NaN and ±Infinity: leave them out, say so, count them.
      finite = all.filter((v) => Number.isFinite(v));
      this.ctx.counters.histogramNonFinite += nonFinite;
      if (!this.ctx.told.has(`histogram:${r.identifier}`)) {
        this.ctx.told.add(`histogram:${r.identifier}`);
        this.ctx.env.warn(
          `histogram '${r.identifier}': ${nonFinite} NaN/±Infinity values left out (W&B histograms cannot hold them); counted in stats().histogramNonFinite`,
        );
      }
    }
    const h = histogram(finite);
    this.history(r, `{"_type":"histogram","values":[${h.values.join(',')}],"bins":[${h.bins.map(numberJson).join(',')}]}`);
  }

  /** Text as wandb.Html: an HTML file the workspace shows in a media panel, one per step. */
  private text(r: LogRecord): void {
    const html = `<!DOCTYPE html>\n<meta charset="utf-8">\n<pre style="white-space: pre-wrap">${escapeHtml(r.item as string)}</pre>\n`;
    this.media(r, 'media/html', '.html', Buffer.from(html, 'utf8'), (f) => ({ _type: 'html-file', sha256: f.sha256, size: f.size, path: f.path }));
  }

  private async image(r: LogRecord, item: ImageItem): Promise<void> {
    let bytes: Uint8Array;
    let format: 'png' | 'jpg';
    if (item.format === 'raw') {
      bytes = await this.ctx.env.encodePng(item as RawImage);
      format = 'png';
    } else {
      bytes = item.data;
      format = item.format === 'png' ? 'png' : 'jpg';
    }
    this.imageFile(r, bytes, format);
  }

  private imageFile(r: LogRecord, bytes: Uint8Array, format: 'png' | 'jpg'): void {
    const size = format === 'png' ? readPngHeader(bytes) : readJpegHeader(bytes);
    this.media(r, 'media/images', `.${format}`, bytes, (f) => ({
      _type: 'image-file',
      sha256: f.sha256,
      size: f.size,
      path: f.path,
      format,
      width: size.width,
      height: size.height,
    }));
  }

  private async figure(r: LogRecord, item: FigureItem): Promise<void> {
    if (item.format === 'png') return this.imageFile(r, item.data, 'png');
    if (!this.ctx.env.renderFigure) return this.figureSourceFile(r, figureSource(item));
    const png = await this.ctx.env.renderFigure(item, (m) => this.ctx.env.warn(`figure '${r.identifier}': ${m}`));
    this.imageFile(r, png, 'png');
  }

  /** A figure that cannot be rendered (@ranklog/figures not installed): its source as a file (Files tab), and one warning per sink. */
  private figureSourceFile(r: LogRecord, source: FigureSource): void {
    if (!this.ctx.told.has('no-figure-renderer')) {
      this.ctx.told.add('no-figure-renderer');
      this.ctx.env.warn(noFigureRendererWarning('ranklog wandb'));
    }
    let f: PublishedFile;
    try {
      if (!this.ctx.failures.shouldTry()) return this.ctx.failures.drop(1);
      this.delivery.prepare();
      f = publishMedia(this.delivery.filesDir, 'figures', r.identifier, this.stepOf(r), source.ext, Buffer.from(source.text, 'utf8'));
    } catch (e) {
      return this.ctx.failures.fail(e, `${this.delivery.filesDir}/figures`, 1);
    }
    this.delivery.add('files', filesMessage(this.w, [f.path]), 1);
  }

  /** A dict: every one kept as a JSON file (Files tab), the last one also in the summary under its identifier. */
  private dict(r: LogRecord): void {
    const compact = JSON.stringify(r.item);
    const label = this.stepOf(r);
    let f: PublishedFile;
    try {
      if (!this.ctx.failures.shouldTry()) return this.ctx.failures.drop(1);
      this.delivery.prepare();
      f = publishMedia(this.delivery.filesDir, 'dicts', r.identifier, label, '.json', Buffer.from(JSON.stringify(r.item, null, 2) + '\n', 'utf8'));
    } catch (e) {
      return this.ctx.failures.fail(e, `${this.delivery.filesDir}/dicts`, 1);
    }
    this.delivery.add('files', filesMessage(this.w, [f.path]), 1);
    if (Buffer.byteLength(compact) <= DICT_SUMMARY_MAX_BYTES) this.delivery.add('summary', updateMessage(this.w, [{ key: r.identifier, json: compact }]));
  }

  private path(r: LogRecord, item: PathItem): void {
    let files: string[];
    try {
      if (!this.ctx.failures.shouldTry()) return this.ctx.failures.drop(1);
      this.delivery.prepare();
      files = publishPath(this.delivery.filesDir, r.identifier, item, this.ctx.followExternalSymlinks, (m) => this.ctx.env.warn(m));
    } catch (e) {
      return this.ctx.failures.fail(e, `${this.delivery.filesDir}/artifacts/${r.identifier}`, 1);
    }
    this.delivery.add('files', filesMessage(this.w, files), 1);
  }

  private config(key: Item['key'], json: string): void {
    this.configItems.push({ key, json });
  }

  /** Emit the open row: its media files, the summary updates wandb derives from it, then the row. */
  private closeRow(): void {
    const row = this.row;
    if (!row.open) return;
    if (row.records > 0) {
      const w = this.w;
      const d = this.delivery;
      const runtime = Math.max(0, (row.timeMs - this.fields.startTimeMs) / 1000);
      if (row.timeMs !== this.lastRowMs) {
        this.lastRowMs = row.timeMs;
        this.lastTimestampJson = secondsJson(row.timeMs);
        this.lastRuntimeJson = secondsJson(Math.max(0, row.timeMs - this.fields.startTimeMs));
      }
      if (row.files.length > 0) d.add('files', filesMessage(w, row.files));
      d.add('summary', this.timing(runtime));
      const step = numberJson(row.wandbStep);
      d.add('summary', rowSummaryMessage(w, row.items, step, this.lastTimestampJson));
      d.add('history', rowHistoryMessage(w, row.items, row.wandbStep, step, this.lastTimestampJson, this.lastRuntimeJson), row.records);
      this.nextWandbStep++;
      this.ctx.counters.rows++;
    }
    row.reset();
  }

  /** Summary {_wandb.runtime, _runtime}: whole seconds since the run started, as wandb's handler writes before each row. */
  private timing(runtimeSecs: number): Uint8Array {
    const secs = Math.floor(runtimeSecs);
    if (secs !== this.lastTimingSecs) {
      const s = String(secs);
      this.lastTimingSecs = secs;
      this.lastTiming = updateMessage(this.w, [
        { key: ['_wandb', 'runtime'], json: s },
        { key: '_runtime', json: s },
      ]).slice();
    }
    return this.lastTiming;
  }

  private flushConfig(): void {
    if (this.configItems.length === 0) return;
    this.delivery.add('config', updateMessage(this.w, this.configItems), this.configItems.length);
    this.configItems.length = 0;
  }

  /** A system sample: one StatsRecord, committed with the batch; an open history row stays open (it is not history). */
  /**
   * One cross-rank aggregate (the job run): a history row at the aggregate's step, one item per
   * statistic, charted against `step` (an aggregate does not know whether the ranks logged per batch
   * or per epoch).
   */
  aggregate(a: JobAggregate): void {
    this.flushConfig();
    for (const v of a.values)
      this.history(
        { kind: 'metric', rank: -1, identifier: v.key, step: a.step, batchIdx: a.step, timeMs: a.timeMs, value: v.value, item: v.value },
        numberJson(v.value),
      );
  }

  /** Summary items (key → JSON text), e.g. the job's end in the job run. */
  summarize(items: { key: string; json: string }[]): void {
    this.closeRow();
    this.delivery.add('summary', updateMessage(this.w, items));
  }

  stats(sample: SystemSample): void {
    this.delivery.add('stats', statsMessage(this.w, sample.timeMs, statsItems(sample)), 1);
  }

  commit(): void {
    this.closeRow();
    this.flushConfig();
    this.delivery.commit();
  }

  /** The run's end: what is open, the final runtime, Exit (0 finished, 1 failed, 255 killed), then Final. */
  close(reason: RunEndReason): void {
    this.closeRow();
    this.flushConfig();
    const runtime = Math.max(0, (Date.now() - this.fields.startTimeMs) / 1000);
    this.delivery.add('summary', this.timing(runtime));
    this.delivery.add('exit', exitMessage(this.w, EXIT_CODES[reason], Math.floor(runtime)));
    // The current sync ignores Final; the legacy one sends the Exit only when it sees Final.
    this.delivery.add('final', EMPTY_MESSAGE);
    this.delivery.commit();
    this.delivery.close();
  }
}
