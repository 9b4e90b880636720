/**
 * The viewer's HTTP server (node:http), bound to 127.0.0.1 unless told otherwise: the page and the
 * JSON API of docs/view-api.md. A run is named by its id from /api/runs and looked up in the list
 * of run directories read from disk; only /api/file joins a request's path, checked (file-route.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { listRunDirs, listRuns, type RunDir, runInfo } from '../run/run-list.js';
import { RunState, type RunStateOptions } from '../run/run-state.js';
import { histogramBody, runBody, seriesBody } from './api-routes.js';
import { streamEvents } from './events-route.js';
import { sendFile } from './file-route.js';
import { HttpError, sendJson } from './respond.js';
import { serveStatic } from './static-route.js';

/** Options of startViewServer(). */
export interface ViewServerOptions {
  /** Directories holding run directories (LocalFileLogger's `savedir`). Default: ['logs']. */
  savedirs?: readonly string[];
  /** Default '127.0.0.1': only this machine can connect. Another address exposes every run to that network. */
  host?: string;
  /** Default 0: a free port chosen by the system. */
  port?: number;
  /** How runs are read (step size of a large metrics.csv, poll interval while the page listens). */
  read?: RunStateOptions;
}

/** A running viewer: its URL, and how to stop it. */
export interface ViewServer {
  /** e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops listening, closes every connection (live streams included) and stops watching run directories. */
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startViewServer(options: ViewServerOptions = {}): Promise<ViewServer> {
  const savedirs = (options.savedirs ?? ['logs']).map((d) => path.resolve(d));
  const host = options.host ?? '127.0.0.1';
  /** What is known of each run directory, kept between requests so each reads only appended rows. */
  const states = new Map<string, RunState>();

  async function findRun(q: URLSearchParams): Promise<{ dir: RunDir; state: RunState }> {
    const id = q.get('run');
    const found = id === null ? undefined : (await listRunDirs(savedirs)).find((r) => r.id === id);
    if (!found) throw new HttpError(404, 'no such run (see GET /api/runs for the run ids)');
    let state = states.get(found.dir);
    if (!state) {
      state = new RunState(found.dir, options.read);
      states.set(found.dir, state);
    }
    return { dir: found, state };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'only GET and HEAD');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    switch (url.pathname) {
      case '/api/runs':
        return sendJson(
          res,
          200,
          (await listRuns(savedirs)).map((r) => r.info),
        );
      case '/api/run': {
        const { dir, state } = await findRun(q);
        return sendJson(res, 200, await state.serve(async () => runBody(await runInfo(dir), state)));
      }
      case '/api/series': {
        const { state } = await findRun(q);
        return sendJson(res, 200, await state.serve(() => seriesBody(q, state)));
      }
      case '/api/histogram': {
        const { state } = await findRun(q);
        return sendJson(res, 200, await state.serve(() => histogramBody(q, state)));
      }
      case '/api/file': {
        const { dir } = await findRun(q);
        return sendFile(res, dir.dir, q.get('path'), q.get('download') === '1');
      }
      case '/api/events': {
        const { state } = await findRun(q);
        return streamEvents(res, state);
      }
    }
    if (await serveStatic(res, url.pathname)) return;
    throw new HttpError(404, 'not found');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) sendJson(res, e.status, { error: e.message });
      else sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) });
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
        for (const s of states.values()) s.close();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
