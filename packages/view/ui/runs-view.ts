/**
 * The runs list (#/): one row per run (name, status, start time, last write, tags, notes, world size) and the
 * comparison table of hyperparameters × final metrics below it.
 *
 * Test hooks: `#runs-table tbody tr[data-run-id]` (the run's API id), `[data-status]` on the
 * status cell.
 */
import { fetchRuns, type RunSummary } from './api.js';
import { statusBadge, tagBadge } from './badges.js';
import { compareTable } from './compare-table.js';
import { display, el, errorBox, messageOf, replace } from './dom.js';
import { ago, localTime } from './format.js';
import { runHref } from './router.js';
import type { View } from './view.js';

function tagsOf(run: RunSummary): string[] {
  const tags = run.run?.tags;
  return Array.isArray(tags) ? tags.map((t) => display(t)) : [];
}

function runsTable(runs: RunSummary[]): HTMLTableElement {
  const body = el('tbody');
  for (const r of runs) {
    const notes = r.run?.notes;
    const worldSize = r.run?.world_size;
    body.append(
      el(
        'tr',
        { 'data-run-id': r.id },
        el('td', {}, el('a', { href: runHref(r.id), class: 'run-link' }, r.name)),
        el('td', {}, statusBadge(r.status)),
        el('td', { title: r.startTime ?? '' }, localTime(r.startTime)),
        // A run killed with SIGKILL still says "running": how long ago it last wrote tells them apart.
        el(
          'td',
          { class: 'num', title: r.lastWriteMs > 0 ? new Date(r.lastWriteMs).toISOString() : '' },
          r.lastWriteMs > 0 ? ago(Date.now() - r.lastWriteMs) : '',
        ),
        el('td', {}, ...tagsOf(r).map(tagBadge)),
        el('td', { class: 'notes' }, notes === undefined || notes === null ? '' : display(notes)),
        el('td', { class: 'num' }, worldSize === undefined || worldSize === null ? '' : display(worldSize)),
        el('td', { class: 'path', title: r.savedir }, r.savedir),
      ),
    );
  }
  const head = el('tr', {}, ...['run', 'status', 'started', 'last write', 'tags', 'notes', 'world size', 'savedir'].map((h) => el('th', { scope: 'col' }, h)));
  return el('table', { id: 'runs-table', class: 'grid' }, el('thead', {}, head), body);
}

export function runsView(root: HTMLElement): View {
  const abort = new AbortController();
  const list = el('div', { class: 'loading' }, 'loading runs…');
  const compare = el('div');
  const refresh = el('button', { type: 'button' }, 'refresh');
  root.append(
    el('section', { class: 'runs' }, el('h2', {}, 'Runs ', refresh), list),
    el('section', { class: 'compare' }, el('h2', {}, 'Compare hyperparameters and final metrics'), compare),
  );

  async function load(): Promise<void> {
    try {
      const runs = await fetchRuns(abort.signal);
      if (runs.length === 0) {
        replace(list, el('p', { class: 'empty' }, 'No runs yet: a run directory appears here once it holds run.json or metrics.csv.'));
        replace(compare);
        return;
      }
      replace(list, runsTable(runs));
      replace(compare, compareTable(runs));
    } catch (e) {
      if (!abort.signal.aborted) replace(list, errorBox(`Cannot list the runs: ${messageOf(e)}`));
    }
  }
  refresh.addEventListener('click', () => void load());
  void load();
  document.title = 'ranklog view';
  return { dispose: () => abort.abort() };
}
