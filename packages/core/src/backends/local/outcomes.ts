/**
 * What became of the records the local sink took: the counters stats() reports, and the ways a
 * record ends up not written — skipped for a reason of its own (said, counted), or refused by
 * the disk (dropped and counted by WriteFailures, said once per episode).
 */
import type { SinkEnv } from '../../sink/index.js';
import { isDiskError, WriteFailures } from '../../sink/write-failures.js';

/**
 * metrics/params: records taken; files: item files and artifact/model copies published;
 * bytes: everything written (appends, item files, copies, params.json rewrites);
 * errors: records skipped with a warning.
 */
export type Counters = { metrics: number; params: number; files: number; bytes: number; errors: number };

export function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export class Outcomes {
  readonly counters: Counters = { metrics: 0, params: 0, files: 0, bytes: 0, errors: 0 };
  /** Records the disk refused: dropped, counted, said once (a full disk never stalls the writer). */
  readonly failures: WriteFailures;

  constructor(private readonly env: SinkEnv) {
    this.failures = new WriteFailures(env.warn, 'ranklog local');
  }

  /** A record this sink cannot write for a reason of its own (bad data): said, and counted as not written. */
  skip(message: string): void {
    this.counters.errors++;
    this.env.warn(message);
    this.failures.drop(1);
  }

  /** A record whose file could not be written: a refusing disk is said once per episode, anything else for this record. */
  fileFailed(err: unknown, target: string, message: string): void {
    if (isDiskError(err)) this.failures.fail(err, target, 1);
    else this.skip(message);
  }

  /** Whether to attempt an item file now; while backing off from a refusing disk, the record is dropped (counted). */
  mayWrite(): boolean {
    if (this.failures.shouldTry()) return true;
    this.failures.drop(1);
    return false;
  }
}
