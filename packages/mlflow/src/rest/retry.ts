/** Exponential backoff with full jitter, bounded in attempts; only TransientErrors are retried. */
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthError, TransientError } from './errors.js';

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 100, maxMs: 5_000 };

export async function withRetry<T>(f: () => Promise<T>, policy: RetryPolicy, onRetry?: (e: TransientError, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await f();
    } catch (e) {
      // Wrong credentials stay wrong for the next few seconds: straight to the spool.
      if (!(e instanceof TransientError) || e instanceof AuthError || attempt >= policy.attempts) throw e;
      onRetry?.(e, attempt);
      const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
      await sleep(e.retryAfterMs ?? Math.random() * cap);
    }
  }
}
