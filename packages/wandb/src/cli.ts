#!/usr/bin/env node
/**
 * ranklog-wandb-replay <run dir>… [--exit-code N] [--dry-run] [--upload]
 * Ends runs whose process was killed before it could (SIGKILL, the OOM killer, a lost node):
 * cuts a torn last record, appends Exit (exit code 255, "killed", unless --exit-code) and Final.
 * A run that already ends with them is left as it is. Then `wandb sync` the directories, or
 * pass --upload: ranklog sends them itself to WANDB_BASE_URL with WANDB_API_KEY.
 */
import { parseArgs } from 'node:util';
import { repairRun } from './offline/replay.js';
import { uploadRun } from './online/upload-run.js';
import { resolveSettings } from './settings.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'exit-code': { type: 'string' }, 'dry-run': { type: 'boolean' }, upload: { type: 'boolean' } },
});
const exitCode = values['exit-code'] === undefined ? 255 : Number(values['exit-code']);
if (positionals.length === 0 || !Number.isInteger(exitCode) || exitCode < -(2 ** 31) || exitCode >= 2 ** 31) {
  process.stderr.write(
    'usage: ranklog-wandb-replay <run directory>… [--exit-code N (default 255: killed)] [--dry-run] [--upload (to WANDB_BASE_URL with WANDB_API_KEY)]\n',
  );
  process.exit(2);
}
const dryRun = values['dry-run'] === true;
let server: { baseUrl: string; apiKey: string } | undefined;
if (values.upload === true && !dryRun) {
  try {
    const { settings, apiKey } = resolveSettings({ offlineMode: false }, process.env);
    if (apiKey === undefined) throw new Error('--upload needs WANDB_API_KEY (your W&B API key) in the environment');
    server = { baseUrl: settings.baseUrl, apiKey };
  } catch (e) {
    process.stderr.write(`ranklog-wandb-replay: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
let failed = 0;
for (const dir of positionals) {
  try {
    const r = repairRun(dir, exitCode, dryRun);
    const did = [
      r.cut > 0 ? `cut a torn tail of ${r.cut} bytes (${r.scan.stoppedBecause})` : '',
      r.appended.length > 0
        ? `appended ${r.appended.join(' and ')}${r.appended.includes('exit') ? ` (exit code ${exitCode}, runtime ${r.scan.runtimeSecs} s)` : ''}`
        : '',
    ].filter((s) => s !== '');
    const verb = dryRun ? 'would have ' : '';
    process.stdout.write(
      `${r.path}: ${r.scan.records} records; ${did.length === 0 ? 'already ends with Exit and Final, left as it is' : verb + did.join(', ')}\n`,
    );
    if (server !== undefined) {
      const u = await uploadRun(dir, server);
      if (!u.completed) throw new Error(`${dir}: upload of run ${u.runId} ${u.state === 'stopped' ? 'stopped by the server' : `failed: ${u.reason}`}`);
      process.stdout.write(
        `${dir}: uploaded run ${u.runId} to ${new URL(server.baseUrl).origin} (${u.counters.fileStreamRequests} file-stream requests, ${u.counters.uploads} files)\n`,
      );
    }
  } catch (e) {
    failed++;
    process.stderr.write(`ranklog-wandb-replay: ${(e as Error).message}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
