/**
 * A real full disk: each file-writing backend logs into a small tmpfs that fills up, then gets its
 * space back. Training must not stall, the writer must not hold the records in memory, every
 * record is either in the file (stats().written, exactly) or counted as failed, the files stay
 * valid (whole lines, whole records, no hole), the user is told once, and writing resumes.
 * Files are read with the test's own readers. Needs root to mount the tmpfs (CI runs as root).
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { LocalFileLogger, onDiagnostic, type Logger, type LogStats } from '@ranklog/core';
import { MLFlowLogger } from '@ranklog/mlflow';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { listFiles } from './support/list-files.js';
import { checkSeqCsv, countLines } from './support/log-path.js';
import { EVENT_FILE_PATTERN, forEachEvent, scalarOf } from './support/tb-decode.js';
import { fillUp, mountTmpfs } from './support/tmpfs.js';
import { waitFor } from './support/wait-for.js';

const TMPFS_BYTES = 4 << 20;
const CHUNK = 1000;
/** Records logged while the disk is full. */
const WHILE_FULL = 200_000;

interface FileCount {
  /** 'seq' records in the backend's files. */
  records: number;
  /** Anything a reader would trip over: torn lines, bad CRCs, bytes after the last whole record, steps out of order. */
  problems: string[];
}

interface Backend {
  name: string;
  make(savedir: string): Logger;
  count(runDir: string, logged: number): Promise<FileCount>;
}

const BACKENDS: Backend[] = [
  {
    name: 'LocalFileLogger',
    make: (savedir) => new LocalFileLogger({ savedir, logFreq: 'batch' }),
    async count(runDir, logged) {
      const csv = await checkSeqCsv(join(runDir, 'metrics.csv'), new Map([[0, logged]]));
      const problems = [...csv.firstProblems];
      const jsonl = await countLines(join(runDir, 'metrics.jsonl'));
      if (jsonl !== csv.rows) problems.push(`metrics.jsonl has ${jsonl} lines, metrics.csv ${csv.rows} rows`);
      if (!readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').endsWith('\n')) problems.push('metrics.jsonl ends inside a line');
      return { records: csv.rows, problems };
    },
  },
  {
    name: 'TensorBoardLogger',
    make: (savedir) => new TensorBoardLogger({ savedir, logFreq: 'batch' }),
    async count(runDir) {
      const r: FileCount = { records: 0, problems: [] };
      let last = -1;
      for (const name of readdirSync(runDir)
        .filter((n) => EVENT_FILE_PATTERN.test(n))
        .sort()) {
        const framing = forEachEvent(new Uint8Array(readFileSync(join(runDir, name))), name, (e) => {
          for (const v of e.summary?.values ?? []) {
            if (v.tag !== 'seq') continue;
            if (e.step <= last || scalarOf(v) !== e.step) r.problems.push(`scalar step ${e.step} value ${scalarOf(v)} after step ${last}`);
            last = e.step;
            r.records++;
          }
        });
        r.problems.push(...framing.errors);
        if (framing.truncatedTail) r.problems.push(`${name}: ${framing.tailBytes} bytes after the last whole record`);
      }
      return r;
    },
  },
  {
    name: 'MLFlowLogger (file store)',
    make: (savedir) => new MLFlowLogger({ savedir, trackingUri: join(savedir, 'mlflow'), experimentName: 'disk', logFreq: 'batch', flushSecs: 0.2 }),
    async count(runDir) {
      // The one run of the experiment, read from MLflow's layout: <root>/<experiment id>/<run id>/metrics/seq.
      const root = join(runDir, '..', 'mlflow');
      const metricFiles = listFiles(root).filter((f) => f.endsWith('/metrics/seq'));
      const r: FileCount = { records: 0, problems: metricFiles.length === 1 ? [] : [`${metricFiles.length} metric files 'seq'`] };
      if (metricFiles.length === 0) return r;
      const text = readFileSync(join(root, metricFiles[0]!), 'utf8');
      if (text !== '' && !text.endsWith('\n')) r.problems.push('the metric file ends inside a line');
      let last = -1;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const m = /^(\d+) (\S+) (\d+)$/.exec(line);
        const step = Number(m?.[3]);
        if (!m || Number(m[2]) !== step || step <= last) r.problems.push(`bad or out-of-order line ${JSON.stringify(line)}`);
        last = step;
        r.records++;
      }
      return r;
    },
  },
];

function backendStats(stats: LogStats): { written: number; failed: number } {
  const b = stats.backends[0]!;
  return { written: b.written, failed: b.failed };
}

/** Space is back: log chunks until one is written whole (the sink tries again after its backoff). False if none ever is. */
async function logUntilResumed(logger: Logger, logChunk: () => unknown): Promise<boolean> {
  for (let i = 0; i < 10_000; i++) {
    const before = backendStats(await logger.stats()).written;
    logChunk();
    await logger.flush();
    if (backendStats(await logger.stats()).written - before === CHUNK) return true;
  }
  return false;
}

for (const backend of BACKENDS) {
  test.serial(
    `${backend.name} on a full tmpfs: no stall, nothing held in memory, written counts exactly what is in the files, failed the rest, told once, resumes when space returns`,
    async (t) => {
      t.timeout(300_000);
      const savedir = mountTmpfs(t, TMPFS_BYTES);
      if (savedir === undefined) return t.pass();
      const warnings: string[] = [];
      const stop = onDiagnostic((level, m) => {
        if (level === 'warn') warnings.push(m);
      });
      t.teardown(stop);
      const logger = backend.make(savedir);
      // A small ring: the training thread waits for the writer as soon as the writer falls behind.
      await logger.createLoggerContext({ rank: 0, runName: 'run', handleSignals: false, ringBytes: 1 << 16 });
      const runDir = join(savedir, 'run');
      const h = logger.handle('seq');
      let step = 0;
      const logChunk = () => {
        const t0 = performance.now();
        for (let i = 0; i < CHUNK; i++, step++) logger.metric(h, step, step);
        return performance.now() - t0;
      };

      for (let i = 0; i < 10; i++) logChunk();
      await logger.flush();
      t.like(backendStats(await logger.stats()), { written: step, failed: 0 }, 'with space, everything is written');

      const filler = fillUp(savedir, 16 << 10);
      const rssBefore = process.memoryUsage().rss;
      let slowest = 0;
      for (let i = 0; i < WHILE_FULL / CHUNK; i++) slowest = Math.max(slowest, logChunk());
      await logger.flush();
      const full = backendStats(await logger.stats());
      const rssGrowth = process.memoryUsage().rss - rssBefore;
      t.log(
        `disk full: ${full.written} written, ${full.failed} failed of ${step}; slowest ${CHUNK}-record chunk ${slowest.toFixed(1)} ms; RSS +${(rssGrowth / 2 ** 20).toFixed(1)} MiB`,
      );
      t.true(full.failed > 0, 'records were refused by the full disk');
      t.is(full.written + full.failed, step, 'every record is either written or counted as failed');
      let inFiles = await backend.count(runDir, step);
      t.deepEqual(inFiles.problems, [], 'the files stay valid');
      t.is(inFiles.records, full.written, 'written counts exactly the records in the files');
      // Warnings come from the writer thread over a port of their own: wait for them (no order with stats()).
      const told = () => warnings.filter((w) => /cannot write .*\(ENOSPC: no space left on device\)/.test(w));
      await warned(() => told().length > 0);
      t.is(told().length, 1, `told once:\n${warnings.join('\n')}`);

      rmSync(filler);
      t.true(await logUntilResumed(logger, logChunk), 'writing resumed once space was back');
      t.true(await warned(() => warnings.some((w) => /writing resumed; \d+ records could not be written meanwhile/.test(w))), warnings.join('\n'));

      const destroyFrom = performance.now();
      const stats = backendStats(await logger.destroyLoggerContext());
      t.log(`destroyLoggerContext() took ${(performance.now() - destroyFrom).toFixed(0)} ms; in all ${stats.written} written, ${stats.failed} failed`);
      t.is(stats.written + stats.failed, step);
      inFiles = await backend.count(runDir, step);
      t.deepEqual(inFiles.problems, [], 'the files stay valid');
      t.is(inFiles.records, stats.written, 'written counts exactly the records in the files');
      t.true(
        await warned(() => warnings.some((w) => new RegExp(`${stats.failed} records could not be written \\(first: ENOSPC`).test(w))),
        `a report at close:\n${warnings.join('\n')}`,
      );
      checkNoStall(t, slowest);
    },
  );
}

/** Until a warning sent by the writer thread has reached this thread (true), or the liveness bound (false). */
const warned = (cond: () => boolean) => waitFor(cond);

/** A liveness bound only (shared machines are noisy): a writer that blocked training on the full disk takes seconds per chunk. */
function checkNoStall(t: ExecutionContext, slowestChunkMs: number): void {
  t.true(slowestChunkMs < 5_000, `a ${CHUNK}-record chunk took ${slowestChunkMs} ms: training waited for the full disk`);
}

test.serial(
  'MLFlowLogger with the tracking server away and its spool on a full tmpfs: the spool keeps whole lines, what it refuses is counted, spooling resumes when space returns',
  async (t) => {
    t.timeout(300_000);
    const savedir = mountTmpfs(t, TMPFS_BYTES);
    if (savedir === undefined) return t.pass();
    const warnings: string[] = [];
    const stop = onDiagnostic((level, m) => {
      if (level === 'warn') warnings.push(m);
    });
    t.teardown(stop);
    const port = await closedPort();
    const logger = new MLFlowLogger({
      savedir,
      trackingUri: `http://127.0.0.1:${port}`,
      experimentName: 'disk',
      logFreq: 'batch',
      flushSecs: 0.2,
      closeTimeoutSecs: 0,
    });
    await logger.createLoggerContext({ rank: 0, runName: 'run', handleSignals: false, ringBytes: 1 << 16 });
    const spoolOps = join(savedir, 'run', 'mlflow-spool', 'rank0', 'ops.jsonl');
    const h = logger.handle('seq');
    let step = 0;
    const logChunk = () => {
      for (let i = 0; i < CHUNK; i++, step++) logger.metric(h, step, step);
    };
    for (let i = 0; i < 10; i++) logChunk();
    await logger.flush(); // the server is away: after its retries, everything waits in the spool
    t.like(backendStats(await logger.stats()), { written: step, failed: 0 });
    t.is(spooledRecords(spoolOps).records, step);

    const filler = fillUp(savedir, 16 << 10);
    for (let i = 0; i < WHILE_FULL / CHUNK; i++) logChunk();
    await logger.flush();
    const full = backendStats(await logger.stats());
    t.log(`disk full: ${full.written} written, ${full.failed} failed of ${step}`);
    t.true(full.failed > 0);
    t.is(full.written + full.failed, step);
    let spool = spooledRecords(spoolOps);
    t.deepEqual(spool.problems, [], 'ops.jsonl holds whole lines');
    t.is(spool.records, full.written, 'written counts exactly the records in the spool');
    const told = () => warnings.filter((w) => /cannot write .*mlflow-spool\/rank0\/ops\.jsonl \(ENOSPC: no space left on device\)/.test(w));
    await warned(() => told().length > 0);
    t.is(told().length, 1, warnings.join('\n'));

    rmSync(filler);
    t.true(await logUntilResumed(logger, logChunk), 'spooling resumed once space was back');
    const stats = backendStats(await logger.destroyLoggerContext());
    t.is(stats.written + stats.failed, step);
    spool = spooledRecords(spoolOps);
    t.deepEqual(spool.problems, []);
    t.is(spool.records, stats.written, 'written counts exactly the records in the spool');
    t.true(await warned(() => warnings.some((w) => /could not be delivered .* kept in .*mlflow-spool/.test(w))), warnings.join('\n'));
  },
);

/** A port on 127.0.0.1 that nobody listens on (connections are refused: a tracking server that is down). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The metric points in a spool's ops.jsonl (every line must be a whole JSON op). */
function spooledRecords(file: string): { records: number; problems: string[] } {
  const r = { records: 0, problems: [] as string[] };
  const text = readFileSync(file, 'utf8');
  if (!text.endsWith('\n')) r.problems.push('ops.jsonl ends inside a line');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const op = JSON.parse(line) as { op: string; batch?: { metrics: unknown[] } };
      if (op.op === 'batch') r.records += op.batch!.metrics.length;
    } catch {
      r.problems.push(`not JSON: ${line.slice(0, 80)}`);
    }
  }
  return r;
}
