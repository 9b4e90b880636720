/**
 * The on-disk spool: ops that could not be delivered, in order, as JSON lines
 * (NaN/±Infinity metric values as strings), plus state.json (experiment, run
 * ids, how many ops were delivered). Lives in the run directory; whoever
 * replays it — the sink when the server is back, or the CLI — resumes after
 * the last delivered op, so nothing is sent twice and nothing is skipped.
 */
import { appendWhole } from '@ranklog/core/sink';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Op, SpoolState } from './ops.js';
import { recordsIn } from './ops.js';

const OPS = 'ops.jsonl';
const STATE = 'state.json';

function encode(op: Op): string {
  return JSON.stringify(op, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $num: String(v) } : v));
}

function decode(line: string): Op {
  return JSON.parse(line, (_k, v) => (v && typeof v === 'object' && typeof v.$num === 'string' && Object.keys(v).length === 1 ? Number(v.$num) : v)) as Op;
}

export class Spool {
  constructor(readonly dir: string) {}

  get exists(): boolean {
    return existsSync(join(this.dir, OPS));
  }

  /** Whole lines only: an append the disk refuses part-way is cut back (throws a WriteFailure). */
  append(ops: Op[]): void {
    if (ops.length === 0) return;
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, OPS);
    const fd = openSync(file, 'a');
    try {
      appendWhole(fd, Buffer.from(ops.map((o) => encode(o) + '\n').join(''), 'utf8'), file);
    } finally {
      closeSync(fd);
    }
  }

  readState(): SpoolState | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, STATE), 'utf8')) as SpoolState;
    } catch {
      return undefined;
    }
  }

  /** Atomically (temp file + rename), so a crash never leaves half a state. */
  writeState(state: SpoolState): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `${STATE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
    renameSync(tmp, join(this.dir, STATE));
  }

  /** Ops parsed so far and how many bytes of ops.jsonl they came from: a replay re-reads only what was appended since. */
  private cache: Op[] = [];
  private parsedBytes = 0;

  /** Every op in the spool, in order (delivered ones included; skip state.delivered of them). */
  readOps(): Op[] {
    if (!this.exists) {
      this.cache = [];
      this.parsedBytes = 0;
      return this.cache;
    }
    const fd = openSync(join(this.dir, OPS), 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < this.parsedBytes) {
        this.cache = [];
        this.parsedBytes = 0;
      }
      if (size > this.parsedBytes) {
        const buf = Buffer.allocUnsafe(size - this.parsedBytes);
        let got = 0;
        while (got < buf.length) got += readSync(fd, buf, got, buf.length - got, this.parsedBytes + got);
        // Only whole lines: a torn last line (killed mid-append) is not an op yet.
        const end = buf.lastIndexOf(0x0a) + 1;
        for (const line of buf.subarray(0, end).toString('utf8').split('\n')) if (line !== '') this.cache.push(decode(line));
        this.parsedBytes += end;
      }
    } finally {
      closeSync(fd);
    }
    return this.cache;
  }

  /** Records still waiting (ops after the delivered ones). */
  pendingRecords(): number {
    const delivered = this.readState()?.delivered ?? 0;
    return this.readOps()
      .slice(delivered)
      .reduce((n, op) => n + recordsIn(op), 0);
  }

  /** Everything replayed: remove the ops (state.json stays, with the run ids). */
  clear(state: SpoolState): void {
    rmSync(join(this.dir, OPS), { force: true });
    this.cache = [];
    this.parsedBytes = 0;
    this.writeState({ ...state, delivered: 0 });
  }
}
