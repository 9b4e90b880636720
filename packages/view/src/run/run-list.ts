/**
 * The runs of the savedirs: every directory directly inside one that holds run.json or
 * metrics.csv. Directory names come from readdir, never from a request; symbolic links to
 * directories are not followed.
 */
import type { Dirent } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { parseNumber, splitCsvRecord } from '../metrics/parse-fields.js';

/** A run's status as run.json says it (a job's: its `job.status`); `unknown` when it says none. */
export type RunStatus = 'running' | 'finished' | 'failed' | 'killed' | 'unknown';

/** A run as the runs list shows it (docs/view-api.md, GET /api/runs). */
export interface RunInfo {
  /** `<index of the savedir>/<run directory name>`: how the API names the run. */
  id: string;
  savedir: string;
  name: string;
  /** run.json's content; null when it is missing or not valid JSON (yet). */
  run: Record<string, unknown> | null;
  /** params.json's content; null when missing or invalid. */
  params: Record<string, unknown> | null;
  status: RunStatus;
  /** run.json's created_at, or null. */
  startTime: string | null;
  /** The latest modification time of metrics.csv and run.json, ms since the epoch (0 when neither exists). */
  lastWriteMs: number;
  /** Per identifier, the last value of the lowest rank, from the last FINAL_WINDOW bytes of metrics.csv. */
  final: Record<string, number | 'NaN' | 'Infinity' | '-Infinity'>;
}

/** A run directory found in a savedir. */
export interface RunDir {
  id: string;
  savedir: string;
  name: string;
  /** Absolute path of the run directory. */
  dir: string;
}

export interface RunEntry {
  info: RunInfo;
  /** Absolute path of the run directory. */
  dir: string;
}

/** Bytes at the end of metrics.csv read for the runs table's final values. */
export const FINAL_WINDOW = 256 * 1024;
const STATUSES: readonly RunStatus[] = ['running', 'finished', 'failed', 'killed'];

async function readJsonObject(file: string): Promise<Record<string, unknown> | null> {
  try {
    const v: unknown = JSON.parse(await readFile(file, 'utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function statusOf(run: Record<string, unknown> | null): RunStatus {
  const job = run?.job as Record<string, unknown> | undefined;
  for (const s of [run?.status, job?.status]) {
    const lower = typeof s === 'string' ? s.toLowerCase() : undefined;
    if (lower && (STATUSES as readonly string[]).includes(lower)) return lower as RunStatus;
  }
  return 'unknown';
}

async function mtimeMs(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

/** The last value per identifier of the lowest rank, from the end of metrics.csv. */
export async function finalValues(csv: string): Promise<RunInfo['final']> {
  let text: string;
  try {
    const fh = await open(csv, 'r');
    try {
      const size = (await fh.stat()).size;
      const start = Math.max(0, size - FINAL_WINDOW);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      text = buf.toString('utf8');
      // The window's first line is cut (or the header): drop it. A line with a quoted line break may be lost; it is a summary.
      text = text.slice(text.indexOf('\n') + 1);
    } finally {
      await fh.close();
    }
  } catch {
    return {};
  }
  const best = new Map<string, { rank: number; value: number }>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = splitCsvRecord(line.endsWith('\r') ? line.slice(0, -1) : line);
    if (f.length !== 6) continue;
    const rank = /^\d+$/.test(f[1]!) ? Number(f[1]) : Number.NaN;
    const vb = Buffer.from(f[5]!, 'utf8');
    const value = parseNumber(vb, 0, vb.length);
    if (Number.isNaN(rank) || value === undefined || f[2] === '') continue;
    const seen = best.get(f[2]!);
    if (!seen || rank <= seen.rank) best.set(f[2]!, { rank, value });
  }
  const out: RunInfo['final'] = {};
  for (const id of [...best.keys()].sort()) {
    const v = best.get(id)!.value;
    out[id] = v - v === 0 ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  }
  return out;
}

/** The run directories of the savedirs, in savedir order then by name. */
export async function listRunDirs(savedirs: readonly string[]): Promise<RunDir[]> {
  const out: RunDir[] = [];
  for (const [i, savedir] of savedirs.entries()) {
    let entries: Dirent[];
    try {
      entries = await readdir(savedir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (!e.isDirectory()) continue;
      const dir = path.join(savedir, e.name);
      const names = await readdir(dir).catch(() => [] as string[]);
      if (!names.includes('run.json') && !names.includes('metrics.csv')) continue;
      out.push({ id: `${i}/${e.name}`, savedir, name: e.name, dir });
    }
  }
  return out;
}

/** One run's entry of the runs list. */
export async function runInfo(r: RunDir): Promise<RunEntry> {
  const run = await readJsonObject(path.join(r.dir, 'run.json'));
  const created = run?.created_at;
  const info: RunInfo = {
    id: r.id,
    savedir: r.savedir,
    name: r.name,
    run,
    params: await readJsonObject(path.join(r.dir, 'params.json')),
    status: statusOf(run),
    startTime: typeof created === 'string' ? created : null,
    lastWriteMs: Math.max(await mtimeMs(path.join(r.dir, 'metrics.csv')), await mtimeMs(path.join(r.dir, 'run.json'))),
    final: await finalValues(path.join(r.dir, 'metrics.csv')),
  };
  return { info, dir: r.dir };
}

/** The runs of the savedirs with their entries (docs/view-api.md, GET /api/runs). */
export async function listRuns(savedirs: readonly string[]): Promise<RunEntry[]> {
  return Promise.all((await listRunDirs(savedirs)).map(runInfo));
}
