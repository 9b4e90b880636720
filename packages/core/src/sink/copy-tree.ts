/**
 * Which files of a logged directory (kind artifact or model) a backend copies or
 * uploads, decided in one place for every backend. A symbolic link inside the
 * directory is followed when its real target stays inside the directory; a link
 * that leaves it (`secrets -> /etc`), dangles or loops is skipped and reported,
 * so logging a directory never copies files from elsewhere on the machine unless
 * the user allows it (followExternalSymlinks). The logged path itself may be a
 * link: the user named it.
 */
import { copyFileSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

export interface TreeOptions {
  /** Also follow links whose real target lies outside the logged directory (default false: skip them). */
  readonly followExternalSymlinks?: boolean;
}

export interface TreeEntry {
  /** Path below the logged directory, '/'-separated. */
  readonly relative: string;
  /** Where to read it: the entry itself, or the real path a followed link points to. */
  readonly source: string;
  readonly isDirectory: boolean;
}

export interface SkippedLink {
  /** Path below the logged directory, '/'-separated. */
  readonly relative: string;
  /** outside: a link out of the directory; dangling: its target does not exist; loop: it leads back into itself; special: not a file or directory (FIFO, socket, device). */
  readonly reason: 'outside' | 'dangling' | 'loop' | 'special';
  /** The real target of an 'outside' link. */
  readonly target?: string;
}

export interface TreeListing {
  /** Directories before their contents, names in sorted order. */
  readonly entries: TreeEntry[];
  readonly skipped: SkippedLink[];
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Every directory and file to copy from `root` (a directory, or a link to one). */
export function listTree(root: string, options: TreeOptions = {}): TreeListing {
  const realRoot = realpathSync(root);
  const inside = (real: string) => real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
  const entries: TreeEntry[] = [];
  const skipped: SkippedLink[] = [];
  // `ancestors`: the real directories on the way down, so a link back up is a loop, not an endless copy.
  const walk = (dir: string, relative: string, ancestors: ReadonlySet<string>): void => {
    const dirents = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      const path = join(dir, d.name);
      const rel = relative === '' ? d.name : `${relative}/${d.name}`;
      let source = path;
      let isDirectory = d.isDirectory();
      if (d.isSymbolicLink()) {
        try {
          source = realpathSync(path);
        } catch (e) {
          skipped.push({ relative: rel, reason: errCode(e) === 'ELOOP' ? 'loop' : 'dangling' });
          continue;
        }
        if (!inside(source) && options.followExternalSymlinks !== true) {
          skipped.push({ relative: rel, reason: 'outside', target: source });
          continue;
        }
        const st = statSync(source);
        if (!st.isDirectory() && !st.isFile()) {
          skipped.push({ relative: rel, reason: 'special' });
          continue;
        }
        isDirectory = st.isDirectory();
      } else if (!isDirectory && !d.isFile()) {
        skipped.push({ relative: rel, reason: 'special' });
        continue;
      }
      if (!isDirectory) {
        entries.push({ relative: rel, source, isDirectory: false });
        continue;
      }
      if (ancestors.has(source)) {
        skipped.push({ relative: rel, reason: 'loop' });
        continue;
      }
      entries.push({ relative: rel, source, isDirectory: true });
      walk(source, rel, new Set(ancestors).add(source));
    }
  };
  walk(realRoot, '', new Set([realRoot]));
  return { entries, skipped };
}

/** Copy the directory `root` to `dest` (created) as listTree decides: followed links become plain files and directories. */
export function copyTree(root: string, dest: string, options: TreeOptions = {}): TreeListing {
  const listing = listTree(root, options);
  mkdirSync(dest, { recursive: true });
  for (const e of listing.entries) {
    const to = join(dest, ...e.relative.split('/'));
    if (e.isDirectory) mkdirSync(to);
    else copyFileSync(e.source, to);
  }
  return listing;
}

const WHY: Readonly<Record<SkippedLink['reason'], string>> = {
  outside: 'a symbolic link out of the directory',
  dangling: 'a symbolic link to nothing',
  loop: 'a symbolic link that loops',
  special: 'not a regular file or directory',
};

/** One warning for everything listTree skipped in `root`, naming the entries and, for links that leave it, the option. */
export function skippedLinksMessage(root: string, skipped: readonly SkippedLink[]): string | undefined {
  if (skipped.length === 0) return undefined;
  // Links out of the directory first: they are what the option is about.
  const ordered = [...skipped.filter((s) => s.reason === 'outside'), ...skipped.filter((s) => s.reason !== 'outside')];
  const shown = ordered
    .slice(0, 8)
    .map((s) => `'${s.relative}' (${WHY[s.reason]}${s.target === undefined ? '' : ` → ${s.target}`})`)
    .join(', ');
  const more = skipped.length > 8 ? ` and ${skipped.length - 8} more` : '';
  const hint = skipped.some((s) => s.reason === 'outside')
    ? '; to copy what links out of the directory point to, create the logger with followExternalSymlinks: true'
    : '';
  return `not copied from ${root}: ${shown}${more}${hint}`;
}
