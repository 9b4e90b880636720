/**
 * The JSON routes of docs/view-api.md: /api/runs, /api/run, /api/series, /api/histogram. Each
 * reads what was appended to the run's files first (from the last offsets), then answers from
 * memory.
 */
import type { Columns, XKind } from '../metrics/columns.js';
import { type Downsampled, downsample, type Window } from '../metrics/downsample.js';
import { listArtifacts, listDatasets, listMedia } from '../run/run-files.js';
import type { RunEntry } from '../run/run-list.js';
import type { RunState } from '../run/run-state.js';
import { bound, intInRange, required, xKind } from './params.js';
import { HttpError } from './respond.js';

export interface SeriesOut extends Downsampled {
  /** A rank, or an aggregate statistic of aggregates.csv ("mean", "min", …). */
  rank: number | string;
  label: string;
}

export async function runBody(entry: RunEntry, state: RunState): Promise<Record<string, unknown>> {
  await state.current();
  const p = state.progress();
  const aggregated = state.aggregates.byIdentifier;
  const metrics = state.metrics.identifiers().map((m) => {
    let points = 0;
    for (const c of m.ranks.values()) points = Math.max(points, c.length);
    return {
      identifier: m.identifier,
      ranks: [...m.ranks.keys()].sort((a, b) => a - b),
      stats: state.aggregates.stats(m.identifier),
      points,
      batchLevel: m.batchLevel,
    };
  });
  // An aggregate whose identifier has no per-rank rows here (its ranks log to other backends).
  for (const id of [...aggregated.keys()].sort()) {
    if (!state.metrics.find(id)) metrics.push({ identifier: id, ranks: [], stats: state.aggregates.stats(id), points: 0, batchLevel: false });
  }
  metrics.sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
  const histograms = [...state.histograms.byIdentifier.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([identifier, ranks]) => ({
      identifier,
      ranks: [...ranks.keys()].sort((a, b) => a - b),
      points: Math.max(0, ...[...ranks.values()].map((r) => r.length)),
    }));
  return {
    id: entry.info.id,
    info: entry.info,
    ...p,
    aggregateRows: state.aggregates.rows,
    aggregateSkipped: state.aggregates.skipped,
    histogramRows: state.histograms.rows,
    histogramSkipped: state.histograms.skipped,
    metrics,
    histograms,
    media: await listMedia(entry.dir),
    artifacts: await listArtifacts(entry.dir),
    datasets: await listDatasets(entry.dir),
  };
}

function columns(c: Columns, x: XKind, window: Window): Downsampled {
  return downsample(c.x(x), c.value, c.length, window);
}

export async function seriesBody(q: URLSearchParams, state: RunState): Promise<Record<string, unknown>> {
  const identifier = required(q, 'identifier');
  const x = xKind(q);
  const window = { width: intInRange(q, 'width', 1000, 16, 8192), from: bound(q, 'from'), to: bound(q, 'to') };
  await state.current();
  const m = state.metrics.find(identifier);
  const stats = state.aggregates.byIdentifier.get(identifier);
  if (!m && !stats) throw new HttpError(404, 'no such identifier in this run (see GET /api/run for the identifiers)');
  const series: SeriesOut[] = [];
  for (const rank of [...(m?.ranks.keys() ?? [])].sort((a, b) => a - b)) {
    const reread = (from: number, to: number) => state.metrics.reread(identifier, rank, from, to);
    series.push({ rank, label: `rank ${rank}`, ...(await m!.ranks.get(rank)!.window(x, window, reread)) });
  }
  // Aggregates are per step: drawn against the step or the time, not the batch index.
  if (stats && x !== 'batch') {
    for (const stat of [...stats.keys()].sort()) series.push({ rank: stat, label: `${stat} of ranks`, ...columns(stats.get(stat)!, x, window) });
  }
  return { identifier, x, ...state.progress(), series };
}

export async function histogramBody(q: URLSearchParams, state: RunState): Promise<Record<string, unknown>> {
  const identifier = required(q, 'identifier');
  const rank = intInRange(q, 'rank', 0, 0, 2 ** 31 - 1);
  const bins = intInRange(q, 'bins', 30, 1, 200);
  await state.current();
  const binned = state.histograms.binned(identifier, rank, bins);
  if (!binned) throw new HttpError(404, 'no such histogram (identifier and rank) in this run (see GET /api/run)');
  return { ...binned, version: state.version };
}
