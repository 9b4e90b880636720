/**
 * Local-files backend, writer side: one directory per run that pandas, a
 * spreadsheet, `jq` or a file browser read without ranklog.
 *
 * <savedir>/<runName>/
 *   run.json             {ranklog_layout: 1, run_name, created_at, coordinator_rank, world_size}; written once
 *   metrics.csv          timestamp,rank,identifier,step,batch_idx,value  (NaN, inf, -inf for non-finite values)
 *   metrics.jsonl        {timestamp, time_ms, rank, identifier, step, batch_idx, value} ("NaN", "Infinity", "-Infinity")
 *   params.jsonl         {timestamp, time_ms, rank, identifier, value}, every param record in log order
 *   params.json          {identifier: value}; a different value from another rank as "<identifier>@rank<r>"
 *   histograms.jsonl     {timestamp, time_ms, rank, identifier, step, batch_idx, count, min, max, mean, values}
 *   datasets.jsonl       {timestamp, time_ms, rank, identifier, step, name, digest, source, schema?}
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
 *   in one write(2) per file (per 1 MiB of lines for very large batches); Linux serialises
 *   O_APPEND writes to a regular file, so lines of different processes never interleave or
 *   tear (not so on NFS).
 * - Files that must exist once (run.json, the CSV header) and per-item files are written to a
 *   unique temporary file and published with link(2), which fails with EEXIST instead of
 *   overwriting: a published file is always complete and never silently replaced.
 * - params.json is a deterministic fold of params.jsonl; each process that appended params
 *   re-folds the log and renames a fresh snapshot until the log stops growing, so the last
 *   snapshot written covers every line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DatasetItem, FigureItem, ImageItem, LogRecord, PathItem, RunEndReason, Sink, SinkEnv, SinkFactory } from '../../sink/index.js';
import { appendWhole, undoAppend, WriteFailure } from '../../sink/whole-records.js';
import { isDiskError, WriteFailures } from '../../sink/write-failures.js';
import { copyTree, skippedLinksMessage } from '../../sink/copy-tree.js';
import { IsoTime } from './iso-time.js';
import { LineBuffer } from './line-buffer.js';

export interface LocalSinkOptions {
  /** Absolute directory that holds one sub-directory per run. */
  savedir: string;
  /** Copy what symbolic links out of a logged directory point to (default: skip them, with a warning). */
  followExternalSymlinks?: boolean;
}

export const LAYOUT_VERSION = 1;
const CSV_HEADER = 'timestamp,rank,identifier,step,batch_idx,value\n';
/**
 * Past this many bytes of pending JSONL (~6800 metric records) the metric lines are written early,
 * still as whole lines, so the line buffers stay bounded however large the batch.
 */
const SOFT_CAP = 1 << 20;
/**
 * Room to reserve after a metric line's head: three numbers (String() of any number is at most
 * 25 characters) and at most 24 bytes of keys and punctuation.
 */
const LINE_ROOM = 128;
const COMMA = 0x2c;
const LF = 0x0a;
const asciiBytes = (s: string) => Buffer.from(s, 'latin1');
const NO_BYTES = new Uint8Array(0);
const MINUS_ZERO = asciiBytes('-0');
const NULL = asciiBytes('null');
const BATCH_KEY = asciiBytes(',"batch_idx":');
const VALUE_KEY = asciiBytes(',"value":');
const OBJECT_END = asciiBytes('}\n');
const TIMESTAMP_KEY = asciiBytes('{"timestamp":"');
const TIME_MS_KEY = asciiBytes('","time_ms":');
const RANK_KEY = asciiBytes(',"rank":');
/** Room for a line head without its identifier: keys, a 24-character ISO time, a time in ms and a rank. */
const HEAD_ROOM = 96;
/** Non-finite values: [CSV, JSON] spellings. */
const NAN = [asciiBytes('NaN'), asciiBytes('"NaN"')] as const;
const INF = [asciiBytes('inf'), asciiBytes('"Infinity"')] as const;
const NEG_INF = [asciiBytes('-inf'), asciiBytes('"-Infinity"')] as const;
/** Identifiers are interned by the producer, so this only guards against a caller that invents names forever. */
const ID_CACHE_MAX = 1 << 16;
/** Every extension a figure's files can have: a figure takes a name only where all are free. */
const FIGURE_EXTS = ['.png', '.svg', '.vl.json'];
/** Distinct (identifier, vega warning) pairs remembered, so a figure logged every epoch warns once. */
const FIGURE_WARNED_MAX = 1024;

/**
 * metrics/params: records taken; files: item files and artifact/model copies published;
 * bytes: everything written (appends, item files, copies, params.json rewrites);
 * errors: records skipped with a warning.
 */
type Counters = { metrics: number; params: number; files: number; bytes: number; errors: number };

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** RFC 4180: quote a field that holds a comma, a quote or a line break; double inner quotes. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** A JSON number, or the string MLflow/pandas-friendly spelling for NaN and ±Infinity. */
function jsonNumber(v: number): string {
  if (v - v === 0) return v === 0 && 1 / v < 0 ? '-0' : '' + v;
  return v !== v ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

function jsonValue(v: unknown): string {
  return typeof v === 'number' ? jsonNumber(v) : JSON.stringify(v) ?? 'null';
}

function stemOf(rank: number, step: number | undefined, batchIdx: number | undefined): string {
  let s = 'rank' + rank;
  if (step !== undefined) s += '-step' + step;
  if (batchIdx !== undefined) s += '-batch' + batchIdx;
  return s;
}

/** A file that only grows, by whole lines, through one write per flush. */
class AppendFile {
  fd = -1;
  /** Lines not yet handed to the OS. */
  readonly pending = new LineBuffer();
  /** Records whose lines are in pending. */
  records = 0;

  constructor(
    readonly file: string,
    private readonly flags: 'a' | 'a+',
  ) {}

  open(): void {
    if (this.fd < 0) this.fd = fs.openSync(this.file, this.flags);
  }

  /**
   * Append the pending lines in one write and forget them. Returns the file's size before the
   * append (for undo()). On failure throws a WriteFailure; whatever the write left is cut off.
   */
  write(): number {
    try {
      this.open();
      return appendWhole(this.fd, this.pending.bytesSoFar(), this.file);
    } catch (e) {
      throw e instanceof WriteFailure ? e : new WriteFailure(this.file, (e as NodeJS.ErrnoException).code, true, e);
    } finally {
      this.discard();
    }
  }

  /** Forget the pending lines; returns how many records they held. */
  discard(): number {
    const n = this.records;
    this.pending.clear();
    this.records = 0;
    return n;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * What metric lines of one identifier start with, as UTF-8, for the time and rank it was
 * last logged at: copied whole into each line, while the time and rank stay the same.
 */
interface LineHeads {
  /** `,<csv-quoted identifier>,` as UTF-8 */
  csvId: Uint8Array;
  /** `,"identifier":<json>,"step":` as UTF-8 */
  jsonId: Uint8Array;
  timeMs: number;
  rank: number;
  /** Where the heads are rebuilt in place (no allocation when only the time changed). */
  csvHead: LineBuffer;
  jsonHead: LineBuffer;
  /** `<iso>,<rank>,<csv-quoted identifier>,`: csvHead's bytes */
  csv: Uint8Array;
  /** `{"timestamp":…,"time_ms":…,"rank":<rank>,"identifier":<json>,"step":`: jsonHead's bytes */
  json: Uint8Array;
}

/** An image or figure waiting for commit(), where it is published in log order. */
interface PendingFile {
  dir: string;
  stem: string;
  /** Of the pixels: .png or .jpg. */
  ext: string;
  identifier: string;
  bytes?: Uint8Array;
  encoded?: Promise<Uint8Array | Error>;
  /** A figure: published as one name for all its files. */
  figure?: {
    /** The source of an SVG / Vega-Lite figure, kept beside its PNG. */
    source?: { ext: '.svg' | '.vl.json'; text: string; what: string };
  };
}

class LocalSink implements Sink {
  private readonly runDir: string;
  private readonly tmpTag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private tmpSeq = 0;
  private closed = false;
  private readonly counters: Counters = { metrics: 0, params: 0, files: 0, bytes: 0, errors: 0 };
  /** Records the disk refused: dropped, counted, said once (a full disk never stalls the writer). */
  private readonly failures: WriteFailures;

  private readonly csv: AppendFile;
  private readonly jsonl: AppendFile;
  private readonly paramsLog: AppendFile;
  private readonly histograms: AppendFile;
  private readonly datasets: AppendFile;
  private csvReady = false;

  // Hot-path caches: consecutive records mostly share a millisecond and a few identifiers.
  private lastMs = NaN;
  private readonly iso = new IsoTime();
  private jsonHead = '';
  private readonly heads = new Map<string, LineHeads>();

  private pending: PendingFile[] = [];
  private readonly figureWarned = new Set<string>();
  private figureFallbackNoted = false;
  private readonly madeDirs = new Set<string>();
  /** Next suffix to try for a name already taken, so repeated names do not re-probe -1, -2, … */
  private readonly nextSuffix = new Map<string, number>();
  private linkUnsupported = false;

  // params.json state: a fold of params.jsonl up to paramsOffset.
  private paramsOffset = 0;
  private readonly paramValues = new Map<string, unknown>();
  private readonly paramOwner = new Map<string, number>();
  private readonly followExternalSymlinks: boolean;

  constructor(
    options: LocalSinkOptions,
    private readonly env: SinkEnv,
  ) {
    if (typeof options?.savedir !== 'string' || !path.isAbsolute(options.savedir)) {
      throw new TypeError(`ranklog local: options.savedir must be an absolute path, got ${JSON.stringify(options?.savedir)}`);
    }
    const savedir = path.resolve(options.savedir);
    this.followExternalSymlinks = options.followExternalSymlinks === true;
    this.runDir = path.resolve(savedir, env.runName);
    if (env.runName === '' || !this.runDir.startsWith(savedir + path.sep)) {
      throw new Error(`ranklog local: run name ${JSON.stringify(env.runName)} must name a directory inside ${savedir}`);
    }
    this.failures = new WriteFailures(env.warn, 'ranklog local');
    fs.mkdirSync(this.runDir, { recursive: true });
    this.madeDirs.add(this.runDir);
    this.csv = new AppendFile(path.join(this.runDir, 'metrics.csv'), 'a');
    this.jsonl = new AppendFile(path.join(this.runDir, 'metrics.jsonl'), 'a');
    this.paramsLog = new AppendFile(path.join(this.runDir, 'params.jsonl'), 'a+');
    this.histograms = new AppendFile(path.join(this.runDir, 'histograms.jsonl'), 'a');
    this.datasets = new AppendFile(path.join(this.runDir, 'datasets.jsonl'), 'a');
    this.writeRunJson();
  }

  // ---- hot path ---------------------------------------------------------

  write(r: LogRecord): void {
    if (r.kind !== 'metric' || this.closed) return this.writeOther(r);
    const t = r.timeMs;
    const rank = r.rank;
    const id = r.identifier;
    let h = this.heads.get(id);
    if (h === undefined) h = this.cacheId(id);
    if (h.timeMs !== t || h.rank !== rank) this.renewHeads(h, t, rank);
    const step = r.step;
    const b = r.batchIdx;
    const v = r.value;

    // The value text is formatted once, into the CSV line, and copied into the JSON line.
    const c = this.csv.pending;
    c.reserve(h.csv.length + LINE_ROOM);
    c.bytes(h.csv);
    if (step !== undefined) c.number(step);
    c.byte(COMMA);
    if (b !== undefined) c.number(b);
    c.byte(COMMA);
    const v0 = c.pos;
    const nonFinite = v - v === 0 ? undefined : v !== v ? NAN : v > 0 ? INF : NEG_INF;
    if (nonFinite !== undefined) c.bytes(nonFinite[0]);
    else if (v === 0 && 1 / v < 0) c.bytes(MINUS_ZERO);
    else c.number(v); // String(v): the shortest text that round-trips
    const v1 = c.pos;
    c.byte(LF);

    const j = this.jsonl.pending;
    j.reserve(h.json.length + LINE_ROOM);
    j.bytes(h.json);
    if (step === undefined) j.bytes(NULL);
    else j.number(step);
    j.bytes(BATCH_KEY);
    if (b === undefined) j.bytes(NULL);
    else j.number(b);
    j.bytes(VALUE_KEY);
    if (nonFinite !== undefined) j.bytes(nonFinite[1]);
    else j.copyFrom(c, v0, v1);
    j.bytes(OBJECT_END);

    this.csv.records++;
    this.counters.metrics++;
    if (j.pos > SOFT_CAP) this.flushMetrics();
  }

  private setTime(t: number): void {
    const iso = this.iso.text(t);
    this.lastMs = t;
    this.jsonHead = '{"timestamp":"' + iso + '","time_ms":' + t + ',"rank":';
  }

  private cacheId(id: string): LineHeads {
    if (this.heads.size >= ID_CACHE_MAX) this.heads.clear();
    // timeMs NaN: the heads are made by renewHeads before the first line.
    const csvId = Buffer.from(',' + csvField(id) + ',', 'utf8');
    const jsonId = Buffer.from(',"identifier":' + JSON.stringify(id) + ',"step":', 'utf8');
    const room = HEAD_ROOM + jsonId.length;
    const h = { csvId, jsonId, timeMs: NaN, rank: -1, csvHead: new LineBuffer(room), jsonHead: new LineBuffer(room), csv: NO_BYTES, json: NO_BYTES };
    this.heads.set(id, h);
    return h;
  }

  private renewHeads(h: LineHeads, t: number, rank: number): void {
    h.timeMs = t;
    h.rank = rank;
    const c = h.csvHead;
    c.clear();
    c.reserve(HEAD_ROOM + h.csvId.length);
    this.iso.write(c, t);
    c.byte(COMMA);
    c.number(rank);
    c.bytes(h.csvId);
    h.csv = c.reusableView();
    const j = h.jsonHead;
    j.clear();
    j.reserve(HEAD_ROOM + h.jsonId.length);
    j.bytes(TIMESTAMP_KEY);
    this.iso.write(j, t);
    j.bytes(TIME_MS_KEY);
    j.number(t);
    j.bytes(RANK_KEY);
    j.number(rank);
    j.bytes(h.jsonId);
    h.json = j.reusableView();
  }

  /**
   * Metric lines go to metrics.jsonl, then metrics.csv; a record is written when both have it. If
   * the CSV append fails after the JSONL one succeeded, the JSONL lines are taken back too (unless
   * another process appended behind them), so the two files hold the same rows.
   */
  private flushMetrics(): void {
    const records = this.csv.records;
    if (records === 0) return;
    if (!this.failures.shouldTry()) {
      this.failures.drop(this.csv.discard());
      this.jsonl.discard();
      return;
    }
    const jsonBytes = this.jsonl.pending.pos;
    let jsonBefore: number;
    try {
      if (!this.csvReady) {
        this.publishOnce(this.csv.file, CSV_HEADER);
        this.csvReady = true;
      }
      jsonBefore = this.jsonl.write();
    } catch (e) {
      this.csv.discard();
      this.jsonl.discard();
      return this.failures.fail(e, e instanceof WriteFailure ? e.path : this.csv.file, records);
    }
    const csvBytes = this.csv.pending.pos;
    try {
      this.csv.write();
    } catch (e) {
      undoAppend(this.jsonl.fd, jsonBefore, jsonBytes);
      return this.failures.fail(e, this.csv.file, records);
    }
    this.counters.bytes += jsonBytes + csvBytes;
    this.failures.succeed();
  }

  /** Append one file's pending lines; its records are lost if the disk refuses them. */
  private flushLines(f: AppendFile): boolean {
    if (f.pending.pos === 0) return true;
    const records = f.records;
    if (!this.failures.shouldTry()) {
      this.failures.drop(f.discard());
      return false;
    }
    const bytes = f.pending.pos;
    try {
      f.write();
    } catch (e) {
      this.failures.fail(e, f.file, records);
      return false;
    }
    this.counters.bytes += bytes;
    this.failures.succeed();
    return true;
  }

  // ---- other kinds --------------------------------------------------------

  private writeOther(r: LogRecord): void {
    if (this.closed) throw new Error('ranklog local: write() after close()');
    const t = r.timeMs;
    if (t !== this.lastMs) this.setTime(t);
    const head = this.jsonHead + r.rank + ',"identifier":' + JSON.stringify(r.identifier);
    const step = r.step === undefined ? 'null' : '' + r.step;
    const batch = r.batchIdx === undefined ? 'null' : '' + r.batchIdx;
    const stem = stemOf(r.rank, r.step, r.batchIdx);
    switch (r.kind) {
      case 'param':
        this.paramsLog.pending.text(head + ',"value":' + jsonValue(r.item) + '}\n');
        this.paramsLog.records++;
        this.counters.params++;
        return;
      case 'text':
        return this.writeItemFile('text', r.identifier, stem, '.txt', String(r.item));
      case 'dict': {
        let text: string;
        try {
          text = JSON.stringify(r.item, null, 2) + '\n';
        } catch (err) {
          return this.skip(`ranklog local: dict '${r.identifier}' is not JSON-serialisable (${String(err)}); record skipped`);
        }
        return this.writeItemFile('dicts', r.identifier, stem, '.json', text);
      }
      case 'histogram':
        this.histograms.pending.text(head + ',"step":' + step + ',"batch_idx":' + batch + histogramFields(r.item as Float64Array) + '}\n');
        this.histograms.records++;
        return;
      case 'dataset': {
        const d = r.item as DatasetItem;
        this.datasets.pending.text(
          head + ',"step":' + step + ',"name":' + JSON.stringify(d.name) + ',"digest":' + JSON.stringify(d.digest) + ',"source":' + JSON.stringify(d.source) +
            (d.schema === undefined ? '' : ',"schema":' + JSON.stringify(d.schema)) + '}\n',
        );
        this.datasets.records++;
        return;
      }
      case 'image':
        return this.queueImage(r.identifier, stem, r.item as ImageItem);
      case 'figure':
        return this.queueFigure(r.identifier, stem, r.item as FigureItem);
      case 'artifact':
      case 'model':
        return this.copyPath(r.identifier, r.item as PathItem);
      default:
        this.env.debug(`ranklog local: kind ${String(r.kind)} is not written by this backend`);
    }
  }

  private queueImage(identifier: string, stem: string, img: ImageItem): void {
    const dir = this.itemDir('images', identifier);
    if (dir === undefined) return;
    if (img.format === 'raw') {
      // Encoding starts now, in parallel with the rest of the batch; commit() awaits it
      // (the ring slot holding the pixels is released only after commit returns).
      const encoded = this.env.encodePng(img).then(
        (png) => png,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
      this.pending.push({ dir, stem, ext: '.png', identifier, encoded });
    } else {
      this.pending.push({ dir, stem, ext: img.format === 'png' ? '.png' : '.jpg', identifier, bytes: img.data });
    }
  }

  /** PNG figures as they are; SVG / Vega-Lite rendered to PNG in the pool (started now, awaited by commit), source kept. */
  private queueFigure(identifier: string, stem: string, f: FigureItem): void {
    const dir = this.itemDir('figures', identifier);
    if (dir === undefined) return;
    if (f.format === 'png') {
      this.pending.push({ dir, stem, ext: '.png', identifier, bytes: f.data, figure: {} });
      return;
    }
    const source =
      f.format === 'svg'
        ? { ext: '.svg' as const, text: f.svg, what: 'SVG' }
        : { ext: '.vl.json' as const, text: JSON.stringify(f.spec, null, 2) + '\n', what: 'Vega-Lite' };
    const render = this.env.renderFigure;
    if (render === undefined) {
      if (!this.figureFallbackNoted) {
        this.figureFallbackNoted = true;
        this.env.debug('ranklog local: this environment cannot render figures; SVG and Vega-Lite figures are kept in their source format only');
      }
      this.pending.push({ dir, stem, ext: '.png', identifier, figure: { source } });
      return;
    }
    let encoded: Promise<Uint8Array | Error>;
    try {
      encoded = render.call(this.env, f, (w) => this.warnFigure(identifier, w)).then(
        (png) => png,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
    } catch (err) {
      encoded = Promise.resolve(err instanceof Error ? err : new Error(String(err)));
    }
    this.pending.push({ dir, stem, ext: '.png', identifier, encoded, figure: { source } });
  }

  /** A warning from vega-lite/vega about a figure that still rendered: once per identifier and message. */
  private warnFigure(identifier: string, message: string): void {
    const key = identifier + '\0' + message;
    if (this.figureWarned.has(key)) return;
    if (this.figureWarned.size >= FIGURE_WARNED_MAX) this.figureWarned.clear();
    this.figureWarned.add(key);
    this.env.warn(`ranklog local: figure '${identifier}': ${message}`);
  }

  private async finishPending(): Promise<void> {
    const queue = this.pending;
    this.pending = [];
    // In log order, so duplicate names get suffixes in the order they were logged.
    for (const p of queue) {
      let data: Uint8Array | Error | undefined = p.bytes;
      if (p.encoded !== undefined) data = await p.encoded;
      if (p.figure === undefined) {
        if (data instanceof Error) {
          this.skip(`ranklog local: image '${p.identifier}' (${p.stem}) could not be encoded to PNG: ${data.message}`);
        } else if (data !== undefined) {
          this.publishUnique(p.dir, p.stem, p.ext, data, p.identifier);
        }
        continue;
      }
      const source = p.figure.source;
      const files: [string, string | Uint8Array][] = [];
      if (data !== undefined && !(data instanceof Error)) files.push(['.png', data]);
      if (source !== undefined) files.push([source.ext, source.text]);
      const name = this.publishFigure(p.dir, p.stem, files, p.identifier);
      if (data instanceof Error) {
        this.counters.errors++;
        const kept = name === undefined || source === undefined ? '' : `; its ${source.what} source is kept as ${name}${source.ext}`;
        const why = data.message.replace(/^ranklog figure: /, '');
        this.env.warn(`ranklog local: figure '${p.identifier}' (${p.stem}) could not be rendered to PNG: ${why}${kept}`);
      }
    }
  }

  // ---- files --------------------------------------------------------------

  /** A record this sink cannot write for a reason of its own (bad data): said, and counted as not written. */
  private skip(message: string): void {
    this.counters.errors++;
    this.env.warn(message);
    this.failures.drop(1);
  }

  /** A record whose file could not be written: a refusing disk is said once per episode, anything else for this record. */
  private fileFailed(err: unknown, target: string, message: string): void {
    if (isDiskError(err)) this.failures.fail(err, target, 1);
    else this.skip(message);
  }

  /** Whether to attempt an item file now; while backing off from a refusing disk, the record is dropped (counted). */
  private mayWrite(): boolean {
    if (this.failures.shouldTry()) return true;
    this.failures.drop(1);
    return false;
  }

  private tmpPath(dir: string, name: string): string {
    return path.join(dir, `.${name}.${this.tmpTag}-${this.tmpSeq++}.tmp`);
  }

  private ensureDir(dir: string): void {
    if (this.madeDirs.has(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  /** `<runDir>/<top>/<identifier>`, or undefined (with a warning) if the identifier would leave it. */
  private itemDir(top: string, identifier: string): string | undefined {
    const base = path.join(this.runDir, top);
    const dir = path.resolve(base, identifier);
    if (!dir.startsWith(base + path.sep)) {
      this.skip(`ranklog local: identifier ${JSON.stringify(identifier)} would leave ${base}; record skipped`);
      return undefined;
    }
    return dir;
  }

  /**
   * Publish tmp as target without ever replacing an existing file. false: the name is taken.
   * link(2) is atomic and fails with EEXIST; where hard links are unsupported, copy with O_EXCL.
   */
  private claim(tmp: string, target: string): boolean {
    if (!this.linkUnsupported) {
      try {
        fs.linkSync(tmp, target);
        return true;
      } catch (err) {
        const code = errCode(err);
        if (code === 'EEXIST') return false;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw err;
        this.linkUnsupported = true;
        this.env.debug(`ranklog local: hard links unsupported in ${path.dirname(target)} (${code}); publishing with exclusive copies`);
      }
    }
    try {
      fs.copyFileSync(tmp, target, fs.constants.COPYFILE_EXCL);
      return true;
    } catch (err) {
      if (errCode(err) === 'EEXIST') return false;
      throw err;
    }
  }

  /** Create file with content unless it exists (then leave it alone): run.json, the CSV header. */
  private publishOnce(file: string, content: string): void {
    if (fs.existsSync(file)) return;
    const tmp = this.tmpPath(path.dirname(file), path.basename(file));
    fs.writeFileSync(tmp, content);
    try {
      if (this.claim(tmp, file)) this.counters.bytes += Buffer.byteLength(content);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  private writeRunJson(): void {
    const run = {
      ranklog_layout: LAYOUT_VERSION,
      run_name: this.env.runName,
      created_at: new Date().toISOString(),
      coordinator_rank: this.env.coordinatorRank,
      world_size: this.env.worldSize ?? null,
    };
    this.publishOnce(path.join(this.runDir, 'run.json'), JSON.stringify(run, null, 2) + '\n');
  }

  private nameWithSuffix(stem: string, ext: string, k: number): string {
    return k === 0 ? stem + ext : `${stem}-${k}${ext}`;
  }

  /** Write data as dir/stem[-k]ext with the first free k. */
  private publishUnique(dir: string, stem: string, ext: string, data: string | Uint8Array, identifier: string): void {
    if (!this.mayWrite()) return;
    let tmp: string | undefined;
    try {
      this.ensureDir(dir);
      tmp = this.tmpPath(dir, stem);
      fs.writeFileSync(tmp, data);
      const key = path.join(dir, stem + ext);
      for (let k = this.nextSuffix.get(key) ?? 0; ; k++) {
        if (this.claim(tmp, path.join(dir, this.nameWithSuffix(stem, ext, k)))) {
          if (k > 0) this.nextSuffix.set(key, k + 1); // remember only names that collided
          break;
        }
      }
      this.counters.files++;
      this.counters.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    } catch (err) {
      this.fileFailed(err, dir, `ranklog local: cannot write '${identifier}' to ${dir} (${errCode(err) ?? String(err)}); record skipped`);
    } finally {
      if (tmp !== undefined) fs.rmSync(tmp, { force: true });
    }
  }

  /**
   * Publish a figure's files (its PNG and/or source) as dir/<stem>[-k].<ext> with the first k
   * at which no figure extension is taken, so the files of one figure share a name and never
   * pair up with another figure's. Returns that name, or undefined (with a warning) on failure.
   */
  private publishFigure(dir: string, stem: string, files: [ext: string, data: string | Uint8Array][], identifier: string): string | undefined {
    if (files.length === 0 || !this.mayWrite()) return undefined;
    const tmps: string[] = [];
    try {
      this.ensureDir(dir);
      for (const [, data] of files) {
        const tmp = this.tmpPath(dir, stem);
        tmps.push(tmp);
        fs.writeFileSync(tmp, data);
      }
      const key = path.join(dir, stem) + '\0figure';
      for (let k = this.nextSuffix.get(key) ?? 0; ; k++) {
        const name = this.nameWithSuffix(stem, '', k);
        if (FIGURE_EXTS.some((e) => fs.existsSync(path.join(dir, name + e)))) continue;
        if (!this.claim(tmps[0]!, path.join(dir, name + files[0]![0]))) continue;
        if (k > 0) this.nextSuffix.set(key, k + 1);
        for (let i = 0; i < files.length; i++) {
          const [ext, data] = files[i]!;
          // Taken between the check and now only by another process writing the same rank and stem.
          if (i > 0 && !this.claim(tmps[i]!, path.join(dir, name + ext))) {
            this.publishUnique(dir, name, ext, data, identifier);
            continue;
          }
          this.counters.files++;
          this.counters.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
        }
        return name;
      }
    } catch (err) {
      this.fileFailed(err, dir, `ranklog local: cannot write '${identifier}' to ${dir} (${errCode(err) ?? String(err)}); record skipped`);
      return undefined;
    } finally {
      for (const tmp of tmps) fs.rmSync(tmp, { force: true });
    }
  }

  private writeItemFile(top: string, identifier: string, stem: string, ext: string, data: string | Uint8Array): void {
    const dir = this.itemDir(top, identifier);
    if (dir !== undefined) this.publishUnique(dir, stem, ext, data, identifier);
  }

  /** Copy an artifact/model (file or directory) to artifacts/<identifier>/<basename>, complete or not at all. */
  private copyPath(identifier: string, item: PathItem): void {
    const dir = this.itemDir('artifacts', identifier);
    if (dir === undefined || !this.mayWrite()) return;
    const base = path.basename(item.path);
    const ext = item.isDirectory ? '' : path.extname(base);
    const stem = ext === '' ? base : base.slice(0, -ext.length);
    let tmp: string | undefined;
    try {
      this.ensureDir(dir);
      tmp = this.tmpPath(dir, base);
      if (item.isDirectory) {
        // Links inside the directory are followed only while they stay inside it (sink/copy-tree.ts).
        const { skipped } = copyTree(item.path, tmp, { followExternalSymlinks: this.followExternalSymlinks });
        const why = skippedLinksMessage(item.path, skipped);
        if (why !== undefined) this.env.warn(`ranklog local: artifact '${identifier}': ${why}`);
      } else {
        // A logged file that is a link (e.g. in a Hugging Face cache) is copied as what it points to: the user named it.
        fs.copyFileSync(item.path, tmp, fs.constants.COPYFILE_EXCL);
      }
      const bytes = sizeOf(tmp);
      const key = path.join(dir, base);
      for (let k = this.nextSuffix.get(key) ?? 0; ; k++) {
        const target = path.join(dir, this.nameWithSuffix(stem, ext, k));
        if (item.isDirectory ? claimDir(tmp, target) : this.claim(tmp, target)) {
          if (k > 0) this.nextSuffix.set(key, k + 1);
          break;
        }
      }
      this.counters.files++;
      this.counters.bytes += bytes;
    } catch (err) {
      this.fileFailed(err, dir, `ranklog local: cannot copy '${identifier}' from ${item.path} (${errCode(err) ?? String(err)}); record skipped`);
    } finally {
      if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  // ---- params.json ----------------------------------------------------------

  /** Fold params.jsonl lines from paramsOffset to the last complete line into the snapshot. */
  private foldParams(): void {
    const fd = this.paramsLog.fd;
    const size = fs.fstatSync(fd).size;
    if (size <= this.paramsOffset) return;
    const buf = Buffer.allocUnsafe(size - this.paramsOffset);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, this.paramsOffset + got);
      if (n === 0) break;
      got += n;
    }
    const end = buf.lastIndexOf(0x0a, got - 1) + 1; // a line still being appended by another process waits for the next fold
    if (end === 0) return;
    for (const line of buf.toString('utf8', 0, end).split('\n')) {
      if (line === '') continue;
      let p: { rank?: unknown; identifier?: unknown; value?: unknown };
      try {
        p = JSON.parse(line);
      } catch {
        this.env.debug(`ranklog local: unreadable line in params.jsonl skipped: ${line.slice(0, 80)}`);
        continue;
      }
      if (typeof p.identifier !== 'string' || typeof p.rank !== 'number') continue;
      const id = p.identifier;
      const value = p.value ?? null;
      const owner = this.paramOwner.get(id);
      if (owner === undefined || owner === p.rank) {
        // First rank to log a name owns it; its later values replace its earlier ones.
        this.paramOwner.set(id, p.rank);
        this.paramValues.set(id, value);
      } else if (this.paramValues.get(id) !== value || this.paramValues.has(`${id}@rank${p.rank}`)) {
        this.paramValues.set(`${id}@rank${p.rank}`, value);
      }
    }
    this.paramsOffset += end;
  }

  private writeParamsSnapshot(): void {
    const file = path.join(this.runDir, 'params.json');
    // Another process may append between our read and our rename: fold again until the
    // log stops growing, so whichever process renames last has seen every line.
    for (let round = 0; round < 16; round++) {
      this.foldParams();
      const text = JSON.stringify(Object.fromEntries(this.paramValues), null, 2) + '\n';
      const tmp = this.tmpPath(this.runDir, 'params.json');
      fs.writeFileSync(tmp, text);
      try {
        fs.renameSync(tmp, file);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw err;
      }
      this.counters.bytes += Buffer.byteLength(text);
      if (fs.fstatSync(this.paramsLog.fd).size <= this.paramsOffset) return;
    }
  }

  // ---- commit / close -----------------------------------------------------------

  commit(): number | Promise<number> {
    if (this.pending.length > 0) return this.finishPending().then(() => this.commitSync());
    return this.commitSync();
  }

  /** Returns the records of this batch that the disk refused. */
  private commitSync(): number {
    this.flushMetrics();
    this.flushLines(this.histograms);
    this.flushLines(this.datasets);
    if (this.paramsLog.pending.pos > 0 && this.flushLines(this.paramsLog)) {
      try {
        this.writeParamsSnapshot();
      } catch (e) {
        // params.jsonl has them; the snapshot is rewritten with the next params that arrive
        this.failures.fail(e, path.join(this.runDir, 'params.json'), 0);
      }
    }
    return this.failures.take();
  }

  /** The end reason changes nothing here: every file is already valid after each commit. */
  async close(_reason?: RunEndReason): Promise<number> {
    if (this.closed) return 0;
    const lost = await this.commit();
    this.closed = true;
    for (const f of [this.csv, this.jsonl, this.paramsLog, this.histograms, this.datasets]) f.close();
    this.failures.report();
    return lost;
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }
}

/** Publish a copied directory: rename(2) fails on a non-empty target instead of replacing it. */
function claimDir(tmp: string, target: string): boolean {
  try {
    fs.renameSync(tmp, target);
    return true;
  } catch (err) {
    const code = errCode(err);
    if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR') return false;
    throw err;
  }
}

function sizeOf(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of fs.readdirSync(p)) total += sizeOf(path.join(p, name));
  return total;
}

/** `,"count":…,"min":…,"max":…,"mean":…,"values":[…]`; min/max/mean over the finite values (null if none). */
function histogramFields(values: Float64Array): string {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    parts[i] = jsonNumber(v);
    if (v - v === 0) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      finite++;
    }
  }
  const stat = (x: number) => (finite === 0 ? 'null' : jsonNumber(x));
  return `,"count":${values.length},"min":${stat(min)},"max":${stat(max)},"mean":${stat(sum / finite)},"values":[${parts.join(',')}]`;
}

const createLocalSink: SinkFactory<LocalSinkOptions> = (options, env) => new LocalSink(options, env);
export default createLocalSink;
