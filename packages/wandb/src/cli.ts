#!/usr/bin/env node
/**
 * ranklog-wandb-replay <run dir>… [--exit-code N] [--dry-run] [--upload]
 * Ends runs whose process was killed before it could (SIGKILL, the OOM killer, a lost node):
 * cuts a torn last record, appends Exit (exit code 255, "killed", unless --exit-code) and Final.
 * A run that already ends with them is left as it is. Then `wandb sync` the directories, or
 * pass --upload: ranklog sends them itself to WANDB_BASE_URL with WANDB_API_KEY.
 * Usage errors print one line and exit 2, never a stack trace.
 */
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { repairRun } from './offline/replay.js';
import { uploadRun } from './online/upload-run.js';
import { resolveSettings } from './settings.js';

const NAME = 'ranklog-wandb-replay';
const USAGE = `usage: ${NAME} <run directory>… [--exit-code N] [--dry-run] [--upload]

Ends W&B runs written by ranklog whose process was killed before it could end them (SIGKILL, the
OOM killer, a lost node): cuts a torn last record and appends Exit and Final, so that
\`wandb sync\` uploads them as ended runs. A run that already ends is left as it is.

  <run directory>   <savedir>/wandb/offline-run-YYYYMMDD_HHMMSS-<id>, one or more
  --exit-code N     the exit code recorded (default 255: killed; 0 marks it finished)
  --dry-run         say what would be done, change nothing
  --upload          then send each run to WANDB_BASE_URL (default https://api.wandb.ai) with
                    WANDB_API_KEY, as \`wandb sync\` would
  -h, --help        this text

Exit status: 0 every run ends properly (and was uploaded), 1 a run could not be repaired or
uploaded, 2 usage error.
`;

function usageError(message: string): never {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(2);
}

let parsed: ReturnType<
  typeof parseArgs<{
    options: { 'exit-code': { type: 'string' }; 'dry-run': { type: 'boolean' }; upload: { type: 'boolean' }; help: { type: 'boolean'; short: 'h' } };
    allowPositionals: true;
  }>
>;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { 'exit-code': { type: 'string' }, 'dry-run': { type: 'boolean' }, upload: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
} catch (e) {
  usageError(`${(e as Error).message}; see ${NAME} --help`);
}
const { positionals, values } = parsed;
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const exitCode = values['exit-code'] === undefined ? 255 : Number(values['exit-code']);
if (values['exit-code'] !== undefined && (values['exit-code'].trim() === '' || !Number.isInteger(exitCode) || exitCode < -(2 ** 31) || exitCode >= 2 ** 31)) {
  usageError(`--exit-code is ${JSON.stringify(values['exit-code'])}; pass an integer, e.g. --exit-code 0 (finished) or 255 (killed, the default)`);
}
if (positionals.length === 0) usageError(`no run directory given; pass one or more, e.g. ${NAME} mllogs/wandb/offline-run-*`);
const dryRun = values['dry-run'] === true;
let server: { baseUrl: string; apiKey: string } | undefined;
if (values.upload === true && !dryRun) {
  try {
    const { settings, apiKey } = resolveSettings({ offlineMode: false }, process.env);
    if (apiKey === undefined) usageError('--upload needs WANDB_API_KEY (your W&B API key) in the environment');
    server = { baseUrl: settings.baseUrl, apiKey };
  } catch (e) {
    usageError((e as Error).message);
  }
}
let failed = 0;
for (const dir of positionals) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    failed++;
    process.stderr.write(`${NAME}: ${JSON.stringify(dir)} is not a directory; pass <savedir>/wandb/offline-run-YYYYMMDD_HHMMSS-<id>\n`);
    continue;
  }
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
    process.stderr.write(`${NAME}: ${(e as Error).message}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
