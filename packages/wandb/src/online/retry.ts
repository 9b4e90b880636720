/**
 * Bounded retries with exponential backoff and full jitter, honouring a 429's Retry-After. Past
 * the last attempt the caller gives up on the server for this run: the transaction log already
 * holds everything, and becomes what `wandb sync` uploads later.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WandbHttpError } from './http-errors.js';

export interface RetryPolicy {
  attempts: number;
  minMs: number;
  maxMs: number;
}

/** Eight attempts, 1 s doubling to 30 s: about two minutes of outage before the run goes to disk only. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, minMs: 1000, maxMs: 30_000 };
/** A Retry-After longer than this is not waited for: the run goes on to disk instead. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export async function withRetry<T>(f: () => Promise<T>, policy: RetryPolicy, onRetry?: (e: WandbHttpError, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof WandbHttpError) || !e.retryable || attempt >= policy.attempts) throw e;
      if (e.retryAfterMs !== undefined && e.retryAfterMs > MAX_RETRY_AFTER_MS) throw e;
      onRetry?.(e, attempt);
      const cap = Math.min(policy.maxMs, policy.minMs * 2 ** (attempt - 1));
      await sleep(e.retryAfterMs ?? policy.minMs / 2 + (Math.random() * cap) / 2);
    }
  }
}
