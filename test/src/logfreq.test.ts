/**
 * logFreq (docs/architecture.md §1): 'epoch' logs only calls without batchIdx; 'batch'
 * logs every call; N logs batchIdx % N === 0 and calls without batchIdx.
 * The same rule through log(), the metric() fast path and non-metric kinds.
 */
import test, { type ExecutionContext } from 'ava';
import { NullLogger, type LogFreq } from '@ranklog/core';
import { RecordingLogger, readRecords, startRecording, tempFile } from './support/recording-logger.js';

const BATCHES = 12;

/**
 * Logs, for each path, BATCHES batch-level calls (batchIdx 0..11) and two
 * epoch-level calls (no batchIdx); returns the batchIdx (null = epoch call)
 * that reached the sink, per identifier.
 */
async function run(t: ExecutionContext, logFreq: LogFreq | undefined): Promise<Record<string, (number | null)[]>> {
  const file = tempFile(t);
  const logger = new RecordingLogger(logFreq === undefined ? { file } : { file, logFreq });
  await startRecording(t, logger);
  const h = logger.handle('fast');
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let b = 0; b < BATCHES; b++) {
      const step = epoch * BATCHES + b;
      logger.log(b / 10, 'log_metric', { step, batchIdx: b });
      logger.log(b / 10, 'log_metric_explicit', { kind: 'metric', step, batchIdx: b });
      logger.metric(h, b / 10, step, b);
      logger.log(`batch ${b}`, 'text', { kind: 'text', step, batchIdx: b });
      logger.log({ b }, 'dict', { kind: 'dict', step, batchIdx: b });
      logger.log([b, b + 1], 'hist', { kind: 'histogram', step, batchIdx: b });
    }
    logger.log(epoch, 'log_metric', { step: epoch });
    logger.log(epoch, 'log_metric_explicit', { kind: 'metric', step: epoch });
    logger.metric(h, epoch, epoch);
    logger.log(`epoch ${epoch}`, 'text', { kind: 'text', step: epoch });
    logger.log({ epoch }, 'dict', { kind: 'dict', step: epoch });
    logger.log([epoch], 'hist', { kind: 'histogram', step: epoch });
  }
  // Calls with neither step nor batchIdx are epoch-level too.
  logger.log(1, 'log_metric');
  logger.metric(h, 1);
  const stats = await logger.destroyLoggerContext();
  const byId: Record<string, (number | null)[]> = {};
  const records = readRecords(file);
  for (const r of records) (byId[r.identifier] ??= []).push(r.batchIdx);
  t.is(stats.recordsIn, records.length, 'recordsIn counts only the calls logFreq let through');
  return byId;
}

function expected(keep: (b: number) => boolean): { withTail: (number | null)[]; plain: (number | null)[] } {
  const epoch: (number | null)[] = [];
  for (let e = 0; e < 2; e++) {
    for (let b = 0; b < BATCHES; b++) if (keep(b)) epoch.push(b);
    epoch.push(null);
  }
  return { plain: epoch, withTail: [...epoch, null] };
}

function check(t: ExecutionContext, got: Record<string, (number | null)[]>, keep: (b: number) => boolean): void {
  const { plain, withTail } = expected(keep);
  t.deepEqual(got.log_metric, withTail, 'log() default kind');
  t.deepEqual(got.log_metric_explicit, plain, "log() with kind 'metric'");
  t.deepEqual(got.fast, withTail, 'metric() fast path');
  t.deepEqual(got.text, plain, 'text');
  t.deepEqual(got.dict, plain, 'dict');
  t.deepEqual(got.hist, plain, 'histogram');
}

test("logFreq 'epoch' logs only calls without batchIdx", async (t) => {
  check(t, await run(t, 'epoch'), () => false);
});

test("the default logFreq is 'epoch'", async (t) => {
  const file = tempFile(t);
  t.is(new RecordingLogger({ file }).logFreq, 'epoch');
  check(t, await run(t, undefined), () => false);
});

test("logFreq 'batch' logs every call", async (t) => {
  check(t, await run(t, 'batch'), () => true);
});

test('logFreq N logs calls with batchIdx % N === 0 and calls without batchIdx', async (t) => {
  check(t, await run(t, 4), (b) => b % 4 === 0);
});

test('logFreq 1 logs every call, like batch', async (t) => {
  check(t, await run(t, 1), () => true);
});

test('logFreq N larger than any batchIdx keeps batch 0 and the epoch calls', async (t) => {
  check(t, await run(t, 1000), (b) => b === 0);
});

test('the logFreq rule applies to saveHyperparameters params (no batchIdx: always logged)', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 5 });
  await startRecording(t, logger);
  logger.saveHyperparameters({ lr: 0.1 });
  logger.log('x', 'p', { kind: 'param', batchIdx: 3 });
  logger.log('y', 'p2', { kind: 'param', batchIdx: 10 });
  await logger.destroyLoggerContext();
  t.deepEqual(
    readRecords(file).map((r) => [r.identifier, r.item]),
    [
      ['lr', 0.1],
      ['p2', 'y'],
    ],
  );
});

test('large batchIdx values near the int32 limit follow the same rule', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 7 });
  await startRecording(t, logger);
  const max = 2 ** 31 - 1; // 2147483647 = 7 × 306783378 + 1
  t.is((max - 1) % 7, 0);
  const h = logger.handle('fast');
  for (const b of [max, max - 1, max - 2]) {
    logger.log(1, 'log', { batchIdx: b });
    logger.metric(h, 1, undefined, b);
  }
  await logger.destroyLoggerContext();
  t.deepEqual(
    readRecords(file).map((r) => [r.identifier, r.batchIdx]),
    [
      ['log', max - 1],
      ['fast', max - 1],
    ],
  );
});

const INVALID: [string, unknown, RegExp][] = [
  ['0', 0, /logFreq is 0;/],
  ['-3', -3, /logFreq is -3;/],
  ['1.5', 1.5, /logFreq is 1\.5;/],
  ["'sometimes'", 'sometimes', /logFreq is "sometimes";/],
  ['null', null, /logFreq is null;/],
  ['{}', {}, /logFreq is an object;/],
  ['NaN', NaN, /logFreq is NaN;/],
  ['Infinity', Infinity, /logFreq is Infinity;/],
  ["'Epoch' (case matters)", 'Epoch', /logFreq is "Epoch";/],
  ["'10' (a string)", '10', /logFreq is "10";/],
  ['[10]', [10], /logFreq is an array of length 1;/],
];

for (const [title, value, valuePart] of INVALID) {
  test(`logFreq ${title} throws at construction with the accepted values in the message`, (t) => {
    const error = t.throws(() => new RecordingLogger({ file: '/nonexistent/never-created.jsonl', logFreq: value as LogFreq }), {
      instanceOf: TypeError,
    });
    const message = error?.message ?? '';
    t.regex(message, /RecordingLogger option logFreq/, 'names the class and the option');
    t.regex(message, valuePart, 'names the value');
    t.regex(message, /'epoch'.*'batch'.*positive integer N/, 'lists the accepted values');
  });
}

test('logger options must be an object or nothing', (t) => {
  t.throws(() => new NullLogger(null as never), { instanceOf: TypeError, message: /NullLogger options is null; pass an object or nothing/ });
  t.throws(() => new NullLogger('batch' as never), { instanceOf: TypeError, message: /NullLogger options is "batch"; pass an object or nothing/ });
  t.is(new NullLogger().logFreq, 'epoch');
  t.is(new NullLogger({ logFreq: 'batch' }).logFreq, 'batch');
  t.is(new NullLogger({ logFreq: 10 }).logFreq, 10);
});

test("a call that logFreq excludes does no I/O: a model object's save() is not called", async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'epoch' });
  await startRecording(t, logger);
  const saved: string[] = [];
  const model = { save: (dir: string) => void saved.push(dir) };
  logger.log(model, 'checkpoint', { kind: 'model', batchIdx: 7 }); // excluded by 'epoch'
  t.deepEqual(saved, [], 'save() ran for a record that logFreq drops');
  logger.log(model, 'final', { kind: 'model' }); // taken
  t.is(saved.length, 1, 'save() ran once, for the taken call');
  await logger.destroyLoggerContext();
  t.deepEqual(
    readRecords(file).map((r) => r.identifier),
    ['final'],
  );
});
