/**
 * The run's datasets (datasets.jsonl) and artifacts (artifacts/…), as tables with human sizes;
 * artifacts are download links (/api/file with download=1).
 *
 * Test hooks: `#datasets-table`, `#artifacts-table` (`a.download[data-path]`).
 */
import { type ArtifactItem, type DatasetItem, fileUrl } from './api.js';
import { display, el } from './dom.js';
import { humanSize } from './format.js';

function table(id: string, headers: string[], rows: HTMLTableRowElement[]): HTMLTableElement {
  return el('table', { id, class: 'grid' }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, ...rows));
}

export function datasetsTable(datasets: readonly DatasetItem[]): HTMLElement {
  return table(
    'datasets-table',
    ['identifier', 'name', 'rank', 'step', 'digest', 'source', 'schema'],
    datasets.map((d) =>
      el(
        'tr',
        {},
        el('td', {}, d.identifier),
        el('td', {}, display(d.name)),
        el('td', { class: 'num' }, display(d.rank)),
        el('td', { class: 'num' }, d.step === null ? '' : display(d.step)),
        el('td', { class: 'digest', title: display(d.digest) }, display(d.digest).slice(0, 16)),
        el('td', { class: 'path' }, display(d.source)),
        el(
          'td',
          {},
          d.schema === null || d.schema === undefined ? '' : el('details', {}, el('summary', {}, 'schema'), el('pre', {}, JSON.stringify(d.schema, null, 2))),
        ),
      ),
    ),
  );
}

export function artifactsTable(run: string, artifacts: readonly ArtifactItem[]): HTMLElement {
  return table(
    'artifacts-table',
    ['identifier', 'file', 'size'],
    artifacts.map((a) =>
      el(
        'tr',
        {},
        el('td', {}, a.identifier),
        el('td', {}, el('a', { class: 'download', href: fileUrl(run, a.path, true), download: '', 'data-path': a.path }, a.path)),
        el('td', { class: 'num', title: `${a.size} bytes` }, humanSize(a.size)),
      ),
    ),
  );
}
