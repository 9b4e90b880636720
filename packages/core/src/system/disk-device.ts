/**
 * The block device that holds a directory, by the kernel's name (as /proc/diskstats lists it):
 * stat().dev gives major:minor, and /sys/dev/block/<major>:<minor> links to the device. Linux
 * only; a directory on tmpfs, overlayfs, NFS (no block device) or another OS gives undefined.
 */
import { readlinkSync, statSync, type BigIntStats } from 'node:fs';
import { basename, dirname } from 'node:path';

export function blockDeviceOf(dir: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const st = nearestExisting(dir);
  if (!st) return undefined;
  // glibc's gnu_dev_major / gnu_dev_minor.
  const major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
  const minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
  try {
    return basename(readlinkSync(`/sys/dev/block/${major}:${minor}`));
  } catch {
    return undefined;
  }
}

/** The backend may create its directory later: its nearest existing ancestor is on the same device, almost always. */
function nearestExisting(dir: string): BigIntStats | undefined {
  for (let at = dir; ; at = dirname(at)) {
    try {
      return statSync(at, { bigint: true });
    } catch {
      if (dirname(at) === at) return undefined;
    }
  }
}
