/**
 * An offline run's directory, named and laid out as wandb lays it out, because `wandb sync`
 * finds runs by these names (the legacy sync also parses the time out of the name):
 *
 *   <dir>/wandb/offline-run-YYYYMMDD_HHMMSS-<run id>/
 *     run-<run id>.wandb      the transaction log
 *     files/                  what the run uploads: media/…, artifacts/…, dicts/…
 *     logs/ranklog.json       which process and rank wrote the run
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A run id as wandb makes them: 8 random lowercase letters and digits. */
export function newRunId(): string {
  let id = '';
  for (let i = 0; i < 8; i++) id += ID_CHARS[randomInt(ID_CHARS.length)];
  return id;
}

/** YYYYMMDD_HHMMSS in local time, as wandb names its run directories. */
export function timeSpec(timeMs: number): string {
  const d = new Date(timeMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export class RunDirectory {
  readonly dir: string;
  readonly filesDir: string;
  readonly logPath: string;
  private made = false;

  constructor(
    /** `<dir>/wandb` */
    readonly root: string,
    readonly runId: string,
    startMs: number,
    /** Written to logs/ranklog.json once the directory exists. */
    private readonly about: Record<string, unknown>,
  ) {
    this.dir = join(root, `offline-run-${timeSpec(startMs)}-${runId}`);
    this.filesDir = join(this.dir, 'files');
    this.logPath = join(this.dir, `run-${runId}.wandb`);
  }

  /** Create the directories (once; throws while the disk refuses, so the caller can count and retry). */
  prepare(): void {
    if (this.made) return;
    mkdirSync(this.filesDir, { recursive: true });
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    writeFileSync(join(this.dir, 'logs', 'ranklog.json'), JSON.stringify(this.about, null, 2) + '\n');
    this.made = true;
  }
}
