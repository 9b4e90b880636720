/**
 * Ranks (docs/architecture.md §1, §4): logOnWorkers -1 / int / list (default 0) for the
 * coordinator's rank and for worker_thread ranks; a rank that must not log
 * does no I/O (no thread, no file); the rank from the launcher's environment.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { attachLogger, rankFromEnv, type LogOnWorkers, type WorkerHandle } from '@ranklog/core';
import { RecordingLogger, readRecords, startRecording, tempFile, uniqueRunName } from './support/recording-logger.js';
import { untyped } from './support/untyped.js';

const ATTACH_FIXTURE = new URL('./fixtures/attach-worker.js', import.meta.url);
const ENV_FIXTURE = new URL('./fixtures/env-rank.js', import.meta.url);

/** OS threads of this process (Linux). */
function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

/** Log one of everything cheap; returns how many records a logging rank must produce. */
function logEverything(logger: RecordingLogger): number {
  logger.log(0.5, 'loss', { step: 1 });
  const h = logger.handle('fast');
  logger.metric(h, 1, 1);
  logger.log('note', 'notes', { kind: 'text' });
  logger.log({ a: 1 }, 'cfg', { kind: 'dict' });
  logger.saveHyperparameters({ lr: 0.1 });
  return 5;
}

interface WorkerReport {
  drained: boolean;
  rank: number;
  hasRing: boolean;
  hasContext: boolean;
}

function runAttachWorker(handle: WorkerHandle, identifier: string, n: number): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const w = new Worker(ATTACH_FIXTURE, { workerData: { handle, identifier, n } });
    let report: WorkerReport | undefined;
    w.once('message', (m: WorkerReport) => (report = m));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 && report ? resolve(report) : reject(new Error(`worker exited with ${code} without a report`))));
  });
}

// ---------------------------------------------------------------- serial: thread counts

test.serial('a rank that must not log starts no thread; a rank that logs does (counted in /proc/self/task)', async (t) => {
  await stat('.'); // warm up libuv's thread pool so it does not appear mid-test
  const file = tempFile(t);
  const before = threadCount();
  const quiet = new RecordingLogger({ file, logOnWorkers: 0, logFreq: 'batch' });
  await startRecording(t, quiet, { rank: 1 });
  logEverything(quiet);
  quiet.workerHandle(2); // a handle for another non-logging rank: no ring, no thread either
  await quiet.flush();
  t.is(threadCount(), before, 'no clock thread, no writer thread');
  await quiet.destroyLoggerContext();
  t.false(existsSync(file));

  // Control: the same logger on a logging rank starts the clock and one writer thread.
  const file2 = tempFile(t);
  const loud = new RecordingLogger({ file: file2, logOnWorkers: 0 });
  await startRecording(t, loud, { rank: 0 });
  t.true(threadCount() >= before + 2, `expected at least 2 more threads, have ${threadCount()} vs ${before}`);
  await loud.destroyLoggerContext();
});

// ---------------------------------------------------------------- coordinator ranks

const COORDINATOR_CASES: [title: string, logOnWorkers: LogOnWorkers | undefined, rank: number, logs: boolean][] = [
  ['-1 logs on rank 3', -1, 3, true],
  ['-1 logs on rank 0', -1, 0, true],
  ['2 logs on rank 2', 2, 2, true],
  ['2 does not log on rank 0', 2, 0, false],
  ['[1, 3] logs on rank 3', [1, 3], 3, true],
  ['[1, 3] does not log on rank 2', [1, 3], 2, false],
  ['[] logs on no rank', [], 0, false],
  ['default (0) logs on rank 0', undefined, 0, true],
  ['default (0) does not log on rank 1', undefined, 1, false],
];

for (const [title, logOnWorkers, rank, logs] of COORDINATOR_CASES) {
  test(`logOnWorkers ${title} (coordinator rank from createLoggerContext({ rank }))`, async (t) => {
    const file = tempFile(t);
    const logger = new RecordingLogger(logOnWorkers === undefined ? { file } : { file, logOnWorkers });
    if (logOnWorkers === undefined) t.is(logger.logOnWorkers, 0);
    await startRecording(t, logger, { rank });
    t.is(logger.rank, rank);
    const n = logEverything(logger);
    await logger.flush();
    const live = await logger.stats();
    if (logs) {
      t.is(live.rings, 1);
      t.is(live.backends.length, 1);
    } else {
      t.is(live.rings, 0, 'no ring on a rank that does not log');
      t.is(live.backends.length, 0, 'no writer thread on a rank that does not log');
      t.false(existsSync(file), 'the sink was never created');
    }
    const stats = await logger.destroyLoggerContext();
    const records = readRecords(file);
    t.is(stats.recordsIn, logs ? n : 0);
    t.is(records.length, logs ? n : 0);
    t.true(records.every((r) => r.rank === rank));
    if (!logs) t.false(existsSync(file), 'still no file after destroy');
  });
}

test('a non-logging rank still rejects bad input (validation does not depend on the rank)', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  await startRecording(t, logger, { rank: 1 });
  t.throws(() => untyped(logger).log('x', 'loss'), { instanceOf: TypeError, message: /kind is undefined/ });
  t.throws(() => logger.log(1, '../up'), { instanceOf: TypeError, message: /identifier is "\.\.\/up"/ });
  t.throws(() => logger.log(1, 'ok', { step: 1.5 }), { instanceOf: TypeError, message: /step is 1\.5/ });
  t.throws(() => logger.log(1, 'x', { kind: 'nope' as never }), { instanceOf: TypeError, message: /kind "nope" is not a known kind/ });
  t.throws(() => logger.handle(''), { instanceOf: TypeError, message: /identifier is ""/ });
  await logger.destroyLoggerContext();
  t.false(existsSync(file));
});

test('a rank that must not log does no I/O for a model that saves itself (save() is not called, nothing written)', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  await startRecording(t, logger, { rank: 1 });
  const dirs: string[] = [];
  const model = {
    save(dir: string) {
      dirs.push(dir);
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(16));
    },
  };
  logger.log(model, 'model', { kind: 'model' });
  await logger.destroyLoggerContext();
  t.deepEqual(dirs, [], `save() was called on a rank that does not log and wrote ${dirs.join(', ')}`);
  t.false(existsSync(file));
});

// ---------------------------------------------------------------- worker_thread ranks

test('worker ranks: logOnWorkers [0, 2] takes the coordinator and worker 2, not worker 1 (whose handle has no ring)', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logOnWorkers: [0, 2] });
  await startRecording(t, logger, { rank: 0 });
  logger.log(1, 'coordinator');
  const h1 = logger.workerHandle(1);
  const h2 = logger.workerHandle(2);
  t.is(h1.ringSab, undefined, 'rank 1 must not log: no ring');
  t.is(h1.sharedSab, undefined);
  t.truthy(h2.ringSab);
  t.is(h1.rank, 1);
  t.is(h2.rank, 2);
  const n = 5;
  const [r1, r2] = await Promise.all([runAttachWorker(h1, 'w', n), runAttachWorker(h2, 'w', n)]);
  t.deepEqual(r1, { drained: true, rank: 1, hasRing: false, hasContext: false });
  t.deepEqual(r2, { drained: true, rank: 2, hasRing: true, hasContext: true });
  const stats = await logger.destroyLoggerContext();
  t.is(stats.rings, 2, "the coordinator's ring and worker 2's ring only");
  const records = readRecords(file);
  const byRank = (rank: number) => records.filter((r) => r.rank === rank);
  t.deepEqual(
    byRank(0).map((r) => r.identifier),
    ['coordinator'],
  );
  t.deepEqual(byRank(1), [], 'rank 1 must not log');
  const w2 = byRank(2);
  t.deepEqual(
    w2.filter((r) => r.identifier === 'w').map((r) => [r.step, r.value]),
    Array.from({ length: n }, (_, i) => [i, i]),
  );
  t.deepEqual(
    w2.filter((r) => r.identifier === 'w_fast').map((r) => r.value),
    Array.from({ length: n }, (_, i) => i * 10),
  );
  t.deepEqual(
    w2.filter((r) => r.identifier === 'w_text').map((r) => r.item),
    ['hello from rank 2'],
  );
  t.is(stats.recordsIn, 1 + 2 * n + 1);
});

test('worker ranks: logOnWorkers -1 takes every worker', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logOnWorkers: -1 });
  await startRecording(t, logger, { rank: 0 });
  const reports = await Promise.all([1, 2, 3].map((r) => runAttachWorker(logger.workerHandle(r), 'all', 2)));
  t.true(reports.every((r) => r.hasRing && r.drained));
  await logger.destroyLoggerContext();
  const records = readRecords(file);
  for (const rank of [1, 2, 3]) {
    t.is(records.filter((r) => r.rank === rank).length, 2 + 2 + 1, `rank ${rank}`);
  }
  t.is(records.filter((r) => r.rank === 0).length, 0, 'the coordinator logged nothing itself');
});

test('a coordinator that must not log starts nothing until a worker of a logging rank gets a handle', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logOnWorkers: 3, logFreq: 'batch' });
  await startRecording(t, logger, { rank: 5 });
  logger.log(1, 'coordinator');
  const quietHandle = logger.workerHandle(4);
  t.is(quietHandle.ringSab, undefined);
  const quietReport = await runAttachWorker(quietHandle, 'q', 3);
  t.false(quietReport.hasRing);
  await logger.flush();
  let stats = await logger.stats();
  t.is(stats.rings, 0);
  t.is(stats.backends.length, 0);
  t.false(existsSync(file), 'no writer was started for ranks 5 and 4');

  const loudReport = await runAttachWorker(logger.workerHandle(3), 'l', 3);
  t.true(loudReport.hasRing);
  stats = await logger.destroyLoggerContext();
  t.is(stats.rings, 1);
  const records = readRecords(file);
  t.is(records.length, 3 + 3 + 1);
  t.true(records.every((r) => r.rank === 3));
});

test('workerHandle() and attachLogger() reject bad arguments with the argument, the value and a fix', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  await startRecording(t, logger, { rank: 1 });
  for (const [rank, shown] of [
    [-1, '-1'],
    [1.5, '1\\.5'],
    ['1', '"1"'],
    [NaN, 'NaN'],
  ] as const) {
    t.throws(() => logger.workerHandle(rank as number), {
      instanceOf: TypeError,
      message: new RegExp(`rank is ${shown}; pass a non-negative integer rank`),
    });
  }
  for (const [bad, shown] of [
    [undefined, 'undefined'],
    [{}, 'an object'],
    [{ ranklog: 2 }, 'an object'],
    ['handle', '"handle"'],
  ] as const) {
    t.throws(() => attachLogger(bad as never), {
      instanceOf: TypeError,
      message: new RegExp(`handle is ${shown}; pass the value of logger\\.workerHandle\\(rank\\)`),
    });
  }
});

// ---------------------------------------------------------------- invalid logOnWorkers

const INVALID_LOG_ON_WORKERS: [string, unknown, RegExp][] = [
  ['-2', -2, /logOnWorkers is -2;/],
  ['1.5', 1.5, /logOnWorkers is 1\.5;/],
  ["'all'", 'all', /logOnWorkers is "all";/],
  ["[0, 'x']", [0, 'x'], /logOnWorkers is an array of length 2; "x" is not a rank;/],
  ['[0, -1]', [0, -1], /logOnWorkers is an array of length 2; -1 is not a rank;/],
  ['[1.5]', [1.5], /logOnWorkers is an array of length 1; 1\.5 is not a rank;/],
  ['NaN', NaN, /logOnWorkers is NaN;/],
  ['null', null, /logOnWorkers is null;/],
  ['{}', {}, /logOnWorkers is an object;/],
  ["'0'", '0', /logOnWorkers is "0";/],
];

for (const [title, value, valuePart] of INVALID_LOG_ON_WORKERS) {
  test(`logOnWorkers ${title} throws at construction`, (t) => {
    const error = t.throws(() => new RecordingLogger({ file: '/nonexistent/never.jsonl', logOnWorkers: value as LogOnWorkers }), {
      instanceOf: TypeError,
    });
    const message = error?.message ?? '';
    t.regex(message, /RecordingLogger option logOnWorkers/);
    t.regex(message, valuePart);
    t.regex(message, /use -1 \(all ranks\), a rank such as 0, or a list of ranks/);
  });
}

// ---------------------------------------------------------------- rank from the environment (in-process)

const RANK_VARS = ['RANK', 'OMPI_COMM_WORLD_RANK', 'PMI_RANK', 'PMIX_RANK', 'SLURM_PROCID'] as const;
const SIZE_VARS = ['WORLD_SIZE', 'OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'SLURM_NTASKS'] as const;
const LOCAL_VARS = ['LOCAL_RANK', 'OMPI_COMM_WORLD_LOCAL_RANK', 'SLURM_LOCALID'] as const;

test("rankFromEnv() reads each launcher's rank variable", (t) => {
  t.deepEqual(rankFromEnv({}), { rank: 0, worldSize: undefined, localRank: undefined, source: 'default' });
  for (const name of RANK_VARS) {
    t.like(rankFromEnv({ [name]: '3' }), { rank: 3, source: name }, name);
    t.like(rankFromEnv({ [name]: ' 12 ' }), { rank: 12, source: name }, `${name} with spaces`);
  }
});

test('rankFromEnv() prefers RANK, then OMPI_COMM_WORLD_RANK, PMI_RANK, PMIX_RANK, SLURM_PROCID', (t) => {
  const env: Record<string, string> = {};
  RANK_VARS.forEach((name, i) => (env[name] = String(10 + i)));
  for (const [i, name] of RANK_VARS.entries()) {
    t.like(rankFromEnv(env), { rank: 10 + i, source: name });
    delete env[name];
  }
  t.like(rankFromEnv(env), { rank: 0, source: 'default' });
});

test('rankFromEnv() reads the world size from WORLD_SIZE, OMPI_COMM_WORLD_SIZE, PMI_SIZE, SLURM_NTASKS, and the local rank', (t) => {
  for (const name of SIZE_VARS) t.is(rankFromEnv({ [name]: '8' }).worldSize, 8, name);
  t.is(rankFromEnv({ WORLD_SIZE: '4', SLURM_NTASKS: '16' }).worldSize, 4, 'WORLD_SIZE first');
  t.is(rankFromEnv({ OMPI_COMM_WORLD_SIZE: '6', PMI_SIZE: '7', SLURM_NTASKS: '16' }).worldSize, 6);
  for (const name of LOCAL_VARS) t.is(rankFromEnv({ [name]: '2' }).localRank, 2, name);
  t.like(rankFromEnv({ SLURM_PROCID: '5', SLURM_NTASKS: '8', SLURM_LOCALID: '1' }), { rank: 5, worldSize: 8, localRank: 1, source: 'SLURM_PROCID' });
});

test('rankFromEnv() rejects invalid values with an error naming the variable, the value and a fix', (t) => {
  for (const name of [...RANK_VARS, ...SIZE_VARS]) {
    for (const raw of ['abc', '-1', '1.5', '', '1e400', '0x']) {
      t.throws(
        () => rankFromEnv({ [name]: raw }),
        {
          instanceOf: TypeError,
          message: new RegExp(
            `environment variable ${name} is ${JSON.stringify(raw).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; it must be a non-negative integer\\. Fix the launcher's environment or pass \\{ rank \\}`,
          ),
        },
        `${name}=${JSON.stringify(raw)}`,
      );
    }
  }
  t.throws(() => rankFromEnv({ LOCAL_RANK: 'x' }), { instanceOf: TypeError, message: /LOCAL_RANK is "x"/ });
});

// ---------------------------------------------------------------- rank from the environment (separate processes)

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [...RANK_VARS, ...SIZE_VARS, ...LOCAL_VARS, 'RANKLOG_RUN_NAME', 'SLURM_JOB_ID', 'SLURM_STEP_ID', 'TORCHELASTIC_RUN_ID']) delete env[name];
  return { ...env, ...extra };
}

interface ChildReport {
  info?: { rank: number; worldSize: number | undefined; source: string };
  envError?: string;
  rank?: number;
  recordsIn?: number;
  rings?: number;
  backends?: number;
  createError?: string;
}

/** A child that has not ended by then is hung (see runEnvChild). */
const CHILD_TIMEOUT_MS = 120_000;

function runEnvChild(
  t: ExecutionContext,
  env: Record<string, string>,
  logOnWorkers: LogOnWorkers,
  explicitRank?: number,
): Promise<{ report: ChildReport; file: string }> {
  const file = tempFile(t);
  const args = [fileURLToPath(ENV_FIXTURE), file, uniqueRunName('env'), JSON.stringify(logOnWorkers)];
  if (explicitRank !== undefined) args.push(JSON.stringify(explicitRank));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      // A liveness bound (a child ends in well under a second alone; this file starts ~15 at once):
      // only a hung child reaches it.
      { env: cleanEnv(env), timeout: CHILD_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error)
          return reject(new Error(`child failed${error.killed ? ` (killed: still running after ${CHILD_TIMEOUT_MS} ms)` : ''}: ${error.message}\n${stderr}`));
        try {
          resolve({ report: JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport, file });
        } catch (e) {
          reject(new Error(`bad child output ${JSON.stringify(stdout)} (${String(e)})\n${stderr}`));
        }
      },
    );
  });
}

for (const name of RANK_VARS) {
  test(`a separate process takes its rank from ${name} and logs under it`, async (t) => {
    const { report, file } = await runEnvChild(t, { [name]: '3' }, -1);
    t.like(report, { rank: 3, recordsIn: 2, rings: 1, backends: 1 });
    t.like(report.info, { rank: 3, source: name });
    const records = readRecords(file);
    t.deepEqual(
      records.map((r) => [r.rank, r.kind, r.identifier]),
      [
        [3, 'metric', 'env_metric'],
        [3, 'text', 'env_text'],
      ],
    );
  });
}

test('a separate process whose environment rank must not log writes nothing and starts no writer', async (t) => {
  const { report, file } = await runEnvChild(t, { RANK: '1', WORLD_SIZE: '2' }, 0);
  t.like(report, { rank: 1, recordsIn: 0, rings: 0, backends: 0 });
  t.like(report.info, { rank: 1, worldSize: 2, source: 'RANK' });
  t.false(existsSync(file));
});

test("a separate process with the world size from the launcher's variables", async (t) => {
  const [a, b] = await Promise.all([
    runEnvChild(t, { OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '4' }, [2]),
    runEnvChild(t, { PMI_RANK: '0', PMI_SIZE: '5' }, [0]),
  ]);
  t.like(a.report.info, { rank: 2, worldSize: 4 });
  t.like(b.report.info, { rank: 0, worldSize: 5 });
  t.is(readRecords(a.file).length, 2);
  t.is(readRecords(b.file).length, 2);
});

test('a separate process with RANK=abc gets an error naming the variable from createLoggerContext', async (t) => {
  const { report, file } = await runEnvChild(t, { RANK: 'abc' }, -1);
  t.regex(report.envError ?? '', /^TypeError: ranklog: environment variable RANK is "abc"; it must be a non-negative integer/);
  t.regex(report.createError ?? '', /^TypeError: ranklog: environment variable RANK is "abc"; .*pass \{ rank \} to createLoggerContext/);
  t.is(report.rank, undefined);
  t.false(existsSync(file));
});

test('a separate process with SLURM_NTASKS=0x gets an error naming the variable', async (t) => {
  const { report } = await runEnvChild(t, { SLURM_PROCID: '0', SLURM_NTASKS: '0x' }, -1);
  t.regex(report.createError ?? '', /environment variable SLURM_NTASKS is "0x"/);
});

test("an explicit { rank } overrides the environment's rank", async (t) => {
  const { report, file } = await runEnvChild(t, { RANK: '3', WORLD_SIZE: '4' }, -1, 1);
  t.like(report, { rank: 1, recordsIn: 2 });
  t.true(readRecords(file).every((r) => r.rank === 1));
});

test("an explicit { rank } works even when the environment's RANK is garbage (the error message recommends exactly that)", async (t) => {
  const { report, file } = await runEnvChild(t, { RANK: 'abc' }, -1, 0);
  t.is(report.createError, undefined, `createLoggerContext({ rank: 0 }) failed: ${report.createError}`);
  t.like(report, { rank: 0, recordsIn: 2 });
  t.is(readRecords(file).length, 2);
});
