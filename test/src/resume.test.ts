/**
 * createLoggerContext({ runName, resume: { fromStep } }) after a crash: a first process logs and is
 * SIGKILLed, a second resumes from a checkpoint's step. Every backend's files read back whole and
 * in order: metrics.csv (a torn last line, as a kill mid-write leaves, is cut first), TensorBoard
 * (a new event file whose SessionLog START supersedes the first launch's steps from fromStep on),
 * MLflow's file store (the same run id, FINISHED).
 */
import test from 'ava';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFileLogger, LoggersCollection } from '@ranklog/core';
import { MLFlowLogger } from '@ranklog/mlflow';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { childEnv, runNode } from './support/child-process.js';
import { parseCsv } from './support/csv-parse.js';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';
import { uniqueRunName } from './support/recording-logger.js';
import { readRunDir, scalarOf } from './support/tb-decode.js';

const CHILD = new URL('./fixtures/resume-child.js', import.meta.url);
const FROM = 30;
const UNTIL = 60;

test('a run killed by SIGKILL resumes from a checkpoint step in local files, TensorBoard and MLflow, whole and in order', async (t) => {
  const savedir = mkdtempSync(join(tmpdir(), 'ranklog-resume-'));
  t.teardown(() => rmSync(savedir, { recursive: true, force: true }));
  const runName = uniqueRunName('resume');
  let flushed = -1;
  const end = await runNode(t, [CHILD.pathname, savedir, runName], childEnv({}), (all, child) => {
    const m = /^ready (\d+)$/m.exec(all);
    if (m && flushed < 0) {
      flushed = Number(m[1]);
      child.kill('SIGKILL');
    }
  });
  t.is(end.signal, 'SIGKILL');
  t.true(flushed >= 49);
  // A kill in the middle of a write leaves a torn line; the resumed launch must not glue onto it.
  appendFileSync(join(savedir, runName, 'metrics.csv'), '2026-01-01T00:00:00.000Z,0,loss,99');

  const logger = new LoggersCollection([
    new LocalFileLogger({ savedir, logFreq: 'batch' }),
    new TensorBoardLogger({ savedir, logFreq: 'batch' }),
    new MLFlowLogger({ savedir, trackingUri: join(savedir, 'mlflow'), experimentName: 'resume', logFreq: 'batch' }),
  ]);
  await logger.createLoggerContext({ rank: 0, runName, handleSignals: false, resume: { fromStep: FROM } });
  for (let s = FROM; s < UNTIL; s++) logger.log(s, 'loss', { step: s, batchIdx: 0 });
  await logger.destroyLoggerContext();

  // Local files: the first launch's rows (at least its flushed ones, in order), then the resumed rows; no torn line.
  const rows = parseCsv(readFileSync(join(savedir, runName, 'metrics.csv'), 'utf8'));
  t.deepEqual(rows[0], ['timestamp', 'rank', 'identifier', 'step', 'batch_idx', 'value']);
  t.true(rows.slice(1).every((r) => r.length === 6));
  const steps = rows.slice(1).map((r) => Number(r[3]));
  const firstLen = steps.length - (UNTIL - FROM);
  t.true(firstLen > flushed);
  t.deepEqual(
    steps.slice(0, firstLen),
    Array.from({ length: firstLen }, (_, i) => i),
  );
  t.deepEqual(
    steps.slice(firstLen),
    Array.from({ length: UNTIL - FROM }, (_, i) => FROM + i),
  );
  t.false(readFileSync(join(savedir, runName, 'metrics.csv'), 'utf8').includes(',99'));

  // TensorBoard: two files; read as TensorBoard does (a SessionLog START at step S drops what it read at S or later).
  const [run] = [...readRunDir(join(savedir, runName)).values()];
  t.is(run!.files.length, 2);
  const second = run!.files[1]!.events;
  t.deepEqual(
    second.slice(0, 2).map((e) => [e.what, e.step]),
    [
      ['file_version', 0],
      ['session_log', FROM],
    ],
  );
  let seen: number[] = [];
  for (const e of run!.events) {
    if (e.what === 'session_log') seen = seen.filter((s) => s < e.step);
    for (const v of e.summary?.values ?? []) if (v.tag === 'loss' && scalarOf(v) !== undefined) seen.push(e.step);
  }
  t.deepEqual(
    seen,
    Array.from({ length: UNTIL }, (_, i) => i),
  );

  // MLflow: one run, continued: the first launch's points then the resumed ones, FINISHED.
  const root = join(savedir, 'mlflow');
  const runs = runsIn(root, experimentIdsNamed(root, 'resume')[0]!);
  t.is(runs.length, 1);
  t.is(runs[0]!.status, 'FINISHED');
  const points = runs[0]!.metrics.get('loss')!.map((p) => p.step);
  t.deepEqual(
    points.slice(-(UNTIL - FROM)),
    Array.from({ length: UNTIL - FROM }, (_, i) => FROM + i),
  );
  t.true(points.length - (UNTIL - FROM) >= 1, 'the first launch delivered points before the kill');
});

test('MLflow: a finished run that is resumed is RUNNING again while the launch logs, in the same run, and FINISHED after', async (t) => {
  const savedir = mkdtempSync(join(tmpdir(), 'ranklog-resume-'));
  t.teardown(() => rmSync(savedir, { recursive: true, force: true }));
  const runName = uniqueRunName('again');
  const root = join(savedir, 'mlflow');
  const launch = async (resume: boolean, steps: number[], between?: () => void) => {
    const logger = new MLFlowLogger({ savedir, trackingUri: root, experimentName: 'resume', logFreq: 'batch' });
    await logger.createLoggerContext({ rank: 0, runName, handleSignals: false, ...(resume && { resume: true }) });
    for (const s of steps) logger.log(s, 'loss', { step: s, batchIdx: 0 });
    await logger.flush();
    between?.();
    await logger.destroyLoggerContext();
  };
  const only = () => {
    const runs = runsIn(root, experimentIdsNamed(root, 'resume')[0]!);
    t.is(runs.length, 1);
    return runs[0]!;
  };
  await launch(false, [0, 1]);
  const first = only();
  t.is(first.status, 'FINISHED');
  await launch(true, [2, 3], () => t.is(only().status, 'RUNNING'));
  const after = only();
  t.is(after.runId, first.runId);
  t.is(after.status, 'FINISHED');
  t.deepEqual(
    after.metrics.get('loss')!.map((p) => p.step),
    [0, 1, 2, 3],
  );
  t.true(Number(after.meta.end_time) >= Number(first.meta.end_time));
});

test("local files: run.json says running while a launch logs, then the launch's end; a resumed run is running again and keeps its creation time", async (t) => {
  const savedir = mkdtempSync(join(tmpdir(), 'ranklog-resume-'));
  t.teardown(() => rmSync(savedir, { recursive: true, force: true }));
  const runName = uniqueRunName('status');
  const runJson = () => JSON.parse(readFileSync(join(savedir, runName, 'run.json'), 'utf8')) as { status: string; created_at: string; ended_at?: string };
  const launch = async (resume: boolean, between: () => void) => {
    const logger = new LocalFileLogger({ savedir, logFreq: 'batch' });
    await logger.createLoggerContext({ rank: 0, runName, handleSignals: false, ...(resume && { resume: true }) });
    logger.log(1, 'loss', { step: resume ? 1 : 0, batchIdx: 0 });
    await logger.flush();
    between();
    await logger.destroyLoggerContext();
  };
  await launch(false, () => t.like(runJson(), { status: 'running' }));
  const first = runJson();
  t.is(first.status, 'finished');
  t.regex(first.ended_at ?? '', /^\d{4}-\d\d-\d\dT/);
  await launch(true, () => {
    t.is(runJson().status, 'running');
    t.false('ended_at' in runJson());
  });
  const after = runJson();
  t.is(after.status, 'finished');
  t.is(after.created_at, first.created_at, 'the run was created by the first launch');
});

test('resume without a run name, or a bad resume value, throws naming the option and the fix', async (t) => {
  const logger = new LocalFileLogger({ savedir: mkdtempSync(join(tmpdir(), 'ranklog-resume-')) });
  await t.throwsAsync(logger.createLoggerContext({ resume: true, handleSignals: false }), { message: /options\.resume is true.*pass runName/ });
  await t.throwsAsync(logger.createLoggerContext({ runName: 'r', resume: { fromStep: -1 }, handleSignals: false }), {
    message: /options\.resume\.fromStep is -1/,
  });
  await t.throwsAsync(logger.createLoggerContext({ runName: 'r', resume: 'yes' as never, handleSignals: false }), { message: /options\.resume is "yes"/ });
});
