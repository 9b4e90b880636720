/**
 * The online W&B mode against the strict W&B double (@ranklog/wandb-double), driven through the
 * sink as the writer thread drives it: a whole run (UpsertBucket with the config, history rows
 * with `_step`, the summary, system stats, a media file through CreateRunFiles and a PUT to
 * another origin without credentials, complete + exitcode), the exit codes of killed and failed
 * runs, every injected failure (5xx, 429 with Retry-After, a held response, a dead connection,
 * `stopped`), an outage that leaves the run on disk only — decoded whole by the test's own reader,
 * then uploaded by the replay — and the API key in no file, message or stat. Nothing waits on a
 * timer: the double emits an event per request, and intervals are injected.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord, RunEndReason, SinkEnv, SystemSample } from '@ranklog/core/sink';
import { startWandbDouble, type WandbDouble } from '@ranklog/wandb-double';
import createWandbSink, { type WandbSinkOptions } from '../../packages/wandb/dist/wandb-sink.js';
import type { OnlineTiming } from '../../packages/wandb/dist/online/run-uploader.js';
import { uploadRun } from '../../packages/wandb/dist/online/upload-run.js';
import { handMadePng } from './support/image-bytes.js';
import { listFiles } from './support/list-files.js';
import { tempDir } from './support/log-path.js';
import { readRun, runDirs } from './support/wandb-runs.js';

const KEY = 'local-online0123456789abcdef0123456789abcdef0';
const T0 = Date.UTC(2025, 0, 1, 12);
const PNG = handMadePng(3, 2, 3, new Uint8Array(18).fill(200));
/** Sends as soon as there is something (tests flush or close to decide when); retries without waiting long. */
const FAST: Partial<OnlineTiming> = { transmitMs: 10, heartbeatMs: 600_000, configMs: 0, retry: { attempts: 4, minMs: 1, maxMs: 5 } };

function rec(kind: LogRecord['kind'], identifier: string, item: unknown, step?: number, batchIdx?: number): LogRecord {
  return { kind, rank: 0, identifier, step, batchIdx, timeMs: T0, value: typeof item === 'number' ? item : NaN, item };
}

async function doubleFor(t: ExecutionContext): Promise<WandbDouble> {
  const d = await startWandbDouble({ apiKey: KEY });
  t.teardown(() => d.close());
  return d;
}

interface Harness {
  sink: Awaited<ReturnType<typeof createWandbSink>>;
  dir: string;
  warnings: string[];
}

async function sinkFor(
  t: ExecutionContext,
  double: WandbDouble,
  timing: Partial<OnlineTiming> = FAST,
  opts: Partial<WandbSinkOptions> = {},
  key = KEY,
): Promise<Harness> {
  const dir = tempDir(t, 'wandb-online');
  const warnings: string[] = [];
  const env: SinkEnv = {
    runName: 'online',
    coordinatorRank: 0,
    worldSize: 1,
    encodePng: () => Promise.resolve(PNG),
    warn: (m) => warnings.push(m),
    debug: () => undefined,
  };
  const sink = await createWandbSink(
    {
      mode: 'online',
      dir,
      project: 'proj',
      entity: 'team',
      displayName: 'nice name',
      group: 'g1',
      jobType: 'train',
      notes: 'some notes',
      tags: ['a', 'b'],
      runId: 'onl1ne00',
      multiRank: false,
      followExternalSymlinks: false,
      program: 'train.py',
      online: { baseUrl: double.url, apiKey: key, timing, finishTimeoutMs: 120_000 },
      ...opts,
    },
    env,
  );
  return { sink, dir, warnings };
}

async function logAll(h: Harness, records: LogRecord[]): Promise<void> {
  for (const r of records) await h.sink.write(r);
  await h.sink.commit();
}

const SAMPLE: SystemSample = {
  index: 0,
  timeMs: Date.now(),
  intervalSecs: 15,
  rank: 0,
  processCpuPercent: 50,
  processRssMb: 123.5,
  processThreads: 9,
  heapUsedMb: 20,
  eventLoopUtilizationPercent: 10,
  hostCpuPercent: 30,
  hostCpuCount: 2,
  hostMemoryUsedPercent: 40,
  hostMemoryAvailableMb: 1000,
  hostMemoryTotalMb: 2000,
  disk: undefined,
  gpus: [],
};

const ROWS = (n: number, from = 0) => Array.from({ length: n }, (_, i) => rec('metric', 'train/loss', 1 / (i + 1 + from), i + from, i + from));

test('a whole run: the run and its config, history rows with _step, summary, system stats, a media upload, complete with exit code 0', async (t) => {
  const double = await doubleFor(t);
  const h = await sinkFor(t, double);
  await logAll(h, [rec('param', 'lr', 0.01), rec('param', 'optimizer.name', 'adam'), ...ROWS(5), rec('image', 'samples', { format: 'png', data: PNG }, 7)]);
  // A system sample, as the writer hands it over when the logger has systemMetrics on.
  h.sink.writeSystemSample!(SAMPLE);
  await logAll(h, [rec('dict', 'report', { a: 1 }), rec('metric', 'val/loss', Number.NaN, 0)]);
  await h.sink.close('finished');
  const run = double.run('onl1ne00');
  t.truthy(run);
  if (run === undefined) return;
  t.deepEqual(double.violations, []);
  t.deepEqual(
    [run.entity, run.project, run.displayName, run.groupName, run.jobType, run.notes, run.tags, run.program],
    ['team', 'proj', 'nice name', 'g1', 'train', 'some notes', ['a', 'b'], 'train.py'],
  );
  t.deepEqual(run.config.lr, { value: 0.01 });
  t.deepEqual(run.config.optimizer, { value: { name: 'adam' } });
  // Chart x-axes go as wandb's core sends them: `_wandb.m`, MetricRecords keyed by field number, the step metric by its 1-based index.
  const m = (run.config._wandb?.value as { m?: Record<string, unknown>[] } | undefined)?.m ?? [];
  const byName = new Map(m.map((e, i) => [e['1'], { e, i }]));
  // train/loss has batch indices (x-axis step); val/loss has none (x-axis epoch).
  for (const [key, x] of [
    ['train/loss', 'step'],
    ['val/loss', 'epoch'],
  ]) {
    const def = byName.get(key)?.e;
    t.truthy(def, `${key} is defined in _wandb.m: ${JSON.stringify(m)}`);
    const axis = m[(def?.['5'] as number) - 1];
    t.is(axis?.['1'], x, `${key}'s x-axis is ${x}`);
    t.deepEqual(def?.['6'], [1, 3], `${key}: options step_sync (1) and defined (3)`);
    t.is(def?.['4'], undefined, 'the step metric goes by index, not by name');
  }
  t.deepEqual(byName.get('step')?.e, { '1': 'step', '6': [3] });
  const history = run.history;
  t.deepEqual(
    history.map((r) => r._step),
    history.map((_, i) => i),
  );
  t.deepEqual(
    history.slice(0, 5).map((r) => [r.step, r['train/loss']]),
    [0, 1, 2, 3, 4].map((i) => [i, 1 / (i + 1)]),
  );
  t.true(Number.isNaN(history.at(-1)!['val/loss'] as number), 'NaN goes as wandb writes it and comes back as NaN');
  const image = history.find((r) => r.samples !== undefined)!.samples as { _type: string; path: string };
  t.is(image._type, 'image-file');
  t.deepEqual(run.uploads.get(image.path), Buffer.from(PNG));
  t.true(run.uploaded.has(image.path));
  t.true([...run.uploads.keys()].some((n) => n.startsWith('dicts/report_0_')));
  const summary = run.summary;
  t.deepEqual(summary.report, { a: 1 });
  t.is(summary._step, history.length - 1);
  t.true(run.events.length >= 1, 'a StatsRecord became a wandb-events.jsonl line');
  t.is(run.events[0]!['system.proc.memory.rssMB'], SAMPLE.processRssMb);
  t.is(run.events[0]!._wandb, true);
  t.true(run.complete);
  t.is(run.exitcode, 0);
  // Uploads went to the other origin without the key.
  const puts = double.requests.filter((r) => r.operation === 'upload');
  t.true(puts.length >= 2);
  for (const p of puts) t.is(p.headers.authorization, undefined);
  for (const r of double.requests.filter((r) => r.operation !== 'upload'))
    t.is(r.headers.authorization, `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`);
  // The transaction log beside holds the same run.
  const local = readRun(runDirs(h.dir)[0]!);
  t.deepEqual(local.errors, []);
  t.is(local.rows.length, history.length);
  t.is(local.exit?.exitCode, 0);
  const stats = h.sink.stats!() as Record<string, number>;
  t.is(stats.wandbNotSent, 0);
  t.is(stats.wandbOffline, 0);
  t.deepEqual(h.warnings, []);
});

for (const [reason, code] of [
  ['killed', 255],
  ['failed', 1],
] as [RunEndReason, number][]) {
  test(`a ${reason} run completes with exit code ${code}, as the offline mode writes it`, async (t) => {
    const double = await doubleFor(t);
    const h = await sinkFor(t, double);
    await logAll(h, ROWS(3));
    await h.sink.close(reason);
    t.is(double.run('onl1ne00')?.exitcode, code);
    t.true(double.run('onl1ne00')?.complete);
    t.is(readRun(runDirs(h.dir)[0]!).exit?.exitCode, code);
  });
}

test('5xx answers are retried and nothing is lost', async (t) => {
  const double = await doubleFor(t);
  double.inject({ kind: 'status', status: 503, operation: 'file_stream', count: 2 });
  double.inject({ kind: 'status', status: 500, operation: 'UpsertBucket', count: 1 });
  const h = await sinkFor(t, double);
  await logAll(h, ROWS(10));
  await h.sink.close('finished');
  t.is(double.run('onl1ne00')?.history.length, 10);
  t.true(double.run('onl1ne00')?.complete);
  t.is(double.requests.filter((r) => r.status >= 500).length, 3);
  t.is((h.sink.stats!() as Record<string, number>).wandbRetries, 3);
  t.deepEqual(h.warnings, []);
});

test("a 429's Retry-After is honoured (the backoff here is ten minutes: only Retry-After brings the retry within the test's bounds)", async (t) => {
  const double = await doubleFor(t);
  double.inject({ kind: 'status', status: 429, retryAfterSecs: 0, operation: 'file_stream' });
  const h = await sinkFor(t, double, { ...FAST, retry: { attempts: 3, minMs: 600_000, maxMs: 600_000 } });
  await logAll(h, ROWS(4));
  await h.sink.close('finished');
  t.is(double.requests.filter((r) => r.status === 429).length, 1);
  t.is(double.run('onl1ne00')?.history.length, 4);
});

test('a slow server never holds the training back: commits return while a request hangs, and the rest follows when it answers', async (t) => {
  const double = await doubleFor(t);
  const h = await sinkFor(t, double);
  await logAll(h, ROWS(3));
  double.inject({ kind: 'hold', operation: 'file_stream', count: Infinity });
  const held = new Promise((resolve) => double.once('held', resolve));
  const flushed = (h.sink.flush as () => Promise<void>).call(h.sink);
  await held;
  // The server hangs; the training goes on and the records are durable in the log.
  await logAll(h, ROWS(5, 3));
  t.is(readRun(runDirs(h.dir)[0]!).rows.length, 8);
  t.is(double.run('onl1ne00')?.history.length ?? 0, 0);
  const closed = h.sink.close('finished');
  double.release();
  await flushed;
  await closed;
  t.is(double.run('onl1ne00')?.history.length, 8);
  t.true(double.run('onl1ne00')?.complete);
});

test('a dead connection (the socket destroyed) is retried', async (t) => {
  const double = await doubleFor(t);
  double.inject({ kind: 'drop', operation: 'file_stream', count: 2 });
  const h = await sinkFor(t, double);
  await logAll(h, ROWS(6));
  await h.sink.close('finished');
  t.is(double.requests.filter((r) => r.fault === 'drop').length, 2);
  t.is(double.run('onl1ne00')?.history.length, 6);
});

test('stopped in the UI: sending ends with one warning, the run ends cleanly on disk, and what is no longer sent is counted', async (t) => {
  const double = await doubleFor(t);
  const h = await sinkFor(t, double);
  await logAll(h, ROWS(2));
  await (h.sink.flush as () => Promise<void>).call(h.sink);
  double.stopRun('onl1ne00');
  await logAll(h, ROWS(2, 2));
  await (h.sink.flush as () => Promise<void>).call(h.sink); // answered {"stopped": true}
  await logAll(h, ROWS(3, 4));
  await h.sink.close('finished');
  const stats = h.sink.stats!() as Record<string, number>;
  t.is(stats.wandbStopped, 1);
  t.is(stats.wandbNotSent, 3);
  t.is(double.run('onl1ne00')?.history.length, 4);
  t.is(h.warnings.length, 1);
  t.regex(h.warnings[0]!, /stopped in the W&B UI/);
  const local = readRun(runDirs(h.dir)[0]!);
  t.deepEqual(local.errors, []);
  t.is(local.rows.length, 7);
  t.is(local.exit?.exitCode, 0);
});

test('an idle run sends heartbeats (empty file-stream requests)', async (t) => {
  const double = await doubleFor(t);
  const h = await sinkFor(t, double, { ...FAST, transmitMs: 600_000, heartbeatMs: 20 });
  await logAll(h, ROWS(1));
  const beat = double.waitForRequest((r) => r.operation === 'file_stream' && JSON.stringify(r.body) === '{}');
  await (h.sink.flush as () => Promise<void>).call(h.sink); // the row goes; then nothing is left, and the run is idle
  await beat;
  await h.sink.close('finished');
  t.true((double.run('onl1ne00')?.heartbeats ?? 0) >= 1);
  t.is(double.run('onl1ne00')?.history.length, 1);
});

test('config changes are coalesced: params of many commits make one update, not one per commit', async (t) => {
  const double = await doubleFor(t);
  const h = await sinkFor(t, double, { ...FAST, configMs: 600_000 });
  for (let i = 0; i < 5; i++) await logAll(h, [rec('param', `p${i}`, i), ...ROWS(1, i)]);
  await h.sink.close('finished');
  const run = double.run('onl1ne00')!;
  t.is(run.upserts, 2, 'the run, then one update with the rest at the end');
  t.deepEqual(
    [0, 1, 2, 3, 4].map((i) => run.config[`p${i}`]?.value),
    [0, 1, 2, 3, 4],
  );
});

test('an outage past the retries: the run goes on to disk, a warning says so at once, one at close gives the exact wandb sync command, and the replay upload delivers it whole', async (t) => {
  const double = await doubleFor(t);
  const h = await sinkFor(t, double);
  await logAll(h, [rec('param', 'lr', 0.1), ...ROWS(3)]);
  await (h.sink.flush as () => Promise<void>).call(h.sink);
  double.inject({ kind: 'status', status: 503, count: Infinity });
  await logAll(h, [...ROWS(4, 3), rec('image', 'samples', { format: 'png', data: PNG }, 1)]);
  await (h.sink.flush as () => Promise<void>).call(h.sink);
  await logAll(h, ROWS(2, 7));
  await h.sink.close('finished');
  const dir = runDirs(h.dir)[0]!;
  const stats = h.sink.stats!() as Record<string, number>;
  t.is(stats.wandbOffline, 1);
  t.true((stats.wandbNotSent ?? 0) >= 7, `wandbNotSent: ${stats.wandbNotSent}`);
  t.is(h.warnings.length, 2, h.warnings.join('\n'));
  t.regex(h.warnings[0]!, /could not be sent \(.*503.*\); it goes on to its directory only/);
  t.true(h.warnings[1]!.includes(`wandb sync ${JSON.stringify(dir)}`), h.warnings[1]);
  t.false(double.run('onl1ne00')!.complete);
  // The run directory is a whole offline run.
  const local = readRun(dir);
  t.deepEqual(local.errors, []);
  t.is(local.rows.length, 10);
  t.is(local.exit?.exitCode, 0);
  // The server is back: the replay uploads the log (the same run, its lines rewritten from offset 0).
  double.clearFaults();
  const up = await uploadRun(dir, { baseUrl: double.url, apiKey: KEY }, { timing: { retry: FAST.retry! } });
  t.true(up.completed);
  const run = double.run('onl1ne00')!;
  t.is(run.history.length, 10);
  t.deepEqual(
    run.history.map((r) => r._step),
    [...Array(10).keys()],
  );
  t.deepEqual(run.config.lr, { value: 0.1 });
  t.is(run.uploads.size, 1);
  t.true(run.complete);
  t.is(run.exitcode, 0);
  t.deepEqual(double.violations, []);
});

test('a wrong key: the server refuses (401, not retried), the run stays on disk, and the key shows nowhere', async (t) => {
  const double = await doubleFor(t);
  const wrong = 'local-wrongkey0123456789abcdef0123456789abc';
  const h = await sinkFor(t, double, FAST, {}, wrong);
  await logAll(h, [rec('param', 'lr', 0.1), ...ROWS(3), rec('image', 'samples', { format: 'png', data: PNG }, 1)]);
  await h.sink.close('finished');
  t.is(double.requests.filter((r) => r.status === 401).length, 1);
  t.is(h.warnings.length, 2, h.warnings.join('\n'));
  t.regex(h.warnings[0]!, /could not be sent/);
  t.regex(h.warnings[1]!, /answered 401 \(check WANDB_API_KEY\)/);
  const shown = [...h.warnings, JSON.stringify(h.sink.stats!())].join('\n');
  for (const k of [wrong, KEY, Buffer.from(`api:${wrong}`).toString('base64')]) {
    t.false(shown.includes(k));
    for (const f of listFiles(h.dir)) t.false(readFileSync(join(h.dir, f)).includes(k), f);
  }
});
