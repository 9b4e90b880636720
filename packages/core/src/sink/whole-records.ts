/**
 * Files that grow only by whole records, also when the disk refuses a write part-way (a full
 * disk makes write(2) short, then fail): what a failed write left behind is cut off again, so a
 * reader never meets a torn line or record, and the next write starts right after the last
 * whole one — no hole, no fragment.
 */
import { fstatSync, ftruncateSync, writeSync } from 'node:fs';

/** A write that did not reach the file; `cutBack` says whether the file is whole again. */
export class WriteFailure extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    /** False only if another process appended behind a partial write of ours (then the fragment stays). */
    readonly cutBack: boolean,
    cause: unknown,
  ) {
    super(`cannot write ${path} (${describeErrno(cause)})`, { cause });
  }
}

/** "ENOSPC: no space left on device" from a Node fs error. */
export function describeErrno(error: unknown): string {
  if (error instanceof WriteFailure) return describeErrno(error.cause);
  const e = error as (NodeJS.ErrnoException & { cause?: unknown }) | null;
  if (e?.code === undefined) return e?.cause !== undefined ? describeErrno(e.cause) : String(error);
  const text = /^[A-Z0-9_]+: ([^,]*)/.exec(e.message)?.[1];
  return text ? `${e.code}: ${text}` : e.code;
}

/**
 * Append bytes (whole lines or records) to a file opened O_APPEND, which other processes may
 * append to as well. Returns the file's size before the append, for undoAppend().
 * On failure, throws a WriteFailure after cutting back what this call wrote, if its bytes are
 * still the file's tail (another process's append behind them is never cut).
 */
export function appendWhole(fd: number, bytes: Uint8Array, path: string): number {
  const before = fstatSync(fd).size;
  let off = 0;
  try {
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } catch (e) {
    throw new WriteFailure(path, (e as NodeJS.ErrnoException).code, off === 0 || undoAppend(fd, before, off), e);
  }
  return before;
}

/**
 * Remove `length` bytes appended at `before`, if they are still the end of the file (nobody
 * appended behind them). Returns whether the file ends at `before` again.
 */
export function undoAppend(fd: number, before: number, length: number): boolean {
  try {
    if (fstatSync(fd).size !== before + length) return false;
    ftruncateSync(fd, before);
    return true;
  } catch {
    return false;
  }
}

/**
 * Write bytes at `position` of a file this writer alone owns (positional, never O_APPEND).
 * On failure the file is cut back to `position` and a WriteFailure thrown; the caller's next
 * write goes to the same position, so no hole and no fragment remain.
 */
export function writeWholeAt(fd: number, bytes: Uint8Array, position: number, path: string): void {
  let off = 0;
  try {
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, position + off);
  } catch (e) {
    let cutBack = true;
    if (off > 0) {
      try {
        ftruncateSync(fd, position);
      } catch {
        cutBack = false;
      }
    }
    throw new WriteFailure(path, (e as NodeJS.ErrnoException).code, cutBack, e);
  }
}
