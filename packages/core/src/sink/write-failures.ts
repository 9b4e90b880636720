/**
 * What a file-writing sink does while the disk refuses writes (ENOSPC, EDQUOT, EIO, EROFS,
 * EACCES, …): it never waits and never keeps the records in memory. Records that cannot be
 * written are dropped and counted (the writer reports them in stats().failed); the user is told
 * once when it starts — the path, the errno, what happens now — once when writing resumes, and
 * once more at close with the count. Between attempts the sink backs off, so a refusing disk
 * costs one failed write per interval, not one per commit.
 */
import { describeErrno } from './whole-records.js';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 1_000;

/** A sink's account of records the disk refused: counted, warned about once, retried after a pause. */
export class WriteFailures {
  /** Records that could not be written, in all. */
  failed = 0;
  /** Records lost since the last take(): what the sink's commit() reports. */
  private lost = 0;
  private failing = false;
  private retryMs = FIRST_RETRY_MS;
  private nextTry = 0;
  private lostThisEpisode = 0;
  private first: { path: string; what: string } | undefined;

  constructor(
    private readonly warn: (message: string) => void,
    /** The sink's name in messages, e.g. 'local files'. */
    private readonly sinkName: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to attempt a write now: always while writes succeed; once per backoff interval after a failure. */
  shouldTry(): boolean {
    return !this.failing || this.now() >= this.nextTry;
  }

  /** A write failed: `records` records could not be written. */
  fail(error: unknown, path: string, records: number): void {
    this.drop(records);
    const what = describeErrno(error);
    if (!this.failing) {
      this.failing = true;
      this.lostThisEpisode = records;
      this.first ??= { path, what };
      this.warn(
        `${this.sinkName}: cannot write ${path} (${what}). Until the disk accepts writes again, records are dropped and counted in ` +
          `stats().failed (training does not wait); the files stay valid, ending with whole records. Retrying every ${MAX_RETRY_MS / 1000} s at most.`,
      );
    }
    this.nextTry = this.now() + this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
  }

  /** Records dropped without a write, because the sink is backing off. */
  drop(records: number): void {
    this.failed += records;
    this.lost += records;
    if (this.failing) this.lostThisEpisode += records;
  }

  /** A write succeeded: after failures, say that writing resumed. */
  succeed(): void {
    if (!this.failing) return;
    this.failing = false;
    this.retryMs = FIRST_RETRY_MS;
    this.warn(`${this.sinkName}: writing resumed; ${this.lostThisEpisode} records could not be written meanwhile (stats().failed).`);
  }

  /** Records lost since the last call (the sink's commit() returns this). */
  take(): number {
    const n = this.lost;
    this.lost = 0;
    return n;
  }

  /** At close: how many records were lost, in all, if any. */
  report(): void {
    if (this.failed === 0 || this.first === undefined) return;
    this.warn(`${this.sinkName}: ${this.failed} records could not be written (first: ${this.first.what} at ${this.first.path}); see stats().failed.`);
  }
}

/** Errors that say the disk (not the data) refused a write: full, over quota, failing, read-only, forbidden, too big. */
const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EACCES', 'EPERM', 'EFBIG']);

/** Whether an error is the disk refusing a write (ENOSPC, EDQUOT, EIO, EROFS, …), which a sink counts rather than throws. */
export function isDiskError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && DISK_ERRORS.has(code);
}
