/**
 * The writer-thread side of a backend: what a backend package implements.
 * Exported as `@ranklog/core/sink`. A sink runs inside its own writer
 * worker_thread and never sees the training thread.
 *
 * Data flow: log() → ring → writer thread (drain loop) → Sink.write(record) … Sink.commit()
 */
import type { Kind } from '../vocab/kinds.js';
import type { SystemSample } from './system-sample.js';
import type { SourceFigure } from './figure-source.js';
import type { JobEnd, JobInfo } from './job.js';
import type { JobAggregate } from './aggregate.js';

export type { Kind } from '../vocab/kinds.js';
export { appendWhole, describeErrno, undoAppend, writeWholeAt, WriteFailure } from './whole-records.js';
export { isDiskError, WriteFailures } from './write-failures.js';
/** Image sizes for backends that store them (e.g. TensorBoard): the same checks log() applied to the bytes. */
export { readPngHeader, readJpegHeader, type ImageHeader } from './image-header.js';
/** Artifact directories: one walk decides which symbolic links are followed (see copy-tree.ts). */
export { listTree, copyTree, skippedLinksMessage, type TreeEntry, type TreeListing, type SkippedLink, type TreeOptions } from './copy-tree.js';
/** System metrics (the systemMetrics option): the sample a sink receives, and its generic metric names. */
export type { SystemSample, DiskSample, GpuSample } from './system-sample.js';
export { decideJobEnd, type JobEnd, type JobInfo, type RankEnd } from './job.js';
export { AGGREGATE_STATS, aggregateKey, type AggregateStat, type AggregateValue, type JobAggregate } from './aggregate.js';
export { systemMetricEntries } from './system-metric-names.js';

/** Pixels in HWC order. uint8: 0..255; float32: 0..1. */
export interface RawImage {
  readonly format: 'raw';
  readonly width: number;
  readonly height: number;
  /** 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA). */
  readonly channels: 1 | 2 | 3 | 4;
  readonly dtype: 'uint8' | 'float32';
  /** uint8: the bytes; float32: the little-endian bytes of a Float32Array. */
  readonly data: Uint8Array;
}
/** PNG or JPEG bytes, passed on as they are (their header was checked by log()). */
export interface EncodedImage {
  readonly format: 'png' | 'jpeg';
  readonly data: Uint8Array;
}
/** An image record's item: raw pixels or encoded bytes. */
export type ImageItem = RawImage | EncodedImage;

/** A figure: PNG bytes, or an SVG / Vega-Lite source that the renderer (@ranklog/figures) draws. */
export type FigureItem = { readonly format: 'png'; readonly data: Uint8Array } | SourceFigure;

/** An artifact or a model: a file or directory on the producer's machine, already checked to exist. */
export interface PathItem {
  /** Absolute source path. */
  readonly path: string;
  readonly isDirectory: boolean;
}

/** A `dataset` record's item: what a training run read, by name and digest. */
export interface DatasetItem {
  readonly name: string;
  readonly digest: string;
  readonly source: string;
  readonly schema?: unknown;
}

/**
 * The item of each kind, as a sink receives it (normalised by the producer).
 * metric: number (NaN and ±Infinity kept); param: string | number | boolean | null;
 * text: string; dict: a JSON value; histogram: Float64Array.
 */
export interface ItemOfKind {
  metric: number;
  param: string | number | boolean | null;
  text: string;
  dict: unknown;
  artifact: PathItem;
  model: PathItem;
  image: ImageItem;
  figure: FigureItem;
  histogram: Float64Array;
  dataset: DatasetItem;
}

/**
 * One logged record. The drain loop reuses a single object for every record:
 * read what you need inside write(); do not keep a reference to it.
 */
export interface LogRecord {
  readonly kind: Kind;
  /** Rank of the producing thread/process. */
  readonly rank: number;
  readonly identifier: string;
  /**
   * The call's step, or its automatic one (README "Steps") for metric, histogram, text, dict, image
   * and figure records; undefined for params, artifacts, models and datasets logged without one.
   */
  readonly step: number | undefined;
  /** undefined when the call carried no batchIdx. */
  readonly batchIdx: number | undefined;
  /** Wall-clock time of the log() call, ms since the Unix epoch (≤ 1 ms resolution). */
  readonly timeMs: number;
  /** The scalar of a `metric` record (NaN for other kinds). */
  readonly value: number;
  /** The decoded item of a non-metric record (the number itself for metrics). */
  readonly item: unknown;
}

/** How a run ended: destroyLoggerContext(), a signal, or an uncaught exception. */
export type RunEndReason = 'finished' | 'killed' | 'failed';

/** The run's description (createLoggerContext()'s tags, notes, group, jobType); each backend maps it to its own concept. */
export interface RunMeta {
  /** Distinct, non-empty; [] when none. */
  readonly tags: readonly string[];
  /** A description of the run (MLflow's mlflow.note.content, W&B's notes). */
  readonly notes?: string;
  /** Runs that belong together (W&B's group). */
  readonly group?: string;
  /** What kind of run this is: 'train', 'eval', … (W&B's job type). */
  readonly jobType?: string;
}

/** createLoggerContext({ resume }): this launch continues a run an earlier one began (and may have left by a crash). */
export interface ResumeInfo {
  /** The step training resumes from (its checkpoint's); what the earlier launch logged at or after it is superseded. */
  readonly fromStep?: number;
}

/** What the writer thread gives a sink: the run, the coordinator's rank, encoders and diagnostics. */
export interface SinkEnv {
  /** Name of the run, shared by every backend and rank of the job. */
  readonly runName: string;
  /** Rank of the process that created the context (the coordinator). */
  readonly coordinatorRank: number;
  /** World size if known (from options or the launcher), else undefined. */
  readonly worldSize: number | undefined;
  /**
   * The job this process belongs to, when its ranks met at a rendezvous (docs/jobs.md): the same
   * in every rank. Undefined for one process, or a rank that logs on its own.
   */
  readonly job?: JobInfo;
  /** The run's tags, notes, group and job type, when createLoggerContext() was given any. */
  readonly run?: RunMeta;
  /** Present when this launch resumes the run of the same name (createLoggerContext({ resume })). */
  readonly resume?: ResumeInfo;
  /** Encode pixels to PNG: in a piscina pool, or inline below 4096 pixels where the pool round trip costs more than the encoding. */
  encodePng(image: RawImage): Promise<Uint8Array>;
  /**
   * A figure as PNG bytes, for backends that need pixels. PNG bytes come back as they are;
   * SVG (at its own size, 1:1, white background) and Vega-Lite (compiled, drawn headless by
   * vega) are rendered in the same piscina pool as encodePng, which loads vega/resvg only then.
   * onWarning gets what vega-lite/vega warned about for a figure that still rendered.
   * Rejects with a message naming the problem (unparsable SVG, invalid Vega-Lite spec, too large).
   * Absent where @ranklog/figures (the renderer) is not installed, and in hand-made
   * environments (tests, tools): a sink without it keeps figures as their source
   * (figureSource()) and warns once with noFigureRendererWarning().
   */
  renderFigure?(item: FigureItem, onWarning?: (message: string) => void): Promise<Uint8Array>;
  /** Report a problem the user must see (bad data the backend rejected, a retry, …). */
  warn(message: string): void;
  /** Developer diagnostics, printed only with RANKLOG_DEBUG=1. */
  debug(message: string): void;
}

/** A backend's writer-thread side: takes records in log order, makes them durable at commit(). */
export interface Sink {
  /**
   * Take one record. Records of one producing thread arrive in log order.
   * Return a promise only when real asynchronous work is needed.
   */
  write(record: LogRecord): void | Promise<void>;
  /**
   * Make everything written so far durable (handed to the OS / the server / a spool).
   * Called after each drained batch; the ring space of those records is released
   * only after it returns, so a crash after commit() loses nothing.
   * Returns how many of the records written since the last commit could NOT be made durable
   * (the disk refused them: see WriteFailures), or nothing when all were; they are counted in
   * stats().failed instead of written. Throwing means that none of them were. A sink that
   * delivers later (a tracking-server client) may also report records of earlier batches that
   * it has since lost.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a sink that loses nothing returns nothing (void), as most do
  commit(): void | number | Promise<void | number>;
  /**
   * Optional: called by flush() after commit, for backends whose commit only hands records
   * to their own queue (a tracking-server client): deliver them now, or spool them.
   */
  flush?(): Promise<void>;
  /**
   * Final commit and release of files/sockets. Called once, with how the run ended:
   * 'finished' (destroyLoggerContext), 'killed' (SIGINT/SIGTERM), 'failed' (an uncaught exception).
   * May return, as commit() does, how many records taken so far were lost since the last report.
   * `job` is given on the job's host (env.job.host) when its rendezvous decided how the whole job
   * ended (every rank's end, vanished ranks named): the job-level run ends with job.status. A
   * member whose host vanished gets what it knows (rank 0 vanished): record it, decide nothing.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: as commit()
  close(reason: RunEndReason, job?: JobEnd): void | number | Promise<void | number>;
  /**
   * Optional: take a system-metrics sample (the logger's systemMetrics option) in the backend's own
   * form, e.g. W&B's Stats record. Without it the writer hands the sample to write() as `metric`
   * records named `system/…` (systemMetricEntries), step = sample.index, rank = sample.rank.
   * Called between records, never during a write(); commit() follows as for records. What a
   * sample became counts in written / failed like logged records (one per metric record, or one
   * for writeSystemSample); stats().systemSamples counts the samples.
   */
  writeSystemSample?(sample: SystemSample): void | Promise<void>;
  /**
   * Optional: take one cross-rank aggregate (the logger's aggregate option; docs/jobs.md
   * "Aggregates") and write it as the job-level series. Called only where the job-level run is
   * written (rank 0 of a job, or the one process of worker_thread ranks), between records;
   * commit() follows as for records. Without it aggregates are counted in stats().aggregateUnsupported.
   */
  writeAggregate?(aggregate: JobAggregate): void | Promise<void>;
  /** Backend-specific counters merged into stats() (retries, spooled, bytes, …). */
  stats?(): Record<string, number>;
}

/** A backend module's default export: `export default function createSink(options, env) {…}`. */
export type SinkFactory<O = unknown> = (options: O, env: SinkEnv) => Sink | Promise<Sink>;
/** A minimal protobuf encoder and the growing buffer under it, for backends that write protobuf records. */
export { ProtoWriter, varintLength } from './proto-writer.js';
export { Growable } from './growable.js';
export { crc32 } from './crc32.js';
export { figureSource, noFigureRendererWarning, type FigureSource, type SourceFigure } from './figure-source.js';
