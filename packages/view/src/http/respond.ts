/** Responses of the viewer's server: JSON with the headers every answer carries. */
import type { ServerResponse } from 'node:http';

/** Headers on every response: never cached (runs change), never sniffed into another type. */
export const BASE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** A request the server refuses: its status and a message for the page. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A bad query parameter: the message names the parameter, the value and what would be accepted. */
export function badParam(name: string, value: string | null, fix: string): HttpError {
  return new HttpError(400, `${name}=${value === null ? '(missing)' : JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value)}: ${fix}`);
}
