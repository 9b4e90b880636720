/**
 * A launch that resumes a run appends to the files a killed launch left: a kill in the middle of
 * a write may have left a torn last line, and appending behind it would glue the next line onto
 * it. So a resuming sink first cuts each line file back to its last whole line.
 */
import * as fs from 'node:fs';

/** Cut `file` back to its last newline; returns how many bytes were cut (0: whole, or missing). */
export function cutTornTail(file: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = fs.readSync(fd, chunk, 0, end - start, start);
      const nl = chunk.subarray(0, n).lastIndexOf(10);
      if (nl >= 0) {
        const keep = start + nl + 1;
        if (keep < size) fs.ftruncateSync(fd, keep);
        return size - keep;
      }
      end = start;
    }
    if (size > 0) fs.ftruncateSync(fd, 0); // not one whole line
    return size;
  } finally {
    fs.closeSync(fd);
  }
}
