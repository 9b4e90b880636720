/**
 * What can go wrong talking to W&B, sorted by what to do about it, as wandb's core sorts it
 * (core/internal/clients/retry_policy.go): connection errors, 429 and most 4xx/5xx are retried;
 * 400, 401, 403, 404, 409, 410, 413, 422 and 501 are not (UpsertBucket also retries 409).
 */

/** Statuses wandb's core never retries. */
const PERMANENT = new Set([400, 401, 403, 404, 409, 410, 413, 422, 501]);

export function isRetryableStatus(status: number, endpoint: string): boolean {
  if (status === 409 && endpoint === 'UpsertBucket') return true;
  return !PERMANENT.has(status) && ((status >= 400 && status <= 599) || status === 0 || status >= 600);
}

export class WandbHttpError extends Error {
  constructor(
    message: string,
    /** 0 for a connection that failed or gave no answer. */
    readonly status: number,
    readonly retryable: boolean,
    /** The server's Retry-After, ms, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'WandbHttpError';
  }
}

/** Retry-After as seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, nowMs: number): number | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (h === undefined || h === '') return undefined;
  const secs = Number(h);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}
