/**
 * params.json: {identifier: value}, a deterministic fold of params.jsonl — the first rank to
 * log a name owns it and its later values replace earlier ones; a different value from another
 * rank is kept as "<identifier>@rank<r>". Several processes may append params at once: each
 * that appended re-folds the log and renames a fresh snapshot until the log stops growing, so
 * the last snapshot written covers every line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SinkEnv } from '../../sink/index.js';
import type { AppendFile } from './append-file.js';
import type { Outcomes } from './outcomes.js';
import type { Publisher } from './publish.js';

export class ParamsFold {
  /** The fold covers params.jsonl up to here. */
  private offset = 0;
  private readonly values = new Map<string, unknown>();
  private readonly owner = new Map<string, number>();

  constructor(
    private readonly runDir: string,
    /** params.jsonl, opened 'a+' (appended to, and read back). */
    private readonly log: AppendFile,
    private readonly publisher: Publisher,
    private readonly outcomes: Outcomes,
    private readonly env: SinkEnv,
  ) {}

  /** Fold params.jsonl lines from offset to the last complete line into the snapshot. */
  private fold(): void {
    const fd = this.log.fd;
    const size = fs.fstatSync(fd).size;
    if (size <= this.offset) return;
    const buf = Buffer.allocUnsafe(size - this.offset);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, this.offset + got);
      if (n === 0) break;
      got += n;
    }
    const end = buf.lastIndexOf(0x0a, got - 1) + 1; // a line still being appended by another process waits for the next fold
    if (end === 0) return;
    for (const line of buf.toString('utf8', 0, end).split('\n')) {
      if (line === '') continue;
      let p: { rank?: unknown; identifier?: unknown; value?: unknown };
      try {
        p = JSON.parse(line);
      } catch {
        this.env.debug(`ranklog local: unreadable line in params.jsonl skipped: ${line.slice(0, 80)}`);
        continue;
      }
      if (typeof p.identifier !== 'string' || typeof p.rank !== 'number') continue;
      const id = p.identifier;
      const value = p.value ?? null;
      const owner = this.owner.get(id);
      if (owner === undefined || owner === p.rank) {
        // First rank to log a name owns it; its later values replace its earlier ones.
        this.owner.set(id, p.rank);
        this.values.set(id, value);
      } else if (this.values.get(id) !== value || this.values.has(`${id}@rank${p.rank}`)) {
        this.values.set(`${id}@rank${p.rank}`, value);
      }
    }
    this.offset += end;
  }

  /** Rewrite params.json from everything params.jsonl holds (call after appending to it). */
  writeSnapshot(): void {
    const file = path.join(this.runDir, 'params.json');
    // Another process may append between our read and our rename: fold again until the
    // log stops growing, so whichever process renames last has seen every line.
    for (let round = 0; round < 16; round++) {
      this.fold();
      const text = JSON.stringify(Object.fromEntries(this.values), null, 2) + '\n';
      const tmp = this.publisher.tmpPath(this.runDir, 'params.json');
      fs.writeFileSync(tmp, text);
      try {
        fs.renameSync(tmp, file);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw err;
      }
      this.outcomes.counters.bytes += Buffer.byteLength(text);
      if (fs.fstatSync(this.log.fd).size <= this.offset) return;
    }
  }
}
