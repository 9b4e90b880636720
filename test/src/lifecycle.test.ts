/**
 * Lifecycle semantics (docs/architecture.md §1): not-initialized errors, double
 * initialisation, the scoped helper, `await using`, destroy's stats, flush.
 */
import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EmptyLogger, LoggersCollection, NullLogger, onDiagnostic, startLogging, type DiagLevel, type LoggerBase } from '@ranklog/core';
import { OtherRecordingLogger, RecordingLogger, readRecords, startRecording, tempFile, uniqueRunName } from './support/recording-logger.js';

/** The not-initialized error: names the class and the method, and tells to call createLoggerContext or use startLogging. */
function notInitialized(cls: string, method: string) {
  return {
    instanceOf: Error,
    message: new RegExp(`${cls}\\.${method}\\(\\).*createLoggerContext\\(\\)[\\s\\S]*startLogging`),
  };
}

/** Every entry point must throw the not-initialized error; the async ones must reject with it. */
async function assertAllNotInitialized(t: ExecutionContext, logger: LoggerBase, cls: string): Promise<void> {
  // A handle made by another logger's live context (MetricHandle has no public constructor).
  const other = new NullLogger();
  await other.createLoggerContext({ runName: uniqueRunName('other'), handleSignals: false });
  const foreign = other.handle('loss');
  await other.destroyLoggerContext();
  t.throws(() => logger.log(1, 'loss'), notInitialized(cls, 'log'));
  t.throws(() => logger.log('x', 'note', { kind: 'text', step: 1 }), notInitialized(cls, 'log'));
  t.throws(() => logger.saveHyperparameters({ lr: 0.1 }), notInitialized(cls, 'saveHyperparameters'));
  t.throws(() => logger.handle('loss'), notInitialized(cls, 'handle'));
  t.throws(() => logger.metric(foreign, 1), notInitialized(cls, 'metric'));
  t.throws(() => logger.workerHandle(1), notInitialized(cls, 'workerHandle'));
  // destroy/flush/stats are async: they must reject (a synchronous throw would also fail throwsAsync's contract).
  await t.throwsAsync(async () => logger.destroyLoggerContext(), notInitialized(cls, 'destroyLoggerContext'));
  await t.throwsAsync(async () => logger.flush(), notInitialized(cls, 'flush'));
  await t.throwsAsync(async () => logger.stats(), notInitialized(cls, 'stats'));
}

function captureDiagnostics(t: ExecutionContext): [DiagLevel, string][] {
  const seen: [DiagLevel, string][] = [];
  t.teardown(onDiagnostic((level, message) => void seen.push([level, message])));
  return seen;
}

test('every method before createLoggerContext throws an Error naming the class and telling to call createLoggerContext', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  await assertAllNotInitialized(t, logger, 'RecordingLogger');
  // The class name is the real class, not a constant.
  await assertAllNotInitialized(t, new OtherRecordingLogger({ file }), 'OtherRecordingLogger');
  await assertAllNotInitialized(t, new LoggersCollection([new RecordingLogger({ file })]), 'LoggersCollection');
  t.is(logger.rank, undefined);
  t.is(logger.runName, undefined);
  t.false(existsSync(file), 'nothing may be started before createLoggerContext');
});

test('every method after destroyLoggerContext throws the not-initialized error again', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  await startRecording(t, logger);
  logger.log(1, 'before_destroy');
  const handle = logger.handle('fast');
  await logger.destroyLoggerContext();
  await assertAllNotInitialized(t, logger, 'RecordingLogger');
  // A handle made while the context was open is dead too.
  t.throws(() => logger.metric(handle, 2), notInitialized('RecordingLogger', 'metric'));
  t.deepEqual(
    readRecords(file).map((r) => r.identifier),
    ['before_destroy'],
  );
});

test('a second createLoggerContext warns "Trying to initialize <Class> twice.. Skipping initialization." and does nothing', async (t) => {
  const seen = captureDiagnostics(t);
  const file = tempFile(t);
  const logger = new OtherRecordingLogger({ file, logOnWorkers: -1 });
  const runName = uniqueRunName('first');
  await startRecording(t, logger, { runName, rank: 0 });
  const statsBefore = await logger.stats();

  await logger.createLoggerContext({ runName: uniqueRunName('second'), rank: 3, handleSignals: false });

  const warnings = seen.filter(([level, m]) => level === 'warn' && m.includes('OtherRecordingLogger'));
  t.deepEqual(warnings, [['warn', 'Trying to initialize OtherRecordingLogger twice.. Skipping initialization.']]);
  t.is(logger.runName, runName, 'the second call must not replace the context');
  t.is(logger.rank, 0);
  const statsAfter = await logger.stats();
  t.is(statsAfter.rings, statsBefore.rings, 'no new ring');
  t.is(statsAfter.backends.length, statsBefore.backends.length, 'no new writer thread');
  logger.log(5, 'after_second_init', { step: 1 });
  await logger.destroyLoggerContext();
  const records = readRecords(file);
  t.is(records.length, 1);
  t.is(records[0]!.rank, 0, "still logging as the first context's rank");
  // The first destroy ended the only context: nothing is left open.
  await t.throwsAsync(async () => logger.destroyLoggerContext(), notInitialized('OtherRecordingLogger', 'destroyLoggerContext'));
});

test('a second createLoggerContext while the first is still starting also only warns', async (t) => {
  const seen = captureDiagnostics(t);
  const file = tempFile(t);
  const logger = new LoggersCollection([new RecordingLogger({ file })]);
  t.teardown(() => logger[Symbol.asyncDispose]());
  const first = logger.createLoggerContext({ runName: uniqueRunName('a'), handleSignals: false });
  const second = logger.createLoggerContext({ runName: uniqueRunName('b'), handleSignals: false });
  await Promise.all([first, second]);
  t.deepEqual(
    seen.filter(([, m]) => m.includes('LoggersCollection')),
    [['warn', 'Trying to initialize LoggersCollection twice.. Skipping initialization.']],
  );
  const stats = await logger.stats();
  t.is(stats.rings, 1);
  t.is(stats.backends.length, 1);
});

test("startLogging destroys when the body throws; the body's error propagates; log() then throws not-initialized", async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  t.teardown(() => logger[Symbol.asyncDispose]());
  const boom = new Error('boom from the training loop');
  const error = await t.throwsAsync(
    startLogging(
      logger,
      async () => {
        logger.log(1, 'in_body', { step: 0 });
        logger.log('written before the crash', 'in_body_text', { kind: 'text' });
        await new Promise((r) => setTimeout(r, 5));
        throw boom;
      },
      { runName: uniqueRunName('scoped'), handleSignals: false },
    ),
  );
  t.is(error, boom, "the body's own error, not a wrapper");
  t.throws(() => logger.log(1, 'after'), notInitialized('RecordingLogger', 'log'));
  // destroy flushed what the body logged.
  t.deepEqual(
    readRecords(file).map((r) => [r.kind, r.identifier]),
    [
      ['metric', 'in_body'],
      ['text', 'in_body_text'],
    ],
  );
});

test('startLogging destroys when a synchronous body throws', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  t.teardown(() => logger[Symbol.asyncDispose]());
  const error = await t.throwsAsync(
    startLogging(
      logger,
      () => {
        logger.log(2, 'sync_body');
        throw new RangeError('sync boom');
      },
      { runName: uniqueRunName('scoped-sync'), handleSignals: false },
    ),
    { instanceOf: RangeError, message: 'sync boom' },
  );
  t.truthy(error);
  t.throws(() => logger.log(1, 'after'), notInitialized('RecordingLogger', 'log'));
  t.deepEqual(
    readRecords(file).map((r) => r.identifier),
    ['sync_body'],
  );
});

test("startLogging returns the body's value and destroys on success", async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  t.teardown(() => logger[Symbol.asyncDispose]());
  const result = await startLogging(
    logger,
    async () => {
      for (let i = 0; i < 3; i++) logger.log(i, 'epoch_loss', { step: i });
      return 'trained';
    },
    { runName: uniqueRunName('scoped-ok'), handleSignals: false },
  );
  t.is(result, 'trained');
  t.throws(() => logger.log(1, 'after'), notInitialized('RecordingLogger', 'log'));
  t.deepEqual(
    readRecords(file).map((r) => r.step),
    [0, 1, 2],
  );
});

test('await using destroys the context at the end of the block', async (t) => {
  const file = tempFile(t);
  let outer: RecordingLogger | undefined;
  {
    await using logger = new RecordingLogger({ file });
    outer = logger;
    await logger.createLoggerContext({ runName: uniqueRunName('using'), handleSignals: false });
    logger.log(42, 'using_metric', { step: 3 });
  }
  t.throws(() => outer!.log(1, 'after'), notInitialized('RecordingLogger', 'log'));
  const records = readRecords(file);
  t.is(records.length, 1, 'the dispose flushed the record');
  t.like(records[0], { kind: 'metric', identifier: 'using_metric', step: 3, value: 42 });
});

test('Symbol.asyncDispose on a logger that was never started is a no-op', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  await t.notThrowsAsync(logger[Symbol.asyncDispose]());
  t.false(existsSync(file));
  const empty = new EmptyLogger();
  await t.notThrowsAsync(empty[Symbol.asyncDispose]());
});

test('destroyLoggerContext resolves with stats whose recordsIn matches what was logged', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'epoch' });
  await startRecording(t, logger);
  for (let i = 0; i < 5; i++) logger.log(i / 10, 'loss', { step: i });
  const h = logger.handle('acc');
  logger.metric(h, 0.5, 1);
  logger.metric(h, 0.6, 2);
  logger.log('a note', 'notes', { kind: 'text' });
  logger.saveHyperparameters({ lr: 0.01, opt: { name: 'adam' } });
  // Excluded by logFreq 'epoch' (they carry a batchIdx): not records.
  logger.log(9, 'loss_batch', { batchIdx: 0 });
  logger.metric(h, 0.7, 3, 4);
  const stats = await logger.destroyLoggerContext();
  const expected = 5 + 2 + 1 + 2;
  t.is(stats.recordsIn, expected);
  t.is(stats.dropped, 0);
  t.is(stats.rings, 1);
  t.is(stats.backends.length, 1);
  t.like(stats.backends[0], { name: 'RecordingLogger', written: expected, failed: 0, dropped: 0, recorded: expected });
  t.is(readRecords(file).length, expected);
});

test('flush() makes everything logged before it visible to the sink before destroy', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'batch' });
  await startRecording(t, logger, { pollMs: 60_000 }); // the writer would not look on its own for a minute
  for (let i = 0; i < 3; i++) logger.log(i, 'loss', { step: i, batchIdx: i });
  await logger.flush();
  t.deepEqual(
    readRecords(file).map((r) => r.batchIdx),
    [0, 1, 2],
  );
  logger.log('two more', 'text', { kind: 'text' });
  logger.metric(logger.handle('fast'), 7);
  await logger.flush();
  t.deepEqual(
    readRecords(file).map((r) => r.identifier),
    ['loss', 'loss', 'loss', 'text', 'fast'],
  );
  t.is((await logger.stats()).recordsIn, 5);
});

test('records arrive with the rank, identifier, step, batchIdx and a wall-clock time of the call', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'batch', logOnWorkers: 4 });
  await startRecording(t, logger, { rank: 4 });
  const t0 = Date.now();
  logger.log(0.25, 'train/loss', { step: 10, batchIdx: 3 });
  await new Promise((r) => setTimeout(r, 60));
  logger.log('hello', 'notes/first', { kind: 'text', step: 11 });
  const t1 = Date.now();
  await logger.destroyLoggerContext();
  const [a, b] = readRecords(file);
  t.like(a, { kind: 'metric', rank: 4, identifier: 'train/loss', step: 10, batchIdx: 3, value: 0.25, item: 0.25 });
  t.like(b, { kind: 'text', rank: 4, identifier: 'notes/first', step: 11, batchIdx: null, value: 'NaN', item: 'hello' });
  // The shared clock is coarse (a thread refreshes it about every ms): allow it to lag under load, never to run ahead.
  t.true(a!.timeMs >= t0 - 100 && a!.timeMs <= t1 + 2, `timeMs ${a!.timeMs} within [${t0}, ${t1}]`);
  t.true(b!.timeMs >= t0 - 100 && b!.timeMs <= t1 + 2, `timeMs ${b!.timeMs} within [${t0}, ${t1}]`);
  t.true(b!.timeMs - a!.timeMs >= 40, `the second call was ~60 ms later, got ${b!.timeMs - a!.timeMs} ms`);
});

test('a backend that fails to start rejects createLoggerContext and leaves the logger uninitialized', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file: `${file}.missing-dir/records.jsonl` });
  t.teardown(() => logger[Symbol.asyncDispose]());
  await t.throwsAsync(logger.createLoggerContext({ runName: uniqueRunName('fail'), handleSignals: false }), { message: /ENOENT/ });
  t.throws(() => logger.log(1, 'x'), notInitialized('RecordingLogger', 'log'));
  t.is(logger.rank, undefined);
});

test('a collection member cannot be destroyed on its own; the collection destroys all', async (t) => {
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const a = new RecordingLogger({ file: fileA });
  const b = new OtherRecordingLogger({ file: fileB });
  const collection = new LoggersCollection([a, b]);
  await startRecording(t, collection);
  await t.throwsAsync(async () => a.destroyLoggerContext(), { message: /RecordingLogger belongs to a collection; destroy the collection/ });
  collection.log(1, 'still_open');
  await collection.destroyLoggerContext();
  t.throws(() => a.log(1, 'x'), notInitialized('RecordingLogger', 'log'));
  t.throws(() => b.log(1, 'x'), notInitialized('OtherRecordingLogger', 'log'));
  t.is(readRecords(fileA).length, 1);
  t.is(readRecords(fileB).length, 1);
});

test('createLoggerContext rejects bad options with the argument, the value and a fix', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  t.teardown(() => logger[Symbol.asyncDispose]());
  const base = { handleSignals: false } as const;
  await t.throwsAsync(logger.createLoggerContext({ ...base, rank: -1 }), {
    instanceOf: TypeError,
    message: /options\.rank is -1; pass a non-negative integer/,
  });
  await t.throwsAsync(logger.createLoggerContext({ ...base, rank: 1.5 }), {
    instanceOf: TypeError,
    message: /options\.rank is 1\.5; pass a non-negative integer/,
  });
  await t.throwsAsync(logger.createLoggerContext({ ...base, worldSize: 0 }), {
    instanceOf: TypeError,
    message: /options\.worldSize is 0; pass a positive integer/,
  });
  await t.throwsAsync(logger.createLoggerContext({ ...base, runName: '../escape' }), {
    instanceOf: TypeError,
    message: /options\.runName is "\.\.\/escape"; use 1 to 200 letters/,
  });
  await t.throwsAsync(logger.createLoggerContext({ ...base, runName: uniqueRunName('p'), pollMs: 0 }), {
    instanceOf: RangeError,
    message: /pollMs is 0; use a number of milliseconds/,
  });
  await t.throwsAsync(logger.createLoggerContext({ ...base, runName: uniqueRunName('p'), fullRingPolicy: 'drop-oldest' as never }), {
    instanceOf: TypeError,
    message: /fullRingPolicy is "drop-oldest"; use 'wait'/,
  });
  await t.throwsAsync(logger.createLoggerContext(null as never), { instanceOf: TypeError, message: /options is null; pass an object/ });
  t.throws(() => logger.log(1, 'x'), notInitialized('RecordingLogger', 'log'));
  t.false(existsSync(file), 'a rejected createLoggerContext starts nothing');
});

test('a backend declaring a kind outside the vocabulary is a TypeError at createLoggerContext', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, kinds: ['metric', 'tensor' as never] });
  t.teardown(() => logger[Symbol.asyncDispose]());
  await t.throwsAsync(logger.createLoggerContext({ runName: uniqueRunName('k'), handleSignals: false }), {
    instanceOf: TypeError,
    message: /RecordingLogger\.supportedKinds has unknown kind 'tensor'/,
  });
  t.throws(() => logger.log(1, 'x'), notInitialized('RecordingLogger', 'log'));
});

test('overlapping control calls on one writer (workerHandle + stats/flush) do not let the process exit before they answer', async (t) => {
  const file = tempFile(t);
  const fixture = fileURLToPath(new URL('./fixtures/overlapping-calls.js', import.meta.url));
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [fixture, file], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
  t.is(result.code, 0, `the process ended early (exit code 13 = a top-level await never settled): ${result.stderr}`);
  t.is(result.stdout.trim(), 'done 20 20');
  t.is(readRecords(file).length, 20);
});
