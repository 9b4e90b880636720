/**
 * The local-files sink, driven directly with hand-made records (no ring, no writer thread):
 * every file it writes is read back with independent readers (RFC 4180 parser, JSON.parse,
 * a PNG decoder written from the spec).
 */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LogRecord, RawImage, Sink, SinkEnv } from '@ranklog/core/sink';
import createLocalSink from '../../packages/core/dist/backends/local/local-sink.js';
import { createPngEncoder, INLINE_MAX_PIXELS } from '../../packages/core/dist/encode/png-pool.js';
import { parseCsv, parseCsvDetailed } from './support/csv-parse.js';
import { crc32, decodePng } from './support/png-decode.js';
import { listFiles } from './support/list-files.js';
import { enospc, injectWriteFaults } from './support/write-faults.js';
import { LocalFileLogger } from '@ranklog/core';

const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const HEADER = ['timestamp', 'rank', 'identifier', 'step', 'batch_idx', 'value'];

type TestEnv = SinkEnv & { warnings: string[] };

function tmpSavedir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-local-'));
}

function makeEnv(runName: string, over: Partial<SinkEnv> = {}): TestEnv {
  const warnings: string[] = [];
  return {
    runName,
    coordinatorRank: 0,
    worldSize: 2,
    encodePng: () => Promise.reject(new Error('this test does not encode images')),
    warn: (m) => warnings.push(m),
    debug: () => {},
    warnings,
    ...over,
  };
}

type Rec = Partial<Omit<LogRecord, 'kind'>> & { kind: LogRecord['kind'] };

/** Feed records through ONE mutable object, as the drain loop does: the sink must not keep it. */
async function feed(sink: Sink, recs: Rec[]): Promise<void> {
  const shared: Record<string, unknown> = {};
  for (const r of recs) {
    Object.assign(shared, { rank: 0, identifier: 'x', step: undefined, batchIdx: undefined, timeMs: T0, value: NaN, item: undefined }, r);
    if (r.kind === 'metric') shared.item = shared.value;
    await sink.write(shared as unknown as LogRecord);
  }
  for (const k of Object.keys(shared)) shared[k] = 'garbage';
}

async function openRun(t: { teardown(fn: () => void): void }, env?: Partial<SinkEnv>, options?: { jsonl?: boolean }) {
  const savedir = tmpSavedir();
  t.teardown(() => fs.rmSync(savedir, { recursive: true, force: true }));
  const e = makeEnv('run-1', env);
  const sink = await createLocalSink({ savedir, ...options }, e);
  const dir = path.join(savedir, 'run-1');
  return { savedir, dir, env: e, sink, read: (p: string) => fs.readFileSync(path.join(dir, p), 'utf8') };
}

function jsonl(text: string): unknown[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error('JSONL does not end with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l));
}

const iso = (ms: number) => new Date(ms).toISOString();
const jsonNum = (v: number): unknown => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);

// ---------------------------------------------------------------------------------------
// metrics.csv / metrics.jsonl

const METRICS: Array<{ identifier: string; rank: number; step?: number; batchIdx?: number; timeMs: number; value: number }> = [
  { identifier: 'train/loss', rank: 0, step: 0, batchIdx: 0, timeMs: T0, value: 0.25 },
  { identifier: 'a,b', rank: 1, step: 1, timeMs: T0, value: -0 },
  { identifier: 'say "hi"', rank: 0, timeMs: T0 + 1, value: NaN },
  { identifier: 'x,"y"', rank: 3, batchIdx: 7, timeMs: T0 + 1, value: Infinity },
  { identifier: 'multi\nline', rank: 0, step: 2, batchIdx: 1, timeMs: T0 + 1, value: -Infinity },
  { identifier: 'train/loss', rank: 0, step: 3, batchIdx: 0, timeMs: T0 + 2, value: 0.1 + 0.2 },
  { identifier: 'big', rank: 0, step: Number.MAX_SAFE_INTEGER, timeMs: T0 + 2, value: 1e21 },
  { identifier: 'tiny', rank: 0, step: 0, timeMs: 0, value: 5e-324 },
  { identifier: 'neg', rank: 2, step: -4, timeMs: T0 + 1000.7, value: -123456789.125 },
  { identifier: 'int', rank: 0, step: 5, batchIdx: 2147483647, timeMs: T0 + 86_400_000, value: 42 },
  { identifier: 'ünï ✓', rank: 0, step: 6, timeMs: T0 + 86_400_000, value: 1 / 3 },
];

test('metrics.csv: one header, one RFC 4180 row per record, every field exact', async (t) => {
  const { sink, read, dir } = await openRun(t);
  await feed(
    sink,
    METRICS.slice(0, 5).map((m) => ({ kind: 'metric', ...m })),
  );
  await sink.commit();
  await feed(
    sink,
    METRICS.slice(5).map((m) => ({ kind: 'metric', ...m })),
  );
  await sink.close('finished');

  const text = read('metrics.csv');
  const rows = parseCsvDetailed(text);
  t.deepEqual(
    rows[0]!.map((f) => f.value),
    HEADER,
  );
  t.is(rows.length, METRICS.length + 1);
  for (const [i, m] of METRICS.entries()) {
    const row = rows[i + 1]!;
    t.is(row.length, 6, `row ${i + 1}`);
    const [ts, rank, identifier, step, batch, value] = row.map((f) => f.value) as [string, string, string, string, string, string];
    t.regex(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    t.is(Date.parse(ts), Math.floor(m.timeMs), `timestamp of row ${i + 1}`);
    t.is(rank, String(m.rank));
    t.is(identifier, m.identifier);
    t.is(row[2]!.quoted, /[",\n]/.test(m.identifier), `quoting of ${JSON.stringify(m.identifier)}`);
    t.is(step, m.step === undefined ? '' : String(m.step));
    t.is(batch, m.batchIdx === undefined ? '' : String(m.batchIdx));
    if (Number.isNaN(m.value)) t.is(value, 'NaN');
    else if (m.value === Infinity) t.is(value, 'inf');
    else if (m.value === -Infinity) t.is(value, '-inf');
    else {
      t.regex(value, /^-?\d+(\.\d+)?(e[+-]\d+)?$/);
      t.true(Object.is(Number(value), m.value), `value ${value} round-trips to ${m.value}`);
    }
  }
  // The raw text, for the quoting rule itself.
  t.true(text.includes(',"a,b",'));
  t.true(text.includes(',"say ""hi""",'));
  t.true(text.includes(',"x,""y""",'));
  t.true(text.startsWith(HEADER.join(',') + '\n'));
  t.deepEqual(listFiles(dir), ['metrics.csv', 'metrics.jsonl', 'run.json']);
});

test('metrics.jsonl: one JSON object per record, non-finite values as strings', async (t) => {
  const { sink, read, dir } = await openRun(t);
  await feed(
    sink,
    METRICS.map((m) => ({ kind: 'metric', ...m })),
  );
  await sink.commit();
  await sink.close('finished');
  const lines = jsonl(read('metrics.jsonl'));
  t.deepEqual(
    lines,
    METRICS.map((m) => ({
      timestamp: iso(m.timeMs),
      time_ms: m.timeMs,
      rank: m.rank,
      identifier: m.identifier,
      step: m.step ?? null,
      batch_idx: m.batchIdx ?? null,
      value: jsonNum(m.value),
    })),
  );
  t.true(Object.is((lines[1] as { value: number }).value, -0));
  const st = sink.stats!();
  t.is(st.metrics, METRICS.length);
  const size = (f: string) => fs.statSync(path.join(dir, f)).size;
  t.is(st.bytes, size('metrics.csv') + size('metrics.jsonl') + size('run.json'));
});

test('a commit larger than the 1 MiB soft cap still yields whole lines in order', async (t) => {
  const { sink, read } = await openRun(t);
  const n = 50_000;
  await feed(
    sink,
    Array.from({ length: n }, (_, i) => ({ kind: 'metric' as const, identifier: i % 2 ? 'a,b' : 'loss', step: i, timeMs: T0 + i, value: i / 3 })),
  );
  await sink.commit();
  await sink.close('finished');
  const rows = parseCsv(read('metrics.csv'));
  t.is(rows.length, n + 1);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i + 1]!;
    if (r.length === 6 && r[3] === String(i) && Number(r[5]) === i / 3 && r[2] === (i % 2 ? 'a,b' : 'loss')) ok++;
  }
  t.is(ok, n);
  const lines = jsonl(read('metrics.jsonl')) as Array<{ step: number }>;
  t.is(lines.length, n);
  t.true(lines.every((l, i) => l.step === i));
});

/** One metric record as both files must show it, checked field by field against independent parses. */
function checkMetricRows(
  t: ExecutionContext,
  csvText: string,
  jsonlText: string,
  expected: Array<Rec & { rank: number; identifier: string; timeMs: number; value: number }>,
): void {
  const rows = parseCsv(csvText);
  t.deepEqual(rows[0], HEADER);
  t.is(rows.length, expected.length + 1, 'CSV rows');
  const lines = jsonl(jsonlText) as Array<Record<string, unknown>>;
  t.is(lines.length, expected.length, 'JSONL lines');
  let bad = 0;
  for (const [i, m] of expected.entries()) {
    const csvOk =
      JSON.stringify(rows[i + 1]) ===
      JSON.stringify([
        iso(m.timeMs),
        String(m.rank),
        m.identifier,
        m.step === undefined ? '' : String(m.step),
        m.batchIdx === undefined ? '' : String(m.batchIdx),
        Number.isNaN(m.value) ? 'NaN' : m.value === Infinity ? 'inf' : m.value === -Infinity ? '-inf' : Object.is(m.value, -0) ? '-0' : String(m.value),
      ]);
    const l = lines[i]!;
    const jsonOk =
      l.timestamp === iso(m.timeMs) &&
      l.time_ms === m.timeMs &&
      l.rank === m.rank &&
      l.identifier === m.identifier &&
      l.step === (m.step ?? null) &&
      l.batch_idx === (m.batchIdx ?? null) &&
      Object.is(l.value, jsonNum(m.value));
    if (!csvOk || !jsonOk) {
      if (bad++ < 3) t.log(`record ${i}: csv ${JSON.stringify(rows[i + 1])} jsonl ${JSON.stringify(l)} expected ${JSON.stringify(m)}`);
    }
  }
  t.is(bad, 0, 'every record exact in both files');
}

test('jsonl: false writes metrics.csv alone, byte for byte the CSV written beside metrics.jsonl', async (t) => {
  const records: Rec[] = [
    ...METRICS.map((m) => ({ kind: 'metric' as const, ...m })),
    // past the soft cap (CSV alone reaches it later than JSONL), several identifiers, times and ranks
    ...Array.from({ length: 30_000 }, (_, i) => ({
      kind: 'metric' as const,
      identifier: ['loss', 'a,b', 'ünï'][i % 3]!,
      rank: i % 4,
      step: i,
      batchIdx: i % 7,
      timeMs: T0 + (i >> 4),
      value: Math.sin(i),
    })),
  ];
  const both = await openRun(t);
  const csvOnly = await openRun(t, {}, { jsonl: false });
  for (const run of [both, csvOnly]) {
    await feed(run.sink, records.slice(0, 20_000));
    await run.sink.commit();
    await feed(run.sink, records.slice(20_000));
    await run.sink.close('finished');
  }
  t.deepEqual(listFiles(csvOnly.dir), ['metrics.csv', 'run.json']);
  t.deepEqual(listFiles(both.dir), ['metrics.csv', 'metrics.jsonl', 'run.json']);
  const csv = csvOnly.read('metrics.csv');
  t.is(csv, both.read('metrics.csv'));
  t.is(parseCsv(csv).length, records.length + 1);
  const st = csvOnly.sink.stats!();
  t.is(st.metrics, records.length);
  t.is(st.bytes, fs.statSync(path.join(csvOnly.dir, 'metrics.csv')).size + fs.statSync(path.join(csvOnly.dir, 'run.json')).size);
});

test('LocalFileLogger({ jsonl: false }) through the ring: metrics.csv, no metrics.jsonl; a non-boolean jsonl is an error', async (t) => {
  t.throws(() => new LocalFileLogger({ jsonl: 'no' as unknown as boolean }), { message: /jsonl/ });
  const savedir = tmpSavedir();
  t.teardown(() => fs.rmSync(savedir, { recursive: true, force: true }));
  const logger = new LocalFileLogger({ savedir, logFreq: 'batch', jsonl: false });
  await logger.createLoggerContext({ rank: 0, runName: 'csv-only', handleSignals: false });
  const h = logger.handle('loss');
  for (let i = 0; i < 1000; i++) logger.metric(h, 1 / (i + 1), i, i % 10);
  const st = await logger.destroyLoggerContext();
  t.is(st.backends[0]!.written, 1000);
  const dir = path.join(savedir, 'csv-only');
  t.deepEqual(listFiles(dir), ['metrics.csv', 'run.json']);
  const rows = parseCsv(fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8'));
  t.is(rows.length, 1001);
  t.deepEqual(rows[1000]!.slice(2), ['loss', '999', '9', String(1 / 1000)]);
});

test('lines of one identifier follow its changes of time and rank, in any order (records of several rings)', async (t) => {
  const { sink, read } = await openRun(t);
  const recs = Array.from({ length: 600 }, (_, i) => ({
    kind: 'metric' as const,
    identifier: ['loss', 'acc', 'ünï,"q"'][i % 3]!,
    rank: [0, 1, 0, 7, 7][i % 5]!,
    timeMs: T0 + [0, 0, 1, 0, 2, 2, 1][i % 7]! + (i >> 6), // back and forth, as batches of different rings interleave
    step: i % 4 === 0 ? undefined : i,
    batchIdx: i % 6 === 0 ? undefined : i % 50,
    value: [0.1 + 0.2, -0, NaN, Infinity, -Infinity, 1e21, 5e-324, -123.456, 42, 2 ** 32, Math.fround(0.7)][i % 11]!,
  }));
  await feed(sink, recs.slice(0, 250));
  await sink.commit();
  await feed(sink, recs.slice(250));
  await sink.close('finished');
  checkMetricRows(t, read('metrics.csv'), read('metrics.jsonl'), recs);
});

test('very long identifiers (larger than the line buffers start with) and a param line of several MiB', async (t) => {
  const { sink, read } = await openRun(t);
  const long = 'ü,"x"\n✓'.repeat(20_000); // 140 000 UTF-16 units, ~220 000 bytes once quoted and encoded
  const recs = [
    { kind: 'metric' as const, identifier: long, rank: 0, step: 1, timeMs: T0, value: 0.5 },
    { kind: 'metric' as const, identifier: 'short', rank: 0, step: 2, timeMs: T0, value: -0 },
    { kind: 'metric' as const, identifier: long, rank: 3, step: 3, timeMs: T0 + 1, value: NaN },
  ];
  await feed(sink, recs);
  const big = 'é'.repeat(3_000_000); // a params.jsonl line of ~6 MB
  await feed(sink, [{ kind: 'param', identifier: 'big', item: big }]);
  await sink.commit();
  const more = [{ kind: 'metric' as const, identifier: 'short', rank: 0, step: 4, timeMs: T0 + 2, value: 1 / 3 }];
  await feed(sink, more);
  await feed(sink, [{ kind: 'param', identifier: 'small', item: 'ok' }]);
  await sink.close('finished');
  checkMetricRows(t, read('metrics.csv'), read('metrics.jsonl'), [...recs, ...more]);
  const params = jsonl(read('params.jsonl')) as Array<{ identifier: string; value: unknown }>;
  t.deepEqual(
    params.map((p) => p.identifier),
    ['big', 'small'],
  );
  t.true(params[0]!.value === big, 'the big param line is whole');
  t.is(params[1]!.value, 'ok');
});

/**
 * Feed batches of metric records and commit each until one is written whole: a refusing disk makes
 * the sink back off, and records of the batches it drops are counted by commit(). Returns the
 * records of the batches that were written.
 */
async function commitUntilWritten(sink: Sink, batches: Generator<Rec[]>): Promise<{ written: Rec[]; lost: number }> {
  const written: Rec[] = [];
  let lost = 0;
  for (const batch of batches) {
    await feed(sink, batch);
    const n = (await sink.commit()) ?? 0;
    lost += n;
    if (n === 0) {
      written.push(...batch);
      return { written, lost };
    }
    if (n !== batch.length) throw new Error(`commit() lost ${n} of a batch of ${batch.length} metric records: a batch is written whole or not at all`);
    await new Promise((r) => setImmediate(r)); // let the backoff's clock move on; no fixed wait
  }
  throw new Error('ran out of batches');
}

function* metricBatches(from: number, size: number): Generator<Rec[]> {
  for (let b = from; ; b += size) {
    yield Array.from({ length: size }, (_, k) => {
      const i = b + k;
      return { kind: 'metric' as const, identifier: i % 2 ? 'a,b' : 'loss', rank: 0, step: i, timeMs: T0 + (i >> 8), value: i / 3 };
    });
  }
}

for (const [failing, what] of [
  ['metrics.jsonl', 'the JSONL append stops part-way'],
  ['metrics.csv', 'the CSV append stops part-way after the JSONL append succeeded (the JSONL lines are taken back)'],
] as const) {
  test.serial(`a full disk: ${what}; the files are cut back to whole lines, the batch is counted as lost, writing resumes after the backoff`, async (t) => {
    const { sink, read, dir, env } = await openRun(t);
    const first = metricBatches(0, 1000);
    await feed(sink, first.next().value!);
    t.is(await sink.commit(), 0);
    let calls = 0;
    const restore = injectWriteFaults(
      (file) => path.dirname(file) === dir && path.basename(file) === failing,
      (len) => {
        if (calls++ === 0) return Math.floor(len / 2) + 1; // a short write, then the disk is full
        throw enospc();
      },
    );
    let lostWhileFull: number;
    try {
      const second = metricBatches(1000, 1000);
      await feed(sink, second.next().value!);
      lostWhileFull = (await sink.commit()) ?? 0;
    } finally {
      restore();
    }
    t.is(lostWhileFull, 1000, 'commit() counts the records the disk refused');
    t.true(calls >= 2, 'the short write was followed by a failing one');
    t.true(read('metrics.csv').endsWith('\n') && read('metrics.jsonl').endsWith('\n'), 'no partial line left behind');
    t.is(env.warnings.filter((w) => /cannot write .*metrics\.(csv|jsonl) \(ENOSPC: no space left on device\)/.test(w)).length, 1, env.warnings.join('\n'));
    const later = await commitUntilWritten(sink, metricBatches(2000, 100));
    await sink.close('finished');
    t.true(
      env.warnings.some((w) => /writing resumed; \d+ records could not be written meanwhile/.test(w)),
      env.warnings.join('\n'),
    );
    t.true(
      env.warnings.some((w) => new RegExp(`${1000 + later.lost} records could not be written \\(first: ENOSPC`).test(w)),
      env.warnings.join('\n'),
    );
    const expected = [...metricBatches(0, 1000).next().value!, ...later.written];
    checkMetricRows(t, read('metrics.csv'), read('metrics.jsonl'), expected as Parameters<typeof checkMetricRows>[3]);
  });
}

test('run.json is written once and never replaced', async (t) => {
  const { savedir, dir, read } = await openRun(t, { coordinatorRank: 0, worldSize: 2 });
  const first = JSON.parse(read('run.json'));
  t.like(first, { ranklog_layout: 1, run_name: 'run-1', coordinator_rank: 0, world_size: 2 });
  t.regex(first.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  await new Promise((r) => setTimeout(r, 5));
  const again = await createLocalSink({ savedir }, makeEnv('run-1', { coordinatorRank: 3, worldSize: undefined }));
  await again.close('finished');
  t.deepEqual(JSON.parse(read('run.json')), first);
  t.deepEqual(listFiles(dir), ['run.json'], 'no temporary files left behind');
  const other = await createLocalSink({ savedir }, makeEnv('run-2', { worldSize: undefined }));
  await other.close('finished');
  t.is(JSON.parse(fs.readFileSync(path.join(savedir, 'run-2', 'run.json'), 'utf8')).world_size, null);
});

test('options are checked: savedir must be absolute, the run name must stay inside it', async (t) => {
  const savedir = tmpSavedir();
  t.teardown(() => fs.rmSync(savedir, { recursive: true, force: true }));
  t.throws(() => createLocalSink({ savedir: 'relative/dir' }, makeEnv('r')), { instanceOf: TypeError, message: /absolute/ });
  t.throws(() => createLocalSink({ savedir }, makeEnv('..')), { message: /inside/ });
  t.deepEqual(fs.readdirSync(savedir), []);
});

// ---------------------------------------------------------------------------------------
// params

test('params.jsonl keeps every param record; params.json is the snapshot with rank conflicts kept', async (t) => {
  const { sink, read } = await openRun(t);
  await feed(sink, [
    { kind: 'param', rank: 0, identifier: 'lr', item: 0.1 },
    { kind: 'param', rank: 0, identifier: 'opt', item: 'adam' },
    { kind: 'param', rank: 0, identifier: 'flag', item: true },
    { kind: 'param', rank: 0, identifier: 'none', item: null },
    { kind: 'param', rank: 0, identifier: 'weird', item: NaN },
    { kind: 'param', rank: 1, identifier: 'lr', item: 0.1, timeMs: T0 + 5 },
    { kind: 'param', rank: 1, identifier: 'opt', item: 'sgd', timeMs: T0 + 5 },
  ]);
  await sink.commit();
  t.deepEqual(JSON.parse(read('params.json')), { lr: 0.1, opt: 'adam', flag: true, none: null, weird: 'NaN', 'opt@rank1': 'sgd' });
  t.deepEqual(jsonl(read('params.jsonl')), [
    { timestamp: iso(T0), time_ms: T0, rank: 0, identifier: 'lr', value: 0.1 },
    { timestamp: iso(T0), time_ms: T0, rank: 0, identifier: 'opt', value: 'adam' },
    { timestamp: iso(T0), time_ms: T0, rank: 0, identifier: 'flag', value: true },
    { timestamp: iso(T0), time_ms: T0, rank: 0, identifier: 'none', value: null },
    { timestamp: iso(T0), time_ms: T0, rank: 0, identifier: 'weird', value: 'NaN' },
    { timestamp: iso(T0 + 5), time_ms: T0 + 5, rank: 1, identifier: 'lr', value: 0.1 },
    { timestamp: iso(T0 + 5), time_ms: T0 + 5, rank: 1, identifier: 'opt', value: 'sgd' },
  ]);
  // The owning rank re-logging replaces its value.
  await feed(sink, [{ kind: 'param', rank: 0, identifier: 'lr', item: 0.2 }]);
  await sink.close('finished');
  t.like(JSON.parse(read('params.json')), { lr: 0.2, opt: 'adam', 'opt@rank1': 'sgd' });
  t.is(jsonl(read('params.jsonl')).length, 8);
  t.is(sink.stats!().params, 8);
});

test('params.json merges what several processes (sinks) appended to params.jsonl', async (t) => {
  const savedir = tmpSavedir();
  t.teardown(() => fs.rmSync(savedir, { recursive: true, force: true }));
  const a = await createLocalSink({ savedir }, makeEnv('run'));
  const b = await createLocalSink({ savedir }, makeEnv('run'));
  const snapshot = () => JSON.parse(fs.readFileSync(path.join(savedir, 'run', 'params.json'), 'utf8'));
  await feed(a, [{ kind: 'param', rank: 0, identifier: 'lr', item: 0.1 }]);
  await a.commit();
  t.deepEqual(snapshot(), { lr: 0.1 });
  await feed(b, [
    { kind: 'param', rank: 1, identifier: 'lr', item: 0.2 },
    { kind: 'param', rank: 1, identifier: 'bs', item: 32 },
  ]);
  await b.commit();
  t.deepEqual(snapshot(), { lr: 0.1, 'lr@rank1': 0.2, bs: 32 });
  await feed(a, [{ kind: 'param', rank: 0, identifier: 'wd', item: 0.01 }]);
  await a.commit();
  t.deepEqual(snapshot(), { lr: 0.1, 'lr@rank1': 0.2, bs: 32, wd: 0.01 });
  await a.close('finished');
  await b.close('finished');
  t.deepEqual(snapshot(), { lr: 0.1, 'lr@rank1': 0.2, bs: 32, wd: 0.01 });
  t.false(
    listFiles(path.join(savedir, 'run')).some((f) => f.startsWith('.')),
    'no temporary files left behind',
  );
});

// ---------------------------------------------------------------------------------------
// text, dicts, histograms, datasets

test('text records become text/<identifier>/rank<r>[-step<s>][-batch<b>].txt, duplicates suffixed', async (t) => {
  const { sink, dir, read } = await openRun(t);
  await feed(sink, [
    { kind: 'text', identifier: 'notes', step: 1, item: 'hello\nworld ✓' },
    { kind: 'text', identifier: 'notes', step: 1, item: 'second' },
    { kind: 'text', identifier: 'notes', step: 1, item: 'third' },
    { kind: 'text', identifier: 'notes', step: 1, batchIdx: 4, item: 'batch' },
    { kind: 'text', identifier: 'notes/deep/x', rank: 2, item: '' },
  ]);
  await sink.close('finished');
  t.deepEqual(listFiles(path.join(dir, 'text')), [
    'notes/deep/x/rank2.txt',
    'notes/rank0-step1-1.txt',
    'notes/rank0-step1-2.txt',
    'notes/rank0-step1-batch4.txt',
    'notes/rank0-step1.txt',
  ]);
  t.is(read('text/notes/rank0-step1.txt'), 'hello\nworld ✓');
  t.is(read('text/notes/rank0-step1-1.txt'), 'second');
  t.is(read('text/notes/rank0-step1-2.txt'), 'third');
  t.is(read('text/notes/rank0-step1-batch4.txt'), 'batch');
  t.is(read('text/notes/deep/x/rank2.txt'), '');
  t.like(sink.stats!(), { files: 5, errors: 0 });
});

test('a second sink (another process) never overwrites an item file', async (t) => {
  const { savedir, sink, read } = await openRun(t);
  await feed(sink, [{ kind: 'text', identifier: 'n', step: 0, item: 'first' }]);
  await sink.close('finished');
  const again = await createLocalSink({ savedir }, makeEnv('run-1'));
  await feed(again, [{ kind: 'text', identifier: 'n', step: 0, item: 'from another process' }]);
  await again.close('finished');
  t.is(read('text/n/rank0-step0.txt'), 'first');
  t.is(read('text/n/rank0-step0-1.txt'), 'from another process');
});

test('dict records become pretty-printed dicts/<identifier>/….json', async (t) => {
  const { sink, read } = await openRun(t);
  const cfg = { a: 1, b: [1, 2, { c: 'x' }], s: 'ünï', n: null };
  await feed(sink, [
    { kind: 'dict', identifier: 'config', step: 3, item: cfg },
    { kind: 'dict', identifier: 'config', step: 3, item: [1, 2] },
  ]);
  await sink.close('finished');
  t.is(read('dicts/config/rank0-step3.json'), JSON.stringify(cfg, null, 2) + '\n');
  t.deepEqual(JSON.parse(read('dicts/config/rank0-step3.json')), cfg);
  t.deepEqual(JSON.parse(read('dicts/config/rank0-step3-1.json')), [1, 2]);
});

test('histograms.jsonl: one line per record with count/min/max/mean over finite values and the raw values', async (t) => {
  const { sink, read } = await openRun(t);
  await feed(sink, [
    { kind: 'histogram', identifier: 'w', step: 2, batchIdx: 1, item: new Float64Array([1, 2, 3, NaN, -Infinity, 4.5, -0]) },
    { kind: 'histogram', identifier: 'empty', rank: 1, item: new Float64Array(0) },
  ]);
  await sink.commit();
  t.deepEqual(jsonl(read('histograms.jsonl')), [
    {
      timestamp: iso(T0),
      time_ms: T0,
      rank: 0,
      identifier: 'w',
      step: 2,
      batch_idx: 1,
      count: 7,
      min: -0,
      max: 4.5,
      mean: (1 + 2 + 3 + 4.5 + -0) / 5,
      values: [1, 2, 3, 'NaN', '-Infinity', 4.5, -0],
    },
    { timestamp: iso(T0), time_ms: T0, rank: 1, identifier: 'empty', step: null, batch_idx: null, count: 0, min: null, max: null, mean: null, values: [] },
  ]);
  await sink.close('finished');
});

test('datasets.jsonl: one line per dataset record', async (t) => {
  const { sink, read } = await openRun(t);
  await feed(sink, [
    { kind: 'dataset', identifier: 'train', step: 0, item: { name: 'mnist', digest: 'abc123', source: 's3://bucket/key', schema: { cols: ['x', 'y'] } } },
    { kind: 'dataset', identifier: 'eval', rank: 1, item: { name: 'e"v', digest: 'd', source: '/data/eval' } },
  ]);
  await sink.close('finished');
  t.deepEqual(jsonl(read('datasets.jsonl')), [
    {
      timestamp: iso(T0),
      time_ms: T0,
      rank: 0,
      identifier: 'train',
      step: 0,
      name: 'mnist',
      digest: 'abc123',
      source: 's3://bucket/key',
      schema: { cols: ['x', 'y'] },
    },
    { timestamp: iso(T0), time_ms: T0, rank: 1, identifier: 'eval', step: null, name: 'e"v', digest: 'd', source: '/data/eval' },
  ]);
});

// ---------------------------------------------------------------------------------------
// artifacts and models

function makeSourceTree(root: string) {
  fs.mkdirSync(path.join(root, 'ckpt', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'model.pt'), Buffer.from([0, 1, 2, 255, 254]));
  fs.writeFileSync(path.join(root, 'ckpt', 'a.txt'), 'A');
  fs.writeFileSync(path.join(root, 'ckpt', 'sub', 'b.bin'), Buffer.alloc(70_000, 7));
  // A link that stays inside the logged directory is copied as a file (links out of it: symlinks.test.ts).
  fs.symlinkSync(path.join(root, 'ckpt', 'sub', 'b.bin'), path.join(root, 'ckpt', 'link.txt'));
}

test('artifacts and models are copied (file or directory) to artifacts/<identifier>/<basename>, duplicates suffixed', async (t) => {
  const { sink, dir, env } = await openRun(t);
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-src-'));
  t.teardown(() => fs.rmSync(src, { recursive: true, force: true }));
  makeSourceTree(src);
  const file = { path: path.join(src, 'model.pt'), isDirectory: false };
  const tree = { path: path.join(src, 'ckpt'), isDirectory: true };
  await feed(sink, [
    { kind: 'artifact', identifier: 'weights', item: file },
    { kind: 'artifact', identifier: 'weights', item: file },
    { kind: 'artifact', identifier: 'runs/ckpts', item: tree },
    { kind: 'artifact', identifier: 'runs/ckpts', item: tree },
    { kind: 'model', identifier: 'net', rank: 1, item: file },
    { kind: 'model', identifier: 'net-dir', item: tree },
  ]);
  await sink.close('finished');
  const art = path.join(dir, 'artifacts');
  const tree1 = ['a.txt', 'link.txt', 'sub/b.bin'];
  t.deepEqual(listFiles(art), [
    'net-dir/ckpt/a.txt',
    'net-dir/ckpt/link.txt',
    'net-dir/ckpt/sub/b.bin',
    'net/model.pt',
    ...tree1.map((f) => `runs/ckpts/ckpt-1/${f}`),
    ...tree1.map((f) => `runs/ckpts/ckpt/${f}`),
    'weights/model-1.pt',
    'weights/model.pt',
  ]);
  for (const f of ['weights/model.pt', 'weights/model-1.pt', 'net/model.pt']) t.deepEqual(fs.readFileSync(path.join(art, f)), fs.readFileSync(file.path));
  for (const d of ['runs/ckpts/ckpt', 'runs/ckpts/ckpt-1', 'net-dir/ckpt']) {
    for (const f of tree1) t.deepEqual(fs.readFileSync(path.join(art, d, f)), fs.readFileSync(path.join(tree.path, f)), `${d}/${f}`);
    t.false(fs.lstatSync(path.join(art, d, 'link.txt')).isSymbolicLink(), 'symlinks are copied as files');
  }
  t.like(sink.stats!(), { files: 6, errors: 0 });
  t.deepEqual(env.warnings, []);
});

test('an artifact that cannot be copied is a warning and a counted error, not a crash', async (t) => {
  const { sink, env, dir } = await openRun(t);
  await feed(sink, [
    { kind: 'artifact', identifier: 'gone', item: { path: path.join(os.tmpdir(), 'ranklog-no-such-file-' + process.pid), isDirectory: false } },
  ]);
  fs.writeFileSync(path.join(dir, 'text'), 'a file where the text directory should be');
  await feed(sink, [
    { kind: 'text', identifier: 'n', item: 'x' },
    { kind: 'metric', identifier: 'still', value: 1 },
  ]);
  await sink.close('finished');
  t.is(env.warnings.length, 2);
  t.regex(env.warnings[0]!, /cannot copy 'gone'.*ENOENT/);
  t.regex(env.warnings[1]!, /cannot write 'n'/);
  t.like(sink.stats!(), { errors: 2, files: 0, metrics: 1 });
  t.is(parseCsv(fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8')).length, 2);
  t.false(
    fs.readdirSync(path.join(dir, 'artifacts', 'gone')).some((f) => f.startsWith('.')),
    'no temporary file left behind',
  );
});

// ---------------------------------------------------------------------------------------
// images and figures (PNG through the encoder pool; checked with the independent decoder)

/** A test-side PNG writer that uses every filter type (row y gets filter y % 5), to exercise the decoder. */
function encodePngWithFilters(width: number, height: number, channels: 1 | 2 | 3 | 4, px: Uint8Array): Uint8Array {
  const colourType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const ft = y % 5;
    raw[y * (stride + 1)] = ft;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[y * stride + x - channels]! : 0;
      const b = y > 0 ? px[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a),
        pb = Math.abs(p - b),
        pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const pred = [0, a, b, (a + b) >>> 1, paeth][ft]!;
      raw[y * (stride + 1) + 1 + x] = (px[y * stride + x]! - pred) & 0xff;
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, colourType, 0, 0, 0], 8);
  const z = deflateSync(raw);
  // Two IDAT chunks, to check they are concatenated before inflating.
  const half = z.length >> 1;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from('Comment\0test', 'latin1')),
    chunk('IDAT', z.subarray(0, half)),
    chunk('IDAT', z.subarray(half)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function pixels(n: number, seed: number): Uint8Array {
  const p = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    p[i] = i % 7 === 0 ? (i * 3) & 0xff : s >>> 24;
  }
  return p;
}

test('the test PNG decoder: all filter types, split IDAT, CRC check', (t) => {
  for (const ch of [1, 2, 3, 4] as const) {
    const px = pixels(9 * 7 * ch, ch);
    const png = encodePngWithFilters(9, 7, ch, px);
    const d = decodePng(png);
    t.deepEqual({ w: d.width, h: d.height, c: d.channels }, { w: 9, h: 7, c: ch });
    t.deepEqual(d.data, px);
    const bad = Uint8Array.from(png);
    bad[bad.length - 20]! ^= 1; // inside the last IDAT
    t.throws(() => decodePng(bad), { message: /CRC mismatch/ });
  }
});

test('raw images are encoded to PNG (inline and in the pool), PNG/JPEG bytes written as-is', async (t) => {
  const encoder = createPngEncoder();
  t.teardown(() => encoder.close());
  const { sink, dir, env } = await openRun(t, { encodePng: (img) => encoder.encodePng(img) });
  const raw = (width: number, height: number, channels: 1 | 2 | 3 | 4, seed: number): RawImage => ({
    format: 'raw',
    width,
    height,
    channels,
    dtype: 'uint8',
    data: pixels(width * height * channels, seed),
  });
  const small = [1, 2, 3, 4].map((c) => raw(5, 3, c as 1 | 2 | 3 | 4, c));
  const large = raw(80, 60, 3, 9); // ≥ INLINE_MAX_PIXELS: goes through the piscina pool
  t.true(large.width * large.height >= INLINE_MAX_PIXELS && 5 * 3 < INLINE_MAX_PIXELS);
  // float32 0..1: a value per rounding case, then a ramp; the expected bytes use the float32 values actually stored.
  const fw = 70,
    fh = 70,
    fc = 4;
  const f = new Float32Array(fw * fh * fc);
  const special = [0, 1, 0.5, 1 / 255, 0.5 / 255, 0.49 / 255, 254.5 / 255, 0.999];
  for (let i = 0; i < f.length; i++) f[i] = i < special.length ? special[i]! : (i % 1000) / 999;
  const floatImg: RawImage = { format: 'raw', width: fw, height: fh, channels: fc, dtype: 'float32', data: new Uint8Array(f.buffer) };
  const smallFloat: RawImage = {
    format: 'raw',
    width: 2,
    height: 2,
    channels: 1,
    dtype: 'float32',
    data: new Uint8Array(new Float32Array([0, 0.25, 0.75, 1]).buffer),
  };
  const pngBytes = encodePngWithFilters(4, 4, 3, pixels(48, 5));
  const jpegBytes = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

  await feed(sink, [
    ...small.map((img, i) => ({ kind: 'image' as const, identifier: `small/c${i + 1}`, step: 1, item: img })),
    { kind: 'image', identifier: 'large', step: 2, batchIdx: 3, item: large },
    { kind: 'image', identifier: 'float', rank: 1, item: floatImg },
    { kind: 'image', identifier: 'float', rank: 1, item: smallFloat },
    { kind: 'image', identifier: 'as-is', item: { format: 'png', data: pngBytes } },
    { kind: 'image', identifier: 'as-is', item: { format: 'jpeg', data: jpegBytes } },
    { kind: 'image', identifier: 'large', step: 2, batchIdx: 3, item: small[2] },
  ]);
  await sink.commit();
  const img = (p: string) => decodePng(fs.readFileSync(path.join(dir, 'images', p)));

  for (const [i, s] of small.entries()) {
    const d = img(`small/c${i + 1}/rank0-step1.png`);
    t.deepEqual({ w: d.width, h: d.height, c: d.channels }, { w: 5, h: 3, c: s.channels });
    t.deepEqual(d.data, s.data);
  }
  const dl = img('large/rank0-step2-batch3.png');
  t.deepEqual([dl.width, dl.height, dl.channels], [80, 60, 3]);
  t.deepEqual(dl.data, large.data);
  t.deepEqual(img('large/rank0-step2-batch3-1.png').data, small[2]!.data, 'a taken name gets -1');

  const df = img('float/rank1.png');
  t.deepEqual([df.width, df.height, df.channels], [fw, fh, fc]);
  const expected = Uint8Array.from(f, (x) => Math.min(255, Math.max(0, Math.round(x * 255))));
  t.deepEqual(Array.from(expected.subarray(0, special.length)), [0, 255, 128, 1, 1, 0, 254, 255]);
  t.deepEqual(df.data, expected);
  t.deepEqual(img('float/rank1-1.png').data, Uint8Array.from([0, 64, 191, 255]));

  t.deepEqual(fs.readFileSync(path.join(dir, 'images/as-is/rank0.png')), Buffer.from(pngBytes));
  t.deepEqual(fs.readFileSync(path.join(dir, 'images/as-is/rank0.jpg')), Buffer.from(jpegBytes));
  await sink.close('finished');
  t.like(sink.stats!(), { files: 10, errors: 0 });
  t.deepEqual(env.warnings, []);
});

test('an image the encoder rejects is a warning; the other images are still written', async (t) => {
  const { sink, dir, env } = await openRun(t, {
    encodePng: async (img) => {
      if (img.width === 1) throw new Error('boom');
      return Uint8Array.from([1, 2, 3]);
    },
  });
  const one: RawImage = { format: 'raw', width: 1, height: 1, channels: 1, dtype: 'uint8', data: new Uint8Array(1) };
  const two: RawImage = { ...one, width: 2, data: new Uint8Array(2) };
  await feed(sink, [
    { kind: 'image', identifier: 'i', step: 0, item: one },
    { kind: 'image', identifier: 'i', step: 1, item: two },
  ]);
  await sink.close('finished');
  t.deepEqual(listFiles(path.join(dir, 'images')), ['i/rank0-step1.png']);
  t.is(env.warnings.length, 1);
  t.regex(env.warnings[0]!, /image 'i'.*boom/);
  t.like(sink.stats!(), { errors: 1, files: 1 });
});

test('figures in an environment without renderFigure: PNG as-is, SVG / Vega-Lite sources only, one name per figure', async (t) => {
  // Rendering to PNG is covered in figure-render.test.ts; here the env (like a hand-made one) cannot render.
  const { sink, dir, read, env } = await openRun(t);
  t.is(env.renderFigure, undefined);
  const png = encodePngWithFilters(2, 2, 1, Uint8Array.from([1, 2, 3, 4]));
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>';
  const spec = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', mark: 'line', data: { values: [{ x: 1, y: 2 }] } };
  await feed(sink, [
    { kind: 'figure', identifier: 'plots/curve', step: 4, item: { format: 'png', data: png } },
    { kind: 'figure', identifier: 'plots/curve', step: 4, item: { format: 'svg', svg } },
    { kind: 'figure', identifier: 'plots/curve', step: 4, item: { format: 'vega-lite', spec } },
    { kind: 'figure', identifier: 'plots/curve', step: 4, item: { format: 'svg', svg: '<svg/>' } },
  ]);
  await sink.close('finished');
  // A figure's name is free for .png, .svg and .vl.json alike, so no source pairs up with another figure's PNG.
  t.deepEqual(listFiles(path.join(dir, 'figures')), [
    'plots/curve/rank0-step4-1.svg',
    'plots/curve/rank0-step4-2.vl.json',
    'plots/curve/rank0-step4-3.svg',
    'plots/curve/rank0-step4.png',
  ]);
  t.deepEqual(fs.readFileSync(path.join(dir, 'figures/plots/curve/rank0-step4.png')), Buffer.from(png));
  t.is(read('figures/plots/curve/rank0-step4-1.svg'), svg);
  t.is(read('figures/plots/curve/rank0-step4-3.svg'), '<svg/>');
  t.deepEqual(JSON.parse(read('figures/plots/curve/rank0-step4-2.vl.json')), spec);
  // Once, naming the package that renders them (not once per figure).
  t.is(env.warnings.length, 1);
  t.regex(env.warnings[0] ?? '', /keeps SVG and Vega-Lite figures as their source .*npm install @ranklog\/figures/);
});

test('the PNG encoder rejects work after close()', async (t) => {
  const encoder = createPngEncoder();
  const img: RawImage = { format: 'raw', width: 64, height: 64, channels: 1, dtype: 'uint8', data: new Uint8Array(4096).fill(9) };
  const d = decodePng(await encoder.encodePng(img));
  t.deepEqual(d.data, img.data);
  await encoder.close();
  await t.throwsAsync(encoder.encodePng(img), { message: /closed/ });
});

// ---------------------------------------------------------------------------------------
// several processes writing one run directory

test('4 processes × 20 000 metrics into one run: one header, no torn or lost line', async (t) => {
  const savedir = tmpSavedir();
  t.teardown(() => fs.rmSync(savedir, { recursive: true, force: true }));
  const fixture = fileURLToPath(new URL('./fixtures/local-sink-writer.js', import.meta.url));
  const P = 4;
  const N = 20_000;
  const children = Array.from({ length: P }, (_, rank) =>
    fork(fixture, [savedir, 'shared', String(rank), String(N), '1000'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const exited = children.map((c) => new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code))));
  await Promise.all(children.map((c) => new Promise<void>((resolve) => c.once('message', () => resolve()))));
  for (const c of children) c.send('go'); // all create the sink and race for the CSV header at once
  t.deepEqual(await Promise.all(exited), [0, 0, 0, 0]);

  const ids = ['loss', 'odd,"name"'];
  const csvText = fs.readFileSync(path.join(savedir, 'shared', 'metrics.csv'), 'utf8');
  const rows = parseCsv(csvText);
  t.deepEqual(rows[0], HEADER);
  t.is(rows.filter((r) => r[0] === 'timestamp').length, 1, 'exactly one header');
  t.is(rows.length, P * N + 1);
  const seen = new Set<string>();
  let bad = 0;
  let switches = 0;
  for (let k = 1; k < rows.length; k++) {
    const [ts, rank, id, step, batch, value] = rows[k]!;
    const r = Number(rank);
    const i = Number(step);
    const ok =
      rows[k]!.length === 6 &&
      ts === iso(1_700_000_000_000 + r * 1000 + (i >> 4)) &&
      id === ids[i % 2] &&
      batch === (i % 3 === 0 ? '' : String(i % 100)) &&
      Number(value) === i / 7 + r;
    if (!ok) bad++;
    seen.add(`${rank}:${step}`);
    if (k > 1 && rows[k - 1]![1] !== rank) switches++;
  }
  t.is(bad, 0, 'every row carries exactly what its process wrote');
  t.is(seen.size, P * N, 'every (rank, step) exactly once');
  t.log(`rank changes between consecutive rows: ${switches}`);
  t.true(switches > P - 1, 'the processes really wrote at the same time');

  const lines = csvText.split('\n');
  t.is(lines.pop(), '', 'the file ends with a complete line');

  const js = jsonl(fs.readFileSync(path.join(savedir, 'shared', 'metrics.jsonl'), 'utf8')) as Array<{
    rank: number;
    step: number;
    value: number;
    identifier: string;
  }>;
  t.is(js.length, P * N);
  const jseen = new Set(js.map((o) => `${o.rank}:${o.step}`));
  t.is(jseen.size, P * N);
  t.true(js.every((o) => o.value === o.step / 7 + o.rank && o.identifier === ids[o.step % 2]));

  // params.json: every process re-folded params.jsonl after each commit; the last rename must cover all lines.
  const params = JSON.parse(fs.readFileSync(path.join(savedir, 'shared', 'params.json'), 'utf8'));
  for (let r = 0; r < P; r++) t.is(params[`progress/rank${r}`], N / 1000, `progress/rank${r}`);
  const sharedValues = Object.entries(params).filter(([k]) => k === 'shared' || k.startsWith('shared@rank'));
  t.is(sharedValues.length, P);
  t.deepEqual(sharedValues.map(([, v]) => v).sort(), [0, 1, 2, 3]);
  t.is(jsonl(fs.readFileSync(path.join(savedir, 'shared', 'params.jsonl'), 'utf8')).length, P * (1 + N / 1000));
  t.false(
    listFiles(path.join(savedir, 'shared')).some((f) => f.startsWith('.')),
    'no temporary files left behind',
  );
});
