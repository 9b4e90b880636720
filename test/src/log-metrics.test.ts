/**
 * logMetrics(): several scalars in one call, as an object (Lightning's log_metrics, Accelerate's
 * log(dict)) or through a metricsHandle() with values in its order (no allocation per call).
 * Judged by what the recording backend's writer thread received.
 */
import test from 'ava';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { EmptyLogger, LoggersCollection } from '@ranklog/core';
import { OtherRecordingLogger, RecordingLogger, readRecords, startRecording, tempFile } from './support/recording-logger.js';

const scalars = (file: string) => readRecords(file).map((r) => [r.identifier, r.value, r.step, r.batchIdx]);

test('logMetrics({ loss, acc }, { step, batchIdx }) writes one metric record per key, in key order, with the call’s step and batchIdx', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'batch' });
  await startRecording(t, logger);
  logger.logMetrics({ loss: 0.5, acc: 0.75 }, { step: 3, batchIdx: 1 });
  logger.logMetrics({ 'val/loss': Number.NaN }, { step: 4 });
  await logger.destroyLoggerContext();
  t.deepEqual(scalars(file), [
    ['loss', 0.5, 3, 1],
    ['acc', 0.75, 3, 1],
    ['val/loss', 'NaN', 4, null],
  ]);
  t.true(readRecords(file).every((r) => r.kind === 'metric'));
});

test('logMetrics(handle, values): the fast variant logs the handle’s identifiers in order, from an array or a reused Float64Array', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'batch' });
  await startRecording(t, logger);
  const m = logger.metricsHandle(['loss', 'acc', 'lr']);
  t.deepEqual(m.identifiers, ['loss', 'acc', 'lr']);
  t.is(m.size, 3);
  const values = new Float64Array(3);
  for (let i = 0; i < 3; i++) {
    values[0] = i;
    values[1] = 10 + i;
    values[2] = 100 + i;
    logger.logMetrics(m, values, i, i);
  }
  logger.logMetrics(m, [7, 8, 9], 5);
  await logger.destroyLoggerContext();
  t.deepEqual(scalars(file), [
    ['loss', 0, 0, 0],
    ['acc', 10, 0, 0],
    ['lr', 100, 0, 0],
    ['loss', 1, 1, 1],
    ['acc', 11, 1, 1],
    ['lr', 101, 1, 1],
    ['loss', 2, 2, 2],
    ['acc', 12, 2, 2],
    ['lr', 102, 2, 2],
    ['loss', 7, 5, null],
    ['acc', 8, 5, null],
    ['lr', 9, 5, null],
  ]);
});

test('logMetrics follows each logger’s logFreq in a collection (one decision per call for the whole set)', async (t) => {
  const every = tempFile(t);
  const third = tempFile(t);
  const logger = new LoggersCollection([new RecordingLogger({ file: every, logFreq: 'batch' }), new OtherRecordingLogger({ file: third, logFreq: 3 })]);
  await startRecording(t, logger);
  const m = logger.metricsHandle(['a', 'b']);
  for (let b = 0; b < 7; b++) logger.logMetrics(m, [b, -b], b, b);
  logger.logMetrics({ a: 99 }, { step: 7 }); // epoch-level: every logFreq takes it
  await logger.destroyLoggerContext();
  t.is(readRecords(every).length, 15);
  t.deepEqual(
    readRecords(third).map((r) => [r.identifier, r.batchIdx]),
    [
      ['a', 0],
      ['b', 0],
      ['a', 3],
      ['b', 3],
      ['a', 6],
      ['b', 6],
      ['a', null],
    ],
  );
});

test('bad input to logMetrics throws an error naming the argument, the value and the fix, and writes nothing', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'batch' });
  await startRecording(t, logger);
  const m = logger.metricsHandle(['loss', 'acc']);
  const loose = logger as unknown as { logMetrics(...args: unknown[]): void };
  t.throws(() => loose.logMetrics({ loss: 1, acc: '0.5' }, { step: 1 }), { instanceOf: TypeError, message: /metrics\.acc is "0\.5".*pass a number/ });
  t.throws(() => loose.logMetrics({ loss: 1, '../x': 2 }), { instanceOf: TypeError, message: /identifier is "\.\.\/x"/ });
  t.throws(() => loose.logMetrics({ loss: 1 }, { stepp: 1 }), { message: /stepp.*step/ });
  t.throws(() => loose.logMetrics({ loss: 1 }, { step: 1.5 }), { instanceOf: TypeError, message: /step is 1\.5/ });
  t.throws(() => loose.logMetrics([1, 2]), { instanceOf: TypeError, message: /metrics is an array.*metricsHandle/ });
  t.throws(() => loose.logMetrics(m, [1]), { instanceOf: TypeError, message: /values is an array of length 1.*pass 2 numbers.*loss, acc/ });
  t.throws(() => loose.logMetrics(m, [1, 'x']), { instanceOf: TypeError, message: /values\[1\] \(acc\) is "x"/ });
  t.throws(() => loose.logMetrics(m, [1, 2], 0, -1), { instanceOf: TypeError, message: /batchIdx is -1/ });
  t.throws(() => logger.logMetrics(new EmptyLogger().metricsHandle(['loss']), [1]), { instanceOf: TypeError, message: /another logger or thread/ });
  t.throws(() => logger.metricsHandle([]), { instanceOf: TypeError, message: /identifiers is an array of length 0.*non-empty/ });
  t.throws(() => logger.metricsHandle(['a', 'a']), { instanceOf: TypeError, message: /identifiers\[1\] is "a".*twice/ });
  t.throws(() => logger.metricsHandle(['a', 'b/../c']), { instanceOf: TypeError, message: /identifier is "b\/\.\.\/c"/ });
  await logger.destroyLoggerContext();
  t.deepEqual(readRecords(file), []);
});

test('EmptyLogger takes logMetrics and metricsHandle and does nothing', async (t) => {
  const empty = new EmptyLogger();
  const m = empty.metricsHandle(['x']);
  t.notThrows(() => {
    empty.logMetrics(m, [1]);
    empty.logMetrics({ x: 1 });
  });
  t.is(m.size, 1);
});

test('a training worker_thread’s attached logger has logMetrics in both forms, with its rank’s automatic steps', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'batch', logOnWorkers: -1 });
  await startRecording(t, logger, { rank: 0, worldSize: 2 });
  const w = new Worker(new URL('./fixtures/attach-metrics-worker.js', import.meta.url), { workerData: { handle: logger.workerHandle(1) } });
  const [report] = (await once(w, 'message')) as [{ drained: boolean }];
  t.true(report.drained);
  logger.logMetrics({ loss: 5 }); // rank 0 counts on its own: step 0
  await logger.destroyLoggerContext();
  t.deepEqual(
    readRecords(file).map((r) => [r.rank, r.identifier, r.value, r.step, r.batchIdx]),
    [
      [1, 'loss', 0, 0, 0],
      [1, 'acc', 0, 0, 0],
      [1, 'loss', 1, 1, 1],
      [1, 'acc', -1, 1, 1],
      [1, 'loss', 2, 2, 2],
      [1, 'acc', -2, 2, 2],
      [1, 'loss', 9, 3, 3],
      [0, 'loss', 5, 0, null],
    ],
  );
});
