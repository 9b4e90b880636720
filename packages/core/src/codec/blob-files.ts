/**
 * Payloads too big for the ring (over 1/8 of it), and models that save themselves, travel as
 * files in the context's blob directory (in the system's temporary directory). Their whole life
 * is here: the producer writes the file and a BLOB frame that carries how many backends must
 * still read it; each backend's writer reads it, and the last one deletes it; the coordinator
 * removes the directory when the context closes (or the process ends through an exit path).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A fresh blob directory name for a context of this process (created on first use). */
export function newBlobDir(): string {
  return join(tmpdir(), `ranklog-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Remove a context's blob directory and whatever is left in it. */
export function removeBlobDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The producing thread's side. */
export class BlobWriter {
  private count = 0;

  constructor(
    private readonly dir: string,
    private readonly rank: number,
  ) {}

  /** Write `bytes` to a new blob file; returns the payload of its BLOB frame: u32 readers, then the path. */
  spill(bytes: Uint8Array, readers: number): Uint8Array {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `blob-r${this.rank}-t${threadId}-${this.count++}.bin`);
    writeFileSync(path, bytes);
    const name = utf8.encode(path);
    const frame = new Uint8Array(4 + name.length);
    new DataView(frame.buffer).setInt32(0, readers, true);
    frame.set(name, 4);
    return frame;
  }

  /** A new, empty directory for a model to save itself into, named after the last segment of its identifier. */
  modelDir(identifier: string): string {
    mkdirSync(this.dir, { recursive: true });
    const dir = join(mkdtempSync(join(this.dir, 'model-')), identifier.split('/').pop()!);
    mkdirSync(dir);
    return dir;
  }
}

/**
 * A writer thread's side: the bytes of the blob a BLOB frame names. `readers` is an Int32Array over
 * the data area and `at` the word index of the frame's reader count; the last reader deletes the file.
 */
export function takeBlob(u8: Uint8Array, start: number, length: number, readers: Int32Array): Buffer {
  const path = fromUtf8.decode(u8.subarray(start + 4, start + length));
  const bytes = readFileSync(path);
  if (Atomics.sub(readers, start >> 2, 1) === 1) rmSync(path, { force: true });
  return bytes;
}
