/**
 * The online mode through the public API: WandBLogger with WANDB_MODE=online, WANDB_BASE_URL and
 * WANDB_API_KEY talks to the W&B double from its writer thread (the key crosses into the thread in
 * the sink options only), and the key shows in no property, stat or file. Then the replay CLI's
 * --upload sends a run directory itself.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, promisify } from 'node:util';
import { WandBLogger } from '@ranklog/wandb';
import { startWandbDouble } from '@ranklog/wandb-double';
import { listFiles } from './support/list-files.js';
import { tempDir } from './support/log-path.js';
import { runDirs } from './support/wandb-runs.js';

const KEY = 'local-e2e0123456789abcdef0123456789abcdef012345';
for (const k of Object.keys(process.env)) if (k.startsWith('WANDB_')) delete process.env[k];

test.serial('WandBLogger online: the run reaches the server from the writer thread, and the key shows in no property, stat or file', async (t) => {
  const double = await startWandbDouble({ apiKey: KEY });
  t.teardown(() => double.close());
  const savedir = tempDir(t, 'wandb-online-e2e');
  Object.assign(process.env, { WANDB_MODE: 'online', WANDB_BASE_URL: double.url, WANDB_API_KEY: KEY });
  let logger: WandBLogger;
  try {
    logger = new WandBLogger({ savedir, projectName: 'e2e', runId: 'e2erun01', fileStreamSecs: 0.05, logFreq: 'batch' });
  } finally {
    for (const k of ['WANDB_MODE', 'WANDB_BASE_URL', 'WANDB_API_KEY']) delete process.env[k];
  }
  t.is(logger.mode, 'online');
  for (const shown of [inspect(logger, { depth: 10, showHidden: true }), JSON.stringify(logger), Object.values(logger).map(String).join()])
    t.false(shown.includes(KEY));
  await logger.createLoggerContext({ rank: 0, runName: 'e2e', handleSignals: false });
  logger.saveHyperparameters({ lr: 0.1 });
  for (let i = 0; i < 20; i++) logger.log(i / 10, 'train/loss', { kind: 'metric', step: i, batchIdx: i });
  const stats = await logger.destroyLoggerContext();
  const run = double.run('e2erun01');
  t.truthy(run);
  t.is(run?.history.length, 20);
  t.deepEqual(run?.config.lr, { value: 0.1 });
  t.true(run?.complete);
  t.is(run?.exitcode, 0);
  t.deepEqual(double.violations, []);
  t.false(JSON.stringify(stats).includes(KEY));
  for (const f of listFiles(savedir)) t.false(readFileSync(join(savedir, f)).includes(KEY), f);
});

test.serial('ranklog-wandb-replay --upload sends an offline run to WANDB_BASE_URL with WANDB_API_KEY', async (t) => {
  const double = await startWandbDouble({ apiKey: KEY });
  t.teardown(() => double.close());
  const savedir = tempDir(t, 'wandb-replay-upload');
  const logger = new WandBLogger({ savedir, offlineMode: true, projectName: 'later', runId: 'offl1ne0', logFreq: 'batch' });
  await logger.createLoggerContext({ rank: 0, runName: 'later', handleSignals: false });
  for (let i = 0; i < 5; i++) logger.log(i, 'm', { kind: 'metric', step: i, batchIdx: i });
  await logger.destroyLoggerContext();
  const dir = runDirs(savedir)[0]!;
  const cli = new URL('../../packages/wandb/dist/cli.js', import.meta.url).pathname;
  const out = await promisify(execFile)(process.execPath, [cli, '--upload', dir], {
    env: { PATH: process.env.PATH, WANDB_BASE_URL: double.url, WANDB_API_KEY: KEY },
  });
  t.regex(out.stdout, /uploaded run offl1ne0/);
  t.false(out.stdout.includes(KEY) || out.stderr.includes(KEY));
  const run = double.run('offl1ne0');
  t.is(run?.project, 'later');
  t.is(run?.history.length, 5);
  t.true(run?.complete);
});
