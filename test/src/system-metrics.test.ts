/**
 * System metrics (the systemMetrics option): validated like every option; each backend receives
 * the samples, read back with the backend's independent reader (local files' CSV, TensorBoard
 * event files, MLflow's file store, W&B Stats records); nothing is sampled for a backend that did
 * not ask. The interval is the shortest allowed (1 s) and every wait is for the sample to appear,
 * under the liveness bound; nothing asserts a duration.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { LocalFileLogger, LoggersCollection, ConsoleLogger, NullLogger } from '@ranklog/core';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { MLFlowLogger } from '@ranklog/mlflow';
import { WandBLogger } from '@ranklog/wandb';
import { blockDeviceOf } from '../../packages/core/dist/system/disk-device.js';
import { parseCsv } from './support/csv-parse.js';
import { tempDir } from './support/log-path.js';
import { uniqueRunName } from './support/recording-logger.js';
import { waitFor } from './support/wait-for.js';
import { readRunDir, scalarOf, summaryValues } from './support/tb-decode.js';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';
import { runDirs, readRun } from './support/wandb-runs.js';
import { items } from './support/wandb-decode.js';

const CORES = availableParallelism();

// ------------------------------------------------------------------ the option

const LOGGERS = {
  LocalFileLogger: (systemMetrics: unknown) => new LocalFileLogger({ systemMetrics: systemMetrics as number }),
  ConsoleLogger: (systemMetrics: unknown) => new ConsoleLogger({ systemMetrics: systemMetrics as number }),
  TensorBoardLogger: (systemMetrics: unknown) => new TensorBoardLogger({ systemMetrics: systemMetrics as number }),
  MLFlowLogger: (systemMetrics: unknown) => new MLFlowLogger({ systemMetrics: systemMetrics as number }),
  WandBLogger: (systemMetrics: unknown) => new WandBLogger({ offlineMode: true, systemMetrics: systemMetrics as number }),
};

for (const [name, make] of Object.entries(LOGGERS)) {
  test(`${name}: systemMetrics takes seconds, true (15 s) or false / 0 (off, the default)`, (t) => {
    t.is(make(undefined).systemMetrics, false);
    t.is(make(false).systemMetrics, false);
    t.is(make(0).systemMetrics, false);
    t.is(make(true).systemMetrics, 15);
    t.is(make(1).systemMetrics, 1);
    t.is(make(2.5).systemMetrics, 2.5);
  });

  test(`${name}: a bad systemMetrics throws, naming the option, the value and the fix`, (t) => {
    for (const bad of [0.5, -1, NaN, Infinity, 86_401]) {
      const e = t.throws(() => make(bad), { instanceOf: RangeError });
      t.regex(e.message, new RegExp(`${name} option systemMetrics is ${String(bad)};.*seconds from 1 to 86400.*false / 0`));
    }
    for (const bad of ['15', {}, null]) {
      const e = t.throws(() => make(bad), { instanceOf: TypeError });
      t.regex(e.message, new RegExp(`${name} option systemMetrics is .*; pass an interval in seconds`));
    }
  });
}

// ------------------------------------------------------------------ plausibility

/** name → values in step order, of the system/… metrics. */
type Series = Map<string, { step: number; value: number }[]>;

function checkPlausible(t: ExecutionContext, s: Series, dir: string | undefined): void {
  const first = (name: string) => {
    const v = s.get(`system/${name}`)?.[0]?.value;
    t.not(v, undefined, `system/${name} was written`);
    return v!;
  };
  t.true(first('process_rss_mb') > 0);
  const cpu = first('process_cpu_percent');
  t.true(cpu >= 0 && cpu <= 100 * CORES, `process CPU ${cpu} % within 0..${100 * CORES}`);
  const host = first('host_cpu_percent');
  t.true(host >= 0 && host <= 100, `host CPU ${host} %`);
  const used = first('host_memory_used_percent');
  t.true(used > 0 && used <= 100, `host memory ${used} %`);
  t.true(first('host_memory_available_mb') > 0);
  t.true(first('heap_used_mb') > 0);
  if (process.platform === 'linux') t.true(first('process_threads') >= 1);
  // Where the directory sits on a block device (not tmpfs or overlayfs), its I/O is reported.
  if (dir !== undefined && blockDeviceOf(dir) !== undefined) {
    t.true(first('disk_read_mb_total') >= 0);
    t.true(first('disk_written_mb_total') >= 0);
  }
  // Steps count the samples of the backend: 0, 1, 2, …
  t.deepEqual(
    s.get('system/process_rss_mb')!.map((p) => p.step),
    s.get('system/process_rss_mb')!.map((_, i) => i),
  );
}

// ------------------------------------------------------------------ local files

function csvSeries(file: string): Series {
  const out: Series = new Map();
  if (!existsSync(file)) return out;
  const rows = parseCsv(readFileSync(file, 'utf8')).slice(1);
  for (const [, rank, identifier, step, , value] of rows) {
    if (!identifier?.startsWith('system/')) continue;
    if (rank !== '0') throw new Error(`a system record of rank ${rank}`);
    const list = out.get(identifier) ?? [];
    list.push({ step: Number(step), value: Number(value) });
    out.set(identifier, list);
  }
  return out;
}

test('local files: samples arrive in metrics.csv as system/… metrics of the process rank, stepped by sample', async (t) => {
  const savedir = tempDir(t, 'sysmet-local');
  const logger = new LocalFileLogger({ savedir, systemMetrics: 1 });
  await logger.createLoggerContext({ runName: uniqueRunName('sysmet-local') });
  logger.log(1, 'loss', { step: 0 });
  const csv = join(savedir, logger.runName!, 'metrics.csv');
  t.true(await waitFor(() => (csvSeries(csv).get('system/process_rss_mb')?.length ?? 0) >= 2), 'two samples within the liveness bound');
  const stats = await logger.destroyLoggerContext();
  t.true((stats.backends[0]!.systemSamples as number) >= 2);
  t.is(stats.backends[0]!.failed, 0);
  checkPlausible(t, csvSeries(csv), savedir);
});

test('nothing is sampled for a backend that did not ask, while another of the collection gets samples', async (t) => {
  const savedir = tempDir(t, 'sysmet-off');
  const off = new LocalFileLogger({ savedir });
  const on = new TensorBoardLogger({ savedir: join(savedir, 'tb'), systemMetrics: 1, flushSecs: 1 });
  const both = new LoggersCollection([off, on]);
  await both.createLoggerContext({ runName: uniqueRunName('sysmet-off') });
  both.log(1, 'loss', { step: 0 });
  t.true(await waitFor(() => tbSeries(join(savedir, 'tb')).has('system/process_rss_mb')), 'the other backend got a sample');
  const stats = await both.destroyLoggerContext();
  t.false('systemSamples' in stats.backends[0]!);
  t.is(stats.backends[0]!.written, 1);
  const rows = parseCsv(readFileSync(join(savedir, off.runName!, 'metrics.csv'), 'utf8'));
  t.deepEqual(
    rows.slice(1).map((r) => r[2]),
    ['loss'],
  );
});

test('a context whose backends did not ask starts no sampler', async (t) => {
  const logger = new NullLogger();
  await logger.createLoggerContext({ runName: uniqueRunName('sysmet-none') });
  logger.log(1, 'loss', { step: 0 });
  await logger.flush();
  const stats = await logger.destroyLoggerContext();
  t.false('systemSamples' in stats.backends[0]!);
  t.is(stats.backends[0]!.written, 1);
});

// ------------------------------------------------------------------ TensorBoard

function tbSeries(root: string): Series {
  const out: Series = new Map();
  if (!existsSync(root)) return out;
  let runs: ReturnType<typeof readRunDir>;
  try {
    runs = readRunDir(root);
  } catch {
    return out; // an event file being written: read it again
  }
  for (const run of runs.values()) {
    for (const { event, value } of summaryValues(run.events)) {
      if (!value.tag.startsWith('system/')) continue;
      const list = out.get(value.tag) ?? [];
      list.push({ step: Number(event.step), value: scalarOf(value)! });
      out.set(value.tag, list);
    }
  }
  return out;
}

test('TensorBoard: samples arrive as system/… scalars', async (t) => {
  const savedir = tempDir(t, 'sysmet-tb');
  const logger = new TensorBoardLogger({ savedir, systemMetrics: 1, flushSecs: 1 });
  await logger.createLoggerContext({ runName: uniqueRunName('sysmet-tb') });
  logger.log(1, 'loss', { step: 0 });
  t.true(await waitFor(() => (tbSeries(savedir).get('system/process_rss_mb')?.length ?? 0) >= 2));
  await logger.destroyLoggerContext();
  checkPlausible(t, tbSeries(savedir), savedir);
});

// ------------------------------------------------------------------ MLflow (file store)

function mlflowSeries(root: string, experiment: string): Series {
  const out: Series = new Map();
  if (!existsSync(root)) return out;
  for (const id of experimentIdsNamed(root, experiment)) {
    for (const run of runsIn(root, id)) {
      for (const [key, lines] of run.metrics) {
        if (key.startsWith('system/'))
          out.set(
            key,
            lines.map((l) => ({ step: Number(l.step), value: Number(l.value) })),
          );
      }
    }
  }
  return out;
}

test('MLflow file store: samples arrive as system/… metrics', async (t) => {
  const savedir = tempDir(t, 'sysmet-mlflow');
  const store = join(savedir, 'mlruns');
  const logger = new MLFlowLogger({ trackingUri: store, savedir, experimentName: 'sysmet', systemMetrics: 1, flushSecs: 1 });
  await logger.createLoggerContext({ runName: uniqueRunName('sysmet-mlflow') });
  logger.log(1, 'loss', { step: 0 });
  t.true(await waitFor(() => (mlflowSeries(store, 'sysmet').get('system/process_rss_mb')?.length ?? 0) >= 2));
  await logger.destroyLoggerContext();
  checkPlausible(t, mlflowSeries(store, 'sysmet'), store);
});

// ------------------------------------------------------------------ W&B

/** Items of every Stats record of the run(s), in order. */
export function wandbStats(savedir: string): Map<string, unknown>[] {
  const out: Map<string, unknown>[] = [];
  for (const dir of runDirs(savedir)) {
    let run: ReturnType<typeof readRun>;
    try {
      run = readRun(dir);
    } catch {
      continue; // the log is being written: read it again
    }
    for (const r of run.records) if (r.type === 'stats') out.push(items(r.body.messages(3)));
  }
  return out;
}

test("W&B: samples arrive as Stats records under wandb's system-monitor keys", async (t) => {
  const savedir = tempDir(t, 'sysmet-wandb');
  const logger = new WandBLogger({ savedir, offlineMode: true, projectName: 'sysmet', systemMetrics: 1, flushSecs: 1 });
  await logger.createLoggerContext({ runName: uniqueRunName('sysmet-wandb') });
  logger.log(1, 'loss', { step: 0 });
  t.true(await waitFor(() => wandbStats(savedir).length >= 2));
  const stats = await logger.destroyLoggerContext();
  t.is(stats.backends[0]!.failed, 0);
  const runs = runDirs(savedir).map(readRun);
  t.is(runs.length, 1);
  t.deepEqual(runs[0]!.errors, []);
  const s = wandbStats(savedir)[0]!;
  const num = (k: string) => {
    t.is(typeof s.get(k), 'number', `${k} is there`);
    return s.get(k) as number;
  };
  t.true(num('proc.memory.rssMB') > 0);
  const cpu = num('cpu');
  t.true(cpu >= 0 && cpu <= 100, `cpu ${cpu}: the process's share of the machine`);
  t.true(num('proc.memory.percent') > 0 && num('proc.memory.percent') <= 100);
  t.true(num('memory_percent') > 0 && num('memory_percent') <= 100);
  t.true(num('proc.memory.availableMB') > 0);
  if (process.platform === 'linux') t.true(num('proc.cpu.threads') >= 1);
  t.true(num('ranklog.heapUsedMB') > 0);
  const device = blockDeviceOf(savedir);
  if (device !== undefined) {
    t.true(num(`disk.${device}.in`) >= 0);
    t.true(num(`disk.${device}.out`) >= 0);
  }
  // No generic names in the Stats record, and no system/… history: one concept per backend.
  t.false([...s.keys()].some((k) => k.startsWith('system/')));
  t.false(runs[0]!.rows.some((r) => [...r.items.keys()].some((k) => k.startsWith('system/'))));
  // The Stats record carries the sample's time.
  const record = runs[0]!.records.find((r) => r.type === 'stats')!;
  t.true(Number(record.body.message(2)?.int64(1)) > 0, 'timestamp seconds');
});
