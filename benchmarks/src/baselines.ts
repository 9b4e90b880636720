/**
 * What the hot path is compared with, measured in the same run:
 *  - the floor: a bare 32-byte record store into a SharedArrayBuffer
 *    (4 typed-array stores + Atomics.store of the head), nothing else;
 *  - fs.appendFileSync of a JSON line (the naive synchronous logger);
 *  - pino with its worker-thread file transport, and ranklog's
 *    LocalFileLogger doing the same job (same record, same call count,
 *    a file written by a worker thread), each in a fresh child process so
 *    RSS growth is theirs alone; with each child's peak RSS.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import pino from 'pino';
import { LocalFileLogger } from '@ranklog/core';
import { childTask, MiB, nsResult, runChildMeasured, single, summarize, timeBatches, type BatchPlan, type Config, type Result } from './harness.js';

/** The floor's body: n bare 32-byte record stores into its own 8 MiB SharedArrayBuffer, each published with Atomics.store. */
export function floorBody(): (n: number) => void {
  const slots = (8 * MiB) / 32;
  const sab = new SharedArrayBuffer(512 + 8 * MiB);
  const ctrl = new Int32Array(sab, 0, 128);
  const u32 = new Uint32Array(sab, 512);
  const i32 = new Int32Array(sab, 512);
  const f64 = new Float64Array(sab, 512);
  let head = 0;
  return (n) => {
    for (let i = 0; i < n; i++) {
      const b = (head & (slots - 1)) << 3;
      u32[b] = 1 | (7 << 8);
      f64[(b >> 1) + 1] = head * 1e-6;
      f64[(b >> 1) + 2] = head;
      i32[b + 6] = i;
      head = (head + 1) | 0;
      Atomics.store(ctrl, 0, head);
    }
  };
}

function floor(plan: BatchPlan): number[] {
  return timeBatches(floorBody(), plan);
}

function appendJson(plan: BatchPlan, file: string): number[] {
  let s = 0;
  const samples = timeBatches((n) => {
    for (let i = 0; i < n; i++, s++) appendFileSync(file, JSON.stringify({ identifier: 'loss', step: s, batchIdx: i, value: s * 1e-6 }) + '\n');
  }, plan);
  rmSync(file, { force: true });
  return samples;
}

interface FileLoggerArgs {
  which: 'pino' | 'ranklog';
  plan: BatchPlan;
  dir: string;
}
interface FileLoggerAnswer {
  samples: number[];
  /** RSS after each batch minus RSS before the first call, MiB. */
  rssGrowth: number[];
  /** From the first call until the file is complete and the logger closed. */
  recordsPerSec: number;
  dropped: number;
}

/** In a child process: per-call cost of one file logger on this thread, its RSS growth, and its end-to-end rate. */
async function fileLoggerChild(a: FileLoggerArgs): Promise<FileLoggerAnswer> {
  let call: (s: number, i: number) => void;
  let close: () => Promise<number>;
  if (a.which === 'pino') {
    const transport = pino.transport({ target: 'pino/file', options: { destination: join(a.dir, 'pino.log') } });
    await once(transport, 'ready');
    const log = pino(transport);
    call = (s, i) => log.info({ identifier: 'loss', step: s, batchIdx: i, value: s * 1e-6 });
    close = async () => {
      const closed = once(transport, 'close');
      transport.end();
      await closed;
      return 0;
    };
  } else {
    const lg = new LocalFileLogger({ logFreq: 'batch', savedir: a.dir });
    await lg.createLoggerContext({ rank: 0, runName: 'bench-file', handleSignals: false });
    const h = lg.handle('loss');
    call = (s, i) => lg.metric(h, s * 1e-6, s, i);
    close = async () => (await lg.destroyLoggerContext()).dropped;
  }
  const rss0 = process.memoryUsage().rss;
  const rssGrowth: number[] = [];
  const samples: number[] = [];
  let s = 0;
  const body = (n: number) => {
    for (let i = 0; i < n; i++, s++) call(s, i);
  };
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < a.plan.warmup + a.plan.batches; k++) {
    const t = timeBatches(body, { batch: a.plan.batch, batches: 1, warmup: 0 });
    if (k >= a.plan.warmup) samples.push(t[0]!);
    rssGrowth.push((process.memoryUsage().rss - rss0) / MiB);
    // A training loop yields to the event loop between steps; pino's transport needs that to move its buffer to its worker.
    await tick();
  }
  const dropped = await close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { samples, rssGrowth, recordsPerSec: s / seconds, dropped };
}

childTask(import.meta.url, 'file-logger', fileLoggerChild);

/** Every k-th element (k chosen so about n remain), always ending with the last. */
function thin(xs: number[], n: number): number[] {
  const k = Math.max(1, Math.ceil(xs.length / n));
  const out = xs.filter((_, i) => i % k === 0);
  if ((xs.length - 1) % k !== 0) out.push(xs[xs.length - 1]!);
  return out;
}

export async function baselines(cfg: Config): Promise<Result[]> {
  const q = cfg.quick;
  const out: Result[] = [];
  out.push(
    nsResult('base.floor', 'floor: bare 32-byte SAB store + Atomics.store', floor({ batch: 100_000, batches: q ? 15 : 100, warmup: q ? 2 : 5 }), 'hot.metric'),
  );
  out.push(
    nsResult(
      'base.appendFileSync',
      'fs.appendFileSync(path, JSON line)',
      appendJson({ batch: q ? 500 : 2_000, batches: q ? 10 : 50, warmup: 1 }, join(cfg.tmp, 'append.jsonl')),
      'hot.metric',
    ),
  );
  // 5M calls in the full run: long enough to tell a plateau (bounded memory) from steady growth.
  const plan: BatchPlan = { batch: 10_000, batches: q ? 20 : 500, warmup: q ? 2 : 5 };
  for (const which of ['pino', 'ranklog'] as const) {
    const dir = join(cfg.tmp, `file-logger-${which}`);
    mkdirSync(dir, { recursive: true });
    const { value: a, peakRssMiB } = await runChildMeasured<FileLoggerAnswer>(import.meta.url, 'file-logger', { which, plan, dir } satisfies FileLoggerArgs);
    rmSync(dir, { recursive: true, force: true });
    const name = which === 'pino' ? 'pino, worker-thread file transport' : 'ranklog LocalFileLogger metric() (same job as pino)';
    const id = which === 'pino' ? 'base.pino' : 'base.ranklog-file';
    out.push(nsResult(id, `${name} — per call`, a.samples, 'hot.metric', { dropped: a.dropped }));
    out.push({
      id: `${id}.rss`,
      label: `${name} — RSS growth over ${(plan.batch * (plan.batches + plan.warmup)) / 1e6}M calls (sampled every 10k calls; the series below is thinned to ~50 points)`,
      unit: 'MiB',
      ...summarize(a.rssGrowth),
      // At most ~50 points in the report: every k-th sample, and the last.
      series: thin(a.rssGrowth, 50).map((x) => Number(x.toFixed(1))),
    });
    out.push({
      id: `${id}.e2e`,
      label: `${name} — records/s, first call to file closed`,
      unit: 'records/s',
      median: a.recordsPerSec,
      min: a.recordsPerSec,
      max: a.recordsPerSec,
      n: 1,
      ratioTo: which === 'pino' ? undefined : 'base.pino.e2e',
    });
    out.push(
      single(
        `${id}.peak-rss`,
        `${name} — peak RSS of its child process (VmHWM, Node included)`,
        'MiB',
        peakRssMiB,
        which === 'pino' ? undefined : 'base.pino.peak-rss',
      ),
    );
  }
  return out;
}
