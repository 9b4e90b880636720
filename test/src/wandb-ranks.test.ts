/**
 * Several ranks logging to W&B make one run each, all in one group (the job's run name):
 * - training worker_threads of one process (logOnWorkers -1): one writer, a run per rank;
 * - separate processes with RANK/WORLD_SIZE and a shared RANKLOG_RUN_NAME, as a launcher starts them.
 * Each run is named <job>-rank<r>, has its own id and directory, and holds exactly its rank's records.
 */
import test from 'ava';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { WandBLogger } from '@ranklog/wandb';
import { childEnv, dropAmbientEnv, runNode } from './support/child-process.js';
import { tempDir } from './support/log-path.js';
import { readRun, runDirs } from './support/wandb-runs.js';

const WORKER = new URL('./fixtures/tb-scalar-worker.js', import.meta.url);
const CHILD = fileURLToPath(new URL('./fixtures/wandb-child.js', import.meta.url));
dropAmbientEnv();
for (const k of Object.keys(process.env)) if (k.startsWith('WANDB_')) delete process.env[k];

test('worker_threads of one process: a run per rank, named <job>-rank<r>, all in the group of the job', async (t) => {
  t.timeout(120_000);
  const savedir = tempDir(t, 'wandb-threads');
  const n = 500;
  const logger = new WandBLogger({ savedir, offlineMode: true, logOnWorkers: -1, projectName: 'ranks' });
  await logger.createLoggerContext({ rank: 0, worldSize: 4, runName: 'job', handleSignals: false });
  const h = logger.handle('seq');
  const workers = [1, 2, 3].map((rank) => new Worker(WORKER, { workerData: { handle: logger.workerHandle(rank), tag: 'seq', n } }));
  for (let i = 0; i < n; i++) logger.metric(h, i, i);
  await Promise.all(workers.map((w) => new Promise((resolve, reject) => w.on('exit', resolve).on('error', reject))));
  const stats = await logger.destroyLoggerContext();
  t.like(stats.backends[0], { written: 4 * n, failed: 0, runs: 4 });

  const runs = runDirs(savedir).map(readRun);
  t.is(runs.length, 4);
  t.deepEqual(
    runs.flatMap((r) => r.errors),
    [],
  );
  t.deepEqual(
    runs.map((r) => [r.run!.displayName, r.run!.group, r.run!.project]).sort(),
    [0, 1, 2, 3].map((r) => [`job-rank${r}`, 'job', 'ranks']),
  );
  t.is(new Set(runs.map((r) => r.run!.runId)).size, 4, 'each run has its own id');
  for (const run of runs) {
    const rank = Number(run.run!.displayName.slice('job-rank'.length));
    const base = rank === 0 ? 0 : rank * 1e6;
    t.deepEqual(
      run.rows.map((r) => [r.items.get('epoch'), r.items.get('seq')]),
      Array.from({ length: n }, (_, i) => [i, base + i]),
      `rank ${rank}: its own records, in order`,
    );
    t.is(run.exit?.exitCode, 0);
  }
});

test('separate processes (RANK, WORLD_SIZE, RANKLOG_RUN_NAME): a run per process, all in one group', async (t) => {
  t.timeout(120_000);
  const savedir = tempDir(t, 'wandb-procs');
  const ends = await Promise.all(
    [0, 1, 2].map((rank) => runNode(t, [CHILD, savedir, 'ranks'], childEnv({ RANK: String(rank), WORLD_SIZE: '3', RANKLOG_RUN_NAME: 'slurm-42' }))),
  );
  for (const e of ends) t.is(e.code, 0, e.stderr);
  const runs = runDirs(savedir).map(readRun);
  t.deepEqual(
    runs.map((r) => [r.run!.displayName, r.run!.group, r.rows.length, r.exit?.exitCode]).sort(),
    [0, 1, 2].map((r) => [`slurm-42-rank${r}`, 'slurm-42', 100, 0]),
  );
  t.deepEqual(
    runs.flatMap((r) => r.errors),
    [],
  );
});
