/**
 * Files that appear complete or not at all, and are never silently replaced — also when several
 * processes (mpirun) write one run directory: each is written to a unique temporary file and
 * published with link(2), which fails with EEXIST instead of overwriting (an exclusive copy
 * where hard links are unsupported); a directory with rename(2), which fails on a non-empty
 * target. A name already taken gets -1, -2, … before the extension.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SinkEnv } from '../../sink/index.js';
import { errCode, type Outcomes } from './outcomes.js';

/** Every extension a figure's files can have: a figure takes a name only where all are free. */
const FIGURE_EXTS = ['.png', '.svg', '.vl.json'];

function nameWithSuffix(stem: string, ext: string, k: number): string {
  return k === 0 ? stem + ext : `${stem}-${k}${ext}`;
}

/** Publish a copied directory: rename(2) fails on a non-empty target instead of replacing it. */
function claimDir(tmp: string, target: string): boolean {
  try {
    fs.renameSync(tmp, target);
    return true;
  } catch (err) {
    const code = errCode(err);
    if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR') return false;
    throw err;
  }
}

export class Publisher {
  private readonly tmpTag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private tmpSeq = 0;
  private readonly madeDirs = new Set<string>();
  /** Next suffix to try for a name already taken, so repeated names do not re-probe -1, -2, … */
  private readonly nextSuffix = new Map<string, number>();
  private linkUnsupported = false;

  constructor(
    private readonly env: SinkEnv,
    private readonly outcomes: Outcomes,
  ) {}

  /** A temporary name in dir no other writer uses (hidden, ends in .tmp). */
  tmpPath(dir: string, name: string): string {
    return path.join(dir, `.${name}.${this.tmpTag}-${this.tmpSeq++}.tmp`);
  }

  ensureDir(dir: string): void {
    if (this.madeDirs.has(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  /**
   * Publish tmp as target without ever replacing an existing file. false: the name is taken.
   * link(2) is atomic and fails with EEXIST; where hard links are unsupported, copy with O_EXCL.
   */
  private claim(tmp: string, target: string): boolean {
    if (!this.linkUnsupported) {
      try {
        fs.linkSync(tmp, target);
        return true;
      } catch (err) {
        const code = errCode(err);
        if (code === 'EEXIST') return false;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw err;
        this.linkUnsupported = true;
        this.env.debug(`ranklog local: hard links unsupported in ${path.dirname(target)} (${code}); publishing with exclusive copies`);
      }
    }
    try {
      fs.copyFileSync(tmp, target, fs.constants.COPYFILE_EXCL);
      return true;
    } catch (err) {
      if (errCode(err) === 'EEXIST') return false;
      throw err;
    }
  }

  /** Claim dir/stem[-k]ext with the first k that claim() takes; remembers collisions under `key`. */
  private claimFree(dir: string, stem: string, ext: string, claim: (target: string) => boolean, key = path.join(dir, stem + ext)): void {
    for (let k = this.nextSuffix.get(key) ?? 0; ; k++) {
      if (claim(path.join(dir, nameWithSuffix(stem, ext, k)))) {
        if (k > 0) this.nextSuffix.set(key, k + 1); // remember only names that collided
        return;
      }
    }
  }

  /** Create file with content unless it exists (then leave it alone): run.json, the CSV header. */
  /** Creates `file` with `content` unless it exists; true when this call created it. */
  publishOnce(file: string, content: string): boolean {
    if (fs.existsSync(file)) return false;
    const tmp = this.tmpPath(path.dirname(file), path.basename(file));
    fs.writeFileSync(tmp, content);
    try {
      if (!this.claim(tmp, file)) return false;
      this.outcomes.counters.bytes += Buffer.byteLength(content);
      return true;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Write data as dir/stem[-k]ext with the first free k. */
  publishUnique(dir: string, stem: string, ext: string, data: string | Uint8Array, identifier: string): void {
    if (!this.outcomes.mayWrite()) return;
    let tmp: string | undefined;
    try {
      this.ensureDir(dir);
      tmp = this.tmpPath(dir, stem);
      fs.writeFileSync(tmp, data);
      const from = tmp;
      this.claimFree(dir, stem, ext, (target) => this.claim(from, target));
      this.counted(data);
    } catch (err) {
      this.outcomes.fileFailed(err, dir, `ranklog local: cannot write '${identifier}' to ${dir} (${errCode(err) ?? String(err)}); record skipped`);
    } finally {
      if (tmp !== undefined) fs.rmSync(tmp, { force: true });
    }
  }

  /**
   * Publish a figure's files (its PNG and/or source) as dir/<stem>[-k].<ext> with the first k
   * at which no figure extension is taken, so the files of one figure share a name and never
   * pair up with another figure's. Returns that name, or undefined (with a warning) on failure.
   */
  publishFigure(dir: string, stem: string, files: [ext: string, data: string | Uint8Array][], identifier: string): string | undefined {
    if (files.length === 0 || !this.outcomes.mayWrite()) return undefined;
    const tmps: string[] = [];
    try {
      this.ensureDir(dir);
      for (const [, data] of files) {
        const tmp = this.tmpPath(dir, stem);
        tmps.push(tmp);
        fs.writeFileSync(tmp, data);
      }
      const key = path.join(dir, stem) + '\0figure';
      for (let k = this.nextSuffix.get(key) ?? 0; ; k++) {
        const name = nameWithSuffix(stem, '', k);
        if (FIGURE_EXTS.some((e) => fs.existsSync(path.join(dir, name + e)))) continue;
        if (!this.claim(tmps[0]!, path.join(dir, name + files[0]![0]))) continue;
        if (k > 0) this.nextSuffix.set(key, k + 1);
        for (let i = 0; i < files.length; i++) {
          const [ext, data] = files[i]!;
          // Taken between the check and now only by another process writing the same rank and stem.
          if (i > 0 && !this.claim(tmps[i]!, path.join(dir, name + ext))) {
            this.publishUnique(dir, name, ext, data, identifier);
            continue;
          }
          this.counted(data);
        }
        return name;
      }
    } catch (err) {
      this.outcomes.fileFailed(err, dir, `ranklog local: cannot write '${identifier}' to ${dir} (${errCode(err) ?? String(err)}); record skipped`);
      return undefined;
    } finally {
      for (const tmp of tmps) fs.rmSync(tmp, { force: true });
    }
  }

  /** Publish a finished copy (a file, or a directory tree) at tmp as dir/stem[-k]ext with the first free k. */
  publishCopy(tmp: string, dir: string, stem: string, ext: string, isDirectory: boolean): void {
    this.claimFree(dir, stem, ext, (target) => (isDirectory ? claimDir(tmp, target) : this.claim(tmp, target)));
  }

  private counted(data: string | Uint8Array): void {
    this.outcomes.counters.files++;
    this.outcomes.counters.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  }
}
