/**
 * Console backend, writer side.
 *
 * Writes with fs.writeSync on a file descriptor (stdout by default) because a worker's
 * process.stdout is not a TTY and is forwarded asynchronously through the main thread;
 * the main thread tells us whether the real stdout is a terminal and how wide it is.
 *
 * Not a TTY: one line per record, e.g. `[ranklog] rank 0 step 12 batch 3  train_loss = 0.2345`.
 * TTY: metric records that carry a batchIdx update one progress line in place (`\r` … `\x1b[K`);
 * every other record prints a permanent line above it. Output is buffered per commit and
 * written with one write.
 */
import * as fs from 'node:fs';
import type { DatasetItem, FigureItem, ImageItem, LogRecord, PathItem, RunEndReason, Sink, SinkFactory } from '../../sink/index.js';

export interface ConsoleSinkOptions {
  /** Whether the process's real stdout is a terminal (filled in by the main thread). */
  isTTY: boolean;
  /** Terminal width in columns (filled in by the main thread; 0 if unknown). */
  columns: number;
  /** With batchesPerEpoch, turns the TTY progress counters into a bar. */
  totalEpochs?: number;
  batchesPerEpoch?: number;
  /** File descriptor to write to; default 1 (stdout). */
  fd?: number;
  /** TTY only: minimum milliseconds between progress-line redraws; default 100. */
  redrawIntervalMs?: number;
}

const PREFIX = '[ranklog]';
const CLEAR_EOL = '\x1b[K';
/** Longest line when the terminal width is unknown (not a TTY). */
const PLAIN_MAX = 200;
const BAR_FULL = '█';
const BAR_EMPTY = '░';

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** Compact but faithful enough for a human: 5 significant digits, exponent outside 1e-4..1e5. */
export function formatNumber(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return '' + v;
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e5) {
    const s = v.toPrecision(5);
    if (!s.includes('e')) return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  }
  const [mant = '', exp = ''] = v.toExponential(3).split('e');
  return (mant.includes('.') ? mant.replace(/\.?0+$/, '') : mant) + 'e' + exp;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${formatNumber(Math.round(n / 102.4) / 10)} kB`;
  return `${formatNumber(Math.round(n / (1024 * 102.4)) / 10)} MB`;
}

/** Keep a line a line: control characters (terminal escapes included) become U+FFFD, tabs spaces. */
function sanitize(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(s) ? s.replace(/\t/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd') : s;
}

function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = Math.max(0, max - 1);
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--; // do not split a surrogate pair
  return s.slice(0, cut) + '…';
}

/** What a record says, after the `[ranklog] rank … step … batch …` prefix. */
function describeItem(r: LogRecord): string {
  const id = r.identifier;
  switch (r.kind) {
    case 'metric':
      return `${id} = ${formatNumber(r.value)}`;
    case 'param': {
      const v = r.item;
      return `${id} = ${typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' ? '' + v : String(v)}`;
    }
    case 'text': {
      const text = String(r.item);
      const nl = text.search(/\r?\n/);
      return `text ${id}: ${nl < 0 ? text : text.slice(0, nl) + '…'}`;
    }
    case 'dict':
      return `dict ${id} ${JSON.stringify(r.item)}`;
    case 'image': {
      const im = r.item as ImageItem;
      if (im.format === 'raw') return `image ${id} ${im.width}×${im.height}×${im.channels} ${im.dtype}`;
      return `image ${id} ${im.format === 'png' ? 'PNG' : 'JPEG'} ${formatBytes(im.data.byteLength)}`;
    }
    case 'figure': {
      const f = r.item as FigureItem;
      if (f.format === 'png') return `figure ${id} PNG ${formatBytes(f.data.byteLength)}`;
      if (f.format === 'svg') return `figure ${id} SVG ${formatBytes(Buffer.byteLength(f.svg))}`;
      const mark = f.spec.mark;
      const markName = typeof mark === 'string' ? mark : (mark as { type?: unknown } | undefined)?.type;
      return `figure ${id} Vega-Lite${typeof markName === 'string' ? ` (${markName})` : ''}`;
    }
    case 'artifact':
    case 'model': {
      const p = r.item as PathItem;
      return `${r.kind} ${id} ${p.path}${p.isDirectory ? ' (directory)' : ''}`;
    }
    case 'histogram': {
      const h = r.item as Float64Array;
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      let finite = 0;
      for (let i = 0; i < h.length; i++) {
        const v = h[i]!;
        if (v - v !== 0) continue;
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        finite++;
      }
      const stats = finite === 0 ? '' : ` min=${formatNumber(min)} max=${formatNumber(max)} mean=${formatNumber(sum / finite)}`;
      return `histogram ${id} n=${h.length}${stats}`;
    }
    case 'dataset': {
      const d = r.item as DatasetItem;
      return `dataset ${id} ${d.name} digest=${d.digest} source=${d.source}`;
    }
    default:
      return `${String(r.kind)} ${id}`;
  }
}

function recordLine(r: LogRecord, max: number): string {
  let head = `${PREFIX} rank ${r.rank}`;
  if (r.step !== undefined) head += ` step ${r.step}`;
  if (r.batchIdx !== undefined) head += ` batch ${r.batchIdx}`;
  const line = head + '  ' + describeItem(r);
  return truncate(r.kind === 'metric' ? line : sanitize(line), max);
}

/** Progress of one rank, from its batch-level metric records. */
interface Progress {
  /** 0-based; advanced when batchIdx goes back (a new epoch started). */
  epoch: number;
  batchIdx: number;
  step: number | undefined;
  /** Latest value per metric identifier, in first-seen order. */
  values: Map<string, number>;
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

class ConsoleSink implements Sink {
  private readonly fd: number;
  private readonly tty: boolean;
  private readonly width: number;
  private readonly totalEpochs: number | undefined;
  private readonly batchesPerEpoch: number | undefined;
  private readonly redrawMs: number;

  /** Permanent lines of the current batch. */
  private out = '';
  private readonly progress = new Map<number, Progress>();
  private progressDirty = false;
  /** A progress line is on screen without a newline after it. */
  private progressOpen = false;
  private lastDraw = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private broken = false;
  private closed = false;
  private lines = 0;
  private bytes = 0;

  constructor(options: ConsoleSinkOptions) {
    this.fd = options.fd ?? 1;
    this.tty = options.isTTY === true;
    const cols = isPositiveInt(options.columns) ? options.columns : 0;
    // Stay one column short of the edge: a line that fills it wraps and breaks the \r rewrite.
    this.width = this.tty ? Math.max(20, (cols || 80) - 1) : Math.max(PLAIN_MAX, cols);
    if (isPositiveInt(options.totalEpochs) && isPositiveInt(options.batchesPerEpoch)) {
      this.totalEpochs = options.totalEpochs;
      this.batchesPerEpoch = options.batchesPerEpoch;
    }
    this.redrawMs = typeof options.redrawIntervalMs === 'number' && options.redrawIntervalMs >= 0 ? options.redrawIntervalMs : 100;
  }

  write(r: LogRecord): void {
    if (this.closed) throw new Error('ranklog console: write() after close()');
    if (this.tty && r.kind === 'metric' && r.batchIdx !== undefined) {
      let p = this.progress.get(r.rank);
      if (p === undefined) {
        p = { epoch: 0, batchIdx: r.batchIdx, step: r.step, values: new Map() };
        this.progress.set(r.rank, p);
      } else if (r.batchIdx < p.batchIdx) {
        p.epoch++;
      }
      p.batchIdx = r.batchIdx;
      if (r.step !== undefined) p.step = r.step;
      p.values.set(r.identifier, r.value);
      this.progressDirty = true;
      return;
    }
    this.out += recordLine(r, this.width) + '\n';
    this.lines++;
  }

  commit(): void {
    let s = '';
    if (this.out.length > 0) {
      if (this.progressOpen) s = '\r' + CLEAR_EOL;
      s += this.out;
      this.out = '';
      this.progressOpen = false;
    }
    if (this.tty && this.progress.size > 0 && (this.progressDirty || !this.progressOpen)) {
      const now = performance.now();
      // Redraw at once after permanent lines (they erased it), else at most every redrawMs.
      if (!this.progressOpen || now - this.lastDraw >= this.redrawMs) {
        s += this.progressText();
        this.lastDraw = now;
      } else {
        this.scheduleRedraw(this.redrawMs - (now - this.lastDraw));
      }
    }
    this.emit(s);
  }

  close(_reason?: RunEndReason): void {
    if (this.closed) return;
    this.commit();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.progressDirty) this.emit(this.progressText());
    if (this.progressOpen) this.emit('\n');
    this.progressOpen = false;
    this.closed = true;
  }

  stats(): Record<string, number> {
    return { lines: this.lines, bytes: this.bytes };
  }

  private scheduleRedraw(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (this.closed || !this.progressDirty || !this.progressOpen) return;
        this.lastDraw = performance.now();
        this.emit(this.progressText());
      },
      Math.max(1, ms),
    );
    this.timer.unref();
  }

  /** `\r<progress line>\x1b[K`; marks the line as open and clean. */
  private progressText(): string {
    // One line only: show the lowest rank that reports batches (rank 0 unless it does not log).
    let rank = Infinity;
    for (const k of this.progress.keys()) if (k < rank) rank = k;
    const p = this.progress.get(rank)!;
    let line = PREFIX + (this.progress.size > 1 ? ` rank ${rank}` : '');
    const E = this.totalEpochs;
    const B = this.batchesPerEpoch;
    if (E !== undefined && B !== undefined) {
      const done = Math.min(B, p.batchIdx + 1);
      const frac = Math.min(1, Math.max(0, (p.epoch * B + done) / (E * B)));
      const barWidth = this.width >= 100 ? 30 : this.width >= 70 ? 20 : 10;
      const full = Math.round(frac * barWidth);
      line += ` epoch ${p.epoch + 1}/${E} ${BAR_FULL.repeat(full)}${BAR_EMPTY.repeat(barWidth - full)} ${Math.floor(frac * 100)}% · batch ${done}/${B}`;
    } else {
      line += ` epoch ${p.epoch + 1} · batch ${p.batchIdx}`;
    }
    if (p.step !== undefined) line += ` · step ${p.step}`;
    let vals = '';
    for (const [k, v] of p.values) vals += (vals ? ' ' : '') + k + '=' + formatNumber(v);
    if (vals) line += ' · ' + vals;
    this.progressDirty = false;
    this.progressOpen = true;
    return '\r' + truncate(line, this.width) + CLEAR_EOL;
  }

  private emit(s: string): void {
    if (s.length === 0 || this.broken) return;
    const buf = Buffer.from(s, 'utf8');
    let off = 0;
    while (off < buf.length) {
      try {
        off += fs.writeSync(this.fd, buf, off, buf.length - off);
      } catch (err) {
        const code = errCode(err);
        if (code === 'EAGAIN') {
          // stdout may be a non-blocking pipe shared with the main thread: wait 1 ms and retry.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          continue;
        }
        if (code === 'EPIPE') {
          // The reader went away (e.g. `| head`): console output is best effort, training goes on.
          this.broken = true;
          return;
        }
        throw err;
      }
    }
    this.bytes += buf.length;
  }
}

const createConsoleSink: SinkFactory<ConsoleSinkOptions> = (options) => new ConsoleSink(options);
export default createConsoleSink;
