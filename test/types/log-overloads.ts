/**
 * Compiled by typed-log.test.ts with `tsc --noEmit` (strict, NodeNext, exactOptionalPropertyTypes):
 * every call below a `@ts-expect-error` line must fail to compile, every other call must compile.
 * Not part of the test build: a removed overload would make that build pass silently.
 */
import { attachLogger, EmptyLogger, LocalFileLogger, type Kind, type WorkerHandle } from '@ranklog/core';

const logger = new LocalFileLogger();
const pixels = new Uint8Array(2 * 2 * 3);

// Calls that must compile.
logger.log(0.25, 'loss');
logger.log(0.25, 'loss', { step: 1, batchIdx: 2 });
logger.log(0.25, 'loss', { kind: 'metric', step: 1 });
logger.log(3e-4, 'lr', { kind: 'param' });
logger.log(null, 'seed', { kind: 'param' });
logger.log('hello', 'notes', { kind: 'text' });
logger.log({ a: [1, 2] }, 'cfg', { kind: 'dict' });
logger.log('./model', 'model', { kind: 'model' });
logger.log({ save: (_dir: string) => undefined }, 'model', { kind: 'model' });
logger.log({ data: pixels, width: 2, height: 2, channels: 3 }, 'img', { kind: 'image' });
logger.log(pixels, 'img', { kind: 'image' });
logger.log('<svg/>', 'fig', { kind: 'figure' });
logger.log(new Float32Array(4), 'weights', { kind: 'histogram' });
logger.log({ name: 'iris', digest: 'abc', source: 'npm' }, 'data', { kind: 'dataset' });
logger.logMetrics({ loss: 1, acc: 0.5 }, { step: 1, batchIdx: 0 });
logger.logMetrics(logger.metricsHandle(['loss', 'acc']), new Float64Array(2), 1, 0);
const anyKind: Kind = 'text' as Kind;
logger.log('x' as string | number, 'k', { kind: anyKind });
new EmptyLogger().log('x', 'k', { kind: 'text' });
attachLogger({} as WorkerHandle).log(1, 'loss', { step: 1 });

// Calls that must not compile.
// @ts-expect-error a string is not a metric, and the default kind is 'metric'
logger.log('oops', 'loss');
// @ts-expect-error a string is not a metric
logger.log('oops', 'loss', { kind: 'metric' });
// @ts-expect-error an image needs a height
logger.log({ data: pixels, width: 2, channels: 3 }, 'img', { kind: 'image' });
// @ts-expect-error channels are 1 to 4
logger.log({ data: pixels, width: 2, height: 2, channels: 5 }, 'img', { kind: 'image' });
// @ts-expect-error text is a string
logger.log(42, 'notes', { kind: 'text' });
// @ts-expect-error a param is a scalar, not an object
logger.log({ lr: 1 }, 'p', { kind: 'param' });
// @ts-expect-error a dataset needs a digest
logger.log({ name: 'iris', source: 'npm' }, 'data', { kind: 'dataset' });
// @ts-expect-error an unknown kind
logger.log(1, 'x', { kind: 'tensor' });
// @ts-expect-error histogram values are numbers
logger.log(['a'], 'h', { kind: 'histogram' });
// @ts-expect-error a misspelled option
logger.log(1, 'loss', { stepp: 1 });
// @ts-expect-error logMetrics takes numbers
logger.logMetrics({ loss: '1' });
// @ts-expect-error the fast variant takes an array of numbers
logger.logMetrics(logger.metricsHandle(['loss']), ['1']);
// @ts-expect-error an attached worker logger has the same overloads
attachLogger({} as WorkerHandle).log('oops', 'loss');
// @ts-expect-error EmptyLogger too
new EmptyLogger().log('oops', 'loss');
