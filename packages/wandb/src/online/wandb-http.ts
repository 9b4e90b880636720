/**
 * HTTP(S) to W&B with keep-alive connections. The API key becomes one Authorization header
 * (Basic, user "api", as wandb's core sends it), held in a #private field and sent only to the
 * base URL's origin: an upload URL elsewhere (a bucket's signed URL) never gets it. Messages
 * name the method and path, never the key or a signed URL's query.
 */
import http from 'node:http';
import https from 'node:https';
import { isRetryableStatus, retryAfterMs, WandbHttpError } from './http-errors.js';

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export class WandbHttp {
  private readonly base: URL;
  readonly #authorization: string;
  private readonly agents = { http: new http.Agent({ keepAlive: true, maxSockets: 4 }), https: new https.Agent({ keepAlive: true, maxSockets: 4 }) };
  /** Requests sent, for stats(). */
  requests = 0;

  constructor(
    baseUrl: string,
    apiKey: string,
    private readonly timeoutMs = 60_000,
  ) {
    this.base = new URL(baseUrl.replace(/\/?$/, '/'));
    this.#authorization = `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}`;
  }

  get origin(): string {
    return this.base.origin;
  }

  /** POST JSON to a path under the base URL; resolves with the parsed answer of a 2xx. */
  postJson(path: string, body: unknown, endpoint: string): Promise<HttpAnswer> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    const bytes = Buffer.from(JSON.stringify(body));
    return this.send(url, 'POST', bytes, { 'Content-Type': 'application/json', Authorization: this.#authorization }, endpoint);
  }

  /** PUT bytes to an upload URL with the headers CreateRunFiles gave; credentials only if it is the base URL's origin. */
  put(uploadUrl: string, bytes: Uint8Array, headers: Record<string, string>, endpoint: string): Promise<HttpAnswer> {
    const url = new URL(uploadUrl);
    const h: Record<string, string> = { ...headers };
    if (url.origin === this.base.origin) h.Authorization = this.#authorization;
    return this.send(url, 'PUT', bytes, h, endpoint);
  }

  private send(url: URL, method: string, body: Uint8Array, headers: Record<string, string>, endpoint: string): Promise<HttpAnswer> {
    const lib = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? this.agents.https : this.agents.http;
    this.requests++;
    const what = `${method} ${url.pathname}`;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = lib.request(url, { method, agent, timeout: this.timeoutMs, headers: { ...headers, 'Content-Length': body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new WandbHttpError(`${what}: ${e.message}`, 0, true)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? {} : JSON.parse(text);
          } catch {
            parsed = { text: text.slice(0, 200) };
          }
          if (status >= 200 && status < 300) return resolve({ status, body: parsed });
          const hint = status === 401 || status === 403 ? ' (check WANDB_API_KEY)' : '';
          reject(
            new WandbHttpError(
              `${what} answered ${status}${hint}`,
              status,
              isRetryableStatus(status, endpoint),
              retryAfterMs(res.headers['retry-after'], Date.now()),
            ),
          );
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new WandbHttpError(`${what}: ${e.code ?? e.message}`, 0, true)));
      req.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
