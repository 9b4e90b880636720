/**
 * Waiting for an event that has no callback (a file reaching some content, a counter reaching a
 * value): poll it. The bound is a liveness bound, never a timing assertion: a working feature
 * gets there in milliseconds to seconds even on a loaded machine; only a broken one reaches it.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** The liveness bound used unless a test says otherwise. */
export const LIVENESS_MS = 30_000;

/** Polls `cond` every `stepMs` until it holds (true) or `ms` have passed (false). */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = LIVENESS_MS, stepMs = 10): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
}

/**
 * t.timeout() for tests that spawn processes or move a lot of data: what they take on a loaded
 * 2-core machine (tests of one file run at once) is far from what they take alone (the SIGINT
 * tests: 25 s alone, 3.5 min at a load average of 16), so the limit only says "hung".
 */
export const TEST_TIMEOUT_MS = 600_000;
