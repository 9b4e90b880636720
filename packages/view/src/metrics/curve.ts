/**
 * One identifier's curve on one rank, with memory bounded by the screen rather than the file:
 * up to `rawCap` points are kept as they are (columns, 40 bytes a point with the row's byte
 * offset); past that, one fixed-size Summary per x axis (summary.ts) replaces them. A chart is
 * answered from the summary when its resolution suffices; a window narrower than that (a zoom)
 * re-reads only the rows of metrics.csv that hold it (the summary knows their byte range).
 */
import { Columns, type XKind, X_KINDS } from './columns.js';
import { type Downsampled, downsample, type Window } from './downsample.js';
import { Summary } from './summary.js';

/** Points of a curve kept as they are before it is summarised (~2.5 MB of columns). */
export const DEFAULT_RAW_CAP = 65_536;

/** Reads the rows of this curve between two byte offsets of metrics.csv into columns. */
export type Reread = (fromOffset: number, toOffset: number) => Promise<Columns>;

export class Curve {
  /** Points logged (also those only summarised). */
  length = 0;
  private raw: Columns | undefined = new Columns();
  private offsets: Float64Array | undefined = new Float64Array(16);
  private summaries: Record<XKind, Summary> | undefined;

  constructor(private readonly rawCap: number) {}

  /** Whether the points are summarised (memory no longer grows with them). */
  get summarised(): boolean {
    return this.summaries !== undefined;
  }

  push(step: number, batch: number, time: number, value: number, offset: number): void {
    this.length++;
    if (this.summaries) {
      this.summaries.step.add(step, value, offset);
      this.summaries.batch.add(batch, value, offset);
      this.summaries.time.add(time, value, offset);
      return;
    }
    const raw = this.raw!;
    if (raw.length === this.offsets!.length) {
      const grown = new Float64Array(Math.ceil(this.offsets!.length * 1.5));
      grown.set(this.offsets!);
      this.offsets = grown;
    }
    this.offsets![raw.length] = offset;
    raw.push(step, batch, time, value);
    if (raw.length > this.rawCap) this.summarise();
  }

  private summarise(): void {
    const raw = this.raw!;
    const offsets = this.offsets!;
    const s = { step: new Summary(), batch: new Summary(), time: new Summary() };
    for (const kind of X_KINDS) {
      const x = raw.x(kind);
      for (let i = 0; i < raw.length; i++) s[kind].add(x[i]!, raw.value[i]!, offsets[i]!);
    }
    this.summaries = s;
    this.raw = undefined;
    this.offsets = undefined;
  }

  /** The curve in a chart's window (downsample.ts), re-reading metrics.csv for a window the summary cannot resolve. */
  async window(kind: XKind, w: Window, reread: Reread): Promise<Downsampled> {
    if (this.raw) return downsample(this.raw.x(kind), this.raw.value, this.raw.length, w);
    const summary = this.summaries![kind];
    if (summary.serves(w.from, w.to, w.width)) {
      const p = summary.points(w.from, w.to);
      const out = downsample(p.x, p.y, p.length, w);
      // What was logged in the window, not what the summary kept.
      out.points = summary.countIn(w.from, w.to);
      return out;
    }
    const span = summary.bytes(w.from, w.to);
    if (!span) return { x: [], y: [], points: 0 };
    const cols = await reread(span[0], span[1]);
    return downsample(cols.x(kind), cols.value, cols.length, w);
  }
}
