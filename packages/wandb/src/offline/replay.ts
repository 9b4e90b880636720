/**
 * Ends a run that its process could not end: a SIGKILL, the OOM killer or a lost node leave a
 * transaction log without Exit (the current `wandb sync` then marks the run failed; the legacy
 * sync leaves it running), and maybe with a torn last record. The repair cuts the torn tail
 * back to the last whole record and appends Exit and Final, numbered after the last record.
 */
import { closeSync, ftruncateSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Growable, ProtoWriter, writeWholeAt } from '@ranklog/core/sink';
import { RECORD } from '../records/fields.js';
import { appendRecord } from '../records/leveldb-log.js';
import { EMPTY_MESSAGE, exitMessage } from '../records/messages.js';
import { scanLog, type LogScan } from './log-scan.js';

/** What repairRun() found and did. */
export interface Repair {
  path: string;
  scan: LogScan;
  /** Bytes cut off the end (a torn record). */
  cut: number;
  /** Records appended: 'exit', 'final'. */
  appended: string[];
}

/** The run's transaction log: the one run-*.wandb file of an offline-run directory. */
export function transactionLogOf(runDir: string): string {
  const logs = readdirSync(runDir).filter((n) => /^run-.+\.wandb$/.test(n));
  if (logs.length !== 1) throw new Error(`${runDir} holds ${logs.length} run-*.wandb files; pass an offline-run-… directory, which holds one`);
  return join(runDir, logs[0]!);
}

/** End an offline run whose process was killed: cut a torn last record, append Exit and Final (the ranklog-wandb-replay command). */
export function repairRun(runDir: string, exitCode: number, dryRun = false): Repair {
  const path = transactionLogOf(runDir);
  const scan = scanLog(path);
  if (scan.validEnd === 0) throw new Error(`${path}: ${scan.stoppedBecause}; not a W&B transaction log`);
  const repair: Repair = { path, scan, cut: scan.size - scan.validEnd, appended: [] };
  const out = new Growable(256);
  const w = new ProtoWriter(64);
  let num = scan.lastNum;
  const add = (field: number, message: Uint8Array, name: string) => {
    const p = new ProtoWriter(32)
      .varint(RECORD.num * 8)
      .varint(++num)
      .varint(field * 8 + 2)
      .varint(message.length);
    p.reserve(message.length);
    p.buf.set(message, p.pos);
    p.pos += message.length;
    appendRecord(out, scan.validEnd, p.finish());
    repair.appended.push(name);
  };
  if (!scan.hasExit) add(RECORD.exit, exitMessage(w, exitCode, scan.runtimeSecs), 'exit');
  if (!scan.hasFinal) add(RECORD.final, EMPTY_MESSAGE, 'final');
  if (dryRun || (repair.cut === 0 && out.pos === 0)) return repair;
  const fd = openSync(path, 'r+');
  try {
    if (repair.cut > 0) ftruncateSync(fd, scan.validEnd);
    if (out.pos > 0) writeWholeAt(fd, out.buf.subarray(0, out.pos), scan.validEnd, path);
  } finally {
    closeSync(fd);
  }
  return repair;
}
