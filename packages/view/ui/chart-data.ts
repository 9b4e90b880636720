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
  const xs = new Set<number>();
  for (const c of series) for (const x of c.x) xs.add(x);
  const x = [...xs].sort((a, b) => a - b);
  const index = new Map<number, number>();
  for (let i = 0; i < x.length; i++) index.set(x[i]!, i);
  const ys = columns.map((c) => {
    const col: (number | null | undefined)[] = new Array(x.length).fill(undefined);
    for (let i = 0; i < c.x.length; i++) col[index.get(c.x[i]!)!] = c.y[i] ?? null;
    return col;
  });
  return { data: [x, ...ys], styles: columns.map((c) => c.style) };
}
