/**
 * One metric chart: a uPlot chart of one identifier, a curve per rank plus the cross-rank
 * aggregates, fetched from /api/series with `width` = the chart's pixel width (the server
 * downsamples to that). Drag-select zooms: the window is fetched again with `from`/`to`, so it
 * gets full detail; double-click goes back to the whole range. A live refresh keeps the zoom.
 *
 * Test hooks on the `.chart` container (all set with setAttribute):
 *   data-identifier  the identifier (as logged)
 *   data-state       "idle" (not fetched yet: off screen) | "loading" | "ready" | "error"
 *   data-version     the /api/series `version` of the data drawn last
 *   data-series      "<label>:<points drawn>;…" in the server's order (points drawn = points
 *                    received after downsampling, before smoothing adds faded raw copies)
 *   data-points      "<label>:<points before downsampling>;…"
 *   data-x           the x axis of the data drawn ("step" | "time" | "batch")
 *   data-zoom        "<from>:<to>" while zoomed, absent otherwise
 */
import { fetchSeries, type MetricInfo, type SeriesResponse } from './api.js';
import { type ChartSettings, chartData, type SeriesStyle } from './chart-data.js';
import { attr, el, messageOf, replace } from './dom.js';
import uPlot from './uPlot.esm.js';

const HEIGHT = 240;

export class ChartPanel {
  readonly element: HTMLElement;
  private readonly plotHost: HTMLElement;
  private readonly message: HTMLElement;
  private plot: uPlot | undefined;
  /** The settings and curve styles the current uPlot instance was built with. */
  private builtFor = '';
  private last: SeriesResponse | undefined;
  private zoom: { from: number; to: number } | undefined;
  private inFlight: AbortController | undefined;
  /** A refresh asked for while one was in flight: run once more after it. */
  private again = false;
  private disposed = false;
  /** The version drawn last; -1 before the first. */
  version = -1;

  constructor(
    private readonly run: string,
    readonly info: MetricInfo,
    private readonly settings: () => ChartSettings,
  ) {
    this.plotHost = el('div', { class: 'plot' });
    this.message = el('div', { class: 'chart-message' });
    this.element = el(
      'figure',
      { class: 'chart', 'data-identifier': info.identifier, 'data-state': 'idle' },
      el('figcaption', {}, el('span', { class: 'identifier' }, info.identifier), el('span', { class: 'meta' }, metaText(info))),
      this.message,
      this.plotHost,
    );
  }

  get started(): boolean {
    return this.element.getAttribute('data-state') !== 'idle';
  }

  setInfo(info: MetricInfo): void {
    replace(this.element.querySelector('.meta')!, metaText(info));
  }

  /**
   * Fetches and draws. `reset` (the x axis changed) drops the zoom and aborts a fetch in flight;
   * a plain refresh (live update) waits for the fetch in flight and then runs once more.
   */
  load(reset = false): void {
    if (this.disposed) return;
    if (reset) {
      this.zoom = undefined;
      this.inFlight?.abort();
      this.inFlight = undefined;
    } else if (this.inFlight) {
      this.again = true;
      return;
    }
    void this.fetchAndDraw();
  }

  private async fetchAndDraw(): Promise<void> {
    const abort = new AbortController();
    this.inFlight = abort;
    this.again = false;
    if (!this.plot) attr(this.element, 'data-state', 'loading');
    const s = this.settings();
    try {
      const body = await fetchSeries(
        { run: this.run, identifier: this.info.identifier, x: s.x, width: this.width(), from: this.zoom?.from, to: this.zoom?.to },
        abort.signal,
      );
      if (abort.signal.aborted || this.disposed) return;
      this.last = body;
      this.draw();
    } catch (e) {
      if (abort.signal.aborted || this.disposed) return;
      attr(this.element, 'data-state', 'error');
      replace(this.message, el('span', { class: 'error', role: 'alert' }, `Cannot load this chart: ${messageOf(e)}`));
    } finally {
      if (this.inFlight === abort) {
        this.inFlight = undefined;
        if (this.again) this.load();
      }
    }
  }

  /** Draws the data fetched last with the current settings (smoothing and log scale need no fetch). */
  draw(): void {
    const body = this.last;
    if (!body || this.disposed) return;
    const s = this.settings();
    const { data, styles, repeats } = chartData(body.series, s);
    const shape = JSON.stringify([body.x, s.logY, styles, repeats]);
    if (!this.plot || shape !== this.builtFor) {
      this.plot?.destroy();
      this.plot = new uPlot(this.options(body.x, s, styles, repeats), data, this.plotHost);
      this.builtFor = shape;
      this.plot.over.addEventListener('dblclick', () => {
        if (!this.zoom) return;
        this.load(true);
      });
    } else {
      this.plot.setData(data, !this.zoom);
    }
    if (this.zoom) this.plot.setScale('x', { min: this.zoom.from, max: this.zoom.to });

    const empty = body.series.every((c) => c.x.length === 0);
    replace(
      this.message,
      empty
        ? el('span', { class: 'note' }, body.x === 'batch' ? 'No batch-level points (x = batch leaves epoch-level rows out).' : `No points with a ${body.x}.`)
        : null,
      this.zoom ? el('span', { class: 'note' }, 'zoomed: double-click the chart for the whole range') : null,
    );
    this.version = body.version;
    attr(this.element, 'data-version', body.version);
    attr(this.element, 'data-x', body.x);
    attr(this.element, 'data-series', body.series.map((c) => `${c.label}:${c.x.length}`).join(';'));
    attr(this.element, 'data-points', body.series.map((c) => `${c.label}:${c.points}`).join(';'));
    attr(this.element, 'data-zoom', this.zoom ? `${this.zoom.from}:${this.zoom.to}` : null);
    attr(this.element, 'data-state', 'ready');
  }

  private options(x: string, s: ChartSettings, styles: SeriesStyle[], repeats: boolean): uPlot.Options {
    return {
      width: this.width(),
      height: HEIGHT,
      // x values of the time axis are milliseconds since the epoch.
      ms: 1,
      scales: {
        x: { time: x === 'time' },
        y: s.logY ? { distr: 3, log: 10 } : {},
      },
      axes: [{ label: x === 'time' ? undefined : x }, { size: 64 }],
      series: [
        { label: x },
        ...styles.map(
          (st): uPlot.Series => ({
            label: st.label,
            stroke: st.stroke,
            width: st.width,
            show: st.show,
            ...(st.dash ? { dash: st.dash } : {}),
            ...(st.raw ? { alpha: 0.25, class: 'raw' } : {}),
            // x = batch repeats each batch index once per epoch: points, not a zigzag line.
            ...(repeats ? { paths: () => null, points: { show: true, size: 4 } } : {}),
          }),
        ),
      ],
      cursor: {
        drag: { x: true, y: false, setScale: false },
        // Double-click is ours (back to the whole range, fetched again), not uPlot's.
        bind: { dblclick: () => null },
      },
      hooks: { setSelect: [(u) => this.onSelect(u)] },
    };
  }

  private onSelect(u: uPlot): void {
    const { left, width } = u.select;
    if (width < 2) return;
    // Steps, batch indices and milliseconds are integers: widen the window to whole ones.
    const from = Math.floor(u.posToVal(left, 'x'));
    const to = Math.ceil(u.posToVal(left + width, 'x'));
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    if (!(to > from)) return;
    this.zoom = { from, to };
    u.setScale('x', { min: from, max: to });
    this.inFlight?.abort();
    this.inFlight = undefined;
    void this.fetchAndDraw();
  }

  private width(): number {
    const w = Math.round(this.plotHost.clientWidth || this.element.clientWidth || 600);
    return Math.max(16, Math.min(8192, w));
  }

  /** Follows the container's width (the page was resized). */
  resize(): void {
    if (this.plot && Math.abs(this.plot.width - this.width()) > 1) this.plot.setSize({ width: this.width(), height: HEIGHT });
  }

  dispose(): void {
    this.disposed = true;
    this.inFlight?.abort();
    this.plot?.destroy();
    this.plot = undefined;
  }
}

function metaText(info: MetricInfo): string {
  const ranks = info.ranks.length === 1 ? `rank ${info.ranks[0]}` : `${info.ranks.length} ranks`;
  const stats = info.stats.length > 0 ? ` + ${info.stats.join(', ')} across ranks` : '';
  return ` ${ranks}${stats} · ${info.points} point${info.points === 1 ? '' : 's'}${info.batchLevel ? ' · batch-level' : ''}`;
}
