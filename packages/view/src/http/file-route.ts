/**
 * GET /api/file?run=<id>&path=<relative>[&download=1]: one file of a run directory, never anything
 * outside it. The relative path is refused outright when it is absolute, holds a `..`, `.` or
 * empty segment, a backslash or NUL; then its real path (symbolic links resolved) must lie inside
 * the run directory's real path. Every refusal is the same 404, so a probe learns nothing.
 * Content types are fixed per extension and never text/html, so a logged file cannot become a page
 * of this origin.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import * as path from 'node:path';
import { BASE_HEADERS, HttpError } from './respond.js';

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/plain; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

const NOT_FOUND = 'no such file in this run';

/** The checked absolute path of `rel` inside `runDir`, or an HttpError 404. */
export async function resolveInside(runDir: string, rel: string | null): Promise<string> {
  if (rel === null || rel === '' || rel.includes('\0') || rel.includes('\\') || rel.startsWith('/')) throw new HttpError(404, NOT_FOUND);
  if (rel.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) throw new HttpError(404, NOT_FOUND);
  let real: string;
  let root: string;
  try {
    root = await realpath(runDir);
    real = await realpath(path.join(runDir, rel));
  } catch {
    throw new HttpError(404, NOT_FOUND);
  }
  if (!real.startsWith(root + path.sep)) throw new HttpError(404, NOT_FOUND);
  return real;
}

export async function sendFile(res: ServerResponse, runDir: string, rel: string | null, download: boolean): Promise<void> {
  const file = await resolveInside(runDir, rel);
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new HttpError(404, NOT_FOUND);
  const ext = path.extname(file).toLowerCase();
  const name = path.basename(file);
  const headers: Record<string, string | number> = {
    ...BASE_HEADERS,
    'content-type': TYPES[ext] ?? 'application/octet-stream',
    'content-length': st.size,
    // An SVG opened on its own is a document: no script, no external loads.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
  };
  if (download || rel!.startsWith('artifacts/')) {
    headers['content-disposition'] = `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;
  }
  res.writeHead(200, headers);
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}
