/**
 * One event file: named events.out.tfevents.<seconds>.<hostname>.<pid>.<n>,
 * created exclusively (a reopened run gets a new file, never an old one
 * appended to or truncated), starting with the file_version record, and
 * growing only by whole records, one write(2) per commit.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileVersionEvent } from './event.js';
import { RecordBuffer } from './record-buffer.js';

let sequence = 0;

export class EventFile {
  readonly path: string;
  private readonly fd: number;
  readonly out = new RecordBuffer();
  /** Bytes handed to the OS so far. */
  written = 0;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const secs = Math.floor(Date.now() / 1000);
    const host = hostname().replace(/[/\\]/g, '_') || 'localhost';
    for (;;) {
      const path = join(dir, `events.out.tfevents.${secs}.${host}.${process.pid}.${sequence++}`);
      try {
        this.fd = openSync(path, 'wx');
        this.path = path;
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    this.out.append(fileVersionEvent(Date.now() / 1000));
    this.flush();
  }

  /**
   * Hand everything buffered to the OS in one write (whole records only). If the
   * write fails part-way (a full disk), the file is cut back to its last whole
   * record — a torn record would hide everything after it from TensorBoard — and
   * the records stay buffered for the next try.
   */
  flush(): void {
    const bytes = this.out.bytes();
    if (bytes.length === 0) return;
    let off = 0;
    try {
      while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    } catch (e) {
      if (off > 0) ftruncateSync(this.fd, this.written);
      throw new Error(`ranklog tensorboard: cannot write ${this.path} (${(e as NodeJS.ErrnoException).code ?? String(e)}); ${bytes.length} bytes kept for the next commit`, { cause: e });
    }
    this.written += bytes.length;
    this.out.clear();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
