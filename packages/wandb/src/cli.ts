#!/usr/bin/env node
/**
 * ranklog-wandb-replay <offline-run dir>… [--exit-code N] [--dry-run]
 * Ends offline runs whose process was killed before it could (SIGKILL, the OOM killer, a lost
 * node): cuts a torn last record, appends Exit (exit code 255, "killed", unless --exit-code) and
 * Final. A run that already ends with them is left as it is. Then `wandb sync` the directories.
 */
import { parseArgs } from 'node:util';
import { repairRun } from './offline/replay.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'exit-code': { type: 'string' }, 'dry-run': { type: 'boolean' } } });
const exitCode = values['exit-code'] === undefined ? 255 : Number(values['exit-code']);
if (positionals.length === 0 || !Number.isInteger(exitCode) || exitCode < -(2 ** 31) || exitCode >= 2 ** 31) {
  process.stderr.write('usage: ranklog-wandb-replay <offline-run directory>… [--exit-code N (default 255: killed)] [--dry-run]\n');
  process.exit(2);
}
let failed = 0;
for (const dir of positionals) {
  try {
    const r = repairRun(dir, exitCode, values['dry-run'] === true);
    const did = [
      r.cut > 0 ? `cut a torn tail of ${r.cut} bytes (${r.scan.stoppedBecause})` : '',
      r.appended.length > 0
        ? `appended ${r.appended.join(' and ')}${r.appended.includes('exit') ? ` (exit code ${exitCode}, runtime ${r.scan.runtimeSecs} s)` : ''}`
        : '',
    ].filter((s) => s !== '');
    const verb = values['dry-run'] === true ? 'would have ' : '';
    process.stdout.write(
      `${r.path}: ${r.scan.records} records; ${did.length === 0 ? 'already ends with Exit and Final, left as it is' : verb + did.join(', ')}\n`,
    );
  } catch (e) {
    failed++;
    process.stderr.write(`ranklog-wandb-replay: ${(e as Error).message}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
