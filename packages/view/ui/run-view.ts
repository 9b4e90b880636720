/**
 * One run (#/run/<id>): its header (status, tags, notes, params), the chart controls, a chart per
 * metric identifier, images and figures, texts and dicts, histograms, datasets and artifacts.
 * While the view is open an EventSource follows the run: each update refreshes the charts on
 * screen (keeping their zoom) and /api/run (new identifiers, media, histograms, status).
 *
 * Test hooks: `#run-view[data-run-id][data-version]` (the /api/run version shown last),
 * `[data-live]` on the live indicator ("connecting" | "live" | "reconnecting" | "closed"), and the hooks of
 * chart.ts, media.ts, text-items.ts, histogram.ts, files-tables.ts.
 */
import { fetchRun, type HistogramInfo, type MediaItem, type RunDetail, type UpdateEvent } from './api.js';
import { statusBadge, tagBadge } from './badges.js';
import { ChartGrid } from './chart-grid.js';
import { ControlBar } from './controls.js';
import { attr, display, el, errorBox, messageOf, replace } from './dom.js';
import { artifactsTable, datasetsTable } from './files-tables.js';
import { localTime } from './format.js';
import { HistogramPanel } from './histogram.js';
import { LiveUpdates } from './live.js';
import { MediaPanel } from './media.js';
import { TextPanel } from './text-items.js';
import type { View } from './view.js';

function section(id: string, title: string, ...content: HTMLElement[]): { root: HTMLElement; count: HTMLElement } {
  const count = el('span', { class: 'count' });
  const root = el('section', { id, hidden: true }, el('h3', {}, title, ' ', count), ...content);
  return { root, count };
}

function paramsTable(params: Record<string, unknown> | null): HTMLElement | null {
  const entries = Object.entries(params ?? {});
  if (entries.length === 0) return null;
  return el(
    'table',
    { class: 'params grid', id: 'params-table' },
    el('tbody', {}, ...entries.map(([k, v]) => el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, display(v))))),
  );
}

function header(d: RunDetail): HTMLElement[] {
  const run = d.info.run ?? {};
  const tags = Array.isArray(run.tags) ? run.tags.map((t) => tagBadge(display(t))) : [];
  const facts: [string, string][] = [
    ['started', localTime(d.info.startTime)],
    ['world size', run.world_size === undefined || run.world_size === null ? '' : display(run.world_size)],
    ['group', run.group === undefined ? '' : display(run.group)],
    ['job type', run.job_type === undefined ? '' : display(run.job_type)],
    ['rows', `${d.rows}${d.skipped > 0 ? ` (${d.skipped} malformed, skipped)` : ''}`],
    ['directory', `${d.info.savedir}/${d.info.name}`],
  ];
  return [
    el('dl', { class: 'facts' }, ...facts.filter(([, v]) => v !== '').flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    tags.length > 0 ? el('div', { class: 'tags' }, ...tags) : el('span'),
    run.notes !== undefined && run.notes !== null ? el('p', { class: 'notes' }, display(run.notes)) : el('span'),
    paramsTable(d.info.params) ?? el('span'),
  ];
}

function groupMedia(media: readonly MediaItem[], kinds: readonly string[]): Map<string, MediaItem[]> {
  const out = new Map<string, MediaItem[]>();
  for (const m of media) {
    if (!kinds.includes(m.kind)) continue;
    const key = `${m.kind}\u0000${m.identifier}`;
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push(m);
  }
  return out;
}

export function runView(root: HTMLElement, id: string): View {
  const abort = new AbortController();
  const title = el('h2', {}, el('a', { href: '#/', class: 'back' }, 'runs'), ' / ', el('span', { class: 'run-name' }, id));
  const status = el('span', { class: 'status-slot' });
  const liveBadge = el('span', { class: 'live', 'data-live': 'connecting' }, 'connecting…');
  const headerBox = el('div', { class: 'run-header' });
  const banner = el('div', { class: 'banner' });
  const controls = new ControlBar();
  const grid = new ChartGrid(id, () => controls.settings);
  const metrics = section('metrics', 'Metrics', controls.element, grid.element);
  const mediaSection = section('media', 'Images and figures');
  const textSection = section('texts', 'Text and dicts');
  const histSection = section('histograms', 'Histograms');
  const datasetSection = section('datasets', 'Datasets');
  const artifactSection = section('artifacts', 'Artifacts');
  const view = el(
    'div',
    { id: 'run-view', 'data-run-id': id },
    el('div', { class: 'title-row' }, title, status, liveBadge),
    banner,
    headerBox,
    metrics.root,
    mediaSection.root,
    textSection.root,
    histSection.root,
    datasetSection.root,
    artifactSection.root,
  );
  root.append(view);

  controls.onChange((what) => (what === 'x' ? grid.changeX() : grid.redraw()));
  controls.onFilter((text) => grid.setFilter(text));

  const mediaPanels = new Map<string, { panel: MediaPanel | TextPanel; n: number }>();
  const histPanels = new Map<string, { panel: HistogramPanel; points: number }>();
  const histObserver = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        const h = [...histPanels.values()].find((p) => p.panel.element === e.target)?.panel;
        if (h && !h.started) h.load();
      }
    },
    { rootMargin: '300px 0px' },
  );

  function syncMedia(d: RunDetail): void {
    for (const [groups, target] of [
      [groupMedia(d.media, ['image', 'figure']), mediaSection],
      [groupMedia(d.media, ['text', 'dict']), textSection],
    ] as const) {
      for (const [key, items] of groups) {
        const seen = mediaPanels.get(key);
        if (seen) {
          if (seen.n !== items.length) seen.panel.update(items);
          seen.n = items.length;
          continue;
        }
        const [kind, identifier] = key.split('\u0000') as [string, string];
        const panel = kind === 'image' || kind === 'figure' ? new MediaPanel(id, identifier, kind, items) : new TextPanel(id, identifier, kind, items);
        mediaPanels.set(key, { panel, n: items.length });
        target.root.append(panel.element);
      }
      target.root.hidden = groups.size === 0;
      replace(target.count, groups.size > 0 ? `(${groups.size})` : '');
    }
  }

  function syncHistograms(list: readonly HistogramInfo[]): void {
    for (const info of list) {
      const seen = histPanels.get(info.identifier);
      if (seen) {
        if (seen.points !== info.points) {
          seen.points = info.points;
          seen.panel.setInfo(info);
          if (seen.panel.started) seen.panel.load();
        }
        continue;
      }
      const panel = new HistogramPanel(id, info);
      histPanels.set(info.identifier, { panel, points: info.points });
      histSection.root.append(panel.element);
      histObserver.observe(panel.element);
    }
    histSection.root.hidden = list.length === 0;
    replace(histSection.count, list.length > 0 ? `(${list.length})` : '');
  }

  let shown = -1;
  function render(d: RunDetail): void {
    shown = d.version;
    attr(view, 'data-version', d.version);
    replace(title.querySelector('.run-name')!, d.info.name);
    replace(status, statusBadge(d.info.status));
    replace(headerBox, ...header(d));
    document.title = `${d.info.name} · ranklog view`;
    grid.sync(d.metrics);
    metrics.root.hidden = false;
    replace(metrics.count, `(${d.metrics.length})`);
    if (d.metrics.length === 0) replace(banner, el('p', { class: 'empty' }, 'No metrics in this run yet.'));
    else replace(banner);
    syncMedia(d);
    syncHistograms(d.histograms);
    datasetSection.root.hidden = d.datasets.length === 0;
    replace(datasetSection.count, d.datasets.length > 0 ? `(${d.datasets.length})` : '');
    datasetSection.root.querySelector('table')?.remove();
    if (d.datasets.length > 0) datasetSection.root.append(datasetsTable(d.datasets));
    artifactSection.root.hidden = d.artifacts.length === 0;
    replace(artifactSection.count, d.artifacts.length > 0 ? `(${d.artifacts.length})` : '');
    artifactSection.root.querySelector('table')?.remove();
    if (d.artifacts.length > 0) artifactSection.root.append(artifactsTable(id, d.artifacts));
  }

  /** /api/run again; one at a time, and once more if an update came in meanwhile. */
  let loading = false;
  let again = false;
  async function loadRun(): Promise<void> {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    again = false;
    try {
      const d = await fetchRun(id, abort.signal);
      if (abort.signal.aborted) return;
      if (d.version >= shown) render(d);
    } catch (e) {
      if (abort.signal.aborted) return;
      replace(banner, errorBox(`Cannot load run ${id}: ${messageOf(e)}`));
    } finally {
      loading = false;
      if (again && !abort.signal.aborted) void loadRun();
    }
  }

  const onUpdate = (u: UpdateEvent) => {
    grid.update(u.version);
    if (u.version > shown) void loadRun();
  };
  const live = new LiveUpdates(id, onUpdate, (s) => {
    attr(liveBadge, 'data-live', s);
    replace(liveBadge, s === 'live' ? 'live' : s === 'closed' ? 'not live' : `${s}…`);
  });
  void loadRun();

  return {
    dispose: () => {
      abort.abort();
      live.close();
      histObserver.disconnect();
      grid.dispose();
      for (const { panel } of mediaPanels.values()) if (panel instanceof TextPanel) panel.dispose();
      for (const { panel } of histPanels.values()) panel.dispose();
    },
  };
}
