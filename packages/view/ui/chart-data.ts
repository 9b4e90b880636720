/**
 * From /api/series's curves to uPlot's data: per-curve smoothing and log-scale filtering, then one
 * shared x column. The server downsamples each curve on its own, so the curves' x values differ;
 * they are aligned on the union of x values, where a curve without a point there gets `undefined`
 * (uPlot draws through it) while a `null` (NaN/±Infinity in the logs) stays a gap.
 */
import type { Series, XAxis } from './api.js';

export interface ChartSettings {
  x: XAxis;
  /** EMA weight, 0 (off) … 0.99. */
  smoothing: number;
  logY: boolean;
}

/** How one uPlot series is drawn. */
export interface SeriesStyle {
  label: string;
  stroke: string;
  dash?: number[];
  width: number;
  /** The faded raw curve under a smoothed one. */
  raw: boolean;
  show: boolean;
}

export interface ChartData {
  /** [x, y1, y2, …] for uPlot. */
  data: [number[], ...(number | null | undefined)[][]];
  styles: SeriesStyle[];
  /** Some x value repeats within a curve: lines would zigzag, draw points. */
  repeats: boolean;
}

/** Ten distinct colours (Tableau 10) for the first ranks, then hues spread by the golden angle. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function rankColour(rank: number): string {
  return PALETTE[rank] ?? `hsl(${Math.round((rank * 137.508) % 360)} 65% 42%)`;
}

/** Aggregates across ranks are drawn dashed in greys: the mean strongest; std is hidden at first (another unit of scale). */
function styleOf(s: Series): Omit<SeriesStyle, 'raw'> {
  if (typeof s.rank === 'number') return { label: s.label, stroke: rankColour(s.rank), width: 1.5, show: true };
  if (s.rank === 'mean') return { label: s.label, stroke: '#111', dash: [6, 4], width: 2, show: true };
  return { label: s.label, stroke: '#666', dash: [2, 3], width: 1.25, show: s.rank !== 'std' };
}

/**
 * Exponential moving average with TensorBoard's debiasing (the first points are not pulled
 * towards 0). Gaps (null) stay gaps and do not reset the average.
 */
export function ema(y: readonly (number | null)[], weight: number): (number | null)[] {
  const out: (number | null)[] = new Array(y.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v === null || v === undefined) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - weight ** n);
  }
  return out;
}

/** On a log scale, values ≤ 0 cannot be drawn: gaps. */
function forScale(y: readonly (number | null)[], logY: boolean): (number | null)[] {
  return logY ? y.map((v) => (v !== null && v > 0 ? v : null)) : [...y];
}

export function chartData(series: readonly Series[], settings: ChartSettings): ChartData {
  const columns: { x: readonly number[]; y: (number | null)[]; style: SeriesStyle }[] = [];
  const smoothing = settings.smoothing > 0;
  for (const s of series) {
    const style = styleOf(s);
    if (smoothing) {
      columns.push({ x: s.x, y: forScale(s.y, settings.logY), style: { ...style, label: `${s.label} (raw)`, width: 1, raw: true } });
      columns.push({ x: s.x, y: forScale(ema(s.y, settings.smoothing), settings.logY), style: { ...style, raw: false } });
    } else {
      columns.push({ x: s.x, y: forScale(s.y, settings.logY), style: { ...style, raw: false } });
    }
  }
  // An x value can repeat within a curve (x = batch restarts every epoch; a resumed run repeats
  // steps): it gets as many slots as the curve that repeats it most, so no point is dropped.
  const slots = new Map<number, number>();
  for (const c of series) {
    const seen = new Map<number, number>();
    for (const x of c.x) {
      const n = (seen.get(x) ?? 0) + 1;
      seen.set(x, n);
      if (n > (slots.get(x) ?? 0)) slots.set(x, n);
    }
  }
  let repeats = false;
  for (const n of slots.values()) if (n > 1) repeats = true;
  const x: number[] = [];
  const first = new Map<number, number>();
  for (const v of [...slots.keys()].sort((a, b) => a - b)) {
    first.set(v, x.length);
    for (let k = slots.get(v)!; k > 0; k--) x.push(v);
  }
  const ys = columns.map((c) => {
    const col: (number | null | undefined)[] = new Array(x.length).fill(undefined);
    const used = new Map<number, number>();
    for (let i = 0; i < c.x.length; i++) {
      const v = c.x[i]!;
      const k = used.get(v) ?? 0;
      used.set(v, k + 1);
      col[first.get(v)! + k] = c.y[i] ?? null;
    }
    return col;
  });
  return { data: [x, ...ys], styles: columns.map((c) => c.style), repeats };
}
