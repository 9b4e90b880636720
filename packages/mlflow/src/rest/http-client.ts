/**
 * JSON over HTTP(S) to a tracking server with keep-alive connections.
 * Credentials go into one Authorization header built here and never into a
 * message: errors name the endpoint path, not the URL with its user info.
 */
import http from 'node:http';
import https from 'node:https';
import { AuthError, MlflowApiError, TransientError } from './errors.js';

export interface Credentials {
  /** A ready Authorization header value ('Basic …' or 'Bearer …'). */
  authorization?: string;
  insecureTls?: boolean;
}

/** Auth from MLflow's environment variables (read in the writer thread; never copied elsewhere). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials {
  const insecureTls = /^(1|true|yes)$/i.test(env.MLFLOW_TRACKING_INSECURE_TLS ?? '');
  if (env.MLFLOW_TRACKING_TOKEN) return { authorization: `Bearer ${env.MLFLOW_TRACKING_TOKEN}`, insecureTls };
  if (env.MLFLOW_TRACKING_USERNAME !== undefined || env.MLFLOW_TRACKING_PASSWORD !== undefined) {
    const basic = Buffer.from(`${env.MLFLOW_TRACKING_USERNAME ?? ''}:${env.MLFLOW_TRACKING_PASSWORD ?? ''}`).toString('base64');
    return { authorization: `Basic ${basic}`, insecureTls };
  }
  return { insecureTls };
}

export interface Response {
  status: number;
  body: unknown;
}

export class HttpClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly authorization: string | undefined;
  /** Requests sent (for stats). */
  requests = 0;

  constructor(
    trackingUri: string,
    credentials: Credentials,
    private readonly timeoutMs = 30_000,
  ) {
    const url = new URL(trackingUri);
    // user:password@host in the URI is basic auth, as in MLflow's client; strip it from every later use.
    let authorization = credentials.authorization;
    if (!authorization && (url.username || url.password)) {
      authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    }
    url.username = '';
    url.password = '';
    this.base = url;
    this.authorization = authorization;
    this.agent =
      url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 4, rejectUnauthorized: !credentials.insecureTls })
        : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  /** The tracking URI without credentials, for messages. */
  get origin(): string {
    return this.base.origin + this.base.pathname.replace(/\/$/, '');
  }

  /** One request; 2xx resolves, 4xx (but 429) rejects MlflowApiError, everything else TransientError. */
  request(method: 'GET' | 'POST' | 'PUT', path: string, body?: string | Uint8Array, contentType = 'application/json'): Promise<Response> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
    const endpoint = `${method} ${url.pathname}`;
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (this.authorization) headers.Authorization = this.authorization;
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    }
    const lib = url.protocol === 'https:' ? https : http;
    this.requests++;
    return new Promise<Response>((resolve, reject) => {
      const req = lib.request(url, { method, headers, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new TransientError(`${endpoint}: ${e.message}`)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            parsed = { message: text.slice(0, 200) };
          }
          if (status >= 200 && status < 300) return resolve({ status, body: parsed });
          const err = parsed as { error_code?: string; message?: string };
          // A file-store server wraps "param changed" in a 500; retrying can never succeed.
          const permanent = status === 500 && /Changing param values is not allowed/.test(err.message ?? '');
          if (!permanent && (status === 429 || status >= 500 || status === 0)) {
            const ra = Number(res.headers['retry-after']);
            return reject(
              new TransientError(`${endpoint} answered ${status}${err.error_code ? ` ${err.error_code}` : ''}`, Number.isFinite(ra) ? ra * 1000 : undefined),
            );
          }
          if (status === 401 || status === 403) return reject(new AuthError(endpoint, status));
          reject(new MlflowApiError(status, err.error_code ?? 'UNKNOWN', err.message ?? text.slice(0, 200), endpoint));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new TransientError(`${endpoint}: ${e.code ?? e.message}`)));
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
