/**
 * Sends one run to W&B as wandb's core does, from the same record messages the transaction log
 * stores (so a live run and a replayed log upload alike):
 *
 *   UpsertBucket                  the run (name = run id) with its config; later config changes
 *                                 coalesced, at most one update per `configMs`
 *   CreateRunFiles, then PUT      each media/dict/artifact file, to the URL (and headers) given
 *   POST files/…/file_stream      every `transmitMs` (or when `maxRequestBytes` are waiting):
 *                                 wandb-history.jsonl and wandb-events.jsonl lines at their
 *                                 offsets, the whole wandb-summary.json at offset 0, `uploaded`
 *                                 names; an empty request as a heartbeat when idle; at the end
 *                                 `complete` and `exitcode` with the last data
 *
 * A request that fails past its retries ends sending for the run ('offline'); an answer
 * `{"stopped": true}` (the run was stopped in the W&B UI) ends it too ('stopped'). Either way the
 * transaction log beside keeps everything; what was not sent is counted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordType } from '../records/fields.js';
import { createRunFiles, upsertBucket, type Bucket, type UpsertVariables } from './graphql.js';
import { WandbHttpError } from './http-errors.js';
import { MetricDefinitions } from './metric-definitions.js';
import { exitCodeOf, filePaths, historyLine, itemsOf, JsonTree, programOf, runInfo, statsLine, type RunInfo } from './record-json.js';
import { withRetry, type RetryPolicy } from './retry.js';
import type { WandbHttp } from './wandb-http.js';

export interface OnlineTiming {
  /** How often the file stream sends what is waiting (wandb: 15 s). */
  transmitMs: number;
  /** An empty file-stream request after this long without one (wandb: 30 s). */
  heartbeatMs: number;
  /** Config updates are coalesced: at most one UpsertBucket per this interval. */
  configMs: number;
  /** A request is sent at once when this much is waiting (wandb: 10 MB). */
  maxRequestBytes: number;
  retry: RetryPolicy;
}

export const DEFAULT_TIMING: OnlineTiming = {
  transmitMs: 15_000,
  heartbeatMs: 30_000,
  configMs: 5_000,
  maxRequestBytes: 10 << 20,
  retry: { attempts: 8, minMs: 1000, maxMs: 30_000 },
};

/** Lines waiting in memory past this: the server is slower than the training, so the run goes on to disk only. */
const MAX_WAITING_BYTES = 256 << 20;

export const HISTORY_FILE = 'wandb-history.jsonl';
export const EVENTS_FILE = 'wandb-events.jsonl';
export const SUMMARY_FILE = 'wandb-summary.json';

export type UploaderState = 'sending' | 'offline' | 'stopped';

export interface UploaderCounters {
  /** ranklog records the server has taken (history rows' records, params, files). */
  sent: number;
  /** ranklog records that will not be sent (the run went offline or was stopped); they are in the transaction log. */
  notSent: number;
  fileStreamRequests: number;
  heartbeats: number;
  uploads: number;
  retries: number;
}

/** Lines of one file-stream file waiting, with the ranklog records each carries. */
class WaitingLines {
  lines: string[] = [];
  carries: number[] = [];
  bytes = 0;
  /** Lines the server has: the offset of the next one. */
  offset = 0;

  push(line: string, carries: number): void {
    this.lines.push(line);
    this.carries.push(carries);
    this.bytes += line.length;
  }

  /** Take lines up to `budget` bytes (at least one); returns them with the records they carry. */
  take(budget: number): { offset: number; content: string[]; carried: number } {
    let n = 0;
    let size = 0;
    let carried = 0;
    while (n < this.lines.length && (n === 0 || size + this.lines[n]!.length <= budget)) {
      size += this.lines[n]!.length;
      carried += this.carries[n]!;
      n++;
    }
    const content = this.lines.splice(0, n);
    this.carries.splice(0, n);
    this.bytes -= size;
    const offset = this.offset;
    this.offset += n;
    return { offset, content, carried };
  }

  clear(): number {
    const carried = this.carries.reduce((a, b) => a + b, 0);
    this.lines = [];
    this.carries = [];
    this.bytes = 0;
    return carried;
  }
}

export class RunUploader {
  state: UploaderState = 'sending';
  /** Why sending ended, for the close message. */
  reason = '';
  readonly counters: UploaderCounters = { sent: 0, notSent: 0, fileStreamRequests: 0, heartbeats: 0, uploads: 0, retries: 0 };
  private run: RunInfo | undefined;
  private program = '';
  private bucket: Bucket | undefined;
  private readonly history = new WaitingLines();
  private readonly events = new WaitingLines();
  private readonly summary = new JsonTree();
  private summaryWaiting = false;
  private readonly config = new JsonTree();
  /** Chart x-axes (define_metric), sent in the config as `_wandb.m`. */
  private readonly metrics = new MetricDefinitions();
  private configWaiting = 0;
  private configDirty = false;
  private configSentAt = -Infinity;
  private files: string[] = [];
  private fileCarries = 0;
  private uploaded: string[] = [];
  private exitCode: number | undefined;
  private finishing = false;
  private completed = false;
  private lastSendAt: number;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private flushWaiters: (() => void)[] = [];

  constructor(
    private readonly http: WandbHttp,
    private readonly timing: OnlineTiming,
    private readonly filesDir: string,
    private readonly debug: (m: string) => void,
    /** Said once, when the server answers that the run was stopped. */
    private readonly onStopped: (runId: string) => void,
    /** Said when sending ends past the retries (the user learns it then, not only at close). */
    private readonly onGaveUp: (runId: string, reason: string) => void = () => {},
  ) {
    this.lastSendAt = Date.now();
  }

  get runId(): string {
    return this.run?.runId ?? '';
  }

  /** A record message as the transaction log stores it; `carries` ranklog records. */
  take(type: RecordType, message: Uint8Array, carries = 0): void {
    if (this.state !== 'sending') {
      this.counters.notSent += carries;
      return;
    }
    switch (type) {
      case 'run':
        this.run = runInfo(message);
        for (const it of this.run.config) this.config.set(it.path, it.json);
        this.configDirty = true;
        break;
      case 'environment':
        this.program = programOf(message);
        break;
      case 'history':
        this.history.push(historyLine(message), carries);
        break;
      case 'summary':
        for (const it of itemsOf(message, 1)) this.summary.set(it.path, it.json);
        this.summaryWaiting = true;
        this.counters.sent += carries;
        break;
      case 'config':
        for (const it of itemsOf(message, 1)) this.config.set(it.path, it.json);
        this.configDirty = true;
        this.configWaiting += carries;
        break;
      case 'files':
        this.files.push(...filePaths(message));
        this.fileCarries += carries;
        break;
      case 'stats':
        this.events.push(statsLine(message, this.run?.startTimeMs ?? 0), carries);
        break;
      case 'exit':
        this.exitCode = exitCodeOf(message);
        break;
      case 'metric':
        this.metrics.take(message);
        this.config.set(['_wandb', 'm'], this.metrics.toJson());
        this.configDirty = true;
        break;
      default:
      // header, final: nothing the service takes from them
    }
    if (this.history.bytes + this.events.bytes > MAX_WAITING_BYTES) {
      this.giveUp(`more than ${MAX_WAITING_BYTES >> 20} MiB waited for the server (it is slower than the training)`);
    }
  }

  /** Start sending (once the run record is taken); wakes the loop when a request is due at once. */
  commit(): void {
    if (this.state !== 'sending' || this.run === undefined) return;
    if (this.loop === undefined) this.loop = this.pump();
    else if (this.history.bytes + this.events.bytes >= this.timing.maxRequestBytes) this.wake?.();
  }

  /** Send what is waiting now; resolves when it is sent (or sending ended). */
  flush(): Promise<void> {
    if (this.state !== 'sending' || this.loop === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.flushWaiters.push(resolve);
      this.wake?.();
    });
  }

  /** After the Exit record: send everything and `complete`; gives up at `deadlineMs` (Date.now() time). */
  async finish(deadlineMs: number): Promise<void> {
    this.finishing = true;
    this.commit();
    this.wake?.();
    if (this.loop === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadlineMs - Date.now()));
    });
    await Promise.race([this.loop, late]);
    clearTimeout(timer);
    if (this.state === 'sending' && !this.completed) this.giveUp('the run ended before the server took all of it');
  }

  private hasData(): boolean {
    return this.history.lines.length > 0 || this.events.lines.length > 0 || this.summaryWaiting || this.uploaded.length > 0;
  }

  private workLeft(): boolean {
    return this.hasData() || this.configDirty || this.files.length > 0 || (this.finishing && this.exitCode !== undefined && !this.completed);
  }

  private async pump(): Promise<void> {
    try {
      while (this.state === 'sending') {
        const urgent = this.flushWaiters.length > 0 || this.finishing;
        if (this.bucket === undefined || (this.configDirty && (urgent || Date.now() - this.configSentAt >= this.timing.configMs))) await this.upsert();
        if (this.state !== 'sending') break;
        if (this.files.length > 0) await this.uploadFiles();
        if (this.state !== 'sending') break;
        const waiting = this.history.bytes + this.events.bytes;
        const due = urgent || waiting >= this.timing.maxRequestBytes || Date.now() - this.lastSendAt >= this.timing.transmitMs;
        if (this.hasData() && due) await this.sendBatch();
        else if (this.finishing && this.exitCode !== undefined && !this.completed) await this.sendBatch();
        else if (!this.hasData() && Date.now() - this.lastSendAt >= this.timing.heartbeatMs) await this.heartbeat();
        if (this.state !== 'sending') break;
        if (!this.hasData() && !this.configDirty && this.files.length === 0) {
          this.releaseFlushes();
          if (this.finishing && (this.completed || this.exitCode === undefined)) break;
        }
        // Asked to send now (flush, the run's end) and something is left: go round again at once.
        if ((this.flushWaiters.length > 0 || this.finishing) && this.workLeft()) continue;
        await this.sleep(this.nextDueMs());
      }
    } catch (e) {
      this.giveUp(e instanceof Error ? e.message : String(e));
    } finally {
      this.releaseFlushes();
    }
  }

  private nextDueMs(): number {
    const since = Date.now() - this.lastSendAt;
    let next = this.hasData() ? this.timing.transmitMs - since : this.timing.heartbeatMs - since;
    if (this.configDirty) next = Math.min(next, this.timing.configMs - (Date.now() - this.configSentAt));
    return Math.max(0, next);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private releaseFlushes(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const w of waiters) w();
  }

  private retrying<T>(f: () => Promise<T>): Promise<T> {
    return withRetry(f, this.timing.retry, (e, attempt) => {
      this.counters.retries++;
      this.debug(`wandb: ${e.message}; retry ${attempt}`);
    });
  }

  private async upsert(): Promise<void> {
    const run = this.run!;
    const carried = this.configWaiting;
    this.configWaiting = 0;
    this.configDirty = false;
    const v: UpsertVariables = { name: run.runId, config: this.config.toJson(true) };
    if (this.bucket === undefined) {
      if (run.project) v.project = run.project;
      if (run.entity) v.entity = run.entity;
      if (run.group) v.groupName = run.group;
      if (run.displayName) v.displayName = run.displayName;
      if (run.notes) v.notes = run.notes;
      if (run.host) v.host = run.host;
      if (this.program) v.program = this.program;
      if (run.jobType) v.jobType = run.jobType;
      if (run.tags.length > 0) v.tags = run.tags;
    } else {
      v.id = this.bucket.id;
      v.project = this.bucket.project;
      v.entity = this.bucket.entity;
    }
    try {
      this.bucket = await this.retrying(() => upsertBucket(this.http, v));
    } catch (e) {
      this.configWaiting += carried;
      throw e;
    }
    this.configSentAt = Date.now();
    this.counters.sent += carried;
  }

  private async uploadFiles(): Promise<void> {
    const names = this.files.splice(0, 100);
    const uploads = await this.retrying(() => createRunFiles(this.http, this.bucket!, this.run!.runId, names));
    for (const f of uploads.files) {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(join(this.filesDir, ...f.name.split('/')));
      } catch (e) {
        this.debug(`wandb: ${f.name} not uploaded: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        continue;
      }
      await this.retrying(() => this.http.put(f.uploadUrl, bytes, uploads.headers, 'upload'));
      this.counters.uploads++;
      this.uploaded.push(f.name);
    }
    if (this.files.length === 0) {
      this.counters.sent += this.fileCarries;
      this.fileCarries = 0;
    }
  }

  private streamPath(): string {
    const b = this.bucket!;
    return `files/${encodeURIComponent(b.entity)}/${encodeURIComponent(b.project)}/${encodeURIComponent(this.run!.runId)}/file_stream`;
  }

  private async post(body: object): Promise<void> {
    const answer = await this.retrying(() => this.http.postJson(this.streamPath(), body, 'file_stream'));
    this.lastSendAt = Date.now();
    this.counters.fileStreamRequests++;
    if ((answer.body as { stopped?: unknown } | undefined)?.stopped === true) this.stop();
  }

  private async heartbeat(): Promise<void> {
    this.counters.heartbeats++;
    await this.post({});
  }

  /** One request of at most maxRequestBytes: history, events, the summary, uploaded names; `complete` when nothing is left. */
  private async sendBatch(): Promise<void> {
    let budget = this.timing.maxRequestBytes;
    const files: Record<string, { offset: number; content: string[] }> = {};
    let carried = 0;
    const taken: { lines: WaitingLines; part: { offset: number; content: string[]; carried: number } }[] = [];
    for (const [name, lines] of [
      [HISTORY_FILE, this.history],
      [EVENTS_FILE, this.events],
    ] as const) {
      if (lines.lines.length === 0 || budget <= 0) continue;
      const part = lines.take(budget);
      budget -= part.content.reduce((n, l) => n + l.length, 0);
      files[name] = { offset: part.offset, content: part.content };
      carried += part.carried;
      taken.push({ lines, part });
    }
    const summaryWaiting = this.summaryWaiting;
    if (summaryWaiting) files[SUMMARY_FILE] = { offset: 0, content: [this.summary.toJson()] };
    this.summaryWaiting = false;
    const uploaded = this.uploaded;
    this.uploaded = [];
    const body: Record<string, unknown> = {};
    if (Object.keys(files).length > 0) body.files = files;
    if (uploaded.length > 0) body.uploaded = uploaded;
    const last = this.finishing && this.exitCode !== undefined && !this.hasData() && this.files.length === 0 && !this.configDirty;
    if (last) {
      body.complete = true;
      body.exitcode = this.exitCode;
    }
    try {
      await this.post(body);
    } catch (e) {
      // Put it back, so what was not sent is counted once, as not sent.
      for (const { lines, part } of taken) {
        lines.offset = part.offset;
        lines.lines.unshift(...part.content);
        lines.carries.unshift(part.carried, ...new Array<number>(part.content.length - 1).fill(0));
        lines.bytes += part.content.reduce((n, l) => n + l.length, 0);
      }
      this.summaryWaiting ||= summaryWaiting;
      this.uploaded.unshift(...uploaded);
      throw e;
    }
    this.counters.sent += carried;
    if (last) this.completed = true;
  }

  private stop(): void {
    if (this.state !== 'sending') return;
    this.state = 'stopped';
    this.reason = 'the run was stopped in the W&B UI';
    this.dropWaiting();
    this.onStopped(this.runId);
    this.wake?.();
  }

  /** Sending ends for this run; the transaction log has it all. */
  giveUp(reason: string): void {
    if (this.state !== 'sending') return;
    this.state = 'offline';
    this.reason = reason;
    this.dropWaiting();
    this.debug(`wandb: run ${this.runId} goes on to disk only: ${reason}`);
    this.onGaveUp(this.runId, reason);
    this.wake?.();
  }

  private dropWaiting(): void {
    this.counters.notSent += this.history.clear() + this.events.clear() + this.configWaiting + this.fileCarries;
    this.configWaiting = 0;
    this.fileCarries = 0;
    this.files = [];
    this.uploaded = [];
    this.summaryWaiting = false;
    this.configDirty = false;
  }
}

export { WandbHttpError };
