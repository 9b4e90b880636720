/**
 * Bad input (docs/architecture.md §1 and the README's Kinds table): every rejected call throws an Error
 * whose message names the argument, the value and a fix; after it, a valid
 * call still works and nothing partial reached the sink. NaN and ±Infinity
 * metrics are kept.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { deflateSync } from 'node:zlib';
import { ConsoleLogger, EmptyLogger, LocalFileLogger, LoggersCollection, NullLogger, type MetricHandle } from '@ranklog/core';
import { MLFlowLogger } from '@ranklog/mlflow';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { handMadePng, ihdr, jpegSegment, jpegWith, PNG_SIGNATURE, pngChunk, sof0 } from './support/image-bytes.js';
import { listFiles } from './support/list-files.js';
import { OtherRecordingLogger, RecordingLogger, readRecords, startRecording, tempFile, type RecordedLine } from './support/recording-logger.js';
import { untyped } from './support/untyped.js';

const BAD_ATTACH = new URL('./fixtures/attach-bad-calls.js', import.meta.url);

type ErrorClass = typeof Error | typeof TypeError | typeof RangeError;

interface BadCase {
  title: string;
  call: (logger: RecordingLogger, handle: MetricHandle) => unknown;
  /** The exact class thrown. */
  type: ErrorClass;
  /** The argument the message must name. */
  arg: RegExp;
  /** The value the message must show. */
  value: RegExp;
  /** The fix the message must give. */
  fix: RegExp;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Runs every bad case on one logger (logFreq 'batch', all kinds), each
 * followed by `valid(logger, i)`, which must log exactly one record under
 * the identifier 'valid' with step i. Then checks that exactly those valid
 * records reached the sink: nothing partial from a rejected call.
 */
async function rejectAll(
  t: ExecutionContext,
  cases: BadCase[],
  valid: (logger: RecordingLogger, step: number, handle: MetricHandle) => void,
): Promise<RecordedLine[]> {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'batch' });
  await startRecording(t, logger);
  const handle = logger.handle('valid');
  for (const [i, c] of cases.entries()) {
    let error: unknown;
    try {
      c.call(logger, handle);
    } catch (e) {
      error = e;
    }
    if (!(error instanceof Error)) {
      t.fail(`${c.title}: expected a ${c.type.name}, got ${error === undefined ? 'no error' : String(error)}`);
    } else {
      t.is(error.constructor, c.type, `${c.title}: error class (message: ${error.message})`);
      t.regex(error.message, c.arg, `${c.title}: names the argument`);
      t.regex(error.message, c.value, `${c.title}: shows the value`);
      t.regex(error.message, c.fix, `${c.title}: gives a fix`);
    }
    t.notThrows(() => valid(logger, i, handle), `${c.title}: a valid call after the rejected one`);
  }
  const stats = await logger.destroyLoggerContext();
  const records = readRecords(file);
  t.deepEqual(
    records.map((r) => [r.identifier, r.step]),
    cases.map((_, i) => ['valid', i]),
    'only the valid calls reached the sink, each once',
  );
  t.is(stats.recordsIn, cases.length, 'no partial record was published');
  return records;
}

const validMetric = (l: RecordingLogger, step: number) => l.log(step, 'valid', { step });

// ---------------------------------------------------------------- kind

test('an unknown kind is a TypeError naming the kind and listing the vocabulary', async (t) => {
  const fix = /Use one of: 'metric', 'param', 'text', 'dict', 'artifact', 'model', 'image', 'figure', 'histogram', 'dataset'\./;
  const cases: BadCase[] = [
    { title: "'tensor'", call: (l) => l.log(1, 'x', { kind: 'tensor' as never }), type: TypeError, arg: /kind/, value: /"tensor"/, fix },
    { title: "'Metric' (case matters)", call: (l) => l.log(1, 'x', { kind: 'Metric' as never }), type: TypeError, arg: /kind/, value: /"Metric"/, fix },
    {
      title: "'image' on a string is fine, 'images' is not",
      call: (l) => untyped(l).log('x', 'x', { kind: 'images' as never }),
      type: TypeError,
      arg: /kind/,
      value: /"images"/,
      fix,
    },
    { title: 'null', call: (l) => l.log(1, 'x', { kind: null as never }), type: TypeError, arg: /kind/, value: /kind null /, fix },
    { title: '3', call: (l) => l.log(1, 'x', { kind: 3 as never }), type: TypeError, arg: /kind/, value: /kind 3 /, fix },
    {
      title: 'no kind with a non-number item',
      call: (l) => untyped(l).log('hello', 'x'),
      type: TypeError,
      arg: /kind is/,
      value: /kind is undefined/,
      fix: /the default kind is 'metric', which takes a number; pass \{ kind \} for string items/,
    },
  ];
  await rejectAll(t, cases, validMetric);
});

// ---------------------------------------------------------------- metric

test('metric items must be numbers (log() and the metric() fast path)', async (t) => {
  const fix = /pass a number \(NaN and ±Infinity are kept\)/;
  const other = new EmptyLogger().handle('other');
  const cases: BadCase[] = [
    { title: "'3'", call: (l) => untyped(l).log('3', 'm', { kind: 'metric' }), type: TypeError, arg: /item \(metric\)/, value: /"3"/, fix },
    { title: 'null', call: (l) => untyped(l).log(null, 'm', { kind: 'metric' }), type: TypeError, arg: /item \(metric\)/, value: /is null/, fix },
    {
      title: 'undefined',
      call: (l) => untyped(l).log(undefined, 'm', { kind: 'metric' }),
      type: TypeError,
      arg: /item \(metric\)/,
      value: /is undefined/,
      fix,
    },
    { title: '1n', call: (l) => untyped(l).log(1n, 'm', { kind: 'metric' }), type: TypeError, arg: /item \(metric\)/, value: /is 1n/, fix },
    { title: 'true', call: (l) => untyped(l).log(true, 'm', { kind: 'metric' }), type: TypeError, arg: /item \(metric\)/, value: /is true/, fix },
    { title: '[1]', call: (l) => untyped(l).log([1], 'm', { kind: 'metric' }), type: TypeError, arg: /item \(metric\)/, value: /an array of length 1/, fix },
    { title: "fast path '3'", call: (l, h) => l.metric(h, '3' as never), type: TypeError, arg: /value \(metric\)/, value: /"3"/, fix },
    { title: 'fast path undefined', call: (l, h) => l.metric(h, undefined as never), type: TypeError, arg: /value \(metric\)/, value: /is undefined/, fix },
    {
      title: 'fast path with a handle of another logger',
      call: (l) => l.metric(other, 1),
      type: TypeError,
      arg: /handle/,
      value: /a MetricHandle/,
      fix: /it was made by another logger or thread; make handles with handle\(\) on the logger that uses them/,
    },
  ];
  await rejectAll(t, cases, (l, step, h) => l.metric(h, step, step));
});

test('NaN and ±Infinity metrics are kept and arrive as such (log() and metric())', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'batch' });
  await startRecording(t, logger);
  const h = logger.handle('fast');
  const values = [NaN, Infinity, -Infinity, 0, -0.5, Number.MAX_VALUE];
  for (const [i, v] of values.entries()) {
    logger.log(v, 'slow', { step: i });
    logger.log(v, 'explicit', { kind: 'metric', step: i, batchIdx: i });
    logger.metric(h, v, i);
  }
  const stats = await logger.destroyLoggerContext();
  t.is(stats.recordsIn, 3 * values.length, 'none dropped');
  const shown = ['NaN', 'Infinity', '-Infinity', 0, -0.5, Number.MAX_VALUE];
  const records = readRecords(file);
  for (const id of ['slow', 'explicit', 'fast']) {
    const mine = records.filter((r) => r.identifier === id);
    t.deepEqual(
      mine.map((r) => r.value),
      shown,
      id,
    );
    t.deepEqual(
      mine.map((r) => r.item),
      shown,
      `${id} item`,
    );
    t.true(mine.every((r) => r.kind === 'metric'));
  }
});

// ---------------------------------------------------------------- param, text

test('param items must be a string, number, boolean or null', async (t) => {
  const fix = /pass a string, number, boolean or null; use saveHyperparameters\(\) for an object of params/;
  const arg = /item \(param\)/;
  const cases: BadCase[] = [
    { title: 'object', call: (l) => untyped(l).log({ lr: 1 }, 'p', { kind: 'param' }), type: TypeError, arg, value: /is an object/, fix },
    { title: 'array', call: (l) => untyped(l).log([1, 2], 'p', { kind: 'param' }), type: TypeError, arg, value: /an array of length 2/, fix },
    { title: 'undefined', call: (l) => untyped(l).log(undefined, 'p', { kind: 'param' }), type: TypeError, arg, value: /is undefined/, fix },
    { title: 'function', call: (l) => untyped(l).log(function lr() {}, 'p', { kind: 'param' }), type: TypeError, arg, value: /a function \(lr\)/, fix },
    { title: 'bigint', call: (l) => untyped(l).log(10n, 'p', { kind: 'param' }), type: TypeError, arg, value: /is 10n/, fix },
    { title: 'Date', call: (l) => untyped(l).log(new Date(0), 'p', { kind: 'param' }), type: TypeError, arg, value: /a Date/, fix },
  ];
  const records = await rejectAll(t, cases, (l, step) => l.log(step % 2 ? null : 'adam', 'valid', { kind: 'param', step }));
  t.deepEqual(
    records.map((r) => r.item),
    cases.map((_, i) => (i % 2 ? null : 'adam')),
  );
});

test('text items must be strings', async (t) => {
  const fix = /pass a string \(use kind dict for objects\)/;
  const arg = /item \(text\)/;
  const cases: BadCase[] = [
    { title: '5', call: (l) => untyped(l).log(5, 't', { kind: 'text' }), type: TypeError, arg, value: /is 5;/, fix },
    { title: 'object', call: (l) => untyped(l).log({ a: 1 }, 't', { kind: 'text' }), type: TypeError, arg, value: /is an object/, fix },
    { title: 'null', call: (l) => untyped(l).log(null, 't', { kind: 'text' }), type: TypeError, arg, value: /is null/, fix },
    {
      title: 'Uint8Array',
      call: (l) => untyped(l).log(new Uint8Array(2), 't', { kind: 'text' }),
      type: TypeError,
      arg,
      value: /a Uint8Array of length 2/,
      fix,
    },
  ];
  const records = await rejectAll(t, cases, (l, step) => l.log(`line ${step}`, 'valid', { kind: 'text', step }));
  t.deepEqual(
    records.map((r) => r.item),
    cases.map((_, i) => `line ${i}`),
  );
});

// ---------------------------------------------------------------- dict

test('dict items must be JSON-serialisable: cycles, functions, undefined, NaN, Map, bigint are clear errors', async (t) => {
  const cyclic: Record<string, unknown> = { a: { b: 1 } };
  (cyclic.a as Record<string, unknown>).self = cyclic;
  const cyclicArray: unknown[] = [1];
  cyclicArray.push({ back: cyclicArray });
  class Point {
    x = 1;
  }
  const cases: BadCase[] = [
    {
      title: 'cycle',
      call: (l) => l.log(cyclic, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.a\.self/,
      value: /is an object/,
      fix: /refers back to itself \(a cycle\); log a copy without the cycle/,
    },
    {
      title: 'cycle through an array',
      call: (l) => l.log(cyclicArray, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\[1\]\.back/,
      value: /an array of length 2/,
      fix: /a cycle/,
    },
    {
      title: 'function',
      call: (l) => l.log({ f: () => 1 }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.f/,
      value: /a function \(f\)/,
      fix: /a function is not JSON-serialisable; convert it to a string or number first/,
    },
    {
      title: 'undefined',
      call: (l) => l.log({ u: undefined }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.u/,
      value: /is undefined/,
      fix: /JSON would silently drop it; use null instead/,
    },
    {
      title: 'undefined in an array',
      call: (l) => l.log([1, undefined], 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\[1\]/,
      value: /is undefined/,
      fix: /use null instead/,
    },
    {
      title: 'NaN',
      call: (l) => l.log({ x: [1, NaN] }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.x\[1\]/,
      value: /is NaN/,
      fix: /JSON cannot hold NaN or ±Infinity; convert it to a string or null/,
    },
    {
      title: '-Infinity',
      call: (l) => l.log({ x: -Infinity }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.x/,
      value: /is -Infinity/,
      fix: /JSON cannot hold NaN/,
    },
    {
      title: 'Map',
      call: (l) => l.log({ m: new Map([['a', 1]]) }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.m/,
      value: /a Map/,
      fix: /convert it first \(e\.g\. Object\.fromEntries\(map\)\)/,
    },
    {
      title: 'top-level Map',
      call: (l) => l.log(new Map(), 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item/,
      value: /a Map/,
      fix: /Object\.fromEntries/,
    },
    {
      title: 'Set',
      call: (l) => l.log({ s: new Set([1]) }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.s/,
      value: /a Set/,
      fix: /only plain objects, arrays/,
    },
    {
      title: 'class instance',
      call: (l) => l.log({ p: new Point() }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.p/,
      value: /a Point/,
      fix: /only plain objects, arrays/,
    },
    {
      title: 'bigint',
      call: (l) => l.log({ n: 2n ** 70n }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.n/,
      value: /is 1180591620717411303424n/,
      fix: /a bigint is not JSON-serialisable/,
    },
    {
      title: 'symbol',
      call: (l) => l.log({ s: Symbol('tag') }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.s/,
      value: /Symbol\(tag\)/,
      fix: /a symbol is not JSON-serialisable/,
    },
    {
      title: 'a string',
      call: (l) => untyped(l).log('{"a":1}', 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item \(dict\)/,
      value: /"\{\\"a\\":1\}"/,
      fix: /pass a JSON-serialisable object or array/,
    },
    {
      title: 'null',
      call: (l) => untyped(l).log(null, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item \(dict\)/,
      value: /is null/,
      fix: /pass a JSON-serialisable object or array/,
    },
  ];
  const records = await rejectAll(t, cases, (l, step) => l.log({ step, nested: { ok: [true, null, 'x'] }, at: new Date(0) }, 'valid', { kind: 'dict', step }));
  t.deepEqual(records[0]!.item, { step: 0, nested: { ok: [true, null, 'x'] }, at: '1970-01-01T00:00:00.000Z' });
});

// ---------------------------------------------------------------- image

const PNG_1x1 = Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64'));

test('image items: wrong lengths, channels, float range and garbage bytes are clear errors', async (t) => {
  const img = (extra: Record<string, unknown>) => ({ data: new Uint8Array(12), width: 2, height: 2, channels: 3, ...extra });
  const rawFix =
    /pass \{ data, width, height, channels \} with data a Uint8Array \(0\.\.255\) or Float32Array\/number\[\] \(0\.\.1\) in HWC order, or PNG\/JPEG bytes/;
  const cases: BadCase[] = [
    {
      title: 'data too short',
      call: (l) => untyped(l).log(img({ data: new Uint8Array(10) }), 'i', { kind: 'image' }),
      type: RangeError,
      arg: /image data/,
      value: /a Uint8Array of length 10/,
      fix: /width × height × channels = 2×2×3 = 12, not 10/,
    },
    {
      title: 'data too long for the channels',
      call: (l) => untyped(l).log(img({ channels: 1 }), 'i', { kind: 'image' }),
      type: RangeError,
      arg: /image data/,
      value: /a Uint8Array of length 12/,
      fix: /= 2×2×1 = 4, not 12/,
    },
    {
      title: 'default channels is 3',
      call: (l) => l.log({ data: new Uint8Array(16), width: 2, height: 2 }, 'i', { kind: 'image' }),
      type: RangeError,
      arg: /image data/,
      value: /length 16/,
      fix: /2×2×3 = 12, not 16/,
    },
    {
      title: 'float array too short',
      call: (l) => untyped(l).log(img({ data: [0, 0.5] }), 'i', { kind: 'image' }),
      type: RangeError,
      arg: /image data/,
      value: /an array of length 2/,
      fix: /= 12, not 2/,
    },
    {
      title: 'channels 5',
      call: (l) => untyped(l).log(img({ channels: 5 }), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /image channels/,
      value: /is 5;/,
      fix: /pass 1 \(grey\), 2 \(grey\+alpha\), 3 \(RGB\) or 4 \(RGBA\)/,
    },
    {
      title: 'channels 0',
      call: (l) => untyped(l).log(img({ channels: 0 }), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /image channels/,
      value: /is 0;/,
      fix: /3 \(RGB\)/,
    },
    {
      title: "channels '3'",
      call: (l) => untyped(l).log(img({ channels: '3' }), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /image channels/,
      value: /"3"/,
      fix: /3 \(RGB\)/,
    },
    {
      title: 'width 0',
      call: (l) => untyped(l).log(img({ width: 0 }), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /image width/,
      value: /is 0;/,
      fix: /pass a positive integer/,
    },
    {
      title: 'width 1.5',
      call: (l) => untyped(l).log(img({ width: 1.5 }), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /image width/,
      value: /is 1\.5;/,
      fix: /pass a positive integer/,
    },
    {
      title: "height '2'",
      call: (l) => untyped(l).log(img({ height: '2' }), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /image height/,
      value: /"2"/,
      fix: /pass a positive integer/,
    },
    {
      title: 'float pixel > 1',
      call: (l) => untyped(l).log(img({ data: Float32Array.from({ length: 12 }, (_, i) => (i === 7 ? 1.5 : 0.5)) }), 'i', { kind: 'image' }),
      type: RangeError,
      arg: /image data\[7\]/,
      value: /is 1\.5;/,
      fix: /float pixels must lie in 0\.\.1; scale them, or pass a Uint8Array of 0\.\.255/,
    },
    {
      title: 'float pixel < 0',
      call: (l) => untyped(l).log(img({ data: new Array(12).fill(0).map((_, i) => (i === 0 ? -0.1 : 0)) }), 'i', { kind: 'image' }),
      type: RangeError,
      arg: /image data\[0\]/,
      value: /is -0\.1;/,
      fix: /must lie in 0\.\.1/,
    },
    {
      title: 'float pixel NaN',
      call: (l) => untyped(l).log(img({ data: new Float64Array(12).fill(NaN) }), 'i', { kind: 'image' }),
      type: RangeError,
      arg: /image data\[0\]/,
      value: /is NaN;/,
      fix: /must lie in 0\.\.1/,
    },
    {
      title: 'float pixels 0..255',
      call: (l) => untyped(l).log(img({ data: new Float32Array(12).fill(255) }), 'i', { kind: 'image' }),
      type: RangeError,
      arg: /image data\[0\]/,
      value: /is 255;/,
      fix: /scale them/,
    },
    {
      title: 'Uint16Array data',
      call: (l) => untyped(l).log(img({ data: new Uint16Array(12) }), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /image data/,
      value: /a Uint16Array of length 12/,
      fix: rawFix,
    },
    {
      title: 'missing data',
      call: (l) => untyped(l).log({ width: 2, height: 2, channels: 3 }, 'i', { kind: 'image' }),
      type: TypeError,
      arg: /image data/,
      value: /is undefined/,
      fix: rawFix,
    },
    {
      title: 'garbage bytes',
      call: (l) => l.log(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /item \(image bytes\)/,
      value: /a Uint8Array of length 9/,
      fix: /bytes must be a PNG or JPEG file; pass raw pixels as \{ data, width, height, channels \}/,
    },
    {
      title: 'truncated PNG magic',
      call: (l) => l.log(PNG_1x1.slice(0, 4), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /item \(image bytes\)/,
      value: /length 4/,
      fix: /PNG or JPEG/,
    },
    {
      title: 'garbage ArrayBuffer',
      call: (l) => l.log(new ArrayBuffer(8), 'i', { kind: 'image' }),
      type: TypeError,
      arg: /item \(image bytes\)/,
      value: /an ArrayBuffer|a ArrayBuffer/,
      fix: /PNG or JPEG/,
    },
    {
      title: 'a file name',
      call: (l) => untyped(l).log('cat.png', 'i', { kind: 'image' }),
      type: TypeError,
      arg: /item \(image\)/,
      value: /"cat\.png"/,
      fix: rawFix,
    },
    { title: 'null', call: (l) => untyped(l).log(null, 'i', { kind: 'image' }), type: TypeError, arg: /item \(image\)/, value: /is null/, fix: rawFix },
  ];
  const records = await rejectAll(t, cases, (l, step) =>
    l.log(step % 2 ? PNG_1x1 : { data: new Uint8Array(4).fill(step), width: 2, height: 2, channels: 1 }, 'valid', { kind: 'image', step }),
  );
  t.like(records[0]!.item as object, { format: 'raw', width: 2, height: 2, channels: 1, dtype: 'uint8', data: [0, 0, 0, 0] });
  t.like(records[1]!.item as object, { format: 'png', data: Array.from(PNG_1x1) });
});

// ---------------------------------------------------------------- figure, histogram, dataset

test('figure items: garbage is a clear error', async (t) => {
  const cases: BadCase[] = [
    {
      title: 'HTML string',
      call: (l) => l.log('<div>plot</div>', 'f', { kind: 'figure' }),
      type: TypeError,
      arg: /item \(figure\)/,
      value: /"<div>plot<\/div>"/,
      fix: /a string figure must be an SVG document starting with <svg/,
    },
    { title: 'empty string', call: (l) => l.log('', 'f', { kind: 'figure' }), type: TypeError, arg: /item \(figure\)/, value: /is "";/, fix: /SVG document/ },
    {
      title: 'object that is not Vega-Lite',
      call: (l) => l.log({ data: [1, 2] }, 'f', { kind: 'figure' }),
      type: TypeError,
      arg: /item \(figure\)/,
      value: /is an object/,
      fix: /an object figure must be a Vega-Lite spec \(with \$schema '…vega-lite…' or a 'mark'\)/,
    },
    {
      title: 'JPEG bytes',
      call: (l) => l.log(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]), 'f', { kind: 'figure' }),
      type: TypeError,
      arg: /item \(figure bytes\)/,
      value: /a Uint8Array of length 6/,
      fix: /figure bytes must be a PNG file; pass SVG as a string or a Vega-Lite spec as an object/,
    },
    {
      title: 'number',
      call: (l) => untyped(l).log(42, 'f', { kind: 'figure' }),
      type: TypeError,
      arg: /item \(figure\)/,
      value: /is 42;/,
      fix: /pass a Vega-Lite spec object, an SVG string or PNG bytes/,
    },
    {
      title: 'array',
      call: (l) => l.log([], 'f', { kind: 'figure' }),
      type: TypeError,
      arg: /item \(figure\)/,
      value: /an array of length 0/,
      fix: /pass a Vega-Lite spec object, an SVG string or PNG bytes/,
    },
    {
      title: 'Vega-Lite spec with NaN data',
      call: (l) => l.log({ mark: 'line', data: { values: [{ x: NaN }] } }, 'f', { kind: 'figure' }),
      type: TypeError,
      arg: /item \(Vega-Lite spec\) at \$\.data\.values\[0\]\.x/,
      value: /is NaN/,
      fix: /JSON cannot hold NaN/,
    },
  ];
  const valid = [
    '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
    { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', mark: 'point', data: { values: [{ x: 1 }] } },
    PNG_1x1,
  ];
  const records = await rejectAll(t, cases, (l, step) => untyped(l).log(valid[step % 3], 'valid', { kind: 'figure', step }));
  t.like(records[0]!.item as object, { format: 'svg' });
  t.like(records[1]!.item as object, { format: 'vega-lite' });
  t.like(records[2]!.item as object, { format: 'png' });
});

test('histogram items: non-numbers are clear errors', async (t) => {
  const cases: BadCase[] = [
    {
      title: "['a', 1]",
      call: (l) => untyped(l).log(['a', 1], 'h', { kind: 'histogram' }),
      type: TypeError,
      arg: /item \(histogram\)\[0\]/,
      value: /"a"/,
      fix: /histogram values must be numbers/,
    },
    {
      title: '[1, null]',
      call: (l) => untyped(l).log([1, null], 'h', { kind: 'histogram' }),
      type: TypeError,
      arg: /item \(histogram\)\[1\]/,
      value: /is null/,
      fix: /histogram values must be numbers/,
    },
    {
      title: '[1, 2n]',
      call: (l) => untyped(l).log([1, 2n], 'h', { kind: 'histogram' }),
      type: TypeError,
      arg: /item \(histogram\)\[1\]/,
      value: /is 2n/,
      fix: /must be numbers/,
    },
    {
      title: '[1, undefined]',
      call: (l) => untyped(l).log([1, undefined], 'h', { kind: 'histogram' }),
      type: TypeError,
      arg: /item \(histogram\)\[1\]/,
      value: /is undefined/,
      fix: /must be numbers/,
    },
    {
      title: 'a string',
      call: (l) => untyped(l).log('1,2,3', 'h', { kind: 'histogram' }),
      type: TypeError,
      arg: /item \(histogram\)/,
      value: /"1,2,3"/,
      fix: /pass an array or typed array of numbers/,
    },
    {
      title: 'an array-like',
      call: (l) => l.log({ length: 2, 0: 1, 1: 2 }, 'h', { kind: 'histogram' }),
      type: TypeError,
      arg: /item \(histogram\)/,
      value: /is an object/,
      fix: /pass an array or typed array of numbers/,
    },
    {
      title: 'BigInt64Array',
      call: (l) => untyped(l).log(new BigInt64Array(2), 'h', { kind: 'histogram' }),
      type: TypeError,
      arg: /item \(histogram\)/,
      value: /a BigInt64Array of length 2/,
      fix: /typed array of numbers/,
    },
    {
      title: 'DataView',
      call: (l) => untyped(l).log(new DataView(new ArrayBuffer(8)), 'h', { kind: 'histogram' }),
      type: TypeError,
      arg: /item \(histogram\)/,
      value: /DataView/,
      fix: /typed array of numbers/,
    },
    {
      title: 'a number',
      call: (l) => untyped(l).log(3, 'h', { kind: 'histogram' }),
      type: TypeError,
      arg: /item \(histogram\)/,
      value: /is 3;/,
      fix: /typed array of numbers/,
    },
  ];
  const valid = [[1, 2, NaN], new Float32Array([0.5, 1.5]), new Int8Array([-1, 1])];
  const records = await rejectAll(t, cases, (l, step) => untyped(l).log(valid[step % 3], 'valid', { kind: 'histogram', step }));
  t.deepEqual(records[0]!.item, [1, 2, 'NaN']);
  t.deepEqual(records[1]!.item, [0.5, 1.5]);
  t.deepEqual(records[2]!.item, [-1, 1]);
});

test('dataset items: missing or wrong fields are clear errors', async (t) => {
  const fix = /pass \{ name, digest, source, schema\? \} with string name, digest and source/;
  const ds = { name: 'mnist', digest: 'abc123', source: 's3://bucket/mnist' };
  const schemaCycle: Record<string, unknown> = {};
  schemaCycle.self = schemaCycle;
  const cases: BadCase[] = [
    {
      title: 'missing digest and source',
      call: (l) => untyped(l).log({ name: 'mnist' }, 'ds', { kind: 'dataset' }),
      type: TypeError,
      arg: /dataset digest/,
      value: /is undefined/,
      fix,
    },
    {
      title: 'missing name',
      call: (l) => untyped(l).log({ digest: 'a', source: 'b' }, 'ds', { kind: 'dataset' }),
      type: TypeError,
      arg: /dataset name/,
      value: /is undefined/,
      fix,
    },
    {
      title: 'missing source',
      call: (l) => untyped(l).log({ name: 'a', digest: 'b' }, 'ds', { kind: 'dataset' }),
      type: TypeError,
      arg: /dataset source/,
      value: /is undefined/,
      fix,
    },
    { title: 'empty name', call: (l) => l.log({ ...ds, name: '' }, 'ds', { kind: 'dataset' }), type: TypeError, arg: /dataset name/, value: /is "";/, fix },
    {
      title: 'numeric digest',
      call: (l) => untyped(l).log({ ...ds, digest: 5 }, 'ds', { kind: 'dataset' }),
      type: TypeError,
      arg: /dataset digest/,
      value: /is 5;/,
      fix,
    },
    {
      title: 'a string',
      call: (l) => untyped(l).log('mnist.csv', 'ds', { kind: 'dataset' }),
      type: TypeError,
      arg: /item \(dataset\)/,
      value: /"mnist\.csv"/,
      fix,
    },
    { title: 'null', call: (l) => untyped(l).log(null, 'ds', { kind: 'dataset' }), type: TypeError, arg: /item \(dataset\)/, value: /is null/, fix },
    {
      title: 'schema with a function',
      call: (l) => l.log({ ...ds, schema: { f: () => 1 } }, 'ds', { kind: 'dataset' }),
      type: TypeError,
      arg: /dataset schema at \$\.f/,
      value: /a function/,
      fix: /not JSON-serialisable/,
    },
    {
      title: 'schema with a cycle',
      call: (l) => l.log({ ...ds, schema: schemaCycle }, 'ds', { kind: 'dataset' }),
      type: TypeError,
      arg: /dataset schema at \$\.self/,
      value: /is an object/,
      fix: /a cycle/,
    },
  ];
  const records = await rejectAll(t, cases, (l, step) => l.log(step % 2 ? ds : { ...ds, schema: { columns: ['x', 'y'] } }, 'valid', { kind: 'dataset', step }));
  t.deepEqual(records[0]!.item, { ...ds, schema: { columns: ['x', 'y'] } });
  t.deepEqual(records[1]!.item, ds);
});

// ---------------------------------------------------------------- artifact, model

test('artifact and model paths that do not exist (or are not files/dirs) are clear errors', async (t) => {
  const dir = dirname(tempFile(t));
  const missing = join(dir, 'nope', 'weights.bin');
  const real = join(dir, 'real.txt');
  writeFileSync(real, 'hello');
  const realDir = join(dir, 'model-dir');
  mkdirSync(realDir);
  writeFileSync(join(realDir, 'w.bin'), new Uint8Array(4));
  const cases: BadCase[] = [
    {
      title: 'missing artifact',
      call: (l) => l.log(missing, 'a', { kind: 'artifact' }),
      type: Error,
      arg: /item \(artifact path\)/,
      value: new RegExp(esc(JSON.stringify(missing))),
      fix: /no file or directory exists at .*; save it first, then log it/,
    },
    {
      title: 'missing model',
      call: (l) => l.log(missing, 'm', { kind: 'model' }),
      type: Error,
      arg: /item \(model path\)/,
      value: new RegExp(esc(JSON.stringify(missing))),
      fix: /save it first, then log it/,
    },
    {
      title: 'empty artifact path',
      call: (l) => l.log('', 'a', { kind: 'artifact' }),
      type: TypeError,
      arg: /item \(artifact\)/,
      value: /is "";/,
      fix: /pass the path of a file or directory to log as artifact/,
    },
    {
      title: 'artifact as a Buffer',
      call: (l) => untyped(l).log(Buffer.from('x'), 'a', { kind: 'artifact' }),
      type: TypeError,
      arg: /item \(artifact\)/,
      value: /a Buffer of length 1/,
      fix: /pass the path of a file or directory/,
    },
    {
      title: 'model as a number',
      call: (l) => untyped(l).log(5, 'm', { kind: 'model' }),
      type: TypeError,
      arg: /item \(model\)/,
      value: /is 5;/,
      fix: /pass the path of a file or directory to log as model, or an object with a save\(dir\) method/,
    },
    {
      title: 'model object without save()',
      call: (l) => untyped(l).log({ weights: [1] }, 'm', { kind: 'model' }),
      type: TypeError,
      arg: /item \(model\)/,
      value: /is an object/,
      fix: /or an object with a save\(dir\) method/,
    },
  ];
  let fifo: string | undefined = join(dir, 'pipe');
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    fifo = undefined;
  }
  if (fifo) {
    const path = fifo;
    cases.push({
      title: 'a FIFO',
      call: (l) => l.log(path, 'a', { kind: 'artifact' }),
      type: TypeError,
      arg: /item \(artifact path\)/,
      value: new RegExp(esc(JSON.stringify(path))),
      fix: /it must be a regular file or a directory/,
    });
  }
  const records = await rejectAll(t, cases, (l, step) => l.log(step % 2 ? realDir : real, 'valid', { kind: step % 2 ? 'model' : 'artifact', step }));
  t.deepEqual(records[0]!.item, { path: real, isDirectory: false });
  t.deepEqual(records[1]!.item, { path: realDir, isDirectory: true });
});

test('a model object whose save() returns a promise is a clear error; a synchronous save() works', async (t) => {
  class AsyncModel {
    saved: string[] = [];
    async save(dir: string): Promise<void> {
      this.saved.push(dir);
    }
  }
  class SyncModel {
    save(dir: string): void {
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array([1, 2, 3]));
    }
  }
  const asyncModel = new AsyncModel();
  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, the case under test
  const thenable = { save: () => ({ then: () => undefined }) };
  const fix = /its save\(dir\) returned a promise, and log\(\) is synchronous; await model\.save\('<dir>'\) yourself, then log the directory path/;
  const cases: BadCase[] = [
    {
      title: 'async save()',
      call: (l) => l.log(asyncModel, 'm', { kind: 'model' }),
      type: TypeError,
      arg: /item \(model\)/,
      value: /a AsyncModel|an AsyncModel/,
      fix,
    },
    { title: 'thenable save()', call: (l) => l.log(thenable, 'm', { kind: 'model' }), type: TypeError, arg: /item \(model\)/, value: /is an object/, fix },
  ];
  const records = await rejectAll(t, cases, (l, step) => l.log(new SyncModel(), 'valid', { kind: 'model', step }));
  t.is(asyncModel.saved.length, 1);
  t.like(records[0]!.item as object, { isDirectory: true });
  t.regex((records[0]!.item as { path: string }).path, /valid$/, 'saved into a directory named after the identifier');
});

// ---------------------------------------------------------------- step, batchIdx

test('step must be a safe integer: NaN, Infinity, 1.5, "3", null, 2**53 are rejected (log(), non-metric kinds, metric())', async (t) => {
  const fix = /pass an integer \(a safe integer, finite\), or leave it out/;
  const bad: [string, unknown, RegExp][] = [
    ['NaN', NaN, /step is NaN;/],
    ['Infinity', Infinity, /step is Infinity;/],
    ['-Infinity', -Infinity, /step is -Infinity;/],
    ['1.5', 1.5, /step is 1\.5;/],
    ["'3'", '3', /step is "3";/],
    ['null', null, /step is null;/],
    ['2**53', 2 ** 53, /step is 9007199254740992;/],
  ];
  const cases: BadCase[] = bad.flatMap(([title, step, value]) => [
    { title: `log() ${title}`, call: (l: RecordingLogger) => l.log(1, 's', { step: step as number }), type: TypeError, arg: /step/, value, fix },
    { title: `text ${title}`, call: (l: RecordingLogger) => l.log('x', 's', { kind: 'text', step: step as number }), type: TypeError, arg: /step/, value, fix },
    { title: `metric() ${title}`, call: (l: RecordingLogger, h: MetricHandle) => l.metric(h, 1, step as number), type: TypeError, arg: /step/, value, fix },
  ]);
  await rejectAll(t, cases, validMetric);
});

test('batchIdx must be an integer from 0 to 2**31-1: -1, 1.5, 2**31, "3", NaN are rejected (log(), non-metric kinds, metric())', async (t) => {
  const fix = /pass an integer from 0 to 2147483647, or leave it out for epoch-level calls/;
  const bad: [string, unknown, RegExp][] = [
    ['-1', -1, /batchIdx is -1;/],
    ['1.5', 1.5, /batchIdx is 1\.5;/],
    ['2**31', 2 ** 31, /batchIdx is 2147483648;/],
    ["'3'", '3', /batchIdx is "3";/],
    ['NaN', NaN, /batchIdx is NaN;/],
    ['null', null, /batchIdx is null;/],
  ];
  const cases: BadCase[] = bad.flatMap(([title, batchIdx, value]) => [
    { title: `log() ${title}`, call: (l: RecordingLogger) => l.log(1, 'b', { batchIdx: batchIdx as number }), type: TypeError, arg: /batchIdx/, value, fix },
    {
      title: `dict ${title}`,
      call: (l: RecordingLogger) => l.log({}, 'b', { kind: 'dict', batchIdx: batchIdx as number }),
      type: TypeError,
      arg: /batchIdx/,
      value,
      fix,
    },
    {
      title: `metric() ${title}`,
      call: (l: RecordingLogger, h: MetricHandle) => l.metric(h, 1, undefined, batchIdx as number),
      type: TypeError,
      arg: /batchIdx/,
      value,
      fix,
    },
  ]);
  const records = await rejectAll(t, cases, (l, step) => l.log(step, 'valid', { step, batchIdx: step === 0 ? 2 ** 31 - 1 : step }));
  t.is(records[0]!.batchIdx, 2 ** 31 - 1, 'the largest batchIdx is accepted');
});

// ---------------------------------------------------------------- identifier

test('identifiers: empty, too long, non-string, escaping, empty segments, control characters and backslashes are rejected', async (t) => {
  const nonEmpty = /pass a non-empty string such as 'train_loss'/;
  const segments = /remove empty, '\.' and '\.\.' path segments: identifiers name files inside the run directory and must not escape it/;
  const slashes = /it must be a relative name without a leading or trailing '\/'/;
  const control = /remove control characters and backslashes; use \/ to group names/;
  const bad: [title: string, identifier: unknown, type: ErrorClass, value: RegExp, fix: RegExp][] = [
    ["''", '', TypeError, /identifier is "";/, nonEmpty],
    ['251 chars', 'x'.repeat(251), RangeError, /identifier is "x{77}\.\.\.";/, /it has 251 characters; use at most 250 \(MLflow's key limit\)/],
    ['a number', 42, TypeError, /identifier is 42;/, nonEmpty],
    ['undefined', undefined, TypeError, /identifier is undefined;/, nonEmpty],
    ['null', null, TypeError, /identifier is null;/, nonEmpty],
    ['an object', { name: 'loss' }, TypeError, /identifier is an object;/, nonEmpty],
    ["'../x'", '../x', TypeError, /identifier is "\.\.\/x";/, segments],
    ["'a/../b'", 'a/../b', TypeError, /identifier is "a\/\.\.\/b";/, segments],
    ["'..'", '..', TypeError, /identifier is "\.\.";/, segments],
    ["'./x'", './x', TypeError, /identifier is "\.\/x";/, segments],
    ["'a/.'", 'a/.', TypeError, /identifier is "a\/\.";/, segments],
    ["'a//b'", 'a//b', TypeError, /identifier is "a\/\/b";/, segments],
    ["'/abs'", '/abs', TypeError, /identifier is "\/abs";/, slashes],
    ["'/etc/passwd'", '/etc/passwd', TypeError, /identifier is "\/etc\/passwd";/, slashes],
    ["'a/'", 'a/', TypeError, /identifier is "a\/";/, slashes],
    ["'\\u0000'", 'a\u0000b', TypeError, /identifier is "a\\u0000b";/, control],
    ["'\\n'", 'loss\n', TypeError, /identifier is "loss\\n";/, control],
    ["'\\t'", 'a\tb', TypeError, /identifier is "a\\tb";/, control],
    ["'\\u007f'", 'a\u007f', TypeError, /identifier is "a\u007f";/, control],
    ['backslash', 'a\\b', TypeError, /identifier is "a\\\\b";/, control],
    ['Windows escape', '..\\..\\x', TypeError, /identifier is "\.\.\\\\\.\.\\\\x";/, control],
  ];
  const cases: BadCase[] = bad.flatMap(([title, identifier, type, value, fix]) => [
    { title: `log() ${title}`, call: (l: RecordingLogger) => l.log(1, identifier as string), type, arg: /identifier/, value, fix },
    { title: `text ${title}`, call: (l: RecordingLogger) => l.log('x', identifier as string, { kind: 'text' }), type, arg: /identifier/, value, fix },
    { title: `handle() ${title}`, call: (l: RecordingLogger) => l.handle(identifier as string), type, arg: /identifier/, value, fix },
  ]);
  await rejectAll(t, cases, validMetric);
});

test('valid identifiers: 250 characters, groups with /, dots, spaces and unicode are accepted', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  await startRecording(t, logger);
  // 250 characters in segments of at most 200 UTF-8 bytes; a 200-byte segment of 2-byte characters.
  const ids = [`${'x'.repeat(200)}/${'y'.repeat(49)}`, 'é'.repeat(100), 'train/loss', 'a/b/c', 'v1.2', '.hidden', 'a..b', 'loss (smoothed)', 'λ/μ', 'a:b-c_d'];
  for (const id of ids) {
    logger.log(1, id);
    logger.log('t', id, { kind: 'text' });
    logger.metric(logger.handle(id), 2);
  }
  await logger.destroyLoggerContext();
  t.deepEqual(
    readRecords(file).map((r) => r.identifier),
    ids.flatMap((id) => [id, id, id]),
  );
});

test('bad input is rejected even when logFreq or the kinds of the backend exclude the call', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file, logFreq: 'epoch', kinds: ['metric'] });
  await startRecording(t, logger);
  t.throws(() => logger.log(1, '../x', { batchIdx: 3 }), { instanceOf: TypeError, message: /identifier is "\.\.\/x"/ });
  t.throws(() => logger.log(1, 'ok', { batchIdx: 3, step: 0.5 }), { instanceOf: TypeError, message: /step is 0\.5/ });
  t.throws(() => untyped(logger).log(5, 'txt', { kind: 'text' }), { instanceOf: TypeError, message: /item \(text\) is 5/ });
  t.throws(() => logger.log({ f: () => 1 }, 'd', { kind: 'dict', batchIdx: 1 }), { instanceOf: TypeError, message: /item at item\.f/ });
  t.throws(() => logger.metric(logger.handle('h'), 1, undefined, -1), { instanceOf: TypeError, message: /batchIdx is -1/ });
  logger.log(1, 'valid');
  const stats = await logger.destroyLoggerContext();
  t.is(stats.recordsIn, 1);
  t.deepEqual(
    readRecords(file).map((r) => r.identifier),
    ['valid'],
  );
});

// ---------------------------------------------------------------- saveHyperparameters

test('saveHyperparameters rejects non-objects, cycles, functions and other non-plain values', async (t) => {
  const objectFix = /pass an object of hyperparameters such as \{ lr: 0\.01, batchSize: 32 \}/;
  const valueFix = /hyperparameters must be strings, numbers, booleans, null, arrays or nested plain objects/;
  const cyclic: Record<string, unknown> = { opt: { lr: 1 } };
  (cyclic.opt as Record<string, unknown>).parent = cyclic;
  const cases: BadCase[] = [
    { title: 'a number', call: (l) => l.saveHyperparameters(5 as never), type: TypeError, arg: /params/, value: /params is 5;/, fix: objectFix },
    { title: 'a string', call: (l) => l.saveHyperparameters('lr=1' as never), type: TypeError, arg: /params/, value: /"lr=1"/, fix: objectFix },
    { title: 'null', call: (l) => l.saveHyperparameters(null as never), type: TypeError, arg: /params/, value: /params is null;/, fix: objectFix },
    {
      title: 'undefined',
      call: (l) => l.saveHyperparameters(undefined as never),
      type: TypeError,
      arg: /params/,
      value: /params is undefined;/,
      fix: objectFix,
    },
    { title: 'an array', call: (l) => l.saveHyperparameters([1, 2] as never), type: TypeError, arg: /params/, value: /an array of length 2/, fix: objectFix },
    {
      title: 'a cycle',
      call: (l) => l.saveHyperparameters(cyclic),
      type: TypeError,
      arg: /params at opt\.parent/,
      value: /is an object/,
      fix: /it refers back to itself \(a cycle\); pass a plain tree of values/,
    },
    {
      title: 'a function',
      call: (l) => l.saveHyperparameters({ lr: 0.1, schedule: (e: number) => e }),
      type: TypeError,
      arg: /params\.schedule/,
      value: /a function \(schedule\)/,
      fix: valueFix,
    },
    {
      title: 'a nested function',
      call: (l) => l.saveHyperparameters({ opt: { step() {} } }),
      type: TypeError,
      arg: /params\.opt\.step/,
      value: /a function \(step\)/,
      fix: valueFix,
    },
    {
      title: 'undefined value',
      call: (l) => l.saveHyperparameters({ lr: undefined }),
      type: TypeError,
      arg: /params\.lr/,
      value: /is undefined/,
      fix: valueFix,
    },
    { title: 'a Date', call: (l) => l.saveHyperparameters({ when: new Date(0) }), type: TypeError, arg: /params\.when/, value: /a Date/, fix: valueFix },
    { title: 'a Map', call: (l) => l.saveHyperparameters({ m: new Map() }), type: TypeError, arg: /params\.m/, value: /a Map/, fix: valueFix },
    { title: 'a bigint', call: (l) => l.saveHyperparameters({ seed: 1n }), type: TypeError, arg: /params\.seed/, value: /is 1n/, fix: valueFix },
  ];
  await rejectAll(t, cases, (l, step) => l.log(step, 'valid', { kind: 'param', step }));
});

test('saveHyperparameters: a function, NaN, undefined, bigint or cycle inside an array value is a clear error, not silently null or a raw JSON error', async (t) => {
  const loop: unknown[] = [1];
  loop.push(loop);
  const cases: BadCase[] = [
    {
      title: 'function in an array',
      call: (l) => l.saveHyperparameters({ callbacks: [function early() {}] }),
      type: TypeError,
      arg: /params\.callbacks/,
      value: /function|an array of length 1/,
      fix: /hyperparameters must be|JSON/,
    },
    {
      title: 'NaN in an array',
      call: (l) => l.saveHyperparameters({ weights: [1, NaN] }),
      type: TypeError,
      arg: /params\.weights/,
      value: /NaN|an array of length 2/,
      fix: /JSON cannot hold NaN|hyperparameters must be/,
    },
    {
      title: 'undefined in an array',
      call: (l) => l.saveHyperparameters({ dims: [1, undefined] }),
      type: TypeError,
      arg: /params\.dims/,
      value: /undefined|an array of length 2/,
      fix: /use null|hyperparameters must be/,
    },
    {
      title: 'bigint in an array',
      call: (l) => l.saveHyperparameters({ seeds: [1n] }),
      type: TypeError,
      arg: /params\.seeds/,
      value: /1n|an array of length 1/,
      fix: /bigint is not JSON-serialisable|hyperparameters must be/,
    },
    {
      title: 'cycle in an array',
      call: (l) => l.saveHyperparameters({ layers: loop }),
      type: TypeError,
      arg: /params\.layers/,
      value: /an array of length 2/,
      fix: /cycle/,
    },
  ];
  await rejectAll(t, cases, (l, step) => l.log(step, 'valid', { kind: 'param', step }));
});

test('saveHyperparameters with a key that is not a valid identifier records nothing (no partial set of params)', async (t) => {
  const cases: BadCase[] = [
    {
      title: 'backslash key after a valid one',
      call: (l) => l.saveHyperparameters({ lr: 0.1, 'bad\\key': 1 }),
      type: TypeError,
      arg: /identifier/,
      value: /"bad\\\\key"/,
      fix: /remove control characters and backslashes/,
    },
    {
      title: "nested '..' key after valid ones",
      call: (l) => l.saveHyperparameters({ a: 1, b: 2, opt: { 'x/../y': 3 } }),
      type: TypeError,
      arg: /identifier/,
      value: /"opt\.x\/\.\.\/y"/,
      fix: /remove empty, '\.' and '\.\.' path segments/,
    },
    {
      title: 'empty key after a valid one',
      call: (l) => l.saveHyperparameters({ a: 1, '': 2 }),
      type: TypeError,
      arg: /identifier/,
      value: /identifier is ""/,
      fix: /pass a non-empty string/,
    },
  ];
  await rejectAll(t, cases, (l, step) => l.log(step, 'valid', { kind: 'param', step }));
});

test('saveHyperparameters flattens nested objects with "." and logs arrays as JSON', async (t) => {
  const file = tempFile(t);
  const logger = new RecordingLogger({ file });
  await startRecording(t, logger);
  const shared = { size: 3 };
  logger.saveHyperparameters({
    lr: 0.01,
    optimizer: { name: 'adam', betas: [0.9, 0.999], schedule: { warmup: 100, cosine: true } },
    layers: [{ units: 64 }, { units: 10 }],
    tags: [],
    seed: null,
    dropout: false,
    empty: {},
    a: shared,
    b: shared, // the same object twice is a tree, not a cycle
    'train/batch': 32,
  });
  await logger.destroyLoggerContext();
  const records = readRecords(file);
  t.true(records.every((r) => r.kind === 'param' && r.step === null && r.batchIdx === null));
  t.deepEqual(
    records.map((r) => [r.identifier, r.item]),
    [
      ['lr', 0.01],
      ['optimizer.name', 'adam'],
      ['optimizer.betas', '[0.9,0.999]'],
      ['optimizer.schedule.warmup', 100],
      ['optimizer.schedule.cosine', true],
      ['layers', '[{"units":64},{"units":10}]'],
      ['tags', '[]'],
      ['seed', null],
      ['dropout', false],
      ['a.size', 3],
      ['b.size', 3],
      ['train/batch', 32],
    ],
  );
});

test('a rejected call on a collection records nothing on any backend', async (t) => {
  const fileA = tempFile(t, 'a.jsonl');
  const fileB = tempFile(t, 'b.jsonl');
  const collection = new LoggersCollection([new RecordingLogger({ file: fileA }), new OtherRecordingLogger({ file: fileB, kinds: ['metric'] })]);
  await startRecording(t, collection);
  t.throws(() => collection.log({ x: NaN }, 'cfg', { kind: 'dict' }), { instanceOf: TypeError, message: /item at item\.x is NaN/ });
  t.throws(() => collection.log(1, 'a//b'), { instanceOf: TypeError, message: /identifier is "a\/\/b"/ });
  t.throws(() => collection.log(1, 'x', { kind: 'bogus' as never }), { instanceOf: TypeError, message: /kind "bogus"/ });
  collection.log({ x: 1 }, 'cfg', { kind: 'dict' });
  collection.log(1, 'loss');
  const stats = await collection.destroyLoggerContext();
  t.is(stats.recordsIn, 2);
  t.deepEqual(
    readRecords(fileA).map((r) => r.identifier),
    ['cfg', 'loss'],
  );
  t.deepEqual(
    readRecords(fileB).map((r) => r.identifier),
    ['loss'],
  );
});

test('log() options must be an object or left out (null, a kind string, a number are clear errors)', async (t) => {
  const fix = /\{ kind, step, batchIdx \}|pass an object|leave it out/;
  const cases: BadCase[] = [
    { title: 'null', call: (l) => l.log(1, 'o', null as never), type: TypeError, arg: /options/, value: /options is null/, fix },
    { title: "'text' (the kind as a bare string)", call: (l) => l.log('hello', 'o', 'text' as never), type: TypeError, arg: /options/, value: /"text"/, fix },
    { title: "'metric' with a number", call: (l) => l.log(1, 'o', 'metric' as never), type: TypeError, arg: /options/, value: /"metric"/, fix },
    { title: 'a step number', call: (l) => l.log(1, 'o', 5 as never), type: TypeError, arg: /options/, value: /options is 5/, fix },
  ];
  await rejectAll(t, cases, validMetric);
});

// ---------------------------------------------------------------- hostile input

test("metric() with a missing handle (undefined, null, not a handle) is a clear error: on a logger, a collection and a worker's AttachedLogger", async (t) => {
  const fix = /pass the MetricHandle that handle\('<identifier>'\) returned on this logger/;
  const cases: BadCase[] = [
    { title: 'undefined', call: (l) => l.metric(undefined as never, 1), type: TypeError, arg: /handle is/, value: /handle is undefined;/, fix },
    { title: 'null, with step and batchIdx', call: (l) => l.metric(null as never, 1, 0, 0), type: TypeError, arg: /handle is/, value: /handle is null;/, fix },
    {
      title: 'the identifier instead of its handle',
      call: (l) => l.metric('valid' as never, 1),
      type: TypeError,
      arg: /handle is/,
      value: /handle is "valid";/,
      fix,
    },
    {
      title: 'a look-alike object',
      call: (l) => l.metric({ id: 0, mask: 1, owner: null } as never, 1),
      type: TypeError,
      arg: /handle is/,
      value: /handle is an object;/,
      fix,
    },
  ];
  await rejectAll(t, cases, (l, step, h) => l.metric(h, step, step));

  const file = tempFile(t, 'collection.jsonl');
  const collection = new LoggersCollection([new RecordingLogger({ file, logOnWorkers: -1, logFreq: 'batch' })]);
  await startRecording(t, collection, { worldSize: 2 });
  t.throws(() => collection.metric(undefined as never, 1), { instanceOf: TypeError, message: /^ranklog: handle is undefined; pass the MetricHandle/ });
  const worker = new Worker(BAD_ATTACH, { workerData: { handle: collection.workerHandle(1) } });
  const exited = once(worker, 'exit'); // listening from the start: 'exit' may follow the message in the same tick
  const [reply] = (await once(worker, 'message')) as [{ errors: Record<string, { name: string; message: string } | null>; drained: boolean }];
  await exited;
  t.true(reply.drained);
  for (const [k, shown] of [
    ['metricUndefined', 'undefined'],
    ['metricNull', 'null'],
    ['metricString', '"loss"'],
  ] as const) {
    t.is(reply.errors[k]?.name, 'TypeError', k);
    t.regex(reply.errors[k]?.message ?? '', new RegExp(`^ranklog: handle is ${esc(shown)}; pass the MetricHandle that handle\\('<identifier>'\\) returned`), k);
  }
  collection.log(5, 'valid');
  await collection.destroyLoggerContext();
  t.deepEqual(
    readRecords(file)
      .map((r) => [r.rank, r.identifier])
      .sort(),
    [
      [0, 'valid'],
      [1, 'valid-worker'],
    ],
    'only the valid calls of both threads were recorded',
  );
});

test('dict items: a toJSON() that returns undefined or a bigint, or throws, is a clear error naming the path; what toJSON() returns is checked like any value', async (t) => {
  const returns = (v: unknown) => ({ toJSON: () => v });
  const fix = /make toJSON\(\) return a string, a finite number, a boolean, null, a plain object or an array/;
  const dict = (item: unknown) => (l: RecordingLogger) => untyped(l).log(item, 'd', { kind: 'dict' });
  const cases: BadCase[] = [
    {
      title: 'top level → undefined',
      call: dict(returns(undefined)),
      type: TypeError,
      arg: /item at item is/,
      value: /is an object;/,
      fix: /its toJSON\(\) returned undefined, which JSON would silently drop; make toJSON\(\)/,
    },
    { title: 'nested → undefined', call: dict({ a: { b: returns(undefined) } }), type: TypeError, arg: /item at item\.a\.b is/, value: /is an object;/, fix },
    { title: 'in an array → undefined', call: dict([1, returns(undefined)]), type: TypeError, arg: /item at item\[1\] is/, value: /is an object;/, fix },
    {
      title: '→ bigint',
      call: dict({ n: returns(10n) }),
      type: TypeError,
      arg: /item at item\.n is/,
      value: /is an object;/,
      fix: /its toJSON\(\) returned 10n, which JSON cannot hold; make toJSON\(\)/,
    },
    {
      title: '→ NaN',
      call: dict({ x: returns(NaN) }),
      type: TypeError,
      arg: /item at item\.x is/,
      value: /is an object;/,
      fix: /its toJSON\(\) returned NaN, which JSON cannot hold/,
    },
    {
      title: 'throws',
      call: dict({
        d: {
          toJSON: () => {
            throw new Error('not today');
          },
        },
      }),
      type: TypeError,
      arg: /item at item\.d is/,
      value: /is an object;/,
      fix: /its toJSON\(\) threw \(not today\); fix toJSON\(\) or convert the value before logging it/,
    },
    {
      title: '→ an object holding a bigint',
      call: dict({ m: returns({ big: 1n }) }),
      type: TypeError,
      arg: /item at item\.m \(its toJSON\(\)\)\.big is/,
      value: /is 1n;/,
      fix: /a bigint is not JSON-serialisable/,
    },
    {
      title: 'saveHyperparameters: an array holding a toJSON() → bigint',
      call: (l) => l.saveHyperparameters({ lr: 0.1, schedule: [returns(1n)] }),
      type: TypeError,
      arg: /params\.schedule at \$\[0\] is/,
      value: /is an object;/,
      fix: /its toJSON\(\) returned 1n/,
    },
    {
      title: 'dataset schema → undefined',
      call: (l) => l.log({ name: 'n', digest: 'd', source: 's', schema: { cols: returns(undefined) } }, 'ds', { kind: 'dataset' }),
      type: TypeError,
      arg: /dataset schema at \$\.cols is/,
      value: /is an object;/,
      fix: /returned undefined/,
    },
    {
      title: 'Vega-Lite spec: toJSON() throws',
      call: (l) => l.log({ mark: 'point', data: { values: [returns(undefined)] } }, 'f', { kind: 'figure' }),
      type: TypeError,
      arg: /item \(Vega-Lite spec\) at \$\.data\.values\[0\] is/,
      value: /is an object;/,
      fix: /returned undefined/,
    },
  ];
  const input = { at: new Date(0), invalid: new Date(NaN), nested: [returns({ k: 'v' })], plain: { x: 1 } };
  const records = await rejectAll(t, cases, (l, step) => l.log({ step, ...input }, 'valid', { kind: 'dict', step }));
  t.deepEqual(
    records[0]!.item,
    { step: 0, at: '1970-01-01T00:00:00.000Z', invalid: null, nested: [{ k: 'v' }], plain: { x: 1 } },
    'what JSON.stringify would write',
  );
  t.true(input.at instanceof Date && typeof input.nested[0]!.toJSON === 'function', "the caller's object is not changed");
});

const GREY_PNG = handMadePng(2, 1, 3, Uint8Array.of(1, 2, 3, 4, 5, 6));
const IDAT = pngChunk('IDAT', deflateSync(Buffer.alloc(4)));
const IEND = pngChunk('IEND', new Uint8Array(0));
const pngOf = (...chunks: Uint8Array[]) => Buffer.concat([PNG_SIGNATURE, ...chunks]);

test('image bytes: a PNG/JPEG signature followed by a broken or oversized header is a clear error, not an image of any size', async (t) => {
  const limit = /above ranklog's limit \(each side at most 65535, at most 2\^28 = 268435456 pixels in all\)/;
  const badCrc = Buffer.from(GREY_PNG);
  badCrc[29]! ^= 0xff;
  const image = (bytes: Uint8Array) => (l: RecordingLogger) => l.log(bytes, 'i', { kind: 'image' });
  const png = (title: string, bytes: Uint8Array, why: RegExp): BadCase => ({
    title,
    call: image(bytes),
    type: TypeError,
    arg: /item \(image bytes\)/,
    value: new RegExp(`a Buffer of length ${bytes.length};`),
    fix: new RegExp(`it starts like a PNG file but ${why.source}; pass a complete, valid PNG file`),
  });
  const jpeg = (title: string, bytes: Uint8Array, why: RegExp): BadCase => ({
    title,
    call: image(bytes),
    type: TypeError,
    arg: /item \(image bytes\)/,
    value: new RegExp(`a Buffer of length ${bytes.length};`),
    fix: new RegExp(`it starts like a JPEG file but ${why.source}; pass a complete, valid JPEG file`),
  });
  const cases: BadCase[] = [
    png('the signature, then garbage', pngOf(Buffer.alloc(64, 0x41)), /its first chunk is not a 13-byte IHDR/),
    png('IHDR with a wrong CRC', badCrc, /the CRC-32 of its IHDR chunk is wrong \(the file is corrupt\)/),
    png(
      'IHDR saying 100000×100000',
      pngOf(pngChunk('IHDR', ihdr(100000, 100000)), IDAT, IEND),
      new RegExp(`its header says 100000×100000 pixels, ${limit.source}`),
    ),
    png(
      '40000×40000: each side fine, too many pixels',
      pngOf(pngChunk('IHDR', ihdr(40000, 40000)), IDAT, IEND),
      new RegExp(`its header says 40000×40000 pixels, ${limit.source}`),
    ),
    png('width 0', pngOf(pngChunk('IHDR', ihdr(0, 1)), IDAT, IEND), /its header says 0×1 pixels; PNG images have at least 1×1/),
    png(
      'RGB with bit depth 3',
      pngOf(pngChunk('IHDR', ihdr(1, 1, 3, 2)), IDAT, IEND),
      /its IHDR has colour type 2 with bit depth 3, which PNG does not define/,
    ),
    png('no IEND (truncated)', GREY_PNG.subarray(0, GREY_PNG.length - 12), /it ends at byte \d+ before its IEND chunk \(truncated\)/),
    png(
      'a chunk longer than the file',
      pngOf(pngChunk('IHDR', ihdr(1, 1)), Buffer.from([0, 0x0f, 0x42, 0x40]), Buffer.from('IDAT'), Buffer.alloc(20)),
      /its IDAT chunk at byte 33 runs past the end of the file \(truncated\)/,
    ),
    png('no IDAT', pngOf(pngChunk('IHDR', ihdr(1, 1)), IEND), /it has no image data \(no IDAT chunk before IEND\)/),
    jpeg(
      'SOI, then garbage',
      Buffer.from([0xff, 0xd8, 0xff, 0x41, 0x41, 0x41, 0x41]),
      /its 0xFF41 segment at byte 2 runs past the end of the file \(truncated\)/,
    ),
    jpeg(
      'a segment past the end',
      jpegWith(jpegSegment(0xdb, new Uint8Array(65)), sof0(2, 2)).subarray(0, 40),
      /its 0xFFDB segment at byte 20 runs past the end of the file \(truncated\)/,
    ),
    jpeg(
      'a scan before any frame header',
      jpegWith(jpegSegment(0xda, [1, 1, 0, 0, 63, 0])),
      /it has a start-of-scan marker \(0xFFDA\) before any frame header \(SOFn\)/,
    ),
    jpeg(
      'height 0 (DNL)',
      jpegWith(sof0(4, 0)),
      /its frame header gives height 0 \(set later by a DNL marker\), which ranklog does not read; re-encode it with the height in the header/,
    ),
    jpeg('65535×65535', jpegWith(sof0(65535, 65535)), new RegExp(`its header says 65535×65535 pixels, ${limit.source}`)),
    {
      title: 'raw pixels, 70000×1: the same limit',
      call: (l) => l.log({ data: new Uint8Array(70000), width: 70000, height: 1, channels: 1 }, 'i', { kind: 'image' }),
      type: RangeError,
      arg: /image width × height/,
      value: /"70000×1";/,
      fix: /use each side at most 65535 and at most 2\^28 = 268435456 pixels in all \(downscale it\)/,
    },
    {
      title: 'figure: the PNG signature, then garbage',
      call: (l) => l.log(pngOf(Buffer.alloc(40, 7)), 'f', { kind: 'figure' }),
      type: TypeError,
      arg: /item \(figure bytes\)/,
      value: /a Buffer of length 48;/,
      fix: /it starts like a PNG file but its first chunk is not a 13-byte IHDR; pass a complete, valid PNG file \(or raw pixels as \{ data, width, height, channels \}\)/,
    },
  ];
  // A JPEG up to its frame header, with a fill byte before SOF0 (allowed before any marker), and a complete PNG.
  const goodJpeg = jpegWith(Buffer.from([0xff]), sof0(3, 2));
  const records = await rejectAll(t, cases, (l, step) => l.log(step % 2 ? goodJpeg : GREY_PNG, 'valid', { kind: 'image', step }));
  t.like(records[0]!.item as object, { format: 'png', data: Array.from(GREY_PNG) });
  t.like(records[1]!.item as object, { format: 'jpeg', data: Array.from(goodJpeg) });
});

test('lone surrogates (which UTF-8 would turn into U+FFFD) are rejected in identifiers, text, string params, dict strings and keys, hyperparameters and datasets', async (t) => {
  const fix =
    /it contains a lone surrogate \(U\+D[89A-F][0-9A-F]{2} at index \d+\), which UTF-8 cannot encode: it would be written as U\+FFFD\. Fix the string, or pass s\.toWellFormed\(\) to replace it knowingly/;
  const cases: BadCase[] = [
    {
      title: "identifier 'a\\uD800'",
      call: (l) => l.log(1, 'a\uD800'),
      type: TypeError,
      arg: /identifier is/,
      value: /"a\\ud800";/,
      fix: /U\+D800 at index 1/,
    },
    { title: "handle('\\uDC00b')", call: (l) => l.handle('\uDC00b'), type: TypeError, arg: /identifier is/, value: /"\\udc00b";/, fix: /U\+DC00 at index 0/ },
    {
      title: 'a text identifier, a pair then a lone one',
      call: (l) => l.log('x', 'ok😀/\uD83D', { kind: 'text' }),
      type: TypeError,
      arg: /identifier is/,
      value: /"ok😀\/\\ud83d";/,
      fix: /U\+D83D at index 5/,
    },
    { title: 'text', call: (l) => l.log('loss\uDC00', 't', { kind: 'text' }), type: TypeError, arg: /item \(text\) is/, value: /"loss\\udc00";/, fix },
    {
      title: 'string param',
      call: (l) => l.log('adam\uD800', 'p', { kind: 'param' }),
      type: TypeError,
      arg: /item \(param\) is/,
      value: /"adam\\ud800";/,
      fix,
    },
    {
      title: 'dict value',
      call: (l) => l.log({ a: ['ok', 'b\uD800'] }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item at item\.a\[1\] is/,
      value: /"b\\ud800";/,
      fix,
    },
    {
      title: 'dict key',
      call: (l) => l.log({ 'k\uDC00': 1 }, 'd', { kind: 'dict' }),
      type: TypeError,
      arg: /item key at item is/,
      value: /"k\\udc00";/,
      fix,
    },
    {
      title: 'saveHyperparameters value, after a valid one',
      call: (l) => l.saveHyperparameters({ lr: 0.1, name: 'run\uD800' }),
      type: TypeError,
      arg: /params\.name is/,
      value: /"run\\ud800";/,
      fix,
    },
    {
      title: 'saveHyperparameters key',
      call: (l) => l.saveHyperparameters({ lr: 0.1, opt: { 'm\uD800': 1 } }),
      type: TypeError,
      arg: /identifier is/,
      value: /"opt\.m\\ud800";/,
      fix,
    },
    {
      title: 'dataset name',
      call: (l) => l.log({ name: 'n\uDC00', digest: 'd', source: 's' }, 'ds', { kind: 'dataset' }),
      type: TypeError,
      arg: /dataset name is/,
      value: /"n\\udc00";/,
      fix,
    },
    {
      title: 'SVG figure',
      call: (l) => l.log('<svg xmlns="http://www.w3.org/2000/svg"><text>\uD800</text></svg>', 'f', { kind: 'figure' }),
      type: TypeError,
      arg: /item \(figure\) is/,
      value: /\\ud800/,
      fix,
    },
  ];
  const records = await rejectAll(t, cases, (l, step) => l.log(`ok 😀 ${step}`, 'valid', { kind: 'text', step }));
  t.is(records[0]!.item, 'ok 😀 0', 'a surrogate pair is fine and arrives unchanged');
});

test('unknown option keys are errors that suggest the closest valid key: log() (logger, collection, worker), createLoggerContext() and every logger', async (t) => {
  const cases: BadCase[] = [
    {
      title: '{ stepp: 3 }',
      call: (l) => l.log(1, 'o', { stepp: 3 } as never),
      type: TypeError,
      arg: /log\(\) option 'stepp'/,
      value: /is 3;/,
      fix: /log\(\) has no such option; did you mean 'step'\? Its options are 'kind', 'step', 'batchIdx'\./,
    },
    {
      title: '{ batch_idx: 2 }',
      call: (l) => l.log(1, 'o', { batch_idx: 2 } as never),
      type: TypeError,
      arg: /log\(\) option 'batch_idx'/,
      value: /is 2;/,
      fix: /did you mean 'batchIdx'\?/,
    },
    {
      title: "{ knd: 'text' } with a string",
      call: (l) => l.log('hello', 'o', { knd: 'text' } as never),
      type: TypeError,
      arg: /log\(\) option 'knd'/,
      value: /"text"/,
      fix: /did you mean 'kind'\?/,
    },
    {
      title: 'text with { step, batchIdxx }',
      call: (l) => l.log('hello', 'o', { kind: 'text', step: 1, batchIdxx: 4 } as never),
      type: TypeError,
      arg: /log\(\) option 'batchIdxx'/,
      value: /is 4;/,
      fix: /did you mean 'batchIdx'\?/,
    },
    {
      title: 'an epoch-level metric { step, batchIdxx }',
      call: (l) => l.log(0.5, 'o', { step: 1, batchIdxx: 4 } as never),
      type: TypeError,
      arg: /log\(\) option 'batchIdxx'/,
      value: /is 4;/,
      fix: /did you mean 'batchIdx'\?/,
    },
    {
      title: '{ color } (nothing close)',
      call: (l) => l.log(1, 'o', { color: 'red' } as never),
      type: TypeError,
      arg: /log\(\) option 'color'/,
      value: /"red"/,
      fix: /"red"; log\(\) has no such option\. Its options are 'kind', 'step', 'batchIdx'\.$/,
    },
  ];
  await rejectAll(t, cases, validMetric);

  const bad: [string, () => unknown, RegExp][] = [
    [
      'LocalFileLogger savdir',
      () => new LocalFileLogger({ savdir: 'x' } as never),
      /^ranklog: LocalFileLogger option 'savdir' is "x"; LocalFileLogger has no such option; did you mean 'savedir'\? Its options are 'logFreq', 'logOnWorkers', 'systemMetrics', 'aggregate', 'aggregateWindow', 'aggregateTimeoutSecs', 'savedir', 'followExternalSymlinks', 'jsonl'\.$/,
    ],
    [
      'TensorBoardLogger flushSec',
      () => new TensorBoardLogger({ flushSec: 1 } as never),
      /^ranklog: TensorBoardLogger option 'flushSec' is 1; .*did you mean 'flushSecs'\?/,
    ],
    [
      'MLFlowLogger trackingURI',
      () => new MLFlowLogger({ trackingURI: 'http://127.0.0.1:5000' } as never),
      /^ranklog: MLFlowLogger option 'trackingURI' is "http:\/\/127\.0\.0\.1:5000"; .*did you mean 'trackingUri'\?/,
    ],
    [
      'MLFlowLogger experiment_name',
      () => new MLFlowLogger({ experiment_name: 'e' } as never),
      /MLFlowLogger option 'experiment_name' .*did you mean 'experimentName'\?/,
    ],
    [
      'ConsoleLogger totalEpoch',
      () => new ConsoleLogger({ totalEpoch: 3 } as never),
      /^ranklog: ConsoleLogger option 'totalEpoch' is 3; .*did you mean 'totalEpochs'\?/,
    ],
    [
      'NullLogger logfreq',
      () => new NullLogger({ logfreq: 10 } as never),
      /^ranklog: NullLogger option 'logfreq' is 10; .*did you mean 'logFreq'\? Its options are 'logFreq', 'logOnWorkers', 'systemMetrics', 'aggregate', 'aggregateWindow', 'aggregateTimeoutSecs'\.$/,
    ],
    ['NullLogger logOnWorker', () => new NullLogger({ logOnWorker: -1 } as never), /did you mean 'logOnWorkers'\?/],
  ];
  for (const [title, make, message] of bad) t.throws(make, { instanceOf: TypeError, message }, title);

  // createLoggerContext(): rejected before anything starts; the logger stays without a context.
  const savedir = dirname(tempFile(t));
  const local = new LocalFileLogger({ savedir });
  await t.throwsAsync(local.createLoggerContext({ rnak: 1 } as never), {
    instanceOf: TypeError,
    message: /^ranklog: createLoggerContext\(\) option 'rnak' is 1; createLoggerContext\(\) has no such option; did you mean 'rank'\?/,
  });
  t.throws(() => local.log(1, 'x'), { message: /was called before createLoggerContext\(\)/ });
  t.deepEqual(readdirSync(savedir), [], 'no run directory was made');

  // A collection and a worker's AttachedLogger check log() options too.
  const file = tempFile(t, 'collection.jsonl');
  const collection = new LoggersCollection([new RecordingLogger({ file, logOnWorkers: -1 })]);
  await startRecording(t, collection, { worldSize: 2 });
  t.throws(() => collection.log(1, 'x', { stepp: 1 } as never), { instanceOf: TypeError, message: /log\(\) option 'stepp' is 1; .*did you mean 'step'\?/ });
  const worker = new Worker(BAD_ATTACH, { workerData: { handle: collection.workerHandle(1) } });
  const exited = once(worker, 'exit');
  const [reply] = (await once(worker, 'message')) as [{ errors: Record<string, { name: string; message: string } | null> }];
  await exited;
  t.like(reply.errors.logStepp, { name: 'TypeError' });
  t.regex(reply.errors.logStepp?.message ?? '', /^ranklog: log\(\) option 'stepp' is 1; log\(\) has no such option; did you mean 'step'\?/);
  const stats = await collection.destroyLoggerContext();
  t.deepEqual(
    readRecords(file).map((r) => r.identifier),
    ['valid-worker'],
    'the rejected calls recorded nothing',
  );
  t.is(stats.recordsIn, 1);
});

test('identifier segments are at most 200 UTF-8 bytes: 200 × "é" is rejected at log(), not dropped by a writer; a 200-byte segment is written by local files and MLflow', async (t) => {
  const fix =
    /use at most 200 bytes per '\/'-separated segment \(segments name directories and files, which Linux limits to 255 bytes, and ranklog adds suffixes\), e\.g\. split it with '\/'/;
  const e200 = 'é'.repeat(200);
  const cases: BadCase[] = [
    {
      title: 'text, 200 × é',
      call: (l) => l.log('x', e200, { kind: 'text' }),
      type: RangeError,
      arg: /identifier is/,
      value: /identifier is "é{77}\.\.\.";/,
      fix: new RegExp(`its segment "é{37}\\.\\.\\." is 400 bytes in UTF-8; ${fix.source}`),
    },
    {
      title: 'metric, 201 × x',
      call: (l) => l.log(1, 'x'.repeat(201)),
      type: RangeError,
      arg: /identifier is/,
      value: /"x{77}\.\.\.";/,
      fix: /is 201 bytes in UTF-8; use at most 200 bytes/,
    },
    {
      title: 'the second segment',
      call: (l) => l.log({ a: 1 }, `ok/${'€'.repeat(67)}`, { kind: 'dict' }),
      type: RangeError,
      arg: /identifier is/,
      value: /"ok\/€+/,
      fix: /its segment "€{37}\.\.\." is 201 bytes in UTF-8/,
    },
    { title: 'handle()', call: (l) => l.handle(e200), type: RangeError, arg: /identifier is/, value: /"é{77}\.\.\.";/, fix: /is 400 bytes/ },
    {
      title: 'a saveHyperparameters key',
      call: (l) => l.saveHyperparameters({ lr: 1, ['k'.repeat(201)]: 2 }),
      type: RangeError,
      arg: /identifier is/,
      value: /"k{77}\.\.\.";/,
      fix: /is 201 bytes/,
    },
  ];
  await rejectAll(t, cases, validMetric);

  // The largest segment allowed fits every file name made from it (local text file, MLflow artifact name).
  const savedir = dirname(tempFile(t));
  const id = `group/${'é'.repeat(100)}`;
  const local = new LocalFileLogger({ savedir, logFreq: 'batch' });
  const mlflow = new MLFlowLogger({ savedir, logFreq: 'batch', experimentName: 'segments' });
  const collection = new LoggersCollection([local, mlflow]);
  await startRecording(t, collection);
  collection.log('the text', id, { kind: 'text', step: -9007199254740991 });
  const stats = await collection.destroyLoggerContext();
  t.deepEqual(
    stats.backends.map((b) => [b.name, b.failed, b.error]),
    [
      ['LocalFileLogger', 0, undefined],
      ['MLFlowLogger', 0, undefined],
    ],
  );
  const files = listFiles(savedir);
  t.true(files.includes(`${collection.runName}/text/${id}/rank0-step-9007199254740991.txt`), files.join('\n'));
  t.true(
    files.some((f) => f.startsWith('mlflow/') && f.endsWith(`/artifacts/group/${'é'.repeat(100)}_step-9007199254740991.txt`)),
    files.join('\n'),
  );
});
