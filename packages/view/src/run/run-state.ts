/**
 * What the server knows of one run directory: its metrics, aggregates and histograms, read from
 * the last offsets, and a version that grows whenever new rows were read. A large metrics.csv is
 * read in steps (`maxBytesPerUpdate`) one after the other in the background, so the first chart is
 * served after the first step and the page is told (an update event) as each further step lands.
 * While someone listens, the directory is watched (fs.watch, plus a stat poll for file systems
 * where it says nothing) and appended rows are read within about `pollMs`.
 */
import { type FSWatcher, watch } from 'node:fs';
import { RunAggregates } from '../metrics/run-aggregates.js';
import { RunMetrics } from '../metrics/run-metrics.js';
import { filesSignature } from './run-files.js';
import { RunHistograms } from './run-histograms.js';

/** How the server reads a run (ViewServerOptions.read). */
export interface RunStateOptions {
  /** Bytes of metrics.csv read per step; default 32 MiB (~450k rows). The first step reads at most 4 MiB, so the first chart comes soon. */
  maxBytesPerUpdate?: number;
  /** How often the files are looked at while someone listens, in ms; default 500. */
  pollMs?: number;
  /** Points of a curve kept as they are before it is summarised (metrics/curve.ts); default 65536. */
  rawCap?: number;
}

export interface RunProgress {
  version: number;
  rows: number;
  skipped: number;
  /** Bytes of metrics.csv read, and its size: offset < size while a large file is still being read. */
  offset: number;
  size: number;
}

export class RunState {
  readonly metrics: RunMetrics;
  readonly aggregates: RunAggregates;
  readonly histograms: RunHistograms;
  version = 0;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private readonly listeners = new Set<(p: RunProgress) => void>();
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly pollMs: number;
  /** Requests being answered (serve()), and how to wake a background read waiting for them. */
  private active = 0;
  private wake: (() => void) | undefined;
  /** A large metrics.csv is being read in steps (the last step stopped at its byte limit). */
  private loading = false;
  /** Whether the queued step may make way for requests (no caller that waits for it is a request). */
  private queuedBackground = true;
  /** filesSignature() at the last step. */
  private files = '';

  constructor(
    readonly dir: string,
    options: RunStateOptions = {},
  ) {
    const step = options.maxBytesPerUpdate ?? 32 << 20;
    this.metrics = new RunMetrics(dir, {
      maxBytesPerUpdate: step,
      maxBytesFirstUpdate: Math.min(step, 4 << 20),
      ...(options.rawCap !== undefined && { rawCap: options.rawCap }),
    });
    this.aggregates = new RunAggregates(dir);
    this.histograms = new RunHistograms(dir);
    this.pollMs = options.pollMs ?? 500;
  }

  progress(): RunProgress {
    const { offset, size } = this.metrics.progress;
    return { version: this.version, rows: this.metrics.rows, skipped: this.metrics.skipped, offset, size };
  }

  /**
   * Reads one step of what was appended (every file); resolves once a step that started after
   * the call has ended, so a caller sees every row appended before it called. Callers during a
   * step share the one after it. While metrics.csv is behind, the next step follows at once.
   */
  refresh(background = false): Promise<void> {
    if (!this.running) {
      this.running = this.step(background).finally(() => {
        this.running = undefined;
        this.loading = this.metrics.behind;
        if (!this.closed && this.loading) setImmediate(() => void this.refresh(true).catch(() => {}));
      });
      return this.running;
    }
    // The step after this one: in the background only if every caller waiting for it asked so.
    if (!background) this.queuedBackground = false;
    this.queued ??= this.running
      .catch(() => {})
      .then(() => {
        const bg = this.queuedBackground;
        this.queued = undefined;
        this.queuedBackground = true;
        return this.refresh(bg);
      });
    return this.queued;
  }

  /**
   * What a request should answer from: the first step's data (read now if nothing was), then
   * whatever was read, without waiting while a large file is still being read in the background
   * (the page hears of each step); once the file is read, a fresh step, so a request sees every
   * row appended before it.
   */
  async current(): Promise<void> {
    if (this.version === 0 || !this.loading) await this.refresh();
  }

  /**
   * Runs `fn` (a request's answer) with priority over the background reading of a large file:
   * that reading waits between its chunks while requests are being answered.
   */
  async serve<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await fn();
    } finally {
      if (--this.active === 0) {
        const wake = this.wake;
        this.wake = undefined;
        wake?.();
      }
    }
  }

  private readonly makeWay = (): Promise<void> =>
    this.active === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const before = this.wake;
          this.wake = () => {
            before?.();
            resolve();
          };
        });

  private async step(background: boolean): Promise<void> {
    const read = (await this.metrics.update(background ? this.makeWay : undefined)) + (await this.aggregates.update()) + (await this.histograms.update());
    // An image, a text, an artifact, a dataset or the run's end changes no tailed file: the page must hear of them too.
    const files = background ? this.files : await filesSignature(this.dir);
    const filesChanged = files !== this.files;
    this.files = files;
    if (read > 0 || filesChanged || this.version === 0) {
      this.version++;
      const p = this.progress();
      for (const l of this.listeners) l(p);
    }
  }

  /** Calls `listener` with the progress after each step that read rows; returns how to stop. */
  subscribe(listener: (p: RunProgress) => void): () => void {
    this.listeners.add(listener);
    this.startWatching();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.stopWatching();
  }

  private startWatching(): void {
    if (this.poll || this.closed) return;
    // Kicks (a file changed, the poll) make way for requests like the steps of a large file.
    const kick = () => void this.refresh(true).catch(() => {});
    try {
      this.watcher = watch(this.dir, { persistent: false }, kick);
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = undefined; // the poll below still sees appended rows
    }
    this.poll = setInterval(kick, this.pollMs);
    this.poll.unref();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
  }
}
