/**
 * Artifacts and models become files of the run: a logged file or directory is copied to
 * files/artifacts/<identifier>/<its name> (then -1, -2, … if that is taken), with ranklog's rule
 * for symbolic links (core's copy-tree), complete or not at all (copied under a temporary name,
 * then renamed). A FilesRecord naming each file makes `wandb sync` upload them; they show in the
 * run's Files tab.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { copyTree, skippedLinksMessage, type PathItem } from '@ranklog/core/sink';

let tmpSequence = 0;

/** Copy `item`; returns the paths of its files relative to files/, '/'-separated. */
export function publishPath(filesDir: string, identifier: string, item: PathItem, followExternalSymlinks: boolean, warn: (m: string) => void): string[] {
  const dirRel = `artifacts/${identifier}`;
  const dir = join(filesDir, ...dirRel.split('/'));
  mkdirSync(dir, { recursive: true });
  const name = basename(item.path);
  const ext = item.isDirectory ? '' : extname(name);
  const stem = ext === '' ? name : name.slice(0, -ext.length);
  const tmp = join(dir, `.${name}.${process.pid}.${tmpSequence++}.tmp`);
  try {
    let files: string[];
    if (item.isDirectory) {
      const listing = copyTree(item.path, tmp, { followExternalSymlinks });
      const why = skippedLinksMessage(item.path, listing.skipped);
      if (why !== undefined) warn(`artifact '${identifier}': ${why}`);
      files = listing.entries.filter((e) => !e.isDirectory).map((e) => e.relative);
    } else {
      copyFileSync(item.path, tmp);
      files = [];
    }
    for (let k = 0; ; k++) {
      const chosen = k === 0 ? name : `${stem}-${k}${ext}`;
      const target = join(dir, chosen);
      if (existsSync(target)) continue; // one writer per run directory: nobody takes it in between
      renameSync(tmp, target);
      return item.isDirectory ? files.map((f) => `${dirRel}/${chosen}/${f}`) : [`${dirRel}/${chosen}`];
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
