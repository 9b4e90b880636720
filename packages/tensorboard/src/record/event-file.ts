/**
 * One event file: named events.out.tfevents.<seconds>.<hostname>.<pid>.<n>,
 * created exclusively (a reopened run gets a new file, never an old one
 * appended to or truncated), starting with the file_version record, and
 * growing only by whole records, one write(2) per commit.
 *
 * A full disk: the commit's records are dropped (the sink counts them), the file is cut back
 * to its last whole record — a torn record would hide everything after it from TensorBoard —
 * and the next write goes exactly there. Records TensorBoard needs once (file_version, the
 * hparams session start) are kept until they are written.
 */
import { closeSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeWholeAt } from '@ranklog/core/sink';
import { fileVersionEvent } from './event.js';
import { RecordBuffer } from './record-buffer.js';

let sequence = 0;

/**
 * The seconds field of a new file's name: now, or one more than the latest event file already in
 * the directory when that one is not older. TensorBoard reads a directory's event files in name
 * order, so a new file must sort after every existing one: a reopened or resumed run's events
 * (its SessionLog START among them) must come after those they follow, even when the earlier
 * launch began within the same second (a lower pid would sort first) or on a clock ahead of ours.
 */
function secondsAfterExisting(dir: string, now: number): number {
  let latest = -1;
  for (const name of readdirSync(dir)) {
    const m = /^events\.out\.tfevents\.(\d+)\./.exec(name);
    if (m) latest = Math.max(latest, Number(m[1]));
  }
  return latest >= now ? latest + 1 : now;
}

export class EventFile {
  /** Set once the file exists (its creation may have to wait for the disk). */
  path: string | undefined;
  private fd = -1;
  /** This commit's records. */
  readonly out = new RecordBuffer();
  /** Log records in `out`, for counting what a failed write loses. */
  records = 0;
  /** Records that must reach the file, ahead of `out`: kept across failed writes until written. */
  private readonly required = new RecordBuffer(1 << 12);
  /** Bytes in the file: where the next write goes. */
  written = 0;

  constructor(readonly dir: string) {
    this.required.append(fileVersionEvent(Date.now() / 1000));
    try {
      this.open();
    } catch {
      // A disk that refuses even an empty file: flush() tries again and reports it.
    }
  }

  private open(): number {
    if (this.fd >= 0) return this.fd;
    mkdirSync(this.dir, { recursive: true });
    const secs = secondsAfterExisting(this.dir, Math.floor(Date.now() / 1000));
    const host = hostname().replace(/[/\\]/g, '_') || 'localhost';
    for (;;) {
      const path = join(this.dir, `events.out.tfevents.${secs}.${host}.${process.pid}.${sequence++}`);
      try {
        this.fd = openSync(path, 'wx');
        this.path = path;
        return this.fd;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  /** A record TensorBoard must see (e.g. the hparams session start): written with the next commit that succeeds. */
  appendRequired(payload: Uint8Array): void {
    this.required.append(payload);
  }

  /**
   * Hand the required records and this commit's records to the OS in one write. On failure
   * throws (a WriteFailure or the creation error); `out` is dropped either way, `required` kept.
   */
  flush(): void {
    const head = this.required.bytes();
    const body = this.out.bytes();
    if (head.length + body.length === 0) return;
    try {
      const fd = this.open();
      const bytes = head.length === 0 ? body : Buffer.concat([head, body]);
      writeWholeAt(fd, bytes, this.written, this.path!);
      this.written += bytes.length;
      this.required.clear();
    } finally {
      this.out.clear();
      this.records = 0;
    }
  }

  close(): void {
    try {
      this.flush();
    } finally {
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
    }
  }
}
