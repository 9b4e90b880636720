/**
 * The W&B backend on a disk that refuses writes, read back with the test's own reader:
 * - injected faults (the sink driven directly): a short write then ENOSPC leaves the transaction
 *   log ending with its last whole record, the batch is lost and counted, the run's header, Run and
 *   metric definitions are kept until a write succeeds, `num` stays 1, 2, 3, … over the stored
 *   records, and later records follow without a hole; a media file the disk refuses costs its record;
 * - a real full tmpfs (WandBLogger in a writer thread): no stall, nothing held in memory, written
 *   counts exactly the rows in the log, failed the rest, told once, writing resumes.
 */
import test from 'ava';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { onDiagnostic, type LogStats } from '@ranklog/core';
import type { LogRecord, Sink } from '@ranklog/core/sink';
import { WandBLogger } from '@ranklog/wandb';
import { offlineSinkOptions, sinkEnv } from './support/wandb-sink-options.js';
import createWandbSink from '../../packages/wandb/dist/wandb-sink.js';
import { handMadePng } from './support/image-bytes.js';
import { tempDir } from './support/log-path.js';
import { fillUp, mountTmpfs } from './support/tmpfs.js';
import { readWandbFile } from './support/wandb-decode.js';
import { readRun, runDirs } from './support/wandb-runs.js';
import { enospc, injectWriteFaults } from './support/write-faults.js';

for (const k of Object.keys(process.env)) if (k.startsWith('WANDB_')) delete process.env[k];

function scalar(step: number, identifier = 'seq'): LogRecord {
  return { kind: 'metric', rank: 0, identifier, step, batchIdx: 0, timeMs: 1_700_000_000_000 + step, value: step, item: step };
}

async function commitBatch(sink: Sink, from: number, n: number, identifier = 'seq'): Promise<number> {
  for (let s = from; s < from + n; s++) await sink.write(scalar(s, identifier));
  return (await sink.commit()) ?? 0;
}

/** The `seq` values of the rows, and anything off (steps out of order, a value that is not its step). */
function seqRows(dir: string): { steps: number[]; problems: string[] } {
  const run = readRun(dir);
  const problems = [...run.errors];
  if (run.framing.truncatedTail) problems.push('bytes after the last whole record');
  const steps: number[] = [];
  for (const row of run.rows) {
    if (!row.items.has('seq')) continue;
    const v = row.items.get('seq') as number;
    if (v !== row.items.get('step') || (steps.length > 0 && v <= steps.at(-1)!))
      problems.push(`row ${row.step}: seq ${v} at step ${String(row.items.get('step'))}`);
    steps.push(v);
  }
  return { steps, problems };
}

test.serial(
  "injected faults: a short write then ENOSPC cuts the log back to its last whole record, the batch is counted as lost, the run's own records wait, and later records follow without a hole",
  async (t) => {
    const savedir = tempDir(t, 'wandb-fault');
    const warnings: string[] = [];
    const env = sinkEnv(warnings);
    const sink = await createWandbSink(offlineSinkOptions(savedir), env);

    t.is(await commitBatch(sink, 0, 1000), 0);
    const dir = runDirs(savedir)[0]!;
    const file = `${dir}/run-${readRun(dir).runIdFromName}.wandb`;
    const sizeBefore = statSync(file).size;

    let calls = 0;
    const restore = injectWriteFaults(
      (f) => f === file,
      (len) => {
        if (calls++ === 0) return Math.floor(len / 3); // a short write, then the disk is full
        throw enospc();
      },
    );
    let lost: number;
    try {
      // A new key: its define_metric record must survive the failed write.
      lost = await commitBatch(sink, 1000, 1000, 'other');
    } finally {
      restore();
    }
    t.is(lost, 1000, 'the batch is counted as lost');
    t.is(statSync(file).size, sizeBefore, 'the partial write was cut off');
    t.is(warnings.filter((w) => /cannot write .*run-.*\.wandb \(ENOSPC: no space left on device\)/.test(w)).length, 1, warnings.join('\n'));

    let resumedAt = 2000;
    while ((await commitBatch(sink, resumedAt, 100)) !== 0) {
      resumedAt += 100;
      await new Promise((r) => setImmediate(r)); // the backoff's clock moves on; no fixed wait
    }
    await sink.close('finished');
    t.true(warnings.some((w) => /writing resumed/.test(w)));

    const { steps, problems } = seqRows(dir);
    t.deepEqual(problems, [], 'every record reads back, numbered without a gap (a hole would fail the next CRC)');
    t.deepEqual(steps, [...Array.from({ length: 1000 }, (_, s) => s), ...Array.from({ length: 100 }, (_, k) => resumedAt + k)]);
    const run = readRun(dir);
    t.true(
      run.metrics.some((m) => m.name === 'other' && m.stepMetric === 'step'),
      'the metric definition of the lost batch was written later',
    );
    t.is(run.exit?.exitCode, 0);
  },
);

test.serial('injected faults: a media file the disk refuses is counted as lost and never named by the log, which stays valid', async (t) => {
  const savedir = tempDir(t, 'wandb-fault-media');
  const warnings: string[] = [];
  const png = handMadePng(2, 2, 3, new Uint8Array(12));
  const env = sinkEnv(warnings, { encodePng: () => Promise.resolve(png) });
  const sink = await createWandbSink(offlineSinkOptions(savedir), env);
  await commitBatch(sink, 0, 1);
  const restore = injectWriteFaults(
    (f) => f.includes('/media/images/'),
    () => {
      throw enospc();
    },
  );
  let lost: number;
  try {
    await sink.write({
      kind: 'image',
      rank: 0,
      identifier: 'img',
      step: 1,
      batchIdx: 0,
      timeMs: 1_700_000_000_001,
      value: NaN,
      item: { format: 'png', data: png },
    });
    await sink.write(scalar(1));
    lost = (await sink.commit()) ?? 0;
  } finally {
    restore();
  }
  t.is(lost, 2, 'the image is lost, and the commit right after it falls in the back-off of WriteFailures: its metric is dropped and counted');
  let resumedAt = 2;
  while ((await commitBatch(sink, resumedAt, 1)) !== 0) {
    resumedAt++;
    await new Promise((r) => setImmediate(r));
  }
  await sink.close('finished');
  const dir = runDirs(savedir)[0]!;
  const run = readRun(dir);
  t.deepEqual(run.errors, []);
  t.deepEqual(
    run.rows.map((r) => [r.items.get('seq'), r.items.has('img')]),
    [
      [0, false],
      [resumedAt, false],
    ],
  );
  t.deepEqual(run.files, [], 'no Files record names a file that is not there');
});

const TMPFS_BYTES = 4 << 20;
const CHUNK = 1000;
const WHILE_FULL = 200_000;

function backendStats(stats: LogStats): { written: number; failed: number } {
  const b = stats.backends[0]!;
  return { written: b.written, failed: b.failed };
}

test.serial(
  'WandBLogger on a full tmpfs: no stall, nothing held in memory, written counts exactly the rows in the log, failed the rest, told once, resumes when space returns',
  async (t) => {
    t.timeout(300_000);
    const savedir = mountTmpfs(t, TMPFS_BYTES);
    if (savedir === undefined) return t.pass();
    const warnings: string[] = [];
    t.teardown(onDiagnostic((level, m) => void (level === 'warn' && warnings.push(m))));
    const logger = new WandBLogger({ savedir, offlineMode: true, logFreq: 'batch' });
    await logger.createLoggerContext({ rank: 0, runName: 'run', handleSignals: false, ringBytes: 1 << 16 });
    const h = logger.handle('seq');
    let step = 0;
    const logChunk = () => {
      const t0 = performance.now();
      for (let i = 0; i < CHUNK; i++, step++) logger.metric(h, step, step, 0);
      return performance.now() - t0;
    };
    for (let i = 0; i < 5; i++) logChunk();
    await logger.flush();
    t.like(backendStats(await logger.stats()), { written: step, failed: 0 });
    const dir = runDirs(savedir)[0]!;

    const filler = fillUp(savedir, 16 << 10);
    const rssBefore = process.memoryUsage().rss;
    let slowest = 0;
    for (let i = 0; i < WHILE_FULL / CHUNK; i++) slowest = Math.max(slowest, logChunk());
    await logger.flush();
    const full = backendStats(await logger.stats());
    t.log(
      `disk full: ${full.written} written, ${full.failed} failed of ${step}; slowest chunk ${slowest.toFixed(1)} ms; RSS +${((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(1)} MiB`,
    );
    t.true(full.failed > 0);
    t.is(full.written + full.failed, step);
    let rows = seqRows(dir);
    t.deepEqual(rows.problems, []);
    t.is(rows.steps.length, full.written, 'written counts exactly the rows in the log');
    t.is(warnings.filter((w) => /cannot write .*\(ENOSPC: no space left on device\)/.test(w)).length, 1, warnings.join('\n'));

    rmSync(filler);
    let resumed = false;
    for (let i = 0; i < 10_000 && !resumed; i++) {
      const before = backendStats(await logger.stats()).written;
      logChunk();
      await logger.flush();
      resumed = backendStats(await logger.stats()).written - before === CHUNK;
    }
    t.true(resumed, 'writing resumed once space was back');
    const stats = backendStats(await logger.destroyLoggerContext());
    t.is(stats.written + stats.failed, step);
    rows = seqRows(dir);
    t.deepEqual(rows.problems, []);
    t.is(rows.steps.length, stats.written);
    t.is(readRun(dir).exit?.exitCode, 0, 'the run ends with its Exit');
    t.true(slowest < 5_000, `a ${CHUNK}-record chunk took ${slowest} ms: training waited for the full disk`);
    t.deepEqual(readWandbFile(new Uint8Array(readFileSync(`${dir}/run-${readRun(dir).runIdFromName}.wandb`))).errors, []);
  },
);
