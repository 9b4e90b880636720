/**
 * Histograms as a distribution over steps: a heatmap drawn on a canvas, one row per logged
 * histogram (step order, top to bottom), one column per bin of /api/histogram's common edges,
 * colour = the bin's share of the row's largest bin (so each step's shape shows whatever its
 * count). Hovering names the step, bin and count. Fetched when it comes near the viewport.
 *
 * Test hooks: `.histogram[data-identifier]` with `data-state` ("idle" | "loading" | "ready" |
 * "error") and `data-rows` (rows drawn).
 */
import { fetchHistogram, type HistogramInfo, type HistogramResponse } from './api.js';
import { attr, el, messageOf, replace } from './dom.js';
import { formatValue } from './format.js';

const MARGIN = { left: 56, right: 8, top: 6, bottom: 22 };

/** A perceptual ramp (viridis, 5 stops) for 0…1. */
const RAMP: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function colour(t: number): string {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return `rgb(${Math.round(a[0] + f * (b[0] - a[0]))},${Math.round(a[1] + f * (b[1] - a[1]))},${Math.round(a[2] + f * (b[2] - a[2]))})`;
}

export class HistogramPanel {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly hover: HTMLElement;
  private readonly message: HTMLElement;
  private readonly rankSelect: HTMLSelectElement;
  private data: HistogramResponse | undefined;
  private abort: AbortController | undefined;
  private rank: number;

  constructor(
    private readonly run: string,
    private info: HistogramInfo,
  ) {
    this.rank = info.ranks[0] ?? 0;
    this.canvas = el('canvas', { class: 'heatmap', 'aria-label': `histograms of ${info.identifier} over steps` });
    this.hover = el('div', { class: 'hover' }, '\u00a0');
    this.message = el('div', { class: 'chart-message' });
    this.rankSelect = el('select', { class: 'rank-select', 'aria-label': 'rank' });
    this.rankSelect.addEventListener('change', () => {
      this.rank = Number(this.rankSelect.value);
      this.load();
    });
    this.element = el(
      'figure',
      { class: 'histogram', 'data-identifier': info.identifier, 'data-state': 'idle' },
      el('figcaption', {}, el('span', { class: 'identifier' }, info.identifier), el('span', { class: 'meta' }, ` histograms · ${info.points} logged`)),
      this.rankSelect,
      this.message,
      this.canvas,
      this.hover,
    );
    this.fillRanks();
    this.canvas.addEventListener('mousemove', (e) => this.onHover(e));
  }

  get started(): boolean {
    return this.element.getAttribute('data-state') !== 'idle';
  }

  setInfo(info: HistogramInfo): void {
    this.info = info;
    this.fillRanks();
  }

  private fillRanks(): void {
    replace(this.rankSelect, ...this.info.ranks.map((r) => el('option', { value: r, selected: r === this.rank }, `rank ${r}`)));
    this.rankSelect.hidden = this.info.ranks.length < 2;
  }

  load(): void {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    if (!this.data) attr(this.element, 'data-state', 'loading');
    fetchHistogram(this.run, this.info.identifier, this.rank, undefined, abort.signal).then(
      (h) => {
        if (abort.signal.aborted) return;
        this.data = h;
        replace(this.message, h.rows.length === 0 ? el('span', { class: 'note' }, 'No histogram rows for this rank.') : null);
        this.draw();
        attr(this.element, 'data-rows', h.rows.length);
        attr(this.element, 'data-state', 'ready');
      },
      (e: unknown) => {
        if (abort.signal.aborted) return;
        attr(this.element, 'data-state', 'error');
        replace(this.message, el('span', { class: 'error', role: 'alert' }, `Cannot load the histograms: ${messageOf(e)}`));
      },
    );
  }

  private geometry(): { w: number; h: number; rowH: number; binW: number } | undefined {
    const h = this.data;
    if (!h || h.rows.length === 0 || h.edges.length < 2) return undefined;
    const w = Math.max(200, this.element.clientWidth - 16);
    const rowH = Math.max(2, Math.min(16, Math.floor(320 / h.rows.length)));
    const height = MARGIN.top + MARGIN.bottom + rowH * h.rows.length;
    return { w, h: height, rowH, binW: (w - MARGIN.left - MARGIN.right) / (h.edges.length - 1) };
  }

  private draw(): void {
    const h = this.data;
    const g = this.geometry();
    const ctx = this.canvas.getContext('2d');
    if (!h || !g || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(g.w * dpr);
    this.canvas.height = Math.round(g.h * dpr);
    this.canvas.style.width = `${g.w}px`;
    this.canvas.style.height = `${g.h}px`;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, g.w, g.h);
    for (const [r, row] of h.rows.entries()) {
      const max = Math.max(0, ...row.counts);
      for (const [b, c] of row.counts.entries()) {
        ctx.fillStyle = max > 0 ? colour(c / max) : colour(0);
        ctx.fillRect(MARGIN.left + b * g.binW, MARGIN.top + r * g.rowH, Math.ceil(g.binW), g.rowH);
      }
    }
    ctx.fillStyle = '#333';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    const first = h.rows[0]!;
    const last = h.rows[h.rows.length - 1]!;
    ctx.fillText(`step ${first.step ?? '–'}`, MARGIN.left - 4, MARGIN.top + g.rowH / 2);
    if (h.rows.length > 1) ctx.fillText(`step ${last.step ?? '–'}`, MARGIN.left - 4, MARGIN.top + (h.rows.length - 0.5) * g.rowH);
    ctx.textBaseline = 'top';
    const y = g.h - MARGIN.bottom + 5;
    ctx.textAlign = 'left';
    ctx.fillText(formatValue(h.edges[0]), MARGIN.left, y);
    ctx.textAlign = 'right';
    ctx.fillText(formatValue(h.edges[h.edges.length - 1]), g.w - MARGIN.right, y);
    ctx.textAlign = 'center';
    ctx.fillText(formatValue(h.edges[Math.floor((h.edges.length - 1) / 2)]), MARGIN.left + Math.floor((h.edges.length - 1) / 2) * g.binW, y);
  }

  private onHover(e: MouseEvent): void {
    const h = this.data;
    const g = this.geometry();
    if (!h || !g) return;
    const rect = this.canvas.getBoundingClientRect();
    const b = Math.floor((e.clientX - rect.left - MARGIN.left) / g.binW);
    const r = Math.floor((e.clientY - rect.top - MARGIN.top) / g.rowH);
    const row = h.rows[r];
    if (!row || b < 0 || b >= row.counts.length) {
      replace(this.hover, '\u00a0');
      return;
    }
    replace(
      this.hover,
      `step ${row.step ?? '–'}${row.batchIdx !== null ? ` batch ${row.batchIdx}` : ''}: [${formatValue(h.edges[b])}, ${formatValue(h.edges[b + 1])}) ${row.counts[b]} of ${row.count}`,
    );
  }

  dispose(): void {
    this.abort?.abort();
  }
}
