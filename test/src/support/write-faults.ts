/**
 * Injected write faults, for where a real full disk cannot be mounted and for exact fault
 * shapes: fs.writeSync is replaced (for every module, named imports too) until restored.
 */
import nodeFs, { readlinkSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

export const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/**
 * Writes to files for which `matches(path)` holds go through `fault(length)`: it returns how many
 * bytes to write for real (a short write), or undefined for all, or throws (e.g. enospc()).
 * Returns the function that restores fs.writeSync.
 */
export function injectWriteFaults(matches: (file: string) => boolean, fault: (length: number) => number | undefined): () => void {
  const realWrite = nodeFs.writeSync;
  const targets = new Map<number, boolean>();
  const faulty = (fd: number): boolean => {
    let hit = targets.get(fd);
    if (hit === undefined) {
      try {
        hit = matches(readlinkSync(`/proc/self/fd/${fd}`));
      } catch {
        hit = false;
      }
      targets.set(fd, hit);
    }
    return hit;
  };
  (nodeFs as { writeSync: unknown }).writeSync = (fd: number, buf: Uint8Array, off: number, len: number, pos?: number | null) => {
    const n = faulty(fd) ? fault(len) : undefined;
    return realWrite(fd, buf, off, n === undefined ? len : n, pos);
  };
  syncBuiltinESMExports();
  return () => {
    (nodeFs as { writeSync: unknown }).writeSync = realWrite;
    syncBuiltinESMExports();
  };
}
