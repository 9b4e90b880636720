/**
 * The viewer's HTTP API as the page uses it (docs/view-api.md is the contract): the response
 * types and one function per route. Failures throw an Error whose message names the route, the
 * status and the server's `error`, for the page to show.
 */

export type RunStatus = 'running' | 'finished' | 'failed' | 'killed' | 'unknown';
/** Non-finite numbers as JSON spells them in this API. */
export type NonFinite = 'NaN' | 'Infinity' | '-Infinity';

/** One entry of GET /api/runs. */
export interface RunSummary {
  id: string;
  savedir: string;
  name: string;
  /** run.json as written (tags, notes, world_size, job …), or null while missing. */
  run: Record<string, unknown> | null;
  params: Record<string, unknown> | null;
  status: RunStatus | string;
  startTime: string | null;
  lastWriteMs: number;
  final: Record<string, number | NonFinite>;
}

export interface MetricInfo {
  identifier: string;
  ranks: number[];
  stats: string[];
  points: number;
  batchLevel: boolean;
}

export interface HistogramInfo {
  identifier: string;
  ranks: number[];
  points: number;
}

export type MediaKind = 'image' | 'figure' | 'text' | 'dict';

export interface MediaItem {
  kind: MediaKind;
  identifier: string;
  path: string;
  rank: number | null;
  step: number | null;
  batchIdx: number | null;
  size: number;
}

export interface ArtifactItem {
  identifier: string;
  path: string;
  size: number;
}

export interface DatasetItem {
  identifier: string;
  rank: number;
  step: number | null;
  name: string;
  digest: string;
  source: string;
  schema: unknown;
}

/** GET /api/run. */
export interface RunDetail {
  id: string;
  info: RunSummary;
  rows: number;
  skipped: number;
  version: number;
  metrics: MetricInfo[];
  histograms: HistogramInfo[];
  media: MediaItem[];
  artifacts: ArtifactItem[];
  datasets: DatasetItem[];
}

export type XAxis = 'step' | 'time' | 'batch';

export interface Series {
  /** A rank, or an aggregate statistic ("mean", "min", …). */
  rank: number | string;
  label: string;
  x: number[];
  /** null for NaN and ±Infinity: a gap. */
  y: (number | null)[];
  /** Points before downsampling. */
  points: number;
}

/** GET /api/series. */
export interface SeriesResponse {
  identifier: string;
  x: XAxis;
  version: number;
  series: Series[];
}

export interface HistogramRow {
  step: number | null;
  batchIdx: number | null;
  count: number;
  counts: number[];
}

/** GET /api/histogram. */
export interface HistogramResponse {
  identifier: string;
  rank: number;
  edges: number[];
  rows: HistogramRow[];
}

/** The data of an `update` event of GET /api/events. */
export interface UpdateEvent {
  version: number;
  rows: number;
  skipped: number;
}

function route(path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { signal: signal ?? null, headers: { accept: 'application/json' } });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new Error(`GET ${url}: the viewer does not answer (${e instanceof Error ? e.message : String(e)}); is \`ranklog view\` still running?`);
  }
  if (!res.ok) {
    let detail = '';
    try {
      const body = (await res.json()) as { error?: unknown };
      if (typeof body.error === 'string') detail = `: ${body.error}`;
    } catch {
      // not JSON: the status says enough
    }
    throw new Error(`GET ${url}: ${res.status} ${res.statusText}${detail}`);
  }
  return (await res.json()) as T;
}

export function fetchRuns(signal?: AbortSignal): Promise<RunSummary[]> {
  return getJson('/api/runs', signal);
}

export function fetchRun(run: string, signal?: AbortSignal): Promise<RunDetail> {
  return getJson(route('/api/run', { run }), signal);
}

export interface SeriesQuery {
  run: string;
  identifier: string;
  x: XAxis;
  width: number;
  from?: number | undefined;
  to?: number | undefined;
}

export function fetchSeries(q: SeriesQuery, signal?: AbortSignal): Promise<SeriesResponse> {
  return getJson(route('/api/series', { run: q.run, identifier: q.identifier, x: q.x, width: q.width, from: q.from, to: q.to }), signal);
}

export function fetchHistogram(run: string, identifier: string, rank: number, bins?: number, signal?: AbortSignal): Promise<HistogramResponse> {
  return getJson(route('/api/histogram', { run, identifier, rank, bins }), signal);
}

/** The URL of a file of the run directory (an <img> src, a download link). */
export function fileUrl(run: string, path: string, download = false): string {
  return route('/api/file', { run, path, download: download ? 1 : undefined });
}

/** A text file of the run directory, as text. */
export async function fetchText(run: string, path: string, signal?: AbortSignal): Promise<string> {
  const url = fileUrl(run, path);
  const res = await fetch(url, { signal: signal ?? null });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  return res.text();
}

export function eventsUrl(run: string): string {
  return route('/api/events', { run });
}
