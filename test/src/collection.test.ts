/**
 * Collections (docs/architecture.md §1, §4): fan-out with per-logger logFreq /
 * logOnWorkers / kinds, each record written once into the ring, same-class
 * rejection, unsupported kinds skipped per backend with one debug message
 * per identifier; EmptyLogger does nothing.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { EmptyLogger, LoggersCollection, NullLogger, onDiagnostic, type DiagLevel, type LoggerBase } from '@ranklog/core';
import { OtherRecordingLogger, RecordingLogger, readRecords, startRecording, tempFile } from './support/recording-logger.js';

function captureDiagnostics(t: ExecutionContext): [DiagLevel, string][] {
  const seen: [DiagLevel, string][] = [];
  t.teardown(onDiagnostic((level, message) => void seen.push([level, message])));
  return seen;
}

test.serial('EmptyLogger does nothing and starts nothing (no thread, no ring, no error before createLoggerContext)', async (t) => {
  await stat('.'); // warm up libuv's thread pool
  const threads = () => readdirSync('/proc/self/task').length;
  const before = threads();
  const logger: LoggerBase = new EmptyLogger();
  // No lifecycle errors: it is the placeholder for "logging is off".
  t.notThrows(() => logger.log(1, 'before_create'));
  await logger.createLoggerContext({ rank: 0 });
  const h = logger.handle('fast');
  logger.log(1, 'loss', { step: 1, batchIdx: 0 });
  logger.log('x', 'notes', { kind: 'text' });
  logger.metric(h, 1, 2, 3);
  logger.saveHyperparameters({ lr: 0.1 });
  await logger.flush();
  const stats = await logger.stats();
  t.deepEqual(stats, { recordsIn: 0, dropped: 0, afterClose: 0, rings: 0, ringBytes: 0, backends: [] });
  t.is(threads(), before, 'EmptyLogger must not start threads');
  t.is(logger.rank, undefined);
  const end = await logger.destroyLoggerContext();
  t.is(end.recordsIn, 0);
  t.deepEqual(end.backends, []);
  await t.notThrowsAsync(logger[Symbol.asyncDispose]());
});

test('a collection fans out; each logger applies its own logFreq and kinds', async (t) => {
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const a = new RecordingLogger({ file: fileA, logFreq: 'batch' });
  const b = new OtherRecordingLogger({ file: fileB, logFreq: 3, kinds: ['metric', 'param'] });
  const collection = new LoggersCollection([a, b]);
  t.deepEqual(collection.loggers, [a, b]);
  await startRecording(t, collection);
  const h = collection.handle('fast');
  for (let i = 0; i < 7; i++) {
    collection.log(i, 'loss', { step: i, batchIdx: i });
    collection.metric(h, i, i, i);
    collection.log(`batch ${i}`, 'notes', { kind: 'text', batchIdx: i });
  }
  collection.log(100, 'epoch_loss', { step: 0 });
  collection.saveHyperparameters({ lr: 0.1 });
  await collection.destroyLoggerContext();
  const summary = (file: string) => readRecords(file).map((r) => `${r.kind}:${r.identifier}:${r.batchIdx ?? '-'}`);
  const all = [0, 1, 2, 3, 4, 5, 6];
  t.deepEqual(summary(fileA), [...all.flatMap((i) => [`metric:loss:${i}`, `metric:fast:${i}`, `text:notes:${i}`]), 'metric:epoch_loss:-', 'param:lr:-']);
  t.deepEqual(summary(fileB), [...[0, 3, 6].flatMap((i) => [`metric:loss:${i}`, `metric:fast:${i}`]), 'metric:epoch_loss:-', 'param:lr:-']);
});

test('each record is written once into the ring: recordsIn counts calls that at least one backend took, not per backend', async (t) => {
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const collection = new LoggersCollection([new RecordingLogger({ file: fileA, logFreq: 2 }), new OtherRecordingLogger({ file: fileB, logFreq: 3 })]);
  await startRecording(t, collection);
  const h = collection.handle('fast');
  for (let b = 0; b < 12; b++) {
    collection.log(b, 'loss', { batchIdx: b });
    collection.metric(h, b, undefined, b);
    collection.log({ b }, 'cfg', { kind: 'dict', batchIdx: b });
  }
  // A takes 0,2,4,6,8,10; B takes 0,3,6,9; the union is 8 batches; 4 are taken by both.
  const stats = await collection.destroyLoggerContext();
  t.is(stats.rings, 1, 'one ring for the coordinator, shared by both backends');
  t.is(stats.recordsIn, 3 * 8, 'one record per call taken by anyone (not 3 × (6 + 4))');
  t.is(readRecords(fileA).length, 3 * 6);
  t.is(readRecords(fileB).length, 3 * 4);
  t.deepEqual(
    stats.backends.map((s) => [s.name, s.written]),
    [
      ['RecordingLogger', 18],
      ['OtherRecordingLogger', 12],
    ],
  );
});

test('each logger applies its own logOnWorkers: only the backends of this rank start', async (t) => {
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const collection = new LoggersCollection([
    new RecordingLogger({ file: fileA, logOnWorkers: -1 }),
    new OtherRecordingLogger({ file: fileB, logOnWorkers: 0 }),
  ]);
  await startRecording(t, collection, { rank: 1 });
  collection.log(1, 'loss');
  const handle = collection.workerHandle(0); // a rank both backends take
  t.truthy(handle.ringSab);
  const stats = await collection.stats();
  t.is(stats.rings, 2);
  t.is(stats.backends.length, 2, 'B started for the worker of rank 0');
  await collection.destroyLoggerContext();
  t.deepEqual(
    readRecords(fileA).map((r) => [r.rank, r.identifier]),
    [[1, 'loss']],
  );
  t.deepEqual(readRecords(fileB), [], 'B does not log rank 1');
});

test('a collection on a rank where no member logs starts nothing', async (t) => {
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const collection = new LoggersCollection([
    new RecordingLogger({ file: fileA, logOnWorkers: [0, 1] }),
    new OtherRecordingLogger({ file: fileB, logOnWorkers: 0 }),
  ]);
  await startRecording(t, collection, { rank: 2 });
  collection.log(1, 'loss');
  collection.log('x', 'notes', { kind: 'text' });
  const stats = await collection.destroyLoggerContext();
  t.like(stats, { recordsIn: 0, rings: 0, backends: [] });
  t.false(existsSync(fileA));
  t.false(existsSync(fileB));
});

test('logging through one member of a collection reaches only that backend', async (t) => {
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const a = new RecordingLogger({ file: fileA });
  const b = new OtherRecordingLogger({ file: fileB });
  const collection = new LoggersCollection([a, b]);
  await startRecording(t, collection);
  a.log(1, 'only_a');
  b.log('text', 'only_b', { kind: 'text' });
  b.metric(b.handle('only_b_fast'), 2);
  collection.log(3, 'both');
  const stats = await collection.destroyLoggerContext();
  t.deepEqual(
    readRecords(fileA).map((r) => r.identifier),
    ['only_a', 'both'],
  );
  t.deepEqual(
    readRecords(fileB).map((r) => r.identifier),
    ['only_b', 'only_b_fast', 'both'],
  );
  t.is(stats.recordsIn, 4);
});

test('two loggers of the same class in one collection are rejected with a clear error', (t) => {
  const error = t.throws(
    () =>
      new LoggersCollection([
        new RecordingLogger({ file: '/nonexistent/a' }),
        new OtherRecordingLogger({ file: '/nonexistent/b' }),
        new RecordingLogger({ file: '/nonexistent/c' }),
      ]),
    { instanceOf: TypeError },
  );
  t.regex(error?.message ?? '', /loggers\[2\] is a RecordingLogger;/, 'names the argument and the value');
  t.regex(error?.message ?? '', /already has a RecordingLogger; two loggers of the same class would write the same run twice/, 'says why');
  t.regex(error?.message ?? '', /Keep one/, 'says what to do');
  t.throws(() => new LoggersCollection([new NullLogger(), new NullLogger({ logFreq: 'batch' })]), {
    instanceOf: TypeError,
    message: /loggers\[1\] is a NullLogger; the collection already has a NullLogger/,
  });
});

test('a collection rejects entries that are not backend loggers', (t) => {
  t.throws(() => new LoggersCollection('console' as never), { instanceOf: TypeError, message: /loggers is "console"; pass an array of loggers/ });
  t.throws(() => new LoggersCollection(undefined as never), { instanceOf: TypeError, message: /loggers is undefined; pass an array of loggers/ });
  t.throws(() => new LoggersCollection([{} as never]), { instanceOf: TypeError, message: /loggers\[0\] is an object; each entry must be a backend logger/ });
  const inner = new LoggersCollection([new NullLogger()]);
  t.throws(() => new LoggersCollection([inner as never]), { instanceOf: TypeError, message: /loggers\[0\] is a LoggersCollection; .*collections do not nest/ });
  t.throws(() => new LoggersCollection([new EmptyLogger() as never]), {
    instanceOf: TypeError,
    message: /loggers\[0\] is an EmptyLogger|loggers\[0\] is a EmptyLogger/,
  });
});

test('a kind a backend does not support is skipped by that backend only, with one debug message per identifier', async (t) => {
  const seen = captureDiagnostics(t);
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const collection = new LoggersCollection([
    new RecordingLogger({ file: fileA, kinds: ['metric'], logFreq: 'batch' }),
    new OtherRecordingLogger({ file: fileB, logFreq: 'batch' }),
  ]);
  await startRecording(t, collection);
  const texts = ['coll_skip_notes', 'coll_skip_notes', 'coll_skip_notes', 'coll_skip_other'];
  for (const [i, id] of texts.entries()) collection.log(`text ${i}`, id, { kind: 'text', batchIdx: i });
  collection.log({ a: 1 }, 'coll_skip_cfg', { kind: 'dict' });
  collection.log({ a: 2 }, 'coll_skip_cfg', { kind: 'dict' });
  collection.log([1, 2, 3], 'coll_skip_hist', { kind: 'histogram' });
  collection.log(0.5, 'coll_skip_loss'); // a metric: both take it
  const stats = await collection.destroyLoggerContext();

  t.deepEqual(
    readRecords(fileA).map((r) => r.identifier),
    ['coll_skip_loss'],
  );
  t.deepEqual(
    readRecords(fileB).map((r) => r.identifier),
    [...texts, 'coll_skip_cfg', 'coll_skip_cfg', 'coll_skip_hist', 'coll_skip_loss'],
  );
  t.is(stats.recordsIn, 8, 'records B alone takes are still written once');
  const debugs = seen.filter(([level, m]) => level === 'debug' && m.includes('coll_skip_'));
  t.deepEqual(debugs, [
    ['debug', "RecordingLogger does not support kind 'text'; skipping 'coll_skip_notes' on that backend"],
    ['debug', "RecordingLogger does not support kind 'text'; skipping 'coll_skip_other' on that backend"],
    ['debug', "RecordingLogger does not support kind 'dict'; skipping 'coll_skip_cfg' on that backend"],
    ['debug', "RecordingLogger does not support kind 'histogram'; skipping 'coll_skip_hist' on that backend"],
  ]);
  t.false(
    seen.some(([level, m]) => level === 'warn' && m.includes('coll_skip_')),
    'a debug message, not a warning',
  );
});

test('a kind no backend supports is skipped by all, never a crash, one debug message per backend and identifier', async (t) => {
  const seen = captureDiagnostics(t);
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const collection = new LoggersCollection([
    new RecordingLogger({ file: fileA, kinds: ['metric'] }),
    new OtherRecordingLogger({ file: fileB, kinds: ['metric', 'text'] }),
  ]);
  await startRecording(t, collection);
  for (let i = 0; i < 3; i++) t.notThrows(() => collection.log({ i }, 'none_take_cfg', { kind: 'dict' }));
  const stats = await collection.destroyLoggerContext();
  t.is(stats.recordsIn, 0, 'nothing was written into the ring');
  t.deepEqual(readRecords(fileA), []);
  t.deepEqual(readRecords(fileB), []);
  t.deepEqual(
    seen.filter(([, m]) => m.includes('none_take_cfg')),
    [
      ['debug', "RecordingLogger does not support kind 'dict'; skipping 'none_take_cfg' on that backend"],
      ['debug', "OtherRecordingLogger does not support kind 'dict'; skipping 'none_take_cfg' on that backend"],
    ],
  );
});

test('a single logger skips a kind it does not support with one debug message per identifier', async (t) => {
  const seen = captureDiagnostics(t);
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, kinds: ['text'] });
  await startRecording(t, logger);
  logger.log('kept', 'single_skip_text', { kind: 'text' });
  for (let i = 0; i < 3; i++) t.notThrows(() => logger.log(i, 'single_skip_loss'));
  t.notThrows(() => logger.log(1, 'single_skip_loss', { kind: 'metric' }));
  t.notThrows(() => logger.log([1], 'single_skip_hist', { kind: 'histogram' }));
  await logger.destroyLoggerContext();
  t.deepEqual(
    readRecords(file).map((r) => r.identifier),
    ['single_skip_text'],
  );
  t.deepEqual(
    seen.filter(([, m]) => m.includes('single_skip_')),
    [
      ['debug', "RecordingLogger does not support kind 'metric'; skipping 'single_skip_loss' on that backend"],
      ['debug', "RecordingLogger does not support kind 'histogram'; skipping 'single_skip_hist' on that backend"],
    ],
  );
});

test('the metric() fast path also skips a backend without metrics, with one debug message per identifier', async (t) => {
  const seen = captureDiagnostics(t);
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const collection = new LoggersCollection([new RecordingLogger({ file: fileA, kinds: ['text'] }), new OtherRecordingLogger({ file: fileB })]);
  await startRecording(t, collection);
  const h = collection.handle('fast_skip_metric');
  for (let i = 0; i < 3; i++) t.notThrows(() => collection.metric(h, i, i));
  await collection.destroyLoggerContext();
  t.deepEqual(readRecords(fileA), []);
  t.is(readRecords(fileB).length, 3);
  t.deepEqual(
    seen.filter(([, m]) => m.includes('fast_skip_metric')),
    [['debug', "RecordingLogger does not support kind 'metric'; skipping 'fast_skip_metric' on that backend"]],
  );
});

test("collection.supportedKinds is the union of its members' kinds", (t) => {
  const c = new LoggersCollection([
    new RecordingLogger({ file: '/nonexistent/a', kinds: ['metric', 'text'] }),
    new OtherRecordingLogger({ file: '/nonexistent/b', kinds: ['text', 'image'] }),
  ]);
  t.deepEqual([...c.supportedKinds].sort(), ['image', 'metric', 'text']);
});

test('a collection takes at most 16 loggers (RangeError with the count)', (t) => {
  const make = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const name = `Rec${i}`;
      const C = { [name]: class extends RecordingLogger {} }[name]!;
      return new C({ file: `/nonexistent/${i}` });
    });
  t.notThrows(() => new LoggersCollection(make(16)));
  t.throws(() => new LoggersCollection(make(17)), {
    instanceOf: RangeError,
    message: /loggers is an array of length 17; a collection takes at most 16 loggers, not 17/,
  });
});
