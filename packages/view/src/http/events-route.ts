/**
 * GET /api/events?run=<id>: Server-Sent Events. One `update` event on connect and one after every
 * read that brought new rows ({version, rows, skipped, offset, size}); a `: ping` comment every
 * 15 s keeps proxies from closing an idle stream. The page re-fetches the charts it shows.
 */
import type { ServerResponse } from 'node:http';
import type { RunProgress, RunState } from '../run/run-state.js';
import { BASE_HEADERS } from './respond.js';

export function streamEvents(res: ServerResponse, state: RunState): void {
  res.writeHead(200, { ...BASE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
  const send = (p: RunProgress) => res.write(`event: update\ndata: ${JSON.stringify(p)}\n\n`);
  send(state.progress());
  const unsubscribe = state.subscribe(send);
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  ping.unref();
  res.on('close', () => {
    clearInterval(ping);
    unsubscribe();
  });
  // Rows appended since the last read: read now rather than at the next poll.
  void state.refresh(true).catch(() => {});
}
