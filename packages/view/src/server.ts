/**
 * The viewer's HTTP server (node:http), bound to 127.0.0.1 by default. A JSON API:
 *
 *   GET /api/runs                          [{ id, savedir, name, run, params }]
 *   GET /api/series?run=<id>[&identifier=] { run, series: [{ identifier, rank, step, batchIdx, timeMs, value }], rows, skipped, offset }
 *
 * A run is named by its id from /api/runs (`<savedir index>/<run name>`) and looked up in the
 * list of run directories read from disk: no part of a request is ever joined to a path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { listRuns, RunMetrics } from './run-dir.js';

export interface ViewServerOptions {
  /** Directories holding run directories (LocalFileLogger's `savedir`). Default: ['logs']. */
  savedirs?: readonly string[];
  /** Default '127.0.0.1': only this machine can connect. */
  host?: string;
  /** Default 0: a free port chosen by the system. */
  port?: number;
}

export interface ViewServer {
  /** e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

/** Starts the server; resolves once it listens. */
export async function startViewServer(options: ViewServerOptions = {}): Promise<ViewServer> {
  const savedirs = (options.savedirs ?? ['logs']).map((d) => path.resolve(d));
  const host = options.host ?? '127.0.0.1';
  /** Metrics per run directory, kept between requests so each request reads only new rows. */
  const metrics = new Map<string, RunMetrics>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/api/runs') {
      const runs = await listRuns(savedirs);
      sendJson(
        res,
        200,
        runs.map((r) => r.info),
      );
      return;
    }
    if (url.pathname === '/api/series') {
      const id = url.searchParams.get('run');
      const run = id === null ? undefined : (await listRuns(savedirs)).find((r) => r.info.id === id);
      if (!run) {
        sendJson(res, 404, { error: 'no such run' });
        return;
      }
      let m = metrics.get(run.dir);
      if (!m) {
        m = new RunMetrics(run.dir);
        metrics.set(run.dir, m);
      }
      await m.update();
      sendJson(res, 200, { run: run.info.id, ...m.snapshot(url.searchParams.get('identifier') ?? undefined) });
      return;
    }
    sendJson(res, 404, { error: 'not found' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
