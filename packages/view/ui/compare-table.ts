/**
 * The comparison table: one row per run, one column per hyperparameter (params.json) and per
 * final metric (`final` of /api/runs), the union over all runs. Clicking a column header sorts by
 * it (again: the other direction); numbers sort numerically, text by locale, missing values last
 * in either direction.
 *
 * Test hooks: `#compare-table tbody tr[data-run-id]`, `th[data-column]` ("param:<key>" or
 * "final:<key>") with `aria-sort`.
 */
import type { RunSummary } from './api.js';
import { attr, display, el, replace } from './dom.js';
import { formatValue } from './format.js';
import { runHref } from './router.js';

interface Column {
  kind: 'param' | 'final';
  key: string;
}

function cellValue(run: RunSummary, c: Column): unknown {
  const source = c.kind === 'param' ? run.params : run.final;
  return source && Object.hasOwn(source, c.key) ? source[c.key] : undefined;
}

/** A sortable form of a value: a number (non-finite spellings included), a string, or missing. */
function sortKey(v: unknown): number | string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (v === 'NaN') return undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return display(v);
}

/** Missing last whatever the direction; numbers before text. */
export function compareValues(a: unknown, b: unknown, dir: 1 | -1): number {
  const x = sortKey(a);
  const y = sortKey(b);
  if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
  if (typeof x === 'number' && typeof y === 'number') return dir * (x - y);
  if (typeof x === 'number') return -1;
  if (typeof y === 'number') return 1;
  return dir * x.localeCompare(y, undefined, { numeric: true });
}

function columnsOf(runs: RunSummary[]): Column[] {
  const params = new Set<string>();
  const finals = new Set<string>();
  for (const r of runs) {
    for (const k of Object.keys(r.params ?? {})) params.add(k);
    for (const k of Object.keys(r.final ?? {})) finals.add(k);
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return [...sorted(params).map((key) => ({ kind: 'param' as const, key })), ...sorted(finals).map((key) => ({ kind: 'final' as const, key }))];
}

export function compareTable(runs: RunSummary[]): HTMLElement {
  const columns = columnsOf(runs);
  if (columns.length === 0) return el('p', { class: 'empty' }, 'No params or metrics to compare yet.');
  let sortBy: Column | undefined;
  let dir: 1 | -1 = 1;
  const body = el('tbody');
  const headers = columns.map((c) => {
    const th = el(
      'th',
      { scope: 'col', class: `sortable ${c.kind}`, 'data-column': `${c.kind}:${c.key}`, title: c.kind === 'param' ? 'hyperparameter' : 'last value' },
      el('button', { type: 'button' }, c.key),
    );
    th.addEventListener('click', () => {
      dir = sortBy === c ? (dir === 1 ? -1 : 1) : 1;
      sortBy = c;
      for (const h of headers) attr(h, 'aria-sort', null);
      attr(th, 'aria-sort', dir === 1 ? 'ascending' : 'descending');
      fill();
    });
    return th;
  });
  const nParams = columns.filter((c) => c.kind === 'param').length;
  const groups = el(
    'tr',
    { class: 'groups' },
    el('th', {}),
    nParams > 0 && el('th', { colspan: nParams, scope: 'colgroup' }, 'hyperparameters'),
    columns.length > nParams && el('th', { colspan: columns.length - nParams, scope: 'colgroup' }, 'final metrics'),
  );

  function fill(): void {
    const rows = [...runs];
    if (sortBy) {
      const c = sortBy;
      rows.sort((a, b) => compareValues(cellValue(a, c), cellValue(b, c), dir));
    }
    replace(
      body,
      ...rows.map((r) =>
        el(
          'tr',
          { 'data-run-id': r.id },
          el('th', { scope: 'row' }, el('a', { href: runHref(r.id) }, r.name)),
          ...columns.map((c) => {
            const v = cellValue(r, c);
            return el('td', { class: typeof sortKey(v) === 'number' ? 'num' : undefined }, c.kind === 'final' ? formatValue(v) : display(v));
          }),
        ),
      ),
    );
  }
  fill();
  return el(
    'div',
    { class: 'scroll' },
    el('table', { id: 'compare-table', class: 'grid' }, el('thead', {}, groups, el('tr', {}, el('th', { scope: 'col' }, 'run'), ...headers)), body),
  );
}
