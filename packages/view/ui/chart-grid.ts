/**
 * All metric charts of a run, created lazily: a chart is fetched only when it comes near the
 * viewport (IntersectionObserver), so a run with hundreds of identifiers opens with a handful of
 * requests. Live updates refresh the charts on screen now and the others when they scroll in.
 */
import type { MetricInfo } from './api.js';
import { ChartPanel } from './chart.js';
import type { ChartSettings } from './chart-data.js';
import { el } from './dom.js';

export class ChartGrid {
  readonly element: HTMLElement;
  private readonly panels = new Map<string, ChartPanel>();
  private readonly visible = new Set<ChartPanel>();
  private readonly byElement = new WeakMap<Element, ChartPanel>();
  private readonly observer: IntersectionObserver;
  private readonly resizeObserver: ResizeObserver;
  /** The newest run version announced; a chart drawn from an older one is stale. */
  private version = -1;
  /** Charts whose x axis changed while they were off screen: their zoom goes when they load. */
  private readonly needReset = new WeakSet<ChartPanel>();
  private filter = '';

  constructor(
    private readonly run: string,
    private readonly settings: () => ChartSettings,
  ) {
    this.element = el('div', { class: 'chart-grid' });
    this.observer = new IntersectionObserver((entries) => this.onIntersect(entries), { rootMargin: '300px 0px' });
    let frame = 0;
    this.resizeObserver = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        for (const p of this.panels.values()) p.resize();
      });
    });
    this.resizeObserver.observe(this.element);
  }

  /** Adds charts for identifiers not seen before, in identifier order; updates the others' counts. */
  sync(metrics: readonly MetricInfo[]): void {
    const sorted = [...metrics].sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
    let previous: Element | null = null;
    for (const info of sorted) {
      let panel = this.panels.get(info.identifier);
      if (panel) {
        panel.setInfo(info);
      } else {
        panel = new ChartPanel(this.run, info, this.settings);
        this.panels.set(info.identifier, panel);
        this.byElement.set(panel.element, panel);
        if (previous) previous.after(panel.element);
        else this.element.prepend(panel.element);
        this.applyFilter(panel);
        this.observer.observe(panel.element);
      }
      previous = panel.element;
    }
  }

  get size(): number {
    return this.panels.size;
  }

  private onIntersect(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      const panel = this.byElement.get(e.target);
      if (!panel) continue;
      if (!e.isIntersecting) {
        this.visible.delete(panel);
        continue;
      }
      this.visible.add(panel);
      if (!panel.started || this.needReset.has(panel)) {
        const reset = this.needReset.has(panel);
        this.needReset.delete(panel);
        panel.load(reset);
      } else if (panel.version < this.version) {
        panel.load();
      }
    }
  }

  /** New rows were read (run version `version`): refresh the charts on screen. */
  update(version: number): void {
    this.version = Math.max(this.version, version);
    for (const p of this.visible) if (p.started && p.version < this.version) p.load();
  }

  /** The x axis changed: every chart fetches again (on screen now, the others when shown). */
  changeX(): void {
    for (const p of this.panels.values()) {
      if (!p.started) continue;
      if (this.visible.has(p)) p.load(true);
      else this.needReset.add(p);
    }
  }

  /** Smoothing or the log scale changed: redraw from the data already fetched. */
  redraw(): void {
    for (const p of this.panels.values()) p.draw();
  }

  /** Shows only identifiers containing `text` (case-insensitive). */
  setFilter(text: string): void {
    this.filter = text.toLowerCase();
    for (const p of this.panels.values()) this.applyFilter(p);
  }

  private applyFilter(p: ChartPanel): void {
    p.element.hidden = this.filter !== '' && !p.info.identifier.toLowerCase().includes(this.filter);
  }

  dispose(): void {
    this.observer.disconnect();
    this.resizeObserver.disconnect();
    for (const p of this.panels.values()) p.dispose();
    this.panels.clear();
    this.visible.clear();
  }
}
