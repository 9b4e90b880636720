/**
 * A real small file system that fills up: a tmpfs of a few MiB, mounted for one test (CI runs as
 * root) and unmounted in its teardown. Where mounting is not permitted, says so loudly and returns
 * undefined: the caller then reports the test as not run (the injected-fault tests in
 * local-sink.test.ts and tb-full-disk tests cover the same code paths).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';

export function mountTmpfs(t: ExecutionContext, bytes: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || String(e);
    t.log(`*** NOT RUN: cannot mount a tmpfs here (${why}); run the tests as root to exercise a real full disk ***`);
    process.stderr.write(`\n*** ranklog tests: a real full-disk test did not run: cannot mount a tmpfs (${why}) ***\n`);
    return undefined;
  }
  t.teardown(() => {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Bytes free for writing in the file system at dir. */
export function freeBytes(dir: string): number {
  const st = statfsSync(dir);
  return st.bavail * st.bsize;
}

/** Fill the file system at dir with a file until about `leave` bytes remain free; returns its path (delete it to free the space). */
export function fillUp(dir: string, leave: number): string {
  const filler = join(dir, 'filler.bin');
  const chunk = Buffer.alloc(1 << 16);
  const fd = openSync(filler, 'a');
  try {
    for (let left = freeBytes(dir) - leave; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  } finally {
    closeSync(fd);
  }
  return filler;
}
