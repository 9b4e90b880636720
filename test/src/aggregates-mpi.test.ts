/**
 * Cross-rank aggregates of separate processes under Open MPI's mpirun (docs/jobs.md "Aggregates"):
 * each rank's writer sends per-step partials over the rendezvous; rank 0's writers merge them and
 * write the job-level series in every backend. Compared with a direct computation of what the
 * ranks logged (fixtures/job-rank.js: rank r logs r·1e6 + i at step i).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobRankConfig } from './fixtures/job-rank.js';
import { direct, readAggregatesCsv } from './support/aggregate-check.js';
import { lastSummary, tbJobEnd, wandbJobRuns } from './support/job-end-check.js';
import { childEnv, dropAmbientEnv } from './support/child-process.js';
import { rankLines, run } from './support/job-processes.js';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';
import { readRunDir, scalarOf, valuesOfTag } from './support/tb-decode.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const CHILD = fileURLToPath(new URL('./fixtures/job-rank.js', import.meta.url));
const HAS_MPIRUN = spawnSync('mpirun', ['--version']).status === 0;
const LIVE = { RANKLOG_RENDEZVOUS_TIMEOUT_S: '300', RANKLOG_JOB_END_WAIT_S: '300' };
const N = 2000;
const WORLD = 4;
dropAmbientEnv();

test('4 processes under mpirun: rank 0 writes per-step aggregates of every rank in every backend, equal to a direct computation', async (t) => {
  if (!HAS_MPIRUN) return t.fail('mpirun not found: install Open MPI (apt-get install -y openmpi-bin; .ci/run does)');
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = mkdtempSync(join(tmpdir(), 'ranklog-aggmpi-'));
  t.teardown(() => rmSync(savedir, { recursive: true, force: true }));
  const cfg: JobRankConfig = { savedir, n: N, aggregate: true, wandb: true };
  const e = await run(
    t,
    'mpirun',
    ['--allow-run-as-root', '--oversubscribe', '-np', String(WORLD), process.execPath, CHILD, JSON.stringify(cfg)],
    childEnv(LIVE),
  );
  t.is(e.code, 0, e.stderr);
  const lines = rankLines(e.stdout);
  t.deepEqual(
    lines.map((l) => l.rank),
    [0, 1, 2, 3],
    e.stderr,
  );
  const host = lines[0]!;
  t.is(host.job?.status, 'finished');
  t.deepEqual(host.aggregate, {
    aggregateRows: N,
    aggregatePartials: 0,
    aggregateUnsupported: 0,
    aggregateSteps: N,
    aggregateIncomplete: 0,
    aggregateDropped: 0,
    aggregateLate: 0,
    aggregateOpen: 0,
  });
  for (const m of lines.slice(1)) t.is(m.aggregate?.aggregatePartials, N, `rank ${m.rank} sent one partial per step`);
  const want = Array.from({ length: N }, (_, i) => direct([0, 1, 2, 3].map((r) => r * 1e6 + i)));
  const runName = readdirSync(savedir).filter((d) => d !== 'tb' && d !== 'mlruns' && d !== 'wb')[0]!;
  const rows = readAggregatesCsv(join(savedir, runName, 'aggregates.csv')).get('loss')!;
  t.is(rows.size, N);
  for (let i = 0; i < N; i++) {
    const a = rows.get(i)!;
    const d = want[i]!;
    t.deepEqual([a.ranks, a.expectedRanks, a.stats.get('count')], [4, 4, 4], `step ${i}`);
    t.deepEqual([a.stats.get('mean'), a.stats.get('min'), a.stats.get('max')], [d.mean, d.min, d.max], `step ${i}`);
    t.true(Math.abs(a.stats.get('std')! - d.std) <= 1e-9 * d.std, `step ${i} std ${a.stats.get('std')} vs ${d.std}`);
  }
  const job = readRunDir(join(savedir, 'tb')).get(`${runName}/job`)?.events ?? [];
  t.deepEqual(
    valuesOfTag(job, 'loss').map((v) => [v.event.step, scalarOf(v.value)]),
    want.map((d, i) => [i, Math.fround(d.mean)]),
    'TensorBoard <run>/job/: the mean under the ranks tag',
  );
  const mlruns = join(savedir, 'mlruns');
  const parents = runsIn(mlruns, experimentIdsNamed(mlruns, 'jobs')[0]!).filter((r) => r.tags.has('ranklog.job'));
  t.is(parents.length, 1);
  t.is(parents[0]!.status, 'FINISHED');
  t.deepEqual(
    parents[0]!.metrics.get('loss.max')?.map((m) => [m.step, m.value]),
    want.map((d, i) => [i, d.max]),
  );
  // TensorBoard: the job's end as a text in <run>/job/
  t.regex(tbJobEnd(join(savedir, 'tb'), runName) ?? '', /^\*\*FINISHED\*\*\n[\s\S]*\| 3 \| finished \|/);
  // W&B: one job run in the ranks' group, the aggregates as its history, the end in its summary and exit
  const jobRuns = wandbJobRuns(join(savedir, 'wb'), runName);
  t.is(jobRuns.length, 1);
  const wj = jobRuns[0]!;
  t.is(wj.run?.group, runName);
  t.deepEqual(
    wj.rows.map((r) => [r.items.get('step'), r.items.get('loss'), r.items.get('loss.min')]),
    want.map((d, i) => [i, d.mean, d.min]),
  );
  t.is(lastSummary(wj, 'job/status'), 'finished');
  t.deepEqual(lastSummary(wj, 'job/ranks'), { 0: 'finished', 1: 'finished', 2: 'finished', 3: 'finished' });
  t.is(wj.exit?.exitCode, 0);
});
