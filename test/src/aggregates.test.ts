/**
 * Cross-rank aggregates (the aggregate option; docs/jobs.md "Aggregates") for worker_thread ranks
 * of one process: rank 0's writer of each backend sees every ring, folds per rank and step, and
 * writes the job-level series (local aggregates.csv, TensorBoard <run>/job/, MLflow's parent run).
 * Compared with a direct computation of what each rank logged: mean, min and max exactly, std
 * within float tolerance; a rank skipping a step, and a silent rank, are written without it with their rank count;
 * a rank far behind loses nothing with the default window;
 * an overflowing window is counted. Separate processes: aggregates-mpi.test.ts.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LocalFileLogger, LoggersCollection, type WorkerHandle } from '@ranklog/core';
import { MLFlowLogger } from '@ranklog/mlflow';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { direct, readAggregatesCsv } from './support/aggregate-check.js';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';
import { readRunDir, scalarOf, valuesOfTag } from './support/tb-decode.js';
import { TEST_TIMEOUT_MS, waitFor } from './support/wait-for.js';

const WORKER = new URL('./fixtures/aggregate-worker.js', import.meta.url);
const STATS = ['mean', 'min', 'max', 'std', 'count'] as const;

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-agg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function runWorker(handle: WorkerHandle, identifier: string, points: [number, number][]): Promise<{ drained: boolean }> {
  const w = new Worker(WORKER, { workerData: { handle, identifier, points } });
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

/** A value each rank logs at each step: multiples of 1/8 up to a few hundred, so any order of summing is exact. */
function valueAt(rank: number, step: number): number {
  return ((rank * 37 + step * 11) % 29) / 8 + step;
}

test('worker_thread ranks: per-step aggregates in every backend equal a direct computation', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const WORLD = 4;
  const STEPS = 300;
  const aggregate = { loss: [...STATS] };
  const common = { logOnWorkers: -1, logFreq: 'batch', aggregate } as const;
  const loggers = new LoggersCollection([
    new LocalFileLogger({ ...common, savedir }),
    new TensorBoardLogger({ ...common, savedir: join(savedir, 'tb') }),
    new MLFlowLogger({ ...common, savedir, trackingUri: join(savedir, 'mlruns'), experimentName: 'agg' }),
  ]);
  await loggers.createLoggerContext({ worldSize: WORLD, runName: 'agg' });
  const points = (r: number) => Array.from({ length: STEPS }, (_, s) => [s, valueAt(r, s)] as [number, number]);
  const workers = [1, 2, 3].map((r) => runWorker(loggers.workerHandle(r), 'loss', points(r)));
  const h = loggers.handle('loss');
  for (const [s, v] of points(0)) loggers.metric(h, v, s);
  // Not aggregated: an identifier the option does not name.
  loggers.log(1, 'other', { step: 0 });
  for (const w of await Promise.all(workers)) t.true(w.drained);
  const stats = await loggers.destroyLoggerContext();
  const want = Array.from({ length: STEPS }, (_, s) => direct([0, 1, 2, 3].map((r) => valueAt(r, s))));

  // local files
  const csv = readAggregatesCsv(join(savedir, 'agg', 'aggregates.csv'));
  t.deepEqual([...csv.keys()], ['loss'], 'only the named identifier is aggregated');
  const rows = csv.get('loss')!;
  t.is(rows.size, STEPS);
  for (let s = 0; s < STEPS; s++) {
    const a = rows.get(s)!;
    const d = want[s]!;
    t.is(a.ranks, WORLD);
    t.is(a.expectedRanks, WORLD);
    t.is(a.stats.get('mean'), d.mean, `step ${s} mean`);
    t.is(a.stats.get('min'), d.min, `step ${s} min`);
    t.is(a.stats.get('max'), d.max, `step ${s} max`);
    t.is(a.stats.get('count'), WORLD);
    t.true(Math.abs(a.stats.get('std')! - d.std) <= 1e-12 * Math.max(1, d.std), `step ${s} std ${a.stats.get('std')} vs ${d.std}`);
  }
  // TensorBoard: <run>/job/ beside rank_<r>/, the mean under the identifier's own tag (float32 in event files)
  const tb = readRunDir(join(savedir, 'tb'));
  t.true(tb.has('agg/job'), [...tb.keys()].join(', '));
  const job = tb.get('agg/job')!.events;
  const means = valuesOfTag(job, 'loss');
  t.deepEqual(
    means.map((v) => v.event.step),
    Array.from({ length: STEPS }, (_, s) => s),
  );
  t.deepEqual(
    means.map((v) => scalarOf(v.value)),
    want.map((d) => Math.fround(d.mean)),
  );
  t.deepEqual(
    valuesOfTag(job, 'loss.max').map((v) => scalarOf(v.value)),
    want.map((d) => Math.fround(d.max)),
  );
  // MLflow: the parent run holds the series
  const mlruns = join(savedir, 'mlruns');
  const runs = runsIn(mlruns, experimentIdsNamed(mlruns, 'agg')[0]!);
  const parent = runs.find((r) => r.tags.has('ranklog.job'))!;
  t.deepEqual(
    parent.metrics.get('loss')?.map((m) => [m.step, m.value]),
    want.map((d, s) => [s, d.mean]),
  );
  t.deepEqual(
    parent.metrics.get('loss.min')?.map((m) => m.value),
    want.map((d) => d.min),
  );
  t.is(parent.metrics.get('loss.std')?.length, STEPS);
  for (const b of stats.backends) {
    t.is(b.aggregateSteps, STEPS, `${b.name}: ${JSON.stringify(b)}`);
    t.is(b.aggregateIncomplete, 0);
    t.is(b.aggregateDropped, 0);
  }
});

test('a rank skipping a step: the step is written as soon as that rank logs a later one, with the ranks that came', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  // A timeout no test run reaches: only rank 2 moving past step 1 can write it while the context is open.
  const loggers = new LoggersCollection([
    new LocalFileLogger({ savedir, logOnWorkers: -1, logFreq: 'batch', aggregate: { loss: ['mean', 'count'] }, aggregateTimeoutSecs: 86_400 }),
  ]);
  await loggers.createLoggerContext({ worldSize: 3, runName: 'gap' });
  const w1 = runWorker(
    loggers.workerHandle(1),
    'loss',
    [0, 1, 2, 3].map((s) => [s, 1]),
  );
  // Rank 2 skips step 1.
  const w2 = runWorker(
    loggers.workerHandle(2),
    'loss',
    [0, 2, 3].map((s) => [s, 2]),
  );
  await Promise.all([w1, w2]);
  const h = loggers.handle('loss');
  for (const s of [0, 1, 2, 3]) loggers.metric(h, 0, s);
  await loggers.flush();
  const file = join(savedir, 'gap', 'aggregates.csv');
  const seen = await waitFor(() => {
    try {
      return readAggregatesCsv(file).get('loss')?.has(1) === true;
    } catch {
      return false;
    }
  });
  t.true(seen, 'step 1 written while the context is open');
  const early = readAggregatesCsv(file).get('loss')!;
  t.deepEqual(
    [0, 1, 2].map((s) => {
      const a = early.get(s)!;
      return { ranks: a.ranks, expected: a.expectedRanks, mean: a.stats.get('mean'), count: a.stats.get('count') };
    }),
    [
      { ranks: 3, expected: 3, mean: 1, count: 3 },
      { ranks: 2, expected: 3, mean: 0.5, count: 2 },
      { ranks: 3, expected: 3, mean: 1, count: 3 },
    ],
  );
  const stats = await loggers.destroyLoggerContext();
  const rows = readAggregatesCsv(file).get('loss')!;
  // Every rank's last step leaves its fold only at close: complete then.
  t.deepEqual([rows.get(3)!.ranks, rows.get(3)!.stats.get('mean')], [3, 1]);
  t.deepEqual([...rows.keys()].sort(), [0, 1, 2, 3]);
  t.deepEqual([stats.backends[0]!.aggregateSteps, stats.backends[0]!.aggregateIncomplete, stats.backends[0]!.aggregateLate], [3, 1, 0]);
});

test('a silent rank: after the timeout the steps are written without it while the context is open', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const loggers = new LoggersCollection([
    new LocalFileLogger({ savedir, logOnWorkers: -1, logFreq: 'batch', aggregate: { loss: ['mean', 'count'] }, aggregateTimeoutSecs: 0.2 }),
  ]);
  // Rank 2 never logs. Ranks 0 and 1 log the same value, so whichever of them a step holds when the
  // timeout writes it (the timeout is short and this machine may be slow), its mean is 7: the
  // assertions hold for every interleaving and fail only if the timeout or the counts are wrong.
  await loggers.createLoggerContext({ worldSize: 3, runName: 'silent' });
  const h = loggers.handle('loss');
  for (const s of [0, 1, 2, 3]) loggers.metric(h, 7, s);
  await runWorker(
    loggers.workerHandle(1),
    'loss',
    [0, 1, 2, 3].map((s) => [s, 7]),
  );
  await loggers.flush();
  const file = join(savedir, 'silent', 'aggregates.csv');
  const seen = await waitFor(() => {
    try {
      return readAggregatesCsv(file).get('loss')?.size === 3;
    } catch {
      return false;
    }
  });
  t.true(seen, 'steps 0-2 written while the context is open (rank 2 never sends them)');
  const stats = await loggers.destroyLoggerContext();
  const rows = readAggregatesCsv(file).get('loss')!;
  t.deepEqual(
    [...rows.keys()].sort((x, y) => x - y),
    [0, 1, 2, 3],
  );
  let counted = 0;
  for (const a of rows.values()) {
    t.is(a.stats.get('mean'), 7);
    t.is(a.expectedRanks, 3);
    t.true(a.ranks >= 1 && a.ranks <= 2);
    counted += a.stats.get('count')!;
  }
  const b = stats.backends[0]!;
  t.is(counted + Number(b.aggregateLate), 8, 'every value of ranks 0 and 1 is in a row or counted late');
  t.is(b.aggregateIncomplete, 4);
});

test('defaults: a rank 2000 steps behind the others loses nothing', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const STEPS = 2500;
  // Default window; a timeout no run reaches, so that only the window could lose a step (the
  // silence rule's own test, with a clock, is step-window.test.ts).
  const loggers = new LoggersCollection([
    new LocalFileLogger({ savedir, logOnWorkers: -1, logFreq: 'batch', aggregate: { loss: ['mean'] }, aggregateTimeoutSecs: 86_400 }),
  ]);
  await loggers.createLoggerContext({ worldSize: 2, runName: 'drift' });
  const h = loggers.handle('loss');
  for (let s = 0; s < STEPS; s++) loggers.metric(h, s, s);
  await loggers.flush();
  await runWorker(
    loggers.workerHandle(1),
    'loss',
    Array.from({ length: STEPS }, (_, s) => [s, s + 1] as [number, number]),
  );
  const stats = await loggers.destroyLoggerContext();
  const b = stats.backends[0]!;
  t.deepEqual([b.aggregateSteps, b.aggregateDropped, b.aggregateLate, b.aggregateIncomplete], [STEPS, 0, 0, 0], JSON.stringify(b));
  const rows = readAggregatesCsv(join(savedir, 'drift', 'aggregates.csv')).get('loss')!;
  t.is(rows.size, STEPS);
  t.true([...rows.entries()].every(([s, a]) => a.stats.get('mean') === s + 0.5 && a.ranks === 2));
});

test('a window of open steps overflows: the oldest steps are dropped and counted, their late values too', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const loggers = new LoggersCollection([
    new LocalFileLogger({ savedir, logOnWorkers: -1, logFreq: 'batch', aggregate: { loss: ['mean'] }, aggregateWindow: 4, aggregateTimeoutSecs: 86_400 }),
  ]);
  await loggers.createLoggerContext({ worldSize: 2, runName: 'window' });
  const h = loggers.handle('loss');
  // Rank 0 runs 19 steps ahead of rank 1 (step 19 is still open in its fold): 19 steps wait, the window holds 4.
  for (let s = 0; s < 20; s++) loggers.metric(h, s, s);
  await loggers.flush();
  await runWorker(
    loggers.workerHandle(1),
    'loss',
    Array.from({ length: 20 }, (_, s) => [s, s + 1] as [number, number]),
  );
  const stats = await loggers.destroyLoggerContext();
  const b = stats.backends[0]!;
  t.is(b.aggregateDropped, 15, JSON.stringify(b));
  t.is(b.aggregateLate, 15);
  t.is(b.aggregateSteps, 5);
  const rows = readAggregatesCsv(join(savedir, 'window', 'aggregates.csv')).get('loss')!;
  t.deepEqual(
    [...rows.keys()].sort((x, y) => x - y),
    [15, 16, 17, 18, 19],
  );
  t.is(rows.get(15)!.stats.get('mean'), 15.5);
});

test('the aggregate options are checked, naming the option, the value and the fix', (t) => {
  t.throws(() => new LocalFileLogger({ aggregate: { loss: ['mean', 'median' as 'mean'] } }), {
    message:
      /LocalFileLogger option aggregate\["loss"\] is an array of length 2; "median" is not a statistic; pass a map .*'mean', 'min', 'max', 'std', 'sum', 'count'/,
  });
  t.throws(() => new LocalFileLogger({ aggregate: ['mean'] as never }), {
    message: /option aggregate is an array of length 1; pass a map from a metric identifier/,
  });
  t.throws(() => new LocalFileLogger({ aggregate: { loss: [] } }), { message: /aggregate\["loss"\] is an array of length 0; pass a non-empty list/ });
  t.throws(() => new LocalFileLogger({ aggregateWindow: 0 }), { instanceOf: RangeError, message: /aggregateWindow is 0; pass how many steps/ });
  t.throws(() => new LocalFileLogger({ aggregateTimeoutSecs: -1 }), { instanceOf: RangeError, message: /aggregateTimeoutSecs is -1; pass seconds above 0/ });
  t.throws(() => new LocalFileLogger({ agregate: {} } as never), { message: /did you mean 'aggregate'/ });
  t.notThrows(() => new LocalFileLogger({ aggregate: { '*': ['mean'] } }));
});
