/**
 * Our TensorBoard writer (@ranklog/tensorboard), through the public API only, judged by the
 * independent decoder in support/tb-decode.ts (written from the public .proto files and the
 * TFRecord framing; it shares no code with packages/tensorboard) and compared with what
 * tensorboardX 2.6.5 writes for the same inputs (shared/reference/tensorboard/; the structure
 * it has is written down at the top of tb-reference.test.ts).
 *
 * Every event file read here must frame correctly (both masked CRC32Cs of every record),
 * decode without schema errors or unknown fields, and start with file_version "brain.Event:2".
 */
import test, { type ExecutionContext } from 'ava';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LoggersCollection, type ContextOptions, type WorkerHandle } from '@ranklog/core';
import { TensorBoardLogger, type TensorBoardLoggerOptions } from '@ranklog/tensorboard';
import { crc32c } from './support/crc32c-ref.js';
import { decodePng } from './support/png-decode.js';
import { referenceData } from './support/reference-data.js';
import { LIVENESS_MS, waitFor } from './support/wait-for.js';
import { handMadePng, jpegWith, sof0 } from './support/image-bytes.js';
import { uniqueRunName } from './support/recording-logger.js';
import {
  decodeHParamsPluginData,
  DT,
  EVENT_FILE_PATTERN,
  firstStructures,
  pvalueToJs,
  readEventFile,
  readRunDir,
  scalarOf,
  summaryValues,
  tensorStrings,
  type DecodedEvent,
  type DecodedValue,
  type EventFile,
  type HParamsPluginData,
  type RunData,
  type TaggedValue,
  type ValueStructure,
} from './support/tb-decode.js';
import { mulberry32 } from './support/prng.js';

/** tensorboardX's files for the comparisons (<repo>/../shared/reference/…): missing fails in CI, skips elsewhere. */
const REFERENCE = referenceData('tensorboard', 'tensorboard/tensorboardx-2.6.5');
const REF_DIR = REFERENCE.dir;
const refTest = REFERENCE.test;

const SCALAR_WORKER = new URL('./fixtures/tb-scalar-worker.js', import.meta.url);
/** events.out.tfevents.<seconds>.<hostname>.<pid>.<n> */
const OUR_NAME = /^events\.out\.tfevents\.(\d+)\.(.+)\.(\d+)\.(\d+)$/;

// ------------------------------------------------------------------ helpers

function tempDir(t: ExecutionContext, tag = 'tb'): string {
  const dir = mkdtempSync(join(tmpdir(), `ranklog-${tag}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Started {
  logger: TensorBoardLogger;
  savedir: string;
  runName: string;
  runDir: string;
}

/** A TensorBoardLogger on a fresh savedir (logFreq 'batch' unless given), its context created; destroyed in teardown if still open. */
async function startTb(t: ExecutionContext, options: TensorBoardLoggerOptions = {}, ctx: ContextOptions = {}): Promise<Started> {
  const savedir = options.savedir ?? tempDir(t);
  const logger = new TensorBoardLogger({ logFreq: 'batch', ...options, savedir });
  t.teardown(() => logger[Symbol.asyncDispose]());
  const runName = ctx.runName ?? uniqueRunName('tb');
  await logger.createLoggerContext({ handleSignals: false, rank: 0, ...ctx, runName });
  return { logger, savedir, runName, runDir: join(savedir, runName) };
}

/** Check one of OUR files: framing, schema, first record, name. */
function checkOurFile(t: ExecutionContext, f: EventFile): void {
  const name = basename(f.path);
  t.deepEqual(f.errors, [], `${name}: framing/decoding errors`);
  t.deepEqual(f.unknownFields, [], `${name}: fields the schema does not define`);
  t.false(f.truncatedTail, `${name}: truncated tail after close`);
  t.true(f.events.length >= 1, `${name}: empty file`);
  t.is(f.events[0]?.what, 'file_version', `${name}: first record`);
  t.is(f.events[0]?.fileVersion, 'brain.Event:2', `${name}: file_version`);
  t.is(f.events.filter((e) => e.what === 'file_version').length, 1, `${name}: one file_version record`);
  t.regex(name, OUR_NAME, 'file name events.out.tfevents.<secs>.<host>.<pid>.<n>');
}

/** Every run below `dir`, each file checked. */
function readRunsChecked(t: ExecutionContext, dir: string): Map<string, RunData> {
  t.true(existsSync(dir), `${dir} exists`);
  const runs = readRunDir(dir);
  for (const run of runs.values()) for (const f of run.files) checkOurFile(t, f);
  return runs;
}

function allEvents(runs: Map<string, RunData>): DecodedEvent[] {
  return [...runs.values()].flatMap((r) => r.events);
}

/** Values whose tag is `id` (or tensorboardX's `id/text_summary` for text). */
function valuesFor(events: DecodedEvent[], id: string): TaggedValue[] {
  return summaryValues(events).filter((v) => v.value.tag === id || v.value.tag === `${id}/text_summary`);
}

function only(t: ExecutionContext, events: DecodedEvent[], id: string): TaggedValue {
  const vs = valuesFor(events, id);
  t.is(vs.length, 1, `one value for ${id}, found ${vs.length} (tags: ${[...new Set(summaryValues(events).map((v) => v.value.tag))].join(', ')})`);
  return vs[0]!;
}

/** Deterministic N(0, 1) samples (mulberry32 + Box–Muller). */
function normalSamples(n: number, seed: number): number[] {
  const uniform = mulberry32(seed);
  const out: number[] = [];
  while (out.length < n) {
    const u = uniform() || 1e-12;
    const v = uniform();
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

/** The 8×8 pattern of the reference image: red 32·x, green 32·y, blue 200. */
function referencePattern(): Uint8Array {
  const px = new Uint8Array(8 * 8 * 3);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) px.set([32 * x, 32 * y, 200], (y * 8 + x) * 3);
  return px;
}

function hparamsValues(events: DecodedEvent[]): { value: DecodedValue; event: DecodedEvent; data: HParamsPluginData }[] {
  return summaryValues(events)
    .filter((v) => v.value.metadata?.pluginName === 'hparams')
    .map((v) => ({ ...v, data: decodeHParamsPluginData(v.value.metadata!.pluginContent!) }));
}

/** Run the scalar fixture for `rank`; resolves with its report. */
function runScalarWorker(handle: WorkerHandle, tag: string, n: number): Promise<{ drained: boolean; rank: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SCALAR_WORKER, { workerData: { handle, tag, n } });
    let report: { drained: boolean; rank: number } | undefined;
    w.once('message', (m: { drained: boolean; rank: number }) => (report = m));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 && report ? resolve(report) : reject(new Error(`worker exited with ${code} without a report`))));
  });
}

/** Bytes per scalar of the events holding only values of `tags`: their records' bytes / their values. */
function bytesPerScalar(events: DecodedEvent[], tags: readonly string[]): { perScalar: number; values: number; events: number } {
  let bytes = 0;
  let values = 0;
  let n = 0;
  for (const e of events) {
    const vs = e.summary?.values ?? [];
    if (vs.length === 0 || !vs.every((v) => tags.includes(v.tag))) continue;
    bytes += e.record.totalBytes;
    values += vs.length;
    n++;
  }
  return { perScalar: bytes / values, values, events: n };
}

// ------------------------------------------------------------------ framing

test('framing: every record of every file checks (both CRCs), first record file_version, file name events.out.tfevents.<secs>.<host>.<pid>.<n>', async (t) => {
  // The oracle's CRC first (known answers), so a failure below is not the oracle's.
  t.is(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  t.is(crc32c(new Uint8Array(32)), 0x8a9136aa);

  const before = Date.now();
  const { logger, runDir } = await startTb(t);
  for (let i = 0; i < 50; i++) logger.log(i / 10, 'a/scalar', { step: i });
  logger.log('some text', 'a/text', { kind: 'text', step: 1 });
  logger.log(Float64Array.from([1, 2, 3, 4]), 'a/histogram', { kind: 'histogram', step: 1 });
  logger.log({ data: new Uint8Array(2 * 2 * 3).fill(7), width: 2, height: 2, channels: 3 }, 'a/image', { kind: 'image', step: 1 });
  await logger.destroyLoggerContext();
  const after = Date.now();

  const runs = readRunsChecked(t, runDir);
  t.deepEqual([...runs.keys()], ['.'], 'one run, in the run directory itself');
  const files = runs.get('.')!.files;
  t.is(files.length, 1);
  const f = files[0]!;
  const [, secs, host, pid] = OUR_NAME.exec(basename(f.path)) ?? [];
  t.is(host, hostname());
  t.is(Number(pid), process.pid);
  t.true(Number(secs) >= Math.floor(before / 1000) - 1 && Number(secs) <= Math.ceil(after / 1000), `seconds ${secs} within the run`);
  // Stamped when the file was created (like the name's seconds): within the run, however long a loaded machine made it.
  t.true(
    f.events[0]!.wallTime >= before / 1000 && f.events[0]!.wallTime <= after / 1000,
    `file_version wall_time ${f.events[0]!.wallTime} not within the run (${before / 1000}..${after / 1000})`,
  );
  t.is(
    f.events.reduce((a, e) => a + e.record.totalBytes, 0),
    statSync(f.path).size,
    'records cover the whole file',
  );
  t.is(summaryValues(f.events).filter((v) => v.value.tag === 'a/scalar').length, 50);
});

// ------------------------------------------------------------------ kinds

test('scalars round-trip: tag, step, wall time, float32 value; NaN and ±Infinity kept; fast path too', async (t) => {
  const values = [0, 1, -1, 0.1, 1 / 3, -2.5e-7, 123456.789, 3.4e38, -0, 1e-45, NaN, Infinity, -Infinity];
  const steps = [0, 1, 2, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 40 + 1, 2 ** 53 - 1, 7];
  const before = Date.now();
  const { logger, runDir } = await startTb(t);
  values.forEach((v, i) => logger.log(v, 'train/loss', { step: steps[i] }));
  const h = logger.handle('fast/value');
  values.forEach((v, i) => logger.metric(h, v, steps[i], i));
  await logger.destroyLoggerContext();
  const after = Date.now();

  const events = allEvents(readRunsChecked(t, runDir));
  for (const tag of ['train/loss', 'fast/value']) {
    const got = summaryValues(events).filter((v) => v.value.tag === tag);
    t.is(got.length, values.length, tag);
    got.forEach(({ value, event }, i) => {
      const x = scalarOf(value);
      t.true(Object.is(x, Math.fround(values[i]!)), `${tag} #${i}: ${x} is not float32(${values[i]})`);
      t.is(event.stepBig, BigInt(steps[i]!), `${tag} #${i}: step`);
      t.true(
        event.wallTime >= before / 1000 - 1 && event.wallTime <= after / 1000 + 1,
        `${tag} #${i}: wall_time ${event.wallTime} not within the log calls (${before / 1000}..${after / 1000})`,
      );
    });
  }
});

test('text: plugin text, DT_STRING tensor of shape [1], the exact UTF-8 string (also > 127 bytes)', async (t) => {
  const short = 'Hello from **ranklog** - unicode: é✓ 🚀';
  const long = 'line\n'.repeat(60) + 'ü'.repeat(100);
  const { logger, runDir } = await startTb(t);
  logger.log(short, 'notes', { kind: 'text', step: 3 });
  logger.log(long, 'long', { kind: 'text', step: 4 });
  await logger.destroyLoggerContext();
  const events = allEvents(readRunsChecked(t, runDir));
  for (const [id, text, step] of [
    ['notes', short, 3],
    ['long', long, 4],
  ] as const) {
    const { value, event } = only(t, events, id);
    t.is(event.step, step);
    t.is(value.metadata?.pluginName, 'text', `${id}: plugin`);
    t.is(value.kind, 'tensor');
    t.is(value.tensor?.dtype, DT.STRING);
    t.deepEqual(value.tensor?.shape, [1]);
    t.deepEqual(value.tensor && tensorStrings(value.tensor), [text]);
  }
});

test('images: HWC uint8, float 0..1 and PNG bytes — PNG in Summary.Image, plugin images, size and colorspace, pixels', async (t) => {
  const { logger, runDir } = await startTb(t);
  const rgb = referencePattern();
  logger.log({ data: rgb, width: 8, height: 8, channels: 3 }, 'img/uint8', { kind: 'image', step: 1 });
  // 5×3 grey from floats: expected round(v·255) (±1 for other rounding).
  const grey = Float32Array.from({ length: 15 }, (_, i) => i / 14);
  logger.log({ data: grey, width: 5, height: 3, channels: 1 }, 'img/float', { kind: 'image', step: 2 });
  // 3×2 RGBA PNG made here.
  const rgba = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37 + 11) & 0xff);
  logger.log(handMadePng(3, 2, 4, rgba), 'img/png', { kind: 'image', step: 3 });
  await logger.destroyLoggerContext();
  const events = allEvents(readRunsChecked(t, runDir));

  const check = (id: string, step: number, w: number, h: number, channels: number, expect: Uint8Array, tol: number) => {
    const { value, event } = only(t, events, id);
    t.is(event.step, step);
    t.is(value.kind, 'image', `${id}: Summary.Image`);
    // TensorBoard reads a legacy Summary.Image without metadata as an image; metadata, if any, must name the images plugin.
    // (Parity with tensorboardX, which always sets it, is checked in the structure test.)
    t.true(value.metadata === undefined || value.metadata.pluginName === 'images', `${id}: plugin ${value.metadata?.pluginName}`);
    const im = value.image!;
    t.like(im, { width: w, height: h, colorspace: channels }, id);
    const png = decodePng(im.encodedImageString);
    t.like(png, { width: w, height: h }, id);
    t.is(im.colorspace, png.channels as number, `${id}: colorspace vs the PNG's channels`);
    const bad: string[] = [];
    for (let i = 0; i < w * h; i++) {
      for (let c = 0; c < channels; c++) {
        const got = png.data[i * png.channels + c]!;
        const want = expect[i * channels + c]!;
        if (Math.abs(got - want) > tol) bad.push(`pixel ${i} channel ${c}: ${got} ≠ ${want}`);
      }
    }
    t.deepEqual(bad.slice(0, 5), [], id);
  };
  check('img/uint8', 1, 8, 8, 3, rgb, 0);
  check(
    'img/float',
    2,
    5,
    3,
    1,
    Uint8Array.from(grey, (v) => Math.round(v * 255)),
    1,
  );
  check('img/png', 3, 3, 2, 4, rgba, 0);
});

test('JPEG bytes: Summary.Image gets width, height and colorspace from the frame header; a header too large to be an image is rejected at log()', async (t) => {
  const { logger, runDir } = await startTb(t);
  const grey = jpegWith(sof0(300, 200, 1));
  const colour = jpegWith(Buffer.from([0xff, 0xff]), sof0(7, 5, 3)); // fill bytes before a marker are legal
  logger.log(grey, 'jpeg/grey', { kind: 'image', step: 1 });
  logger.log(colour, 'jpeg/colour', { kind: 'image', step: 2 });
  t.throws(() => logger.log(jpegWith(sof0(65535, 65535)), 'jpeg/huge', { kind: 'image', step: 3 }), {
    instanceOf: TypeError,
    message: /its header says 65535×65535 pixels, above ranklog's limit/,
  });
  await logger.destroyLoggerContext();
  const events = allEvents(readRunsChecked(t, runDir));
  for (const [id, bytes, width, height, colorspace] of [
    ['jpeg/grey', grey, 300, 200, 1],
    ['jpeg/colour', colour, 7, 5, 3],
  ] as const) {
    const im = only(t, events, id).value.image;
    t.like(im, { width, height, colorspace }, id);
    t.deepEqual(Buffer.from(im?.encodedImageString ?? []), Buffer.from(bytes), `${id}: the bytes as logged`);
  }
  t.deepEqual(valuesFor(events, 'jpeg/huge'), []);
});

test('histograms: num, min, max, sum, sum_squares; counts sum to num and match the samples; limits increasing, TensorFlow exponential edges', async (t) => {
  const samples = [...normalSamples(1000, 42), 0, 12.5, -7.25];
  const cases: [string, number[] | Float64Array | Float32Array][] = [
    ['h/normal', samples],
    ['h/typed', Float64Array.from(samples, (x) => x * 1000)],
    ['h/float32', Float32Array.from([0.5, 0.25, 0.125, 3])],
    ['h/constant', [2, 2, 2]],
    ['h/single-negative', [-5]],
  ];
  const { logger, runDir } = await startTb(t);
  cases.forEach(([id, data], i) => logger.log(data, id, { kind: 'histogram', step: i }));
  await logger.destroyLoggerContext();
  const events = allEvents(readRunsChecked(t, runDir));

  for (const [id, data] of cases) {
    const xs = Array.from(data, Number);
    const { value } = only(t, events, id);
    t.is(value.kind, 'histo', `${id}: legacy histo field, like tensorboardX`);
    const h = value.histo!;
    t.is(h.num, xs.length, `${id}: num`);
    t.is(h.min, Math.min(...xs), `${id}: min`);
    t.is(h.max, Math.max(...xs), `${id}: max`);
    const sum = xs.reduce((a, b) => a + b, 0);
    const sq = xs.reduce((a, b) => a + b * b, 0);
    t.true(Math.abs(h.sum - sum) <= 1e-9 * Math.max(1, Math.abs(sq)), `${id}: sum ${h.sum} vs ${sum}`);
    t.true(Math.abs(h.sumSquares - sq) <= 1e-9 * Math.max(1, sq), `${id}: sum_squares ${h.sumSquares} vs ${sq}`);
    t.is(h.bucket.length, h.bucketLimit.length, `${id}: parallel arrays`);
    t.is(
      h.bucket.reduce((a, b) => a + b, 0),
      xs.length,
      `${id}: counts sum to num`,
    );
    t.true(
      h.bucket.every((c) => Number.isInteger(c) && c >= 0),
      `${id}: counts are non-negative integers`,
    );
    const L = h.bucketLimit;
    t.true(
      L.every((l, i) => i === 0 || l > L[i - 1]!),
      `${id}: bucket_limit strictly increasing`,
    );
    t.true(L.length <= 1600, `${id}: ${L.length} buckets`);
    const offEdge = L.filter((l) => {
      if (l === 0 || Math.abs(l) === Number.MAX_VALUE) return false;
      const k = Math.log(Math.abs(l) / 1e-12) / Math.log(1.1);
      return Math.abs(k - Math.round(k)) > 1e-6 || Math.round(k) < 0;
    });
    t.deepEqual(offEdge, [], `${id}: limits that are not 0 or ±1e-12·1.1^k`);
    t.true(L[L.length - 1]! >= Math.max(...xs), `${id}: the last limit ${L.at(-1)} covers the max`);
    // Recount the samples into the decoded buckets: TensorFlow puts x in the first bucket with limit > x
    // ([prev, limit)); accept limit ≥ x ((prev, limit]) as well.
    const recount = (closedRight: boolean) => {
      const c = new Array<number>(L.length).fill(0);
      for (const x of xs) {
        const i = L.findIndex((l) => (closedRight ? l >= x : l > x));
        c[i === -1 ? L.length - 1 : i]!++;
      }
      return c;
    };
    const ok = [recount(false), recount(true)].some((c) => c.every((n, i) => n === h.bucket[i]));
    t.true(ok, `${id}: the bucket counts are not the samples' counts under the written limits`);
  }
});

test('dict: written as pretty-printed JSON text (plugin text)', async (t) => {
  const obj = { lr: 0.1, layers: [64, 32], name: 'mlp', nested: { ok: true, none: null }, unicode: 'é✓' };
  const { logger, runDir } = await startTb(t);
  logger.log(obj, 'config', { kind: 'dict', step: 0 });
  await logger.destroyLoggerContext();
  const { value } = only(t, allEvents(readRunsChecked(t, runDir)), 'config');
  t.is(value.metadata?.pluginName, 'text');
  t.is(value.tensor?.dtype, DT.STRING);
  t.deepEqual(value.tensor?.shape, [1]);
  const text = tensorStrings(value.tensor!)[0]!;
  const json = text.replace(/^\s*```(json)?\s*\n/, '').replace(/\n\s*```\s*$/, '');
  t.deepEqual(JSON.parse(json), obj);
  t.true(json.split('\n').length > 5, `pretty-printed (several lines): ${JSON.stringify(text)}`);
});

test('figure: an SVG is rendered to a PNG image (plugin images) with the right pixels', async (t) => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect x="10" y="5" width="20" height="10" fill="#ff0000"/></svg>';
  const { logger, runDir } = await startTb(t);
  logger.log(svg, 'fig', { kind: 'figure', step: 5 });
  await logger.destroyLoggerContext();
  const { value, event } = only(t, allEvents(readRunsChecked(t, runDir)), 'fig');
  t.is(event.step, 5);
  t.is(value.kind, 'image');
  t.true(value.metadata === undefined || value.metadata.pluginName === 'images', `plugin ${value.metadata?.pluginName}`);
  const png = decodePng(value.image!.encodedImageString);
  t.like(value.image, { width: 40, height: 30, colorspace: png.channels });
  t.like(png, { width: 40, height: 30 });
  const px = (x: number, y: number) => Array.from(png.data.subarray((y * 40 + x) * png.channels, (y * 40 + x) * png.channels + Math.min(3, png.channels)));
  const near = (a: number[], b: number[]) => b.every((v, i) => Math.abs(a[i]! - v) <= 2);
  t.true(near(px(20, 10), [255, 0, 0]), `inside the rectangle: ${px(20, 10)}`);
  t.true(near(px(2, 2), [255, 255, 255]), `background: ${px(2, 2)}`);
});

test("hparams: saveHyperparameters + metrics → plugin hparams; session_start_info has every hparam with its type and value; no experiment record, so TensorBoard infers the metrics from the session run's scalar tags", async (t) => {
  const { logger, runDir } = await startTb(t);
  logger.saveHyperparameters({ lr: 0.01, batch_size: 32, optimizer: 'adam', use_bn: true, opt: { momentum: 0.9, nesterov: false } });
  for (let s = 0; s < 3; s++) {
    logger.log(1 / (s + 1), 'train/loss', { step: s });
    logger.log(s / 3, 'val/acc', { step: s });
  }
  await logger.destroyLoggerContext();
  const runs = readRunsChecked(t, runDir);
  const expected = { lr: 0.01, batch_size: 32, optimizer: 'adam', use_bn: true, 'opt.momentum': 0.9, 'opt.nesterov': false };
  const kinds = { lr: 'number', batch_size: 'number', optimizer: 'string', use_bn: 'bool', 'opt.momentum': 'number', 'opt.nesterov': 'bool' };

  // Which run holds what.
  const where = new Map<string, string[]>();
  for (const [run, data] of runs)
    for (const v of hparamsValues(data.events)) where.set(v.data.data ?? 'none', [...(where.get(v.data.data ?? 'none') ?? []), run]);
  t.log(`hparams summaries by run: ${JSON.stringify(Object.fromEntries(where))}`);

  const all = hparamsValues(allEvents(runs));
  const starts = all.filter((v) => v.data.data === 'session_start_info');
  t.is(starts.length, 1, 'one session_start_info');
  const start = starts[0];
  if (start) {
    t.is(start.value.tag, '_hparams_/session_start_info');
    const s = start.data.sessionStartInfo!;
    t.deepEqual(Object.fromEntries(s.hparams.map(([k, v]) => [k, pvalueToJs(v)])), expected);
    t.deepEqual(Object.fromEntries(s.hparams.map(([k, v]) => [k, v.kind])), kinds);
  }
  // Deliberately no experiment record (unlike tensorboardX): TensorBoard keeps only the first record of a tag
  // per run and picks an arbitrary experiment when several exist, so a written one would freeze the metric list.
  // Without one, the HPARAMS dashboard infers the metrics: every scalar tag in the session's run.
  t.is(all.filter((v) => v.data.data === 'experiment').length, 0, 'no experiment record');
  const sessionRuns = [...runs].filter(([, r]) => r.events.some((ev) => ev.summary?.values.some((v) => v.tag === '_hparams_/session_start_info')));
  t.is(sessionRuns.length, 1, 'one session run');
  const sessionTags = new Set(
    summaryValues(sessionRuns[0]![1].events)
      .filter((v) => scalarOf(v.value) !== undefined)
      .map((v) => v.value.tag),
  );
  for (const tag of ['train/loss', 'val/acc']) t.true(sessionTags.has(tag), `scalar ${tag} in the session run, where TensorBoard looks for metrics`);
  const ends = all.filter((v) => v.data.data === 'session_end_info');
  t.is(ends.length, 1, 'one session_end_info');
  t.is(ends[0]?.data.sessionEndInfo?.status, 1, 'SUCCESS after destroyLoggerContext()');
});

test('artifact, model and dataset: no events, no files, no crash', async (t) => {
  const dir = tempDir(t, 'tb-src');
  const file = join(dir, 'weights.bin');
  writeFileSync(file, new Uint8Array(64));
  const { logger, runDir, savedir } = await startTb(t);
  logger.log(file, 'weights', { kind: 'artifact' });
  logger.log(file, 'model', { kind: 'model' });
  logger.log(dir, 'model_dir', { kind: 'model' });
  logger.log({ name: 'iris', digest: 'abc123', source: 'file:///data/iris.csv' }, 'data', { kind: 'dataset' });
  logger.log(1, 'marker', { step: 0 });
  const stats = await logger.destroyLoggerContext();
  t.is(stats.dropped, 0);
  const events = allEvents(readRunsChecked(t, runDir));
  t.deepEqual([...new Set(summaryValues(events).map((v) => v.value.tag))], ['marker']);
  const everything = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? everything(join(d, e.name)) : [join(d, e.name)]));
  t.deepEqual(
    everything(savedir).filter((p) => !EVENT_FILE_PATTERN.test(basename(p))),
    [],
    'nothing but event files in the savedir',
  );
});

// ------------------------------------------------------------------ the same inputs as the reference

/** Log what tensorboardX was given for the reference files (values of the scalars taken from the reference). */
async function logReferenceInputs(t: ExecutionContext, ref: EventFile): Promise<string> {
  const { logger, runDir } = await startTb(t);
  const loss = summaryValues(ref.events).filter((v) => v.value.tag === 'train/loss');
  const acc = summaryValues(ref.events).filter((v) => v.value.tag === 'train/accuracy');
  for (let i = 0; i < loss.length; i++) {
    logger.log(scalarOf(loss[i]!.value)!, 'train/loss', { step: loss[i]!.event.step });
    logger.log(scalarOf(acc[i]!.value)!, 'train/accuracy', { step: acc[i]!.event.step });
  }
  logger.log('Hello from **tensorboardX** - unicode: é✓', 'notes', { kind: 'text', step: 0 });
  logger.log({ data: referencePattern(), width: 8, height: 8, channels: 3 }, 'sample', { kind: 'image', step: 0 });
  logger.log(normalSamples(1000, 7), 'weights', { kind: 'histogram', step: 0 });
  logger.saveHyperparameters({ lr: 0.01, batch_size: 32, optimizer: 'adam', use_bn: true });
  logger.log(0.93, 'hparam/accuracy', { step: 0 });
  logger.log(0.21, 'hparam/loss', { step: 0 });
  await logger.destroyLoggerContext();
  return runDir;
}

function refFiles(): { main: EventFile; hparams: EventFile } {
  const runs = readRunDir(REF_DIR);
  return { main: runs.get('.')!.files[0]!, hparams: runs.get('hparams')!.files[0]! };
}

const COMPARED: (keyof ValueStructure)[] = ['kind', 'metadata', 'pluginName', 'dtype', 'shape', 'colorspace', 'hparamsData'];

refTest('structure: the same inputs give the same tags, value fields, plugin names, dtypes, shapes and metadata presence as tensorboardX', async (t) => {
  const ref = refFiles();
  const runDir = await logReferenceInputs(t, ref.main);
  const runs = readRunsChecked(t, runDir);
  const ours = firstStructures(allEvents(runs));
  const theirs = new Map([...firstStructures(ref.main.events), ...firstStructures(ref.hparams.events)]);
  // Every difference is collected, so one run of the test lists all of them.
  const problems: string[] = [];

  // Two documented, deliberate differences: the text tag is the identifier itself (tensorboardX appends
  // '/text_summary'), and no '_hparams_/experiment' record (see the hparams test for why).
  const deliberate = new Set(['notes/text_summary', '_hparams_/experiment']);
  for (const k of theirs.keys()) if (!ours.has(k) && !deliberate.has(k)) problems.push(`tag ${k}: written by tensorboardX, not by us`);
  for (const k of ours.keys()) if (!theirs.has(k) && k !== 'notes') problems.push(`tag ${k}: written by us, not by tensorboardX`);
  // Match text by the identifier too, so a tag naming difference does not hide the rest.
  const ourOf = (tag: string) => ours.get(tag) ?? (tag.endsWith('/text_summary') ? ours.get(tag.slice(0, -'/text_summary'.length)) : undefined);
  for (const [tag, r] of theirs) {
    const o = ourOf(tag);
    if (!o) continue;
    for (const k of COMPARED) {
      if (JSON.stringify(o[k]) !== JSON.stringify(r[k])) problems.push(`${tag}: ${k} is ${JSON.stringify(o[k])}, tensorboardX ${JSON.stringify(r[k])}`);
    }
    if (o.metadata && r.metadata && o.dataClass !== r.dataClass)
      t.log(`${tag}: data_class ${o.dataClass} (tensorboardX ${r.dataClass}) — informative, not compared`);
  }

  // The hparams contents, beyond their structure.
  const ourHp = hparamsValues(allEvents(runs));
  const theirHp = hparamsValues(ref.hparams.events);
  const exp = (l: typeof ourHp) => l.find((v) => v.data.data === 'experiment')?.data.experiment;
  const start = (l: typeof ourHp) => l.find((v) => v.data.data === 'session_start_info')?.data.sessionStartInfo;
  const end = (l: typeof ourHp) => l.find((v) => v.data.data === 'session_end_info')?.data.sessionEndInfo;
  const ourExp = exp(ourHp);
  const theirExp = exp(theirHp)!;
  t.is(ourExp, undefined, 'no experiment record: TensorBoard infers it');
  t.truthy(theirExp, 'the reference has one');
  if (ourExp !== undefined) {
    const infos = (e: typeof ourExp) => JSON.stringify(e.hparamInfos.map((h) => [h.name, h.type]).sort());
    if (infos(ourExp) !== infos(theirExp)) problems.push(`hparams experiment: hparam_infos (name, type) ${infos(ourExp)}, tensorboardX ${infos(theirExp)}`);
    const ourMetricTags = ourExp.metricInfos.map((m) => m.name?.tag);
    for (const m of theirExp.metricInfos)
      if (!ourMetricTags.includes(m.name!.tag)) problems.push(`hparams experiment: metric_infos lack ${m.name!.tag} (have ${JSON.stringify(ourMetricTags)})`);
  }
  const asObj = (s: ReturnType<typeof start>) => JSON.stringify(s && Object.fromEntries(s.hparams.map(([k, v]) => [k, [v.kind, pvalueToJs(v)]]).sort()));
  if (asObj(start(ourHp)) !== asObj(start(theirHp))) problems.push(`hparams session_start_info: ${asObj(start(ourHp))}, tensorboardX ${asObj(start(theirHp))}`);
  t.is(end(theirHp)?.status, 1);
  if (end(ourHp)?.status !== 1) problems.push(`hparams session_end_info: status ${end(ourHp)?.status}, tensorboardX 1 (SUCCESS)`);

  t.deepEqual(problems, [], 'differences from tensorboardX');

  // The scalars themselves are the reference's, bit for bit.
  const refVals = summaryValues(ref.main.events)
    .filter((v) => v.value.tag.startsWith('train/'))
    .map((v) => [v.value.tag, v.event.step, scalarOf(v.value)]);
  const ourVals = summaryValues(allEvents(runs))
    .filter((v) => v.value.tag.startsWith('train/'))
    .map((v) => [v.value.tag, v.event.step, scalarOf(v.value)]);
  t.deepEqual(ourVals, refVals);
});

refTest('bytes per scalar event: ours vs tensorboardX for the same 1000 scalars (ours ≤ reference + 2)', async (t) => {
  const ref = refFiles();
  const { logger, runDir } = await startTb(t);
  for (const { value, event } of summaryValues(ref.main.events)) {
    if (value.tag.startsWith('train/')) logger.log(scalarOf(value)!, value.tag, { step: event.step });
  }
  await logger.destroyLoggerContext();
  const tags = ['train/loss', 'train/accuracy'];
  const ours = bytesPerScalar(allEvents(readRunsChecked(t, runDir)), tags);
  const theirs = bytesPerScalar(ref.main.events, tags);
  t.is(theirs.values, 1000);
  t.is(ours.values, 1000);
  t.log(
    `bytes per scalar: ours ${ours.perScalar.toFixed(2)} (${ours.values} scalars in ${ours.events} events), tensorboardX 2.6.5 ${theirs.perScalar.toFixed(2)} (${theirs.events} events)`,
  );
  t.true(ours.perScalar <= theirs.perScalar + 2, `ours ${ours.perScalar} > reference ${theirs.perScalar} + 2`);
});

// ------------------------------------------------------------------ layout

test('layout: a single logging rank writes into <savedir>/<run>/ (no rank_ sub-directory); runDirectory says so', async (t) => {
  const { logger, runDir, savedir, runName } = await startTb(t);
  t.is(logger.runDirectory, join(savedir, runName));
  logger.log(1, 'x', { step: 0 });
  await logger.destroyLoggerContext();
  t.deepEqual(readdirSync(savedir), [runName]);
  const entries = readdirSync(runDir, { withFileTypes: true });
  t.true(
    entries.every((e) => e.isFile() && EVENT_FILE_PATTERN.test(e.name)),
    `only event files: ${entries.map((e) => e.name)}`,
  );
  t.deepEqual([...readRunsChecked(t, runDir).keys()], ['.']);
});

test('layout: a rank that must not log creates no directory', async (t) => {
  const savedir = join(tempDir(t), 'mllogs');
  const { logger } = await startTb(t, { savedir, logOnWorkers: 1 });
  logger.log(1, 'x', { step: 0 });
  logger.log('t', 'y', { kind: 'text' });
  await logger.destroyLoggerContext();
  t.false(existsSync(savedir));
});

test.serial('layout: logOnWorkers -1 with 4 worker ranks writes rank_0/ … rank_3/, each with its 100 000 scalars exactly once', async (t) => {
  const N = 100_000;
  const { logger: all, runDir: dir } = await startTb(t, { logOnWorkers: -1 }, { rank: 0, worldSize: 4 });
  const reports = await Promise.all([0, 1, 2, 3].map((r) => runScalarWorker(all.workerHandle(r), 'train/loss', N)));
  t.deepEqual(
    reports.map((r) => [r.rank, r.drained]),
    [
      [0, true],
      [1, true],
      [2, true],
      [3, true],
    ],
  );
  const stats = await all.destroyLoggerContext();
  t.is(stats.dropped, 0);
  t.deepEqual(readdirSync(dir).sort(), ['rank_0', 'rank_1', 'rank_2', 'rank_3']);
  for (const r of [0, 1, 2, 3]) {
    const runs = readRunsChecked(t, join(dir, `rank_${r}`));
    t.deepEqual([...runs.keys()], ['.'], `rank_${r} is one run`);
    const seen = new Uint8Array(N);
    let wrong = 0;
    let count = 0;
    for (const { value, event } of summaryValues(runs.get('.')!.events)) {
      count++;
      const s = event.step;
      if (value.tag !== 'train/loss' || !(s >= 0 && s < N) || scalarOf(value) !== r * 1e6 + s) wrong++;
      else seen[s]!++;
    }
    t.is(count, N, `rank_${r}: values`);
    t.is(wrong, 0, `rank_${r}: values with a wrong tag, step or value`);
    t.is(seen.filter((c) => c === 1).length, N, `rank_${r}: every step exactly once`);
  }
});

// ------------------------------------------------------------------ durability

test('durability: a copy cut inside its last record reports a truncated tail; every complete record before it decodes identically', async (t) => {
  const { logger, runDir } = await startTb(t);
  for (let i = 0; i < 200; i++) logger.log(Math.sin(i), 'wave', { step: i });
  logger.log('the end', 'notes', { kind: 'text', step: 200 });
  await logger.destroyLoggerContext();
  const file = readRunsChecked(t, runDir).get('.')!.files[0]!;
  const whole = readEventFile(file.path);
  const last = whole.events.at(-1)!.record;
  const copyDir = tempDir(t, 'tb-cut');
  for (const cut of [3, 11, 12 + Math.floor(last.payloadLength / 2), last.totalBytes - 1]) {
    const copy = join(copyDir, basename(file.path));
    copyFileSync(file.path, copy);
    truncateSync(copy, last.offset + cut);
    const f = readEventFile(copy);
    t.true(f.truncatedTail, `cut ${cut} bytes into the last record`);
    t.deepEqual(f.errors, []);
    t.deepEqual(f.events, whole.events.slice(0, -1));
  }
});

test('durability: reopening a run (same runName) adds a new event file; the old one is unchanged and decodes identically', async (t) => {
  const savedir = tempDir(t);
  const runName = uniqueRunName('tb-reopen');
  const first = await startTb(t, { savedir }, { runName });
  for (let i = 0; i < 10; i++) first.logger.log(i, 'loss', { step: i });
  await first.logger.destroyLoggerContext();
  const launched = readRunsChecked(t, first.runDir).get('.')!.files[0]!.path;
  // As if the first launch had begun within this same second from a lower pid, or on a clock
  // ahead of ours: its name sorts after anything named from this process's clock.
  const later = join(dirname(launched), `events.out.tfevents.${Math.floor(Date.now() / 1000) + 100}.a.1.0`);
  renameSync(launched, later);
  const old = readRunsChecked(t, first.runDir).get('.')!.files[0]!;
  const oldBytes = readFileSync(old.path);

  const second = await startTb(t, { savedir }, { runName });
  for (let i = 10; i < 20; i++) second.logger.log(i, 'loss', { step: i });
  await second.logger.destroyLoggerContext();

  const run = readRunsChecked(t, first.runDir).get('.')!;
  t.is(run.files.length, 2, `two event files: ${run.files.map((f) => basename(f.path))}`);
  t.true(readFileSync(old.path).equals(oldBytes), 'the old file is byte for byte unchanged');
  t.deepEqual(readEventFile(old.path).events, old.events);
  const newFile = run.files.find((f) => f.path !== old.path)!;
  t.deepEqual(
    summaryValues(newFile.events).map((v) => v.event.step),
    Array.from({ length: 10 }, (_, i) => 10 + i),
  );
  t.deepEqual(
    summaryValues(run.events).map((v) => v.event.step),
    Array.from({ length: 20 }, (_, i) => i),
    'TensorBoard sees steps 0..19 in file-name order',
  );
});

test('durability: flush() puts everything logged before it into the file', async (t) => {
  const { logger, runDir } = await startTb(t);
  for (let i = 0; i < 100; i++) logger.log(i, 'flushed', { step: i });
  logger.log('text', 'flushed_text', { kind: 'text', step: 0 });
  await logger.flush();
  const events = allEvents(readRunDir(runDir));
  t.is(valuesFor(events, 'flushed').length, 100);
  t.is(valuesFor(events, 'flushed_text').length, 1);
});

test('durability: records reach the file without flush() or destroy (flushSecs 1), and the file frames correctly while it is being written', async (t) => {
  const { logger, runDir } = await startTb(t, { flushSecs: 1 });
  logger.log(42, 'early', { step: 1 });
  let found: TaggedValue | undefined;
  // Broken: the idle writer never polls (the record waits for a flush or the close). LIVENESS_MS is a liveness bound.
  const visible = await waitFor(
    () => {
      if (!existsSync(runDir)) return false;
      const runs = readRunDir(runDir);
      for (const run of runs.values()) for (const f of run.files) t.deepEqual(f.errors, [], 'a file being written still frames correctly');
      found = valuesFor(allEvents(runs), 'early')[0];
      return found !== undefined;
    },
    LIVENESS_MS,
    100,
  );
  t.true(visible, `the scalar did not reach the file without flush within ${LIVENESS_MS} ms`);
  t.is(found && scalarOf(found.value), 42);
});

test('durability: the idle writer polls at half of flushSecs (at most 1 s, at least 1 ms), and a short flushSecs makes a record visible without flush()', async (t) => {
  // How often the writer looks is the pollMs the backend asks for; the core uses it (poll.test.ts).
  for (const [flushSecs, pollMs] of [
    [0.1, 50],
    [1, 500],
    [2, 1000],
    [120, 1000],
    [0.001, 1],
  ] as const) {
    t.is(new TensorBoardLogger({ savedir: tempDir(t), flushSecs }).sinkSpec().pollMs, pollMs, `flushSecs ${flushSecs}`);
  }
  const { logger, runDir } = await startTb(t, { flushSecs: 0.1 });
  logger.log(7, 'soon', { step: 1 });
  const visible = await waitFor(() => existsSync(runDir) && valuesFor(allEvents(readRunDir(runDir)), 'soon').length === 1);
  t.true(visible, `not in the file without flush within ${LIVENESS_MS} ms`);
});

test('collection: TensorBoardLogger inside a LoggersCollection writes the same run', async (t) => {
  const savedir = tempDir(t);
  const tb = new TensorBoardLogger({ savedir, logFreq: 'batch' });
  const logger = new LoggersCollection([tb]);
  t.teardown(() => logger[Symbol.asyncDispose]());
  const runName = uniqueRunName('tb-coll');
  await logger.createLoggerContext({ runName, rank: 0, handleSignals: false });
  t.is(tb.runDirectory, join(savedir, runName));
  logger.log(0.5, 'loss', { step: 1, batchIdx: 0 });
  logger.log(0.25, 'loss', { step: 2 });
  await logger.destroyLoggerContext();
  const events = allEvents(readRunsChecked(t, join(savedir, runName)));
  t.deepEqual(
    valuesFor(events, 'loss').map((v) => [v.event.step, scalarOf(v.value)]),
    [
      [1, 0.5],
      [2, 0.25],
    ],
  );
});
