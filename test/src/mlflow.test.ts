/**
 * The MLflow backend end to end, through the public API (MLFlowLogger, LoggersCollection,
 * attachLogger), against the tracking-server double (@ranklog/mlflow-double) on 127.0.0.1:
 * runs and their system tags, metric timestamps = log time, NaN/±Infinity, params, the
 * log-batch limits, steady-state request rate, keep-alive, ranks (processes and worker
 * threads) racing for the experiment and the parent run, 4 × 100 000 points, outages
 * (spool, replay, the replay CLI), injected faults, slow servers, rejected data, crashes
 * and signals, auth without leaking secrets, and the file-store default (the README's MLflow section; docs/architecture.md §5).
 *
 * The ambient environment never reaches these tests: MLFLOW_*, launcher rank variables and
 * RANKLOG_* are removed from this process at load time, in-process loggers get trackingUri
 * explicitly, and child processes get an environment built here.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoggersCollection, type BackendStats, type LogStats } from '@ranklog/core';
import { MLFlowLogger, type MLFlowLoggerOptions } from '@ranklog/mlflow';
import { startMlflowDouble, type DoubleRun, type MlflowDouble, type MlflowDoubleOptions } from '@ranklog/mlflow-double';
import { tempDir } from './support/log-path.js';
import { childEnv, dropAmbientEnv, hasLine, runChild, runNode, startGate, type ChildEnd } from './support/child-process.js';
import { LIVENESS_MS, TEST_TIMEOUT_MS, waitFor } from './support/wait-for.js';
import type { RankWorkerData } from './fixtures/mlflow-rank-worker.js';

const RANK_WORKER = new URL('./fixtures/mlflow-rank-worker.js', import.meta.url);
const CLI = fileURLToPath(new URL('../../packages/mlflow/dist/cli.js', import.meta.url));

dropAmbientEnv();

// ───────────────────────────── stderr (writer threads warn there) ─────────────────────────────

const stderrListeners = new Set<(s: string) => void>();
const originalStderrWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
  const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  for (const l of stderrListeners) l(s);
  return (originalStderrWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;

/** Everything written to this process's stderr (writer threads included) from now until the test ends. */
function captureStderr(t: ExecutionContext): { readonly text: string } {
  let text = '';
  const l = (s: string) => (text += s);
  stderrListeners.add(l);
  t.teardown(() => void stderrListeners.delete(l));
  return {
    get text() {
      return text;
    },
  };
}

// ───────────────────────────── helpers ─────────────────────────────

let seq = 0;
/** A run name unique to this test (runName doubles as a directory name). */
function uniq(tag: string): string {
  return `mlf-${tag}-${process.pid}-${++seq}`;
}

async function openDouble(t: ExecutionContext, opts?: MlflowDoubleOptions): Promise<MlflowDouble> {
  const d = await startMlflowDouble(opts);
  t.teardown(() => d.close());
  return d;
}

/** An MLFlowLogger with its context created; destroyed in teardown if the test did not. */
async function openLogger(
  t: ExecutionContext,
  options: MLFlowLoggerOptions,
  ctx: { rank?: number; worldSize?: number; runName?: string; ringBytes?: number } = {},
): Promise<{ logger: MLFlowLogger; runName: string }> {
  const logger = new MLFlowLogger(options);
  const runName = ctx.runName ?? uniq('run');
  await logger.createLoggerContext({ rank: ctx.rank ?? 0, worldSize: ctx.worldSize, runName, ...(ctx.ringBytes ? { ringBytes: ctx.ringBytes } : {}) });
  t.teardown(async () => {
    try {
      await logger.destroyLoggerContext();
    } catch {
      // already destroyed by the test
    }
  });
  return { logger, runName };
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
}

function mlflowStats(s: LogStats): BackendStats {
  const b = s.backends.find((x) => x.name === 'MLFlowLogger');
  if (!b) throw new Error(`no MLFlowLogger in stats: ${JSON.stringify(s)}`);
  return b;
}

function runsOf(d: MlflowDouble, experimentName: string): DoubleRun[] {
  const e = d.experimentByName(experimentName);
  if (!e) return [];
  return [...d.runs.values()].filter((r) => r.info.experiment_id === e.experiment_id);
}

function experimentsNamed(d: MlflowDouble, name: string): number {
  return [...d.experiments.values()].filter((e) => e.name === name).length;
}

interface BatchBody {
  run_id: string;
  metrics?: { key: string; value: number | string; timestamp: number; step: number }[];
  params?: { key: string; value: string }[];
  tags?: { key: string; value: string }[];
}

function batchBodies(d: MlflowDouble): (BatchBody & { time: number; status?: number })[] {
  return d.requestsTo('runs/log-batch').map((r) => ({ ...(JSON.parse(r.body ?? '{}') as BatchBody), time: r.time, status: r.status }));
}

/** Every log-batch request within the server's limits (the README's MLflow section: 1000 metrics, 100 params, 100 tags, 1000 items). */
function assertBatchLimits(t: ExecutionContext, d: MlflowDouble): void {
  const over: string[] = [];
  for (const [i, b] of batchBodies(d).entries()) {
    const m = b.metrics?.length ?? 0;
    const p = b.params?.length ?? 0;
    const g = b.tags?.length ?? 0;
    if (m > 1000 || p > 100 || g > 100 || m + p + g > 1000) over.push(`log-batch #${i}: ${m} metrics, ${p} params, ${g} tags`);
  }
  t.deepEqual(over, [], 'log-batch requests over the limits');
}

/** Points of one key of a run, in the order the server received them. */
function points(run: DoubleRun | undefined, key: string) {
  return run?.metrics.get(key) ?? [];
}

function totalPoints(run: DoubleRun | undefined): number {
  let n = 0;
  for (const ps of run?.metrics.values() ?? []) n += ps.length;
  return n;
}

/**
 * Points `m<k>` / `loss` with value = step = i: each step once, none missing below `n`, and (with
 * `ordered`) per key in increasing order of arrival at the server. Returns a description of every
 * problem (empty when all is well).
 */
function checkSequence(run: DoubleRun | undefined, n: number, keys: number, keyOf: (k: number) => string = (k) => `m${k}`, ordered = true): string[] {
  const problems: string[] = [];
  if (!run) return ['no run'];
  const seen = new Uint8Array(n);
  let dup = 0;
  let outOfOrder = 0;
  let bad = 0;
  for (let k = 0; k < keys; k++) {
    let prev = -1;
    for (const p of points(run, keyOf(k))) {
      const step = Number(p.step);
      if (!Number.isSafeInteger(step) || step < 0 || step >= n || step % keys !== k || p.value !== step) {
        if (bad++ < 3) problems.push(`bad point ${keyOf(k)} ${JSON.stringify({ step: String(p.step), value: p.value })}`);
        continue;
      }
      if (seen[step]) dup++;
      seen[step] = 1;
      if (step <= prev) outOfOrder++;
      prev = step;
    }
  }
  let missing = 0;
  let firstMissing = -1;
  for (let i = 0; i < n; i++) {
    if (!seen[i]) {
      if (firstMissing < 0) firstMissing = i;
      missing++;
    }
  }
  if (missing) problems.push(`${missing} of ${n} steps missing (first: ${firstMissing})`);
  if (dup) problems.push(`${dup} duplicate points`);
  if (outOfOrder && ordered) problems.push(`${outOfOrder} points out of order`);
  if (run.duplicatePoints) problems.push(`double counted ${run.duplicatePoints} exact duplicates`);
  return problems;
}

/** Every file under dir (recursively). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

function runCli(t: ExecutionContext, spoolDir: string, env: Record<string, string>): Promise<ChildEnd> {
  return runNode(t, [CLI, spoolDir], childEnv(env));
}

/** A command line as a user pastes it into a shell, in `cwd`. */
function runShell(t: ExecutionContext, command: string, cwd: string, env: Record<string, string>): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const from = Date.now();
    const child = spawn('/bin/sh', ['-c', command], { cwd, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => void child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - from }));
  });
}

const within = (x: unknown, lo: number, hi: number) => typeof x === 'number' && x >= lo && x <= hi;

// ───────────────────────────── 1. basics ─────────────────────────────

test.serial(
  'basic: experiment get-or-create, run with system tags, metrics at log time (sent later), NaN/±Infinity, params, FINISHED at destroy',
  async (t) => {
    const d = await openDouble(t);
    d.delay(300); // every answer comes 300 ms late: sending happens well after logging
    const savedir = tempDir(t, 'mlflow-basic');
    const experimentName = uniq('exp-basic');
    const description = 'Baseline MLP, **lr sweep** #3';
    const before = Date.now();
    const { logger, runName } = await openLogger(t, { experimentName, trackingUri: d.url, savedir, runDescription: description, logFreq: 'batch' });

    const logged: { step: number; value: number; from: number; to: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const from = Date.now();
      logger.log(i / 4, 'loss', { step: i });
      const to = Date.now();
      logged.push({ step: i, value: i / 4, from, to });
      await sleep(120);
    }
    logger.log(NaN, 'special', { step: 0 });
    logger.log(Infinity, 'special', { step: 1 });
    logger.log(-Infinity, 'special', { step: 2 });
    logger.log(-0.5, 'special', { step: 3 });
    logger.saveHyperparameters({ lr: 0.001, layers: 3, name: 'mlp', amsgrad: true, schedule: null, optim: { beta1: 0.9 } });
    const endFrom = Date.now();
    await logger.destroyLoggerContext();
    const endTo = Date.now();

    t.is(experimentsNamed(d, experimentName), 1);
    t.is(d.requestsTo('experiments/create').length, 1, 'the experiment is created once');
    const runs = runsOf(d, experimentName);
    t.is(runs.length, 1, 'one run in the experiment');
    const run = runs[0];
    if (!run) return;
    t.is(run.info.run_name, runName);
    t.like(Object.fromEntries(run.tags), {
      'mlflow.runName': runName,
      'mlflow.user': process.env.USER ?? userInfo().username,
      'mlflow.source.type': 'LOCAL',
      'mlflow.note.content': description,
    });
    // MLflow's source.name is the program the user ran (sys.argv[0] in Python): here, this process's entry script.
    t.is(run.tags.get('mlflow.source.name'), process.argv[1], 'mlflow.source.name must be the entry script of the logging process');

    // The log-batch requests really left well after the points were logged (the precondition of the timestamp
    // check). The run starts with its first record, and three requests answered 300 ms late each (get-by-name,
    // experiments/create, runs/create) come before the first log-batch: it cannot leave sooner than 900 ms after
    // the first log() began. A lower bound, which a loaded machine only makes later.
    const firstBatch = d.requestsTo('runs/log-batch')[0];
    t.truthy(firstBatch);
    t.true((firstBatch?.time ?? 0) >= logged[0]!.from + 900, 'the first log-batch arrived at least 900 ms after the first log()');

    const loss = points(run, 'loss');
    t.deepEqual(
      loss.map((p) => [Number(p.step), p.value]),
      logged.map((l) => [l.step, l.value]),
    );
    for (const [i, p] of loss.entries()) {
      const l = logged[i];
      if (!l) continue;
      t.true(within(Number(p.timestamp), l.from - 50, l.to + 50), `loss step ${i}: timestamp ${String(p.timestamp)} is not the log time ${l.from}…${l.to}`);
    }
    const special = points(run, 'special');
    t.deepEqual(
      special.map((p) => [Number(p.step), p.value]),
      [
        [0, NaN],
        [1, Infinity],
        [2, -Infinity],
        [3, -0.5],
      ],
    );
    t.deepEqual(d.violations, []);
    t.deepEqual(Object.fromEntries(run.params), { lr: '0.001', layers: '3', name: 'mlp', amsgrad: 'true', schedule: 'None', 'optim.beta1': '0.9' });
    t.is(run.info.status, 'FINISHED');
    // The run cannot start after its first point was logged (MLflow shows points before the start otherwise).
    const firstPoint = Number(loss[0]?.timestamp);
    t.true(
      within(Number(run.info.start_time), before, firstPoint),
      `start_time ${String(run.info.start_time)} is ${Number(run.info.start_time) - firstPoint} ms after the first point's timestamp ${firstPoint}`,
    );
    t.true(within(Number(run.info.end_time), endFrom, endTo), `end_time ${String(run.info.end_time)} not within destroyLoggerContext() ${endFrom}…${endTo}`);
  },
);

test.serial('limits: a burst of 250 params and 2500 metrics is split into log-batch requests within the server limits; nothing lost', async (t) => {
  const d = await openDouble(t);
  const experimentName = uniq('exp-limits');
  const { logger } = await openLogger(t, { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-limits'), logFreq: 'batch' });
  const params: Record<string, number> = {};
  for (let i = 0; i < 250; i++) params[`p${i}`] = i;
  logger.saveHyperparameters(params);
  const h = [logger.handle('m0'), logger.handle('m1'), logger.handle('m2')];
  for (let i = 0; i < 2500; i++) logger.metric(h[i % 3]!, i, i);
  await logger.destroyLoggerContext();
  assertBatchLimits(t, d);
  const run = runsOf(d, experimentName)[0];
  t.is(run?.params.size, 250);
  t.deepEqual(checkSequence(run, 2500, 3), []);
  t.deepEqual(d.violations, []);
  t.deepEqual(
    d.errors.filter((e) => e.endpoint !== 'experiments/get-by-name'),
    [],
    'no request was rejected (but the 404 of looking the new experiment up)',
  );
});

test.serial('steady state: 20 metrics/s for 3 s with flushSecs 1 → at most one log-batch per second per run', async (t) => {
  const d = await openDouble(t);
  const experimentName = uniq('exp-steady');
  const { logger } = await openLogger(t, { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-steady'), flushSecs: 1, logFreq: 'batch' });
  const from = Date.now();
  for (let i = 0; i < 60; i++) {
    logger.log(i, 'loss', { step: i });
    await sleep(50);
  }
  const to = Date.now();
  await sleep(100);
  const during = d.requestsTo('runs/log-batch').filter((r) => r.time >= from && r.time <= to + 100).length;
  await logger.destroyLoggerContext();
  const seconds = (to - from) / 1000;
  t.log(`${during} log-batch requests in ${seconds.toFixed(1)} s of logging; ${d.requestsTo('runs/log-batch').length} in all`);
  t.true(during <= Math.ceil(seconds) + 1, `${during} log-batch requests while logging for ${seconds.toFixed(1)} s with flushSecs 1`);
  t.true(d.requestsTo('runs/log-batch').length <= Math.ceil(seconds) + 2);
  t.deepEqual(
    checkSequence(runsOf(d, experimentName)[0], 60, 1, () => 'loss'),
    [],
  );
});

// ───────────────────────────── 2. ranks ─────────────────────────────

test.serial('ranks as 4 processes (RANK/WORLD_SIZE) racing at the same instant: one experiment, one parent run, each rank nested under it', async (t) => {
  const d = await openDouble(t);
  const experimentName = uniq('exp-race');
  const runName = uniq('race');
  const gate = startGate(4); // all four wait until every one is up, then go at once
  const ends = await Promise.all(
    [0, 1, 2, 3].map((rank) =>
      runChild(
        t,
        { mode: 'finish', savedir: tempDir(t, `mlflow-race${rank}`), runName, experimentName, logOnWorkers: -1, n: 200, startTogether: true },
        { RANK: String(rank), WORLD_SIZE: '4', MLFLOW_TRACKING_URI: d.url },
        gate.watch,
      ),
    ),
  );
  for (const [rank, e] of ends.entries()) t.is(e.code, 0, `rank ${rank} exited ${e.code}; stderr:\n${e.stderr}`);
  t.is(experimentsNamed(d, experimentName), 1, 'exactly one experiment of that name');
  const runs = runsOf(d, experimentName);
  t.log(runs.map((r) => `${r.info.run_name} ${r.info.run_id} parent=${r.tags.get('mlflow.parentRunId') ?? '-'}`).join('\n'));
  const parents = runs.filter((r) => !r.tags.has('mlflow.parentRunId'));
  t.is(parents.length, 1, 'one parent run for the job');
  const parent = parents[0];
  t.is(parent?.tags.get('ranklog.job'), runName);
  t.is(parent?.info.run_name, runName);
  for (let r = 0; r < 4; r++) {
    const nested = runs.filter((x) => x.info.run_name === `${runName}-rank${r}`);
    t.is(nested.length, 1, `one run ${runName}-rank${r}`);
    t.is(nested[0]?.tags.get('mlflow.parentRunId'), parent?.info.run_id, `rank ${r}'s run must be nested under the job's parent run`);
    t.deepEqual(
      checkSequence(nested[0], 200, 1, () => 'loss'),
      [],
      `rank ${r}`,
    );
    t.is(nested[0]?.info.status, 'FINISHED');
  }
  t.is(runs.length, 5, 'parent + 4 nested runs, nothing else');
  t.deepEqual(d.violations, []);
});

test.serial(
  'ranks as 4 worker threads (logOnWorkers -1, workerHandle + attachLogger): one parent run tagged ranklog.job, 4 nested runs <run>-rank<r>',
  async (t) => {
    const d = await openDouble(t);
    const experimentName = uniq('exp-threads');
    const collection = new LoggersCollection([
      new MLFlowLogger({ experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-threads'), logOnWorkers: -1, logFreq: 'batch' }),
    ]);
    const runName = uniq('threads');
    await collection.createLoggerContext({ rank: 0, worldSize: 4, runName });
    t.teardown(() => collection.destroyLoggerContext().catch(() => undefined));
    const reports = await Promise.all([0, 1, 2, 3].map((rank) => runRankWorker(t, { handle: collection.workerHandle(rank), n: 1000, keys: 4 })));
    t.true(reports.every((r) => r.drained));
    await collection.destroyLoggerContext();
    const runs = runsOf(d, experimentName);
    t.is(runs.length, 5);
    const parent = runs.find((r) => !r.tags.has('mlflow.parentRunId'));
    t.is(parent?.info.run_name, runName);
    t.is(parent?.tags.get('ranklog.job'), runName);
    t.is(parent?.info.status, 'FINISHED');
    for (let r = 0; r < 4; r++) {
      const nested = runs.find((x) => x.info.run_name === `${runName}-rank${r}`);
      t.is(nested?.tags.get('mlflow.parentRunId'), parent?.info.run_id, `rank ${r}`);
      t.is(nested?.tags.get('ranklog.rank'), String(r));
      t.is(nested?.info.status, 'FINISHED');
      t.deepEqual(checkSequence(nested, 1000, 4), [], `rank ${r}`);
    }
    t.is(totalPoints(parent), 0, 'no points on the parent run');
  },
);

function runRankWorker(t: ExecutionContext, data: RankWorkerData): Promise<{ rank: number; drained: boolean; ms: number }> {
  const w = new Worker(RANK_WORKER, { workerData: data, name: `mlflow-rank-${data.handle.rank}` });
  let done = false;
  t.teardown(async () => {
    if (!done) await w.terminate();
  });
  return new Promise((resolve, reject) => {
    w.once('message', (m: { rank: number; drained: boolean; ms: number }) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => {
      done = true;
      reject(new Error(`rank worker exited (${code}) without reporting`));
    });
  });
}

test.serial(
  "ranks as 4 processes sharing one savedir (a cluster file system), idle while the server is away: each rank's points arrive exactly once",
  async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const d = await openDouble(t);
    const savedir = tempDir(t, 'mlflow-shared');
    const experimentName = uniq('exp-shared');
    const runName = uniq('shared');
    // Each step waits for an event, not for an agreed instant: 1000 points each, delivered; the
    // server goes away; 1000 more each, flushed (so spooled: the server is away longer than the
    // retries); the server comes back and every spool is replayed while the ranks are idle (nothing
    // is logged during the replay); the end.
    const phases = [
      { n: 1000, thenWait: true },
      { n: 1000, thenFlush: true, thenWait: true },
    ];
    const gate = startGate(4);
    const out = new Map<number, string>();
    const procs = new Map<number, ChildProcess>();
    const children = [0, 1, 2, 3].map((rank) =>
      runChild(
        t,
        { mode: 'finish', savedir, runName, experimentName, logOnWorkers: -1, n: 2000, startTogether: true, phases },
        { RANK: String(rank), WORLD_SIZE: '4', MLFLOW_TRACKING_URI: d.url },
        (all, child) => {
          out.set(rank, all);
          procs.set(rank, child);
          gate.watch(all, child);
        },
      ),
    );
    const allPrinted = (line: string) => [0, 1, 2, 3].every((r) => hasLine(out.get(r) ?? '', line));
    const rankPoints = () => [0, 1, 2, 3].map((r) => totalPoints(runsOf(d, experimentName).find((x) => x.info.run_name === `${runName}-rank${r}`)));
    const next = () => {
      for (const c of procs.values()) c.stdin!.write('next\n');
    };
    t.true(
      await waitFor(() => allPrinted('phase 0') && rankPoints().every((n) => n >= 1000), LIVENESS_MS, 50),
      `the first 1000 points of each rank were delivered: ${rankPoints().join(', ')}`,
    );
    await d.stop();
    next();
    t.true(await waitFor(() => allPrinted('phase 1'), LIVENESS_MS, 50), 'every rank logged and flushed 1000 more while the server was away');
    await d.restart();
    t.true(
      await waitFor(() => rankPoints().every((n) => n >= 2000), LIVENESS_MS, 50),
      `every spool was replayed while the ranks were idle: ${rankPoints().join(', ')}`,
    );
    next();
    const ends = await Promise.all(children);
    for (const [rank, e] of ends.entries()) {
      t.is(e.code, 0, `rank ${rank}: ${e.stderr}`);
      const line = e.stdout.trim().split('\n').pop() ?? '{}';
      const s = (JSON.parse(line) as { stats?: LogStats }).stats;
      if (!s) continue;
      const m = mlflowStats(s);
      t.log(`rank ${rank}: ${JSON.stringify(m)}`);
      t.true(
        Number(m.spooled) >= 1000 && Number(m.replayed) >= 1000 && m.undelivered === 0,
        `rank ${rank} spooled the second 1000 and replayed them: ${JSON.stringify(m)}`,
      );
    }
    const runs = runsOf(d, experimentName);
    t.log(runs.map((r) => `${r.info.run_name}: ${totalPoints(r)} points (${r.duplicatePoints} duplicates), ${r.info.status}`).join('\n'));
    for (let r = 0; r < 4; r++) {
      const nested = runs.filter((x) => x.info.run_name === `${runName}-rank${r}`);
      t.is(nested.length, 1, `one run for rank ${r}`);
      t.deepEqual(
        checkSequence(nested[0], 2000, 1, () => 'loss', false),
        [],
        `rank ${r}`,
      );
    }
    t.is(runs.length, 5, runs.map((r) => r.info.run_name).join(', '));
  },
);

// ───────────────────────────── 3. volume ─────────────────────────────

test.serial('4 worker-thread ranks × 100 000 metrics (fast path): every (rank, step) exactly once in its nested run; no drops; few connections', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  // Idle connections stay open 10 minutes: the count below then depends on the client's reuse of
  // connections, not on whether a loaded machine paused a writer longer than the 5 s default.
  const d = await openDouble(t, { keepAliveTimeoutMs: 600_000 });
  const experimentName = uniq('exp-volume');
  const N = 100_000;
  const { logger, runName } = await openLogger(
    t,
    { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-volume'), logOnWorkers: -1, logFreq: 'batch' },
    { rank: 0, worldSize: 4 },
  );
  const t0 = Date.now();
  const reports = await Promise.all([0, 1, 2, 3].map((rank) => runRankWorker(t, { handle: logger.workerHandle(rank), n: N, keys: 100 })));
  const logged = Date.now();
  const stats = await logger.destroyLoggerContext();
  const done = Date.now();
  t.log(
    `logging ${reports.map((r) => r.ms.toFixed(0)).join('/')} ms per rank; delivered ${done - t0} ms after the start (${done - logged} ms in destroy); ${d.requestsTo('runs/log-batch').length} log-batch requests over ${d.connections} connections`,
  );
  t.true(reports.every((r) => r.drained));
  t.is(stats.dropped, 0);
  const s = mlflowStats(stats);
  t.like(s, { failed: 0, dropped: 0, rejected: 0, undelivered: 0 });
  const runs = runsOf(d, experimentName);
  t.is(runs.length, 5);
  const parent = runs.find((r) => r.info.run_name === runName);
  for (let r = 0; r < 4; r++) {
    const nested = runs.find((x) => x.info.run_name === `${runName}-rank${r}`);
    t.is(nested?.tags.get('mlflow.parentRunId'), parent?.info.run_id);
    // Arrival order is checked on its own below ('order: …'); here: presence, exactly once.
    t.deepEqual(checkSequence(nested, N, 100, undefined, false), [], `rank ${r}`);
    t.is(totalPoints(nested), N, `rank ${r}`);
    const inversions = checkSequence(nested, N, 100).filter((p) => p.includes('out of order'));
    if (inversions.length) t.log(`rank ${r}: ${inversions.join('; ')} (arrival order at the server)`);
  }
  assertBatchLimits(t, d);
  t.true(d.connections <= 4, `${d.connections} TCP connections for ${d.requests.length} requests (keep-alive)`);
  t.true(d.requests.length >= 400);
  t.deepEqual(d.violations, []);
});

// ───────────────────────────── 3b. order, and ops that span several requests ─────────────────────────────

test.serial(
  'order: the batches of one run reach the server in log order, also when one answer is slow (a file-store server keeps arrival order)',
  async (t) => {
    const d = await openDouble(t, { backend: 'file' });
    let first = true;
    // Only the first log-batch is slow: a client that keeps its batches in order waits for it.
    d.delay(300, {
      match: (r) => {
        if (r.endpoint !== 'runs/log-batch' || !first) return false;
        first = false;
        return true;
      },
    });
    const experimentName = uniq('exp-order');
    const { logger } = await openLogger(t, { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-order'), logFreq: 'batch' });
    const h = logger.handle('loss');
    for (let i = 0; i < 5000; i++) logger.metric(h, i, i);
    await logger.destroyLoggerContext();
    const run = runsOf(d, experimentName)[0];
    t.deepEqual(
      checkSequence(run, 5000, 1, () => 'loss', false),
      [],
    );
    const history = run ? d.metricHistory(run.info.run_id, 'loss').map((p) => Number(p.step)) : [];
    const inversions = history.filter((step, i) => i > 0 && step < history[i - 1]!).length;
    t.is(inversions, 0, `metrics/get-history on a file-store server lists the points out of step order (${inversions} inversions)`);
  },
);

test.serial(
  'a server away for longer than the retries in the middle of an op split into several requests: the part already delivered is not sent again',
  async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const d = await openDouble(t);
    let n = 0;
    // The 2nd log-batch request and its 4 retries fail: the op's first request got through.
    d.failWith(503, 5, { match: (r) => r.endpoint === 'runs/log-batch' && ++n >= 2 });
    const experimentName = uniq('exp-partial');
    const { logger } = await openLogger(t, { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-partial'), logFreq: 'batch' });
    const params: Record<string, number> = {};
    for (let i = 0; i < 250; i++) params[`p${i}`] = i;
    logger.saveHyperparameters(params); // 250 params + 750 metrics: one op, three requests
    const h = logger.handle('loss');
    for (let i = 0; i < 750; i++) logger.metric(h, i, i);
    // Let the backend go offline and replay on its own (the probe), then end the run.
    let live: BackendStats | undefined;
    await until(
      async () => {
        live = mlflowStats(await logger.stats());
        return Number(live.replayed) > 0 && live.undelivered === 0;
      },
      15_000,
      100,
    );
    const stats = await logger.destroyLoggerContext();
    const s = mlflowStats(stats);
    const run = runsOf(d, experimentName)[0];
    t.log(`${d.requestsTo('runs/log-batch').length} log-batch requests; stats ${JSON.stringify(s)}`);
    t.true(Number(s.spooled) > 0, 'the failure outlived the retries (precondition)');
    t.true(Number(s.replayed) > 0, 'the backend replayed once the server answered again');
    t.is(run?.params.size, 250);
    t.deepEqual(
      checkSequence(run, 750, 1, () => 'loss', false),
      [],
    );
    t.is(run?.duplicatePoints, 0, 'points sent twice');
  },
);

// ───────────────────────────── 4. outages ─────────────────────────────

test.serial('outage mid-run: log() never blocks, records spool, and are replayed in order when the server is back — each exactly once', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const d = await openDouble(t);
  const warnings = captureStderr(t);
  const experimentName = uniq('exp-outage');
  const { logger } = await openLogger(t, { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-outage'), logFreq: 'batch' });
  const h = [0, 1, 2, 3].map((k) => logger.handle(`m${k}`));
  for (let i = 0; i < 20_000; i++) logger.metric(h[i % 4]!, i, i);
  t.true(await until(() => d.requestsTo('runs/log-batch').length > 0, LIVENESS_MS), 'some of the first 20k arrived');
  await d.refuseConnections(true);
  const t0 = performance.now();
  for (let i = 20_000; i < 40_000; i++) logger.metric(h[i % 4]!, i, i);
  const loopMs = performance.now() - t0;
  t.log(`20k log() calls during the outage: ${loopMs.toFixed(1)} ms`);
  let during: BackendStats | undefined;
  t.true(
    await until(async () => {
      during = mlflowStats(await logger.stats());
      return Number(during.spooled) > 0;
    }, LIVENESS_MS),
    `stats() shows spooled records during the outage: ${JSON.stringify(during)}`,
  );
  t.log(`during the outage: ${JSON.stringify(during)}`);
  await d.refuseConnections(false);
  const back = Date.now();
  // A liveness bound: the probe finds the server within seconds; broken is a backend that never replays on its own.
  const replayed = await until(() => totalPoints(runsOf(d, experimentName)[0]) >= 40_000, LIVENESS_MS, 100);
  t.log(`replayed ${replayed ? `${Date.now() - back} ms after the server came back` : `NOT within ${LIVENESS_MS} ms`}`);
  t.true(
    replayed,
    `the backend did not replay within ${LIVENESS_MS} ms of the server coming back (${totalPoints(runsOf(d, experimentName)[0])} of 40000 points)`,
  );
  const stats = await logger.destroyLoggerContext();
  const s = mlflowStats(stats);
  t.log(JSON.stringify(s));
  const run = runsOf(d, experimentName)[0];
  t.deepEqual(checkSequence(run, 40_000, 4), []);
  t.is(run?.info.status, 'FINISHED');
  t.true(Number(s.spooled) > 0 && Number(s.replayed) > 0);
  t.is(s.undelivered, 0);
  t.regex(warnings.text, /unreachable/);
  t.deepEqual(d.violations, []);
});

test.serial('outage while training keeps logging through the recovery: nothing logged during the replay is lost', async (t) => {
  const d = await openDouble(t);
  const experimentName = uniq('exp-outage2');
  const { logger } = await openLogger(t, { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-outage2'), logFreq: 'batch', flushSecs: 0.2 });
  const h = [logger.handle('m0'), logger.handle('m1')];
  // 250 points every 25 ms or so, all along; the phases follow what the backend says (stats()), not the
  // clock: delivering → the server goes away → (spooling) → it comes back → (replaying) → a while more.
  let i = 0;
  let live: BackendStats | undefined;
  const logUntil = async (what: string, cond: (s: BackendStats) => boolean): Promise<void> => {
    const ok = await until(
      async () => {
        for (let k = 0; k < 250; k++, i++) logger.metric(h[i % 2]!, i, i);
        live = mlflowStats(await logger.stats());
        return cond(live);
      },
      LIVENESS_MS,
      25,
    );
    t.true(ok, `${what} within ${LIVENESS_MS} ms of logging: ${JSON.stringify(live)}`);
  };
  await logUntil('points were delivered', (s) => Number(s.delivered) > 0);
  await d.stop();
  await logUntil('the outage made the backend spool', (s) => Number(s.spooled) > 0);
  // Each log-batch now answers 200 ms late, so the replay lasts a while and batches sent meanwhile join the spool behind it.
  d.delay(200, { match: (r) => r.endpoint === 'runs/log-batch' });
  await d.restart();
  await logUntil('the spool was replayed while logging went on', (s) => Number(s.replayed) > 0);
  const replayedAt = i;
  await logUntil('logging went on after the replay began', () => i >= replayedAt + 5000);
  const stats = await logger.destroyLoggerContext();
  const s = mlflowStats(stats);
  t.log(`${i} points logged; ${JSON.stringify(s)}`);
  const run = runsOf(d, experimentName)[0];
  t.true(Number(s.spooled) > 0, 'the outage made the backend spool');
  t.deepEqual(checkSequence(run, i, 2), []);
  t.is(s.undelivered, 0);
});

test.serial('a server away just when the run ends: destroyLoggerContext() keeps trying within its budget and delivers everything', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const d = await openDouble(t);
  const experimentName = uniq('exp-endoutage');
  const { logger } = await openLogger(t, { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-endoutage'), logFreq: 'batch' });
  const h = logger.handle('loss');
  for (let i = 0; i < 1000; i++) logger.metric(h, i, i);
  await logger.flush();
  await d.stop();
  for (let i = 1000; i < 2000; i++) logger.metric(h, i, i);
  const warnings = captureStderr(t);
  const closing = logger.destroyLoggerContext();
  // The server comes back once the closing backend has found it away (it says so), not after a fixed time.
  t.true(await until(() => /unreachable/.test(warnings.text), LIVENESS_MS), 'the closing backend found the server away');
  await d.restart();
  const stats = await closing;
  const s = mlflowStats(stats);
  t.log(JSON.stringify(s));
  t.is(s.undelivered, 0, 'records left in the spool although the server came back early in the 30 s close budget');
  const run = runsOf(d, experimentName)[0];
  t.deepEqual(
    checkSequence(run, 2000, 1, () => 'loss', false),
    [],
  );
  t.is(run?.info.status, 'FINISHED');
});

test.serial(
  'server down for the whole run: the spool keeps everything, the warning names the count and the replay command; the CLI delivers once',
  async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const d = await openDouble(t);
    await d.stop();
    const warnings = captureStderr(t);
    const savedir = tempDir(t, 'mlflow-down');
    const experimentName = uniq('exp-down');
    const { logger, runName } = await openLogger(t, { experimentName, trackingUri: d.url, savedir, logFreq: 'batch' });
    logger.saveHyperparameters({ lr: 0.01, batch: 64 });
    const h = logger.handle('loss');
    for (let i = 0; i < 3000; i++) logger.metric(h, i, i);
    logger.log(NaN, 'special', { step: 0 });
    const endFrom = Date.now();
    const stats = await logger.destroyLoggerContext();
    const endTo = Date.now();
    // The writer's warning reaches this thread asynchronously: wait for it.
    t.true(await until(() => warnings.text.includes('could not be delivered'), LIVENESS_MS), `no "could not be delivered" warning:\n${warnings.text}`);
    const spoolDir = join(savedir, runName, 'mlflow-spool', 'rank0');
    const s = mlflowStats(stats);
    t.log(JSON.stringify(s));
    t.is(s.undelivered, 3003);
    t.true(existsSync(join(spoolDir, 'ops.jsonl')), 'the spool holds the records');
    const line = warnings.text.split('\n').find((l) => l.includes('could not be delivered')) ?? '';
    t.log(line);
    t.true(line.includes('3003'), `the warning names the count: ${line}`);
    // The command is the one printed, run as printed (through a shell), from another directory.
    const command = /Replay them when the server is back with \(the ranklog-mlflow-replay command\): (.+)$/.exec(line)?.[1];
    t.truthy(command, `the warning names the command: ${line}`);
    t.is(d.requests.length, 0);

    await d.restart();
    const first = await runShell(t, command!, tmpdir(), { MLFLOW_TRACKING_URI: d.url });
    t.log(first.stdout.trim(), first.stderr.trim());
    t.is(first.code, 0, first.stderr);
    const run = runsOf(d, experimentName)[0];
    t.is(runsOf(d, experimentName).length, 1);
    t.deepEqual(
      checkSequence(run, 3000, 1, () => 'loss'),
      [],
    );
    t.deepEqual(
      points(run, 'special').map((p) => p.value),
      [NaN],
    );
    t.deepEqual(Object.fromEntries(run?.params ?? []), { lr: '0.01', batch: '64' });
    t.is(run?.info.status, 'FINISHED');
    t.true(within(Number(run?.info.end_time), endFrom, endTo), 'end_time is when the run ended, not when it was replayed');
    const requests = d.requests.length;
    const second = await runCli(t, spoolDir, { MLFLOW_TRACKING_URI: d.url });
    t.log(second.stdout.trim(), second.stderr.trim());
    t.is(second.code, 0, second.stderr);
    t.is(d.requests.filter((r) => r.endpoint !== 'health').length, requests, 'a second replay sends nothing');
    t.is(totalPoints(runsOf(d, experimentName)[0]), 3001);
    t.deepEqual(d.violations, []);
  },
);

// ───────────────────────────── 5. faults ─────────────────────────────

test.serial('faults: 503 ×3 then 429 with Retry-After → retried (honouring Retry-After) and counted; nothing lost or duplicated', async (t) => {
  const d = await openDouble(t);
  const experimentName = uniq('exp-faults');
  const { logger } = await openLogger(t, { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-faults'), logFreq: 'batch' });
  const isBatch = (r: { endpoint: string }) => r.endpoint === 'runs/log-batch';
  d.failWith(503, 3, { match: isBatch });
  d.failWith(429, 1, { match: isBatch, retryAfter: 1 });
  const h = logger.handle('loss');
  for (let i = 0; i < 500; i++) logger.metric(h, i, i);
  const stats = await logger.destroyLoggerContext();
  const s = mlflowStats(stats);
  t.log(JSON.stringify(s));
  const batches = d.requestsTo('runs/log-batch');
  t.deepEqual(
    batches.slice(0, 5).map((r) => r.status),
    [503, 503, 503, 429, 200],
  );
  const after429 = (batches[4]?.time ?? 0) - (batches[3]?.time ?? 0);
  t.true(after429 >= 950, `the retry after the 429 came ${after429} ms later; Retry-After said 1 s`);
  t.deepEqual(
    checkSequence(runsOf(d, experimentName)[0], 500, 1, () => 'loss'),
    [],
  );
  t.is(s.undelivered, 0);
  // docs/architecture.md §5: every retry is counted in stats().
  t.true(Number(s.retries ?? 0) >= 4, `stats() must count the 4 retries: ${JSON.stringify(s)}`);
});

test.serial(
  'a server that does not answer: log() returns before any request completes (every request held at the server while 5000 log() calls fill a 64 KiB ring twice over)',
  async (t) => {
    const d = await openDouble(t);
    const held = d.hold(); // every request waits at the server until released: not one is answered meanwhile
    const experimentName = uniq('exp-slow');
    // A ring of 2048 slots: a writer that waited for the server before taking more records would fill it,
    // and log() would wait for the writer.
    const { logger } = await openLogger(
      t,
      { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-slow'), logFreq: 'batch' },
      { ringBytes: 64 * 1024 },
    );
    logger.log(0, 'warm', { step: 0 });
    t.true(await until(() => held.held > 0, LIVENESS_MS, 5), 'the writer is talking to the server (its first request is held)');
    // Broken: log() (or the writer under it) waits for the server; then this loop never ends and the test times out.
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) logger.log(i, 'loss', { step: i });
    const ms = performance.now() - t0;
    t.log(`5000 log() calls while the server answered nothing: ${ms.toFixed(2)} ms`);
    t.deepEqual(
      d.requests.filter((r) => r.outcome !== undefined),
      [],
      'a request was answered while it was held',
    );
    held.release();
    await logger.destroyLoggerContext();
    t.deepEqual(
      checkSequence(runsOf(d, experimentName)[0], 5000, 1, () => 'loss'),
      [],
    );
  },
);

// ───────────────────────────── 6. data the server rejects ─────────────────────────────

for (const backend of ['sqlalchemy', 'file'] as const) {
  test(`a param re-logged with another value (${backend} server: ${backend === 'file' ? '500' : '400'}) → a warning naming the key; the stream after it is delivered; no endless retries`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const d = await openDouble(t, { backend });
    const warnings = captureStderr(t);
    const experimentName = uniq(`exp-param-${backend}`);
    const key = `lr_${backend}_${process.pid}`;
    const { logger } = await openLogger(t, { experimentName, trackingUri: d.url, savedir: tempDir(t, 'mlflow-param'), logFreq: 'batch' });
    logger.log(0.1, key, { kind: 'param' });
    for (let i = 0; i < 100; i++) logger.log(i, 'loss', { step: i });
    await logger.flush();
    logger.log(0.2, key, { kind: 'param' }); // the server will refuse this one
    for (let i = 100; i < 300; i++) logger.log(i, 'loss', { step: i });
    logger.log('ok', 'after', { kind: 'param' });
    const t0 = Date.now();
    const closing = logger.destroyLoggerContext();
    // A liveness bound: the close takes about a second; an endless retry of the refused param never ends.
    const closed = await Promise.race([closing.then(() => true), sleep(LIVENESS_MS).then(() => false)]);
    const requestsMeanwhile = d.requestsTo('runs/log-batch').length;
    if (!closed) {
      // Break whatever loop the client is in (the server goes away: it spools and gives up), so the test ends.
      t.fail(
        `destroyLoggerContext() still running after ${LIVENESS_MS} ms; ${requestsMeanwhile} log-batch requests so far (${d.requestsTo('runs/log-batch').filter((r) => r.status !== 200).length} refused)`,
      );
      await d.stop();
    }
    const stats = await closing;
    const ms = Date.now() - t0;
    // The writer's warning reaches this thread asynchronously: wait for it (the assertion below says what is missing).
    await until(() => warnings.text.split('\n').some((l) => l.includes(key) && /reject/i.test(l)), LIVENESS_MS);
    const s = mlflowStats(stats);
    const run = runsOf(d, experimentName)[0];
    const batches = d.requestsTo('runs/log-batch');
    t.log(
      `${backend}: destroy took ${ms} ms; ${batches.length} log-batch requests (${batches.filter((b) => b.status !== 200).length} refused); stats ${JSON.stringify(s)}`,
    );
    t.log(
      warnings.text
        .split('\n')
        .filter((l) => l.includes(key))
        .slice(0, 3)
        .join('\n'),
    );
    t.true(
      warnings.text.split('\n').some((l) => l.includes(key) && /reject/i.test(l)),
      'a warning names the key',
    );
    t.deepEqual(
      checkSequence(run, 300, 1, () => 'loss'),
      [],
    );
    t.is(run?.params.get(key), '0.1');
    t.is(run?.params.get('after'), 'ok');
    t.is(s.rejected, 1);
    t.is(s.undelivered, 0);
    t.is(s.spooled, 0, 'a refused param is not a reason to spool');
    t.true(requestsMeanwhile < 40, `${requestsMeanwhile} log-batch requests: the client must not retry a refused param forever`);
  });
}

// ───────────────────────────── 7. crashes and signals ─────────────────────────────

test('crash: an uncaught exception in the training process ends its run FAILED, with end_time, after delivering what was logged', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const d = await openDouble(t);
  const experimentName = uniq('exp-crash');
  const from = Date.now();
  const end = await runChild(
    t,
    { mode: 'throw', savedir: tempDir(t, 'mlflow-crash'), runName: uniq('crash'), experimentName, n: 2000 },
    { MLFLOW_TRACKING_URI: d.url },
  );
  t.not(end.code, 0);
  t.regex(end.stderr, /deliberate uncaught exception/);
  const run = runsOf(d, experimentName)[0];
  t.is(run?.info.status, 'FAILED', end.stderr);
  t.true(within(Number(run?.info.end_time), from, Date.now()));
  t.deepEqual(
    checkSequence(run, 2000, 1, () => 'loss'),
    [],
  );
});

test('SIGTERM: the run ends KILLED with end_time after delivering what was logged, and the process ends by the signal', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const d = await openDouble(t);
  const experimentName = uniq('exp-sigterm');
  const from = Date.now();
  const end = await runChild(
    t,
    { mode: 'sigterm', savedir: tempDir(t, 'mlflow-sigterm'), runName: uniq('sigterm'), experimentName, n: 2000 },
    { MLFLOW_TRACKING_URI: d.url },
    (out, child) => {
      if (out.includes('ready\n') && !child.killed) child.kill('SIGTERM');
    },
  );
  t.is(end.signal, 'SIGTERM', `code ${end.code}; stderr:\n${end.stderr}`);
  const run = runsOf(d, experimentName)[0];
  t.is(run?.info.status, 'KILLED');
  t.true(within(Number(run?.info.end_time), from, Date.now()));
  t.deepEqual(
    checkSequence(run, 2000, 1, () => 'loss'),
    [],
  );
});

// ───────────────────────────── 8. auth ─────────────────────────────

const USER = 'alice';
const PASSWORD = 'pw-Zq81-never-print-me';
const TOKEN = 'tok-7f3a9c-never-print-me';

/** No secret in the process's output, in any file under savedir, in stats (printed on stdout). */
function assertNoSecret(t: ExecutionContext, secret: string, end: ChildEnd, savedir: string): void {
  const forms = [secret, Buffer.from(`${USER}:${secret}`).toString('base64')];
  for (const f of forms) {
    t.false(end.stdout.includes(f), 'a secret in stdout (stats)');
    t.false(end.stderr.includes(f), 'a secret in stderr');
    for (const file of filesUnder(savedir)) t.false(readFileSync(file).includes(f), `a secret in ${file}`);
  }
}

test('auth: basic (MLFLOW_TRACKING_USERNAME/PASSWORD), bearer (MLFLOW_TRACKING_TOKEN) and user:password@ in MLFLOW_TRACKING_URI are accepted; no secret leaks', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  for (const kind of ['basic', 'bearer', 'uri'] as const) {
    const d = await openDouble(t, kind === 'bearer' ? { auth: { bearer: TOKEN } } : { auth: { basic: { user: USER, password: PASSWORD } } });
    const savedir = tempDir(t, `mlflow-auth-${kind}`);
    const experimentName = uniq(`exp-auth-${kind}`);
    const env: Record<string, string> =
      kind === 'basic'
        ? { MLFLOW_TRACKING_URI: d.url, MLFLOW_TRACKING_USERNAME: USER, MLFLOW_TRACKING_PASSWORD: PASSWORD }
        : kind === 'bearer'
          ? { MLFLOW_TRACKING_URI: d.url, MLFLOW_TRACKING_TOKEN: TOKEN }
          : { MLFLOW_TRACKING_URI: d.url.replace('http://', `http://${USER}:${PASSWORD}@`) }; // user:password@ in the URI, as MLflow's client takes it
    const end = await runChild(t, { mode: 'finish', savedir, runName: uniq('auth'), experimentName, n: 500, params: { lr: 0.1 } }, env);
    t.is(end.code, 0, end.stderr);
    t.is(d.counts.unauthorized ?? 0, 0, `${kind}: no request was refused`);
    t.true(
      d.requests.every((r) => r.auth.scheme === (kind === 'bearer' ? 'Bearer' : 'Basic')),
      kind,
    );
    t.deepEqual(
      checkSequence(runsOf(d, experimentName)[0], 500, 1, () => 'loss', false),
      [],
      kind,
    );
    assertNoSecret(t, kind === 'bearer' ? TOKEN : PASSWORD, end, savedir);
  }
});

test('auth: a wrong password → 401 → the backend says so clearly (once, naming the fix), and never prints the password', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const d = await openDouble(t, { auth: { basic: { user: USER, password: 'the-right-one' } } });
  const savedir = tempDir(t, 'mlflow-auth-wrong');
  const experimentName = uniq('exp-auth-wrong');
  const end = await runChild(
    t,
    // 5000 points (5 batches), then flush(): every batch has been tried (and refused) before the end
    { mode: 'finish', savedir, runName: uniq('auth-wrong'), experimentName, n: 5000, params: { lr: 0.1 }, phases: [{ n: 5000, thenFlush: true }] },
    { MLFLOW_TRACKING_URI: d.url, MLFLOW_TRACKING_USERNAME: USER, MLFLOW_TRACKING_PASSWORD: PASSWORD },
  );
  t.log(`exit ${end.code}; stderr:\n${end.stderr.split('\n').slice(0, 12).join('\n')}`);
  t.log(`stdout: ${end.stdout}`);
  t.true((d.counts.unauthorized ?? 0) > 0);
  const lines = end.stderr.split('\n').filter((l) => l.startsWith('[ranklog'));
  t.true(
    lines.some((l) => /401/.test(l) && /authenticat|credential|MLFLOW_TRACKING_(USERNAME|PASSWORD)/i.test(l)),
    'a warning says the server refused the credentials',
  );
  t.true(lines.length <= 3, `${lines.length} warning lines for one bad password: it must be reported once, not per batch`);
  assertNoSecret(t, PASSWORD, end, savedir);
});

test('auth: a wrong password loses nothing — the records wait in the spool for a replay with the right credentials', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const d = await openDouble(t, { auth: { basic: { user: USER, password: 'the-right-one' } } });
  const savedir = tempDir(t, 'mlflow-auth-keep');
  const runName = uniq('auth-keep');
  const experimentName = uniq('exp-auth-keep');
  const end = await runChild(
    t,
    { mode: 'finish', savedir, runName, experimentName, n: 1000 },
    { MLFLOW_TRACKING_URI: d.url, MLFLOW_TRACKING_USERNAME: USER, MLFLOW_TRACKING_PASSWORD: PASSWORD },
  );
  t.is(end.code, 0, end.stderr);
  const s = (JSON.parse(end.stdout.trim().split('\n').pop() ?? '{}') as { stats?: LogStats }).stats;
  const b = s ? mlflowStats(s) : undefined;
  t.log(JSON.stringify(b));
  t.is(b?.rejected, 0, 'records dropped because of a credential problem');
  t.is(b?.undelivered, 1000);
  t.true(existsSync(join(savedir, runName, 'mlflow-spool', 'rank0', 'ops.jsonl')), 'a spool to replay once the credentials are fixed');
});

test('auth + outage: with basic auth and the server down for the whole run, the spool holds no secret; the CLI replays with the credentials from the environment', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const d = await openDouble(t, { auth: { basic: { user: USER, password: PASSWORD } } });
  await d.stop();
  const savedir = tempDir(t, 'mlflow-auth-spool');
  const experimentName = uniq('exp-auth-spool');
  const runName = uniq('auth-spool');
  const creds = { MLFLOW_TRACKING_USERNAME: USER, MLFLOW_TRACKING_PASSWORD: PASSWORD };
  const end = await runChild(t, { mode: 'finish', savedir, runName, experimentName, n: 800 }, { MLFLOW_TRACKING_URI: d.url, ...creds });
  t.is(end.code, 0, end.stderr);
  const spoolDir = join(savedir, runName, 'mlflow-spool', 'rank0');
  t.true(existsSync(join(spoolDir, 'ops.jsonl')));
  assertNoSecret(t, PASSWORD, end, savedir);
  await d.restart();
  const cli = await runCli(t, spoolDir, { MLFLOW_TRACKING_URI: d.url, ...creds });
  t.is(cli.code, 0, cli.stderr);
  t.false(cli.stdout.includes(PASSWORD) || cli.stderr.includes(PASSWORD));
  t.deepEqual(
    checkSequence(runsOf(d, experimentName)[0], 800, 1, () => 'loss'),
    [],
  );
  t.is(d.counts.unauthorized ?? 0, 0);
});

/** Every string reachable from `root` through own properties (any key, enumerable or not), Map and Set entries. */
function reachableStrings(root: unknown, limit = 100_000): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0 && seen.size < limit) {
    const v = stack.pop();
    if (typeof v === 'string') out.push(v);
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) continue; // rings and buffers: the URI is never logged into them
    if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    if (v instanceof Set) for (const x of v) stack.push(x);
    for (const key of Reflect.ownKeys(v)) {
      if (typeof key === 'string') out.push(key);
      const desc = Object.getOwnPropertyDescriptor(v, key);
      if (desc !== undefined && 'value' in desc) stack.push(desc.value);
    }
  }
  return out;
}

/** Every way a person or a program looks at an object without reading its source. */
function views(o: object): Record<string, string> {
  const cycles = new WeakSet<object>();
  return {
    'util.inspect': inspect(o, { depth: Infinity, showHidden: true, getters: true }),
    'JSON.stringify': JSON.stringify(o, (_, v: unknown) => {
      if (typeof v === 'bigint') return String(v);
      if (typeof v === 'object' && v !== null) {
        if (cycles.has(v)) return '[cycle]';
        cycles.add(v);
      }
      return v;
    }),
    'Object.entries': String(Object.entries(o).flat()),
    'reachable properties': reachableStrings(o).join('\n'),
    'String()': String(o),
  };
}

test('credentials in the tracking URI stay out of every property and inspection of the logger, of stats, messages and files; an invalid URI is an error with the password redacted', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const password = 'pw-secret-123';
  const d = await openDouble(t, { auth: { basic: { user: USER, password } } });
  const uri = d.url.replace('http://', `http://${USER}:${password}@`);
  const savedir = tempDir(t, 'mlflow-cred');
  const stderr = captureStderr(t);
  const experimentName = uniq('exp-cred');
  const logger = new MLFlowLogger({ trackingUri: uri, savedir, experimentName, logFreq: 'batch' });
  const noSecret = (when: string, o: object) => {
    for (const [how, text] of Object.entries(views(o))) t.false(text.includes(password), `${when}: the password in ${how}`);
  };
  t.is(logger.trackingUri, uri.replace(password, '***'), 'the public property: user:***@');
  noSecret('before the context', logger);
  await logger.createLoggerContext({ rank: 0, runName: uniq('cred') });
  t.true(reachableStrings(logger).includes(logger.runName!), 'the walk reaches the context (it would find a secret kept there)');
  noSecret('with the context', logger);
  for (let i = 0; i < 5; i++) logger.log(i, 'loss', { step: i });
  const stats = await logger.destroyLoggerContext();
  noSecret('after destroy', logger);
  t.false(JSON.stringify(stats).includes(password), 'stats');
  t.deepEqual(
    checkSequence(runsOf(d, experimentName)[0], 5, 1, () => 'loss', false),
    [],
    'the writer thread still used the real URI (its user and password)',
  );
  t.is(d.counts.unauthorized ?? 0, 0);
  t.true(d.requests.every((r) => r.auth.scheme === 'Basic'));
  for (const file of filesUnder(savedir)) t.false(readFileSync(file).includes(password), `the password in ${file}`);
  t.false(stderr.text.includes(password), 'the password on stderr');

  // Invalid URIs: a ranklog error naming the option and the URI with the password redacted, and nothing else that holds it.
  const bad: [string, string][] = [
    ['http://127.0.0.1:99999', '"http://127.0.0.1:99999"'],
    [`http://${USER}:${password}@127.0.0.1:bad`, `"http://${USER}:***@127.0.0.1:bad"`],
    [`http://${USER}:${password}@exa mple.com/`, `"http://${USER}:***@exa mple.com/"`],
    [`ftp://${USER}:${password}@127.0.0.1/`, `"ftp://${USER}:***@127.0.0.1/"`],
  ];
  for (const [trackingUri, shown] of bad) {
    const e = t.throws(() => new MLFlowLogger({ trackingUri, savedir }), { instanceOf: TypeError }, trackingUri);
    t.true(e?.message.startsWith(`ranklog: MLFlowLogger option trackingUri is ${shown}`), e?.message);
    t.regex(
      e?.message ?? '',
      /pass http\(s\):\/\/host:port \(port 1 to 65535; percent-encode '@', ':' and '\/' inside a user name or password\), file:\/path, or a directory path\.$/,
    );
    for (const [how, text] of Object.entries({
      stack: e?.stack ?? '',
      inspect: inspect(e, { showHidden: true, depth: Infinity }),
      json: JSON.stringify(e),
      cause: String((e as { cause?: unknown } | undefined)?.cause),
    })) {
      t.false(text.includes(password), `${trackingUri}: the password in the error's ${how}`);
    }
  }
});

// ───────────────────────────── 9. file store ─────────────────────────────

test('file store default: no trackingUri and no MLFLOW_TRACKING_URI → runs under <savedir>/mlflow', async (t) => {
  const savedir = tempDir(t, 'mlflow-filestore');
  t.is(process.env.MLFLOW_TRACKING_URI, undefined);
  const logger = new MLFlowLogger({ experimentName: 'offline', savedir, logFreq: 'batch' });
  const runName = uniq('offline');
  await logger.createLoggerContext({ rank: 0, runName });
  t.teardown(() => logger.destroyLoggerContext().catch(() => undefined));
  for (let i = 0; i < 10; i++) logger.log(i / 2, 'loss', { step: i });
  await logger.destroyLoggerContext();
  const root = join(savedir, 'mlflow');
  t.true(existsSync(root), 'the file store is <savedir>/mlflow');
  const metas = filesUnder(root).filter((f) => f.endsWith('meta.yaml'));
  const runMeta = metas.find((f) => readFileSync(f, 'utf8').includes(`run_name: ${runName}`));
  t.truthy(runMeta, `a run meta.yaml naming the run among ${metas.join(', ')}`);
  if (!runMeta) return;
  const runDir = join(runMeta, '..');
  t.regex(readFileSync(runMeta, 'utf8'), /status: 3/); // FINISHED
  const lines = readFileSync(join(runDir, 'metrics', 'loss'), 'utf8')
    .trim()
    .split('\n');
  t.is(lines.length, 10);
  t.deepEqual(
    lines.map((l) => l.split(' ').slice(1)),
    Array.from({ length: 10 }, (_, i) => [String(i / 2 === Math.trunc(i / 2) ? `${i / 2}.0` : i / 2), String(i)]),
  );
  t.true(statSync(runDir).isDirectory());
});
