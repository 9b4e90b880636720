/**
 * Automatic steps: a call without a step gets its identifier's next step on its rank, 0, 1, 2, …,
 * counted before logFreq, so every backend writes the same step for the same call — read back
 * from each backend's own files (metrics.csv, event files, MLflow's file store, W&B's log).
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoggersCollection } from '@ranklog/core';
import { everyBackend, localSteps, mlflowSteps, tensorboardSteps, wandbSteps } from './support/every-backend.js';
import { RecordingLogger, readRecords, tempFile, uniqueRunName } from './support/recording-logger.js';

test('every backend writes the same automatic steps, whatever its logFreq keeps', async (t) => {
  const savedir = mkdtempSync(join(tmpdir(), 'ranklog-autostep-'));
  t.teardown(() => rmSync(savedir, { recursive: true, force: true }));
  const runName = uniqueRunName('steps');
  // Local and W&B keep every batch; TensorBoard and MLflow every second one.
  const logger = new LoggersCollection(everyBackend(savedir, { tb: 2, mlflow: 2 }));
  await logger.createLoggerContext({ runName, handleSignals: false, rank: 0 });
  const h = logger.handle('fast');
  const m = logger.metricsHandle(['a', 'b']);
  for (let b = 0; b < 4; b++) {
    logger.log(b, 'general', { batchIdx: b });
    logger.metric(h, b, undefined, b);
    logger.logMetrics(m, [b, b], undefined, b);
    logger.logMetrics({ dict: b }, { batchIdx: b });
  }
  logger.log(1, 'mixed', { step: 10, batchIdx: 0 }); // explicit steps do not move the count
  logger.log(2, 'mixed', { batchIdx: 0 });
  await logger.destroyLoggerContext();

  const all = { general: [0, 1, 2, 3], fast: [0, 1, 2, 3], a: [0, 1, 2, 3], b: [0, 1, 2, 3], dict: [0, 1, 2, 3], mixed: [10, 0] };
  const even = { general: [0, 2], fast: [0, 2], a: [0, 2], b: [0, 2], dict: [0, 2], mixed: [10, 0] };
  t.deepEqual(localSteps(savedir, runName), all, 'metrics.csv');
  t.deepEqual(wandbSteps(savedir), all, 'W&B rows');
  t.deepEqual(tensorboardSteps(savedir, runName), even, 'TensorBoard');
  t.deepEqual(mlflowSteps(savedir), even, 'MLflow');
});

test('automatic steps count per identifier and per rank; params, artifacts and datasets get none; series kinds do', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'batch', logOnWorkers: -1 });
  t.teardown(() => logger[Symbol.asyncDispose]());
  await logger.createLoggerContext({ runName: uniqueRunName('s'), handleSignals: false, rank: 0, worldSize: 2 });
  logger.log(1, 'x');
  logger.log(1, 'y');
  logger.log(1, 'x');
  logger.log('a', 'note', { kind: 'text' });
  logger.log('b', 'note', { kind: 'text' });
  logger.log([1, 2], 'h', { kind: 'histogram' });
  logger.log(3, 'lr', { kind: 'param' });
  t.throws(() => logger.log({ bad: 1n }, 'd', { kind: 'dict' })); // a refused item takes no step
  logger.log({ ok: 1 }, 'd', { kind: 'dict' });
  await logger.destroyLoggerContext();
  t.deepEqual(
    readRecords(file).map((r) => [r.identifier, r.step]),
    [
      ['x', 0],
      ['y', 0],
      ['x', 1],
      ['note', 0],
      ['note', 1],
      ['h', 0],
      ['lr', null],
      ['d', 0],
    ],
  );
});
