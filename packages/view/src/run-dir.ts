/**
 * One local-files run directory (README "Run directory (local files)"), read for the viewer:
 * run.json as it is, metrics.csv as columns per identifier and rank, tailed from the last offset.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CsvTail } from './csv-tail.js';

/** One rank's curve of one identifier, as columns of equal length. */
export interface RankSeries {
  identifier: string;
  rank: number;
  /** The step of each point; null where the row had none. */
  step: (number | null)[];
  /** The batch index of each point; null for epoch-level rows. */
  batchIdx: (number | null)[];
  /** Milliseconds since the epoch (UTC), from the row's ISO-8601 timestamp. */
  timeMs: number[];
  /** The values; non-finite ones as metrics.jsonl spells them: "NaN", "Infinity", "-Infinity". */
  value: (number | 'NaN' | 'Infinity' | '-Infinity')[];
}

/** What the viewer knows of a run's metrics.csv. */
export interface MetricsSnapshot {
  series: RankSeries[];
  /** Rows read, the header excluded. */
  rows: number;
  /** Rows skipped because they were malformed (wrong field count, bad rank, step, time or value). */
  skipped: number;
  /** Bytes of metrics.csv read so far. */
  offset: number;
}

const INT = /^-?\d+$/;

function parseValue(s: string): RankSeries['value'][number] | undefined {
  switch (s) {
    case 'NaN':
      return 'NaN';
    case 'inf':
      return 'Infinity';
    case '-inf':
      return '-Infinity';
  }
  if (s === '' || s.trim() !== s) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

function parseOptionalInt(s: string): number | null | undefined {
  if (s === '') return null;
  return INT.test(s) ? Number(s) : undefined;
}

/** The metrics of one run, updated incrementally from metrics.csv. */
export class RunMetrics {
  private readonly tail: CsvTail;
  private readonly byKey = new Map<string, RankSeries>();
  private rows = 0;
  private skipped = 0;
  /** Updates run one at a time: two requests never read the same bytes twice. */
  private pending: Promise<void> = Promise.resolve();

  constructor(readonly runDir: string) {
    this.tail = new CsvTail(path.join(runDir, 'metrics.csv'));
  }

  /** Reads what was appended since the last update. */
  update(): Promise<void> {
    const next = this.pending.then(() => this.readNew());
    this.pending = next.catch(() => {});
    return next;
  }

  private async readNew(): Promise<void> {
    await this.tail.read((f) => this.add(f));
  }

  private add(fields: string[]): void {
    this.rows++;
    if (fields.length !== 6) {
      this.skipped++;
      return;
    }
    const [timestamp, rankText, identifier, stepText, batchText, valueText] = fields as [string, string, string, string, string, string];
    const timeMs = Date.parse(timestamp);
    const rank = INT.test(rankText) ? Number(rankText) : Number.NaN;
    const step = parseOptionalInt(stepText);
    const batchIdx = parseOptionalInt(batchText);
    const value = parseValue(valueText);
    if (Number.isNaN(timeMs) || Number.isNaN(rank) || rank < 0 || identifier === '' || step === undefined || batchIdx === undefined || value === undefined) {
      this.skipped++;
      return;
    }
    const key = `${rank}\u0000${identifier}`;
    let s = this.byKey.get(key);
    if (!s) {
      s = { identifier, rank, step: [], batchIdx: [], timeMs: [], value: [] };
      this.byKey.set(key, s);
    }
    s.step.push(step);
    s.batchIdx.push(batchIdx);
    s.timeMs.push(timeMs);
    s.value.push(value);
  }

  /** The series read so far, sorted by identifier then rank. */
  snapshot(identifier?: string): MetricsSnapshot {
    const series = [...this.byKey.values()]
      .filter((s) => identifier === undefined || s.identifier === identifier)
      .sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : a.rank - b.rank));
    return { series, rows: this.rows, skipped: this.skipped, offset: this.tail.offset };
  }
}

/** A run as the runs list shows it. */
export interface RunInfo {
  /** `<index of the savedir>/<run name>`: how the API names the run. */
  id: string;
  savedir: string;
  name: string;
  /** run.json's content; null when it is missing or not valid JSON (yet). */
  run: Record<string, unknown> | null;
  /** params.json's content; null when missing or invalid. */
  params: Record<string, unknown> | null;
}

async function readJsonObject(file: string): Promise<Record<string, unknown> | null> {
  try {
    const v: unknown = JSON.parse(await readFile(file, 'utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The runs in the savedirs: every directory directly inside one that holds run.json or
 * metrics.csv. Symbolic links are not followed. The directory names come from readdir, never
 * from a request.
 */
export async function listRuns(savedirs: readonly string[]): Promise<{ info: RunInfo; dir: string }[]> {
  const out: { info: RunInfo; dir: string }[] = [];
  for (const [i, savedir] of savedirs.entries()) {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(savedir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!e.isDirectory()) continue;
      const dir = path.join(savedir, e.name);
      const names = new Set(await readdir(dir).catch(() => [] as string[]));
      if (!names.has('run.json') && !names.has('metrics.csv')) continue;
      const info: RunInfo = {
        id: `${i}/${e.name}`,
        savedir,
        name: e.name,
        run: names.has('run.json') ? await readJsonObject(path.join(dir, 'run.json')) : null,
        params: names.has('params.json') ? await readJsonObject(path.join(dir, 'params.json')) : null,
      };
      out.push({ info, dir });
    }
  }
  return out;
}
