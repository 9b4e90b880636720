/**
 * The page: GET / is dist/ui/index.html, GET /ui/<name> a file directly in dist/ui/ (a name of
 * letters, digits, '.', '_' and '-': no path), and uPlot's module and stylesheet from the installed
 * `uplot` package (no CDN). The page's policy allows only this origin's scripts and styles.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_HEADERS, HttpError } from './respond.js';

/** dist/http/ → dist/ui/ */
const UI_DIR = fileURLToPath(new URL('../ui/', import.meta.url));

export const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
};

function uplotFile(name: string): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('uplot/package.json')), 'dist', name);
}

const VENDOR: Record<string, () => string> = {
  'uPlot.esm.js': () => uplotFile('uPlot.esm.js'),
  'uPlot.min.css': () => uplotFile('uPlot.min.css'),
};

async function send(res: ServerResponse, file: string): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    throw new HttpError(404, file.endsWith('index.html') ? 'the page is not built: run `npm run build` in the ranklog repository' : 'not found');
  }
  res.writeHead(200, {
    ...BASE_HEADERS,
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'content-security-policy': PAGE_POLICY,
    'referrer-policy': 'no-referrer',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Serves the page or one of its assets; false when `pathname` is not one of them. */
export async function serveStatic(res: ServerResponse, pathname: string): Promise<boolean> {
  if (pathname === '/' || pathname === '/index.html') {
    await send(res, path.join(UI_DIR, 'index.html'));
    return true;
  }
  if (!pathname.startsWith('/ui/')) return false;
  const name = pathname.slice(4);
  const vendor = VENDOR[name];
  if (vendor) await send(res, vendor());
  else if (/^[A-Za-z0-9._-]+$/.test(name) && !name.startsWith('.')) await send(res, path.join(UI_DIR, name));
  else throw new HttpError(404, 'not found');
  return true;
}
