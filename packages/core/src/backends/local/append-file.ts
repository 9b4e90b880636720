/**
 * A file that only grows, by whole lines, through one write per flush. Opened O_APPEND: other
 * processes writing the same run append to it too, and Linux serialises O_APPEND writes to a
 * regular file, so whole-line writes never interleave or tear (not so on NFS).
 */
import * as fs from 'node:fs';
import { appendWhole, WriteFailure } from '../../sink/whole-records.js';
import { LineBuffer } from './line-buffer.js';

export class AppendFile {
  fd = -1;
  /** Lines not yet handed to the OS. */
  readonly pending = new LineBuffer();
  /** Records whose lines are in pending. */
  records = 0;

  constructor(
    readonly file: string,
    private readonly flags: 'a' | 'a+',
  ) {}

  open(): void {
    if (this.fd < 0) this.fd = fs.openSync(this.file, this.flags);
  }

  /**
   * Append the pending lines in one write and forget them. Returns the file's size before the
   * append (for undoAppend()). On failure throws a WriteFailure; whatever the write left is cut off.
   */
  write(): number {
    try {
      this.open();
      return appendWhole(this.fd, this.pending.bytesSoFar(), this.file);
    } catch (e) {
      throw e instanceof WriteFailure ? e : new WriteFailure(this.file, (e as NodeJS.ErrnoException).code, true, e);
    } finally {
      this.discard();
    }
  }

  /** Forget the pending lines; returns how many records they held. */
  discard(): number {
    const n = this.records;
    this.pending.clear();
    this.records = 0;
    return n;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
