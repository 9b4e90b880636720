/**
 * The per-item files of a run directory, listed for the page: images/, figures/, text/, dicts/
 * (one file per logged item, named `rank<r>[-step<s>][-batch<b>][-<n>].<ext>`), artifacts/ (the
 * logged files and directories, with sizes) and datasets.jsonl. Only what readdir returns is
 * listed; symbolic links are not followed.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';

export type MediaKind = 'image' | 'figure' | 'text' | 'dict';

export interface MediaFile {
  kind: MediaKind;
  identifier: string;
  /** Relative to the run directory, with '/' separators. */
  path: string;
  rank: number | null;
  step: number | null;
  batchIdx: number | null;
  size: number;
}

export interface ArtifactFile {
  identifier: string;
  path: string;
  size: number;
}

export interface DatasetEntry {
  identifier: string;
  rank: number | null;
  step: number | null;
  name: string | null;
  digest: string | null;
  source: string | null;
  schema: unknown;
}

const MEDIA_DIRS: readonly [string, MediaKind, RegExp][] = [
  ['images', 'image', /\.(png|jpe?g)$/i],
  // A rendered figure's PNG; its .svg / .vl.json source beside it is listed as the same item's source, not as another figure.
  ['figures', 'figure', /\.png$/i],
  ['text', 'text', /\.txt$/i],
  ['dicts', 'dict', /\.json$/i],
];

const STEM = /^rank(\d+)(?:-step(-?\d+))?(?:-batch(\d+))?(?:-\d+)?\./;

/** The identifier directories under `sub`: identifiers with '/' are nested directories. */
async function walk(root: string, rel: string, onFile: (rel: string, entry: Dirent) => Promise<void>): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const child = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) await walk(root, child, onFile);
    else if (e.isFile()) await onFile(child, e);
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export async function listMedia(runDir: string): Promise<MediaFile[]> {
  const out: MediaFile[] = [];
  for (const [sub, kind, ext] of MEDIA_DIRS) {
    await walk(path.join(runDir, sub), '', async (rel) => {
      const slash = rel.lastIndexOf('/');
      if (slash < 0) return; // files sit in an identifier's directory
      const name = rel.slice(slash + 1);
      if (!ext.test(name)) return;
      const m = STEM.exec(name);
      out.push({
        kind,
        identifier: rel.slice(0, slash),
        path: `${sub}/${rel}`,
        rank: m ? Number(m[1]) : null,
        step: m?.[2] !== undefined ? Number(m[2]) : null,
        batchIdx: m?.[3] !== undefined ? Number(m[3]) : null,
        size: await sizeOf(path.join(runDir, sub, rel)),
      });
    });
  }
  const order: Record<MediaKind, number> = { image: 0, figure: 1, text: 2, dict: 3 };
  return out.sort(
    (a, b) =>
      order[a.kind] - order[b.kind] ||
      (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0) ||
      (a.rank ?? -1) - (b.rank ?? -1) ||
      (a.step ?? -1) - (b.step ?? -1) ||
      (a.batchIdx ?? -1) - (b.batchIdx ?? -1) ||
      (a.path < b.path ? -1 : 1),
  );
}

/**
 * artifacts/<identifier>/<logged file or directory>: the identifier is the first directory level
 * (ranklog writes identifiers with '/' as nested directories, so for those it is a guess: the
 * file's directory relative to artifacts/ when the logged item was a file).
 */
export async function listArtifacts(runDir: string): Promise<ArtifactFile[]> {
  const out: ArtifactFile[] = [];
  await walk(path.join(runDir, 'artifacts'), '', async (rel) => {
    const slash = rel.indexOf('/');
    out.push({ identifier: slash < 0 ? '' : rel.slice(0, slash), path: `artifacts/${rel}`, size: await sizeOf(path.join(runDir, 'artifacts', rel)) });
  });
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

const str = (v: unknown) => (typeof v === 'string' ? v : null);
const int = (v: unknown) => (Number.isSafeInteger(v) ? (v as number) : null);

/** datasets.jsonl's entries; malformed lines are left out (the file is small: read whole). */
export async function listDatasets(runDir: string): Promise<DatasetEntry[]> {
  let text: string;
  try {
    text = await readFile(path.join(runDir, 'datasets.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const out: DatasetEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (typeof o.identifier !== 'string') continue;
      out.push({
        identifier: o.identifier,
        rank: int(o.rank),
        step: int(o.step),
        name: str(o.name),
        digest: str(o.digest),
        source: str(o.source),
        schema: o.schema ?? null,
      });
    } catch {
      // a half-written last line: read again next time
    }
  }
  return out;
}

/** Files and folders whose change a page must hear of, besides the rows of the tailed files. */
const WATCHED_FILES = ['run.json', 'params.json', 'datasets.jsonl'];
const WATCHED_DIRS = ['images', 'figures', 'text', 'dicts', 'artifacts'];

/**
 * A string that changes when run.json, params.json or datasets.jsonl change, or a file is added
 * to (or removed from) the item folders: their files' sizes and times, and the times of every
 * folder under images/, figures/, text/, dicts/ and artifacts/ (a new file changes its folder's
 * time). Folders only are walked, so its cost grows with the identifiers, not with the files.
 */
export async function filesSignature(runDir: string): Promise<string> {
  const parts: string[] = [];
  for (const f of WATCHED_FILES) {
    const st = await stat(path.join(runDir, f)).catch(() => undefined);
    parts.push(st ? `${st.mtimeMs}:${st.size}` : '-');
  }
  const walkDirs = async (dir: string): Promise<void> => {
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) return;
    parts.push(`${st.mtimeMs}`);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) await walkDirs(path.join(dir, e.name));
  };
  for (const d of WATCHED_DIRS) {
    parts.push(d);
    await walkDirs(path.join(runDir, d));
  }
  return parts.join(',');
}
