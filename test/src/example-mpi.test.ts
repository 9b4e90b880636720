/**
 * `npm run example:mpi` (examples/src/mpi/) under a real mpirun, 4 processes, a few epochs: every
 * rank's records are in the local files, aggregates.csv matches a direct computation from the ranks'
 * rows, MLflow holds one FINISHED parent with a child per rank, TensorBoard a run per rank beside
 * the job run, and every rank ends with the same weights (its printed sha256).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { direct, readAggregatesCsv } from './support/aggregate-check.js';
import { childEnv, dropAmbientEnv } from './support/child-process.js';
import { parseCsv } from './support/csv-parse.js';
import { freePort } from './support/free-port.js';
import { run } from './support/job-processes.js';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';
import { readRunDir, scalarOf, valuesOfTag } from './support/tb-decode.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/dist/mpi/main.js', import.meta.url));
const HAS_MPIRUN = spawnSync('mpirun', ['--version']).status === 0;
const WORLD = 4;
const EPOCHS = 3;
const BATCHES = 4; // 120 training samples / 4 ranks = 30 per shard, batches of 8
dropAmbientEnv();

if (!HAS_MPIRUN && !process.env.CI) console.warn('example-mpi.test: skipped, mpirun not found (apt-get install -y openmpi-bin)');

(HAS_MPIRUN || process.env.CI ? test : test.skip)('the MPI example trains 4 processes under mpirun and every backend holds the job', async (t) => {
  if (!HAS_MPIRUN) return t.fail('mpirun not found in CI: install Open MPI (apt-get install -y openmpi-bin; .ci/run does)');
  t.timeout(TEST_TIMEOUT_MS);
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-exmpi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const savedir = join(dir, 'logs');
  const tbdir = join(dir, 'mllogs');
  const port = await freePort();
  const e = await run(
    t,
    'mpirun',
    [
      '--allow-run-as-root',
      '--oversubscribe',
      '-np',
      String(WORLD),
      process.execPath,
      EXAMPLE,
      '--epochs',
      String(EPOCHS),
      '--quiet',
      '--port',
      String(port),
      '--savedir',
      savedir,
      '--tbdir',
      tbdir,
    ],
    childEnv({ RANKLOG_RENDEZVOUS_TIMEOUT_S: '300', RANKLOG_JOB_END_WAIT_S: '300' }),
  );
  t.is(e.code, 0, e.stderr);

  // Final weights: one line per rank, all the same hash.
  const hashes = [...e.stdout.matchAll(/^rank (\d+): (\d+) SGD steps, final weights sha256 ([0-9a-f]{64})$/gm)].sort((a, b) => Number(a[1]) - Number(b[1]));
  t.deepEqual(
    hashes.map((m) => [Number(m[1]), Number(m[2])]),
    [0, 1, 2, 3].map((r) => [r, EPOCHS * BATCHES]),
    e.stdout,
  );
  t.is(new Set(hashes.map((m) => m[3])).size, 1, 'every rank ends with the same weights');
  t.regex(e.stdout, /: FINISHED\n/);
  t.regex(e.stdout, /gradients: summed over TCP/);

  // Local files: every rank's rows, and aggregates equal to a direct computation from them.
  const [runName, ...others] = readdirSync(savedir);
  t.is(others.length, 0, 'one run directory');
  const rows = parseCsv(readFileSync(join(savedir, runName!, 'metrics.csv'), 'utf8')).slice(1);
  const valuesOf = (id: string, r: number) =>
    rows.filter((row) => row[2] === id && row[1] === String(r)).map((row) => [Number(row[3]), Number(row[5])] as const);
  for (let r = 0; r < WORLD; r++) {
    t.deepEqual(
      valuesOf('train/loss_batch', r).map(([s]) => s),
      Array.from({ length: EPOCHS * BATCHES }, (_, i) => i),
      `rank ${r}'s batch losses`,
    );
    t.deepEqual(
      valuesOf('train/loss_epoch', r).map(([s]) => s),
      Array.from({ length: EPOCHS }, (_, i) => i),
      `rank ${r}'s epoch losses`,
    );
  }
  const agg = readAggregatesCsv(join(savedir, runName!, 'aggregates.csv'));
  const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
  for (const id of ['train/loss_epoch', 'train/accuracy_epoch']) {
    t.is(agg.get(id)?.size, EPOCHS, `${id}: one aggregate per epoch`);
    for (let s = 0; s < EPOCHS; s++) {
      const d = direct([0, 1, 2, 3].map((r) => valuesOf(id, r)[s]![1]));
      const a = agg.get(id)!.get(s)!;
      t.deepEqual([a.ranks, a.expectedRanks], [WORLD, WORLD], `${id} step ${s}`);
      t.deepEqual([a.stats.get('min'), a.stats.get('max')], [d.min, d.max], `${id} step ${s}`);
      t.true(close(a.stats.get('mean'), d.mean), `${id} step ${s} mean ${a.stats.get('mean')} vs ${d.mean}`);
      if (a.stats.has('std')) t.true(close(a.stats.get('std'), d.std), `${id} step ${s} std ${a.stats.get('std')} vs ${d.std}`);
    }
  }

  // MLflow: one parent, FINISHED, holding the aggregates; a child per rank under it.
  const store = join(tbdir, 'mlflow');
  const runs = runsIn(store, experimentIdsNamed(store, 'ranklog-mlp-iris-mpi')[0]!);
  const parents = runs.filter((r) => r.tags.has('ranklog.job'));
  t.is(parents.length, 1, 'one MLflow parent');
  t.is(parents[0]?.status, 'FINISHED');
  t.is(parents[0]?.metrics.get('train/loss_epoch.max')?.length, EPOCHS);
  t.deepEqual(
    runs
      .filter((r) => r.tags.get('mlflow.parentRunId') === parents[0]?.runId)
      .map((r) => r.tags.get('ranklog.rank'))
      .sort(),
    ['0', '1', '2', '3'],
  );

  // TensorBoard: a run per rank and the job run, whose mean overlays the ranks' tag.
  const tb = readRunDir(tbdir);
  t.deepEqual([...tb.keys()].sort(), [`${runName}/job`, ...[0, 1, 2, 3].map((r) => `${runName}/rank_${r}`)].sort());
  t.deepEqual(
    valuesOfTag(tb.get(`${runName}/job`)!.events, 'train/loss_epoch').map((v) => v.event.step),
    Array.from({ length: EPOCHS }, (_, i) => i),
  );
  t.true(
    valuesOfTag(tb.get(`${runName}/job`)!.events, 'train/loss_epoch').every(
      (v, s) => scalarOf(v.value) === Math.fround(agg.get('train/loss_epoch')!.get(s)!.stats.get('mean')!),
    ),
    'TensorBoard job mean equals aggregates.csv',
  );
});
