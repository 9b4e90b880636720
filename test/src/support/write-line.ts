import { writeSync } from 'node:fs';

/** Write a line to fd synchronously, also when fd is a non-blocking pipe that is momentarily full (EAGAIN). */
export function writeLineSync(fd: number, line: string): void {
  const bytes = Buffer.from(line + '\n');
  for (let off = 0; off < bytes.length; ) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}
