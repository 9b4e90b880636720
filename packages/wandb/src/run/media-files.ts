/**
 * Files a run publishes under its files/ directory — media a history value points to, dicts,
 * copies of artifacts — named as wandb names media (`<key>_<step>_<first 20 hex of sha256>.<ext>`,
 * a key with '/' making sub-directories), and written whole or not at all: to a temporary name,
 * then renamed, so a crash or a full disk never leaves a torn file under a final name.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PublishedFile {
  /** Relative to files/, '/'-separated: what Files records and media values name. */
  path: string;
  sha256: string;
  size: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

let tmpSequence = 0;

/** Write `bytes` to filesDir/relative, whole or not at all (throws on failure, leaving nothing). */
export function writeWhole(filesDir: string, relative: string, bytes: Uint8Array): void {
  const target = join(filesDir, ...relative.split('/'));
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${tmpSequence++}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Publish a media file under `subdir` (e.g. 'media/images') for history key `key` at `_step` `step`. */
export function publishMedia(filesDir: string, subdir: string, key: string, step: number | string, ext: string, bytes: Uint8Array): PublishedFile {
  const sha256 = sha256Hex(bytes);
  const path = `${subdir}/${key}_${step}_${sha256.slice(0, 20)}${ext}`;
  writeWhole(filesDir, path, bytes);
  return { path, sha256, size: bytes.length };
}
