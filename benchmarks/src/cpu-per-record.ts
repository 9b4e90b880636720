/**
 * Logging CPU per record, all threads summed: what one scalar record costs the machine in
 * CPU time — the training thread's call, the writer thread's encoding and writes, the clock
 * thread, GC — however the work is spread over threads. On a machine whose cores all train,
 * this is what logging takes from training.
 *
 * A fresh child process logs N scalars through metric() as fast as it can into one backend,
 * waits until flush() says they are on disk, and reads its CPU time (process.cpuUsage(): user +
 * system, every thread) over that window. The control runs the same loop (the same values)
 * without a logger. Per repetition:
 *
 *   total   = (CPU(backend) − CPU(control)) / N      every thread's logging work per record
 *   backend = total(backend) − total(NullLogger)     the sink's share: ring, clock and drain excluded
 *
 * Context creation, a warm-up of 100k records and destroy are outside the window (one-off
 * costs; destroy's CPU is in the extras). Configurations are rotated within each repetition.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LocalFileLogger, LoggersCollection, NullLogger, type Logger } from '@ranklog/core';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { WandBLogger } from '@ranklog/wandb';
import { childTask, runChild, summarize, type Config, type Result } from './harness.js';

type Backend = 'control' | 'null' | 'local' | 'local-csv' | 'tensorboard' | 'wandb' | 'all';

const LABEL: Record<Exclude<Backend, 'control'>, string> = {
  null: 'NullLogger',
  local: 'LocalFileLogger (metrics.csv + metrics.jsonl)',
  'local-csv': 'LocalFileLogger({ jsonl: false }) (metrics.csv alone)',
  tensorboard: 'TensorBoardLogger',
  wandb: 'WandBLogger (offline run: a history row per record)',
  all: "LocalFile + TensorBoard + Null (the training rows' set)",
};

function make(b: Exclude<Backend, 'control'>, dir: string): Logger | LoggersCollection {
  switch (b) {
    case 'null':
      return new NullLogger({ logFreq: 'batch' });
    case 'local':
      return new LocalFileLogger({ logFreq: 'batch', savedir: join(dir, 'logs') });
    case 'local-csv':
      return new LocalFileLogger({ logFreq: 'batch', savedir: join(dir, 'logs'), jsonl: false });
    case 'tensorboard':
      return new TensorBoardLogger({ logFreq: 'batch', savedir: join(dir, 'tb') });
    case 'wandb':
      return new WandBLogger({ logFreq: 'batch', savedir: join(dir, 'wb'), offlineMode: true, projectName: 'bench' });
    case 'all':
      return new LoggersCollection([
        new LocalFileLogger({ logFreq: 'batch', savedir: join(dir, 'logs') }),
        new TensorBoardLogger({ logFreq: 'batch', savedir: join(dir, 'tb') }),
        new NullLogger({ logFreq: 'batch' }),
      ]);
  }
}

/**
 * A loss-like curve of full-precision doubles (15–17 significant digits, like a computed loss),
 * cheap to make (no Math.exp, no floating-point %: ~30 ns each here) so the control stays small.
 */
function valueAt(i: number): number {
  return 2.3 / (1 + i * 1e-6) + (Math.imul(i, -1640531535) >>> 22) * 1e-5;
}

interface Args {
  backend: Backend;
  n: number;
  tmp: string;
}
interface Answer {
  /** CPU of the whole process from the first timed call until flush() resolved, µs. */
  cpuUs: number;
  /** Wall time of the loop alone (the calls, including waits on a full ring), µs. */
  loopUs: number;
  /** CPU of destroyLoggerContext(), µs. */
  destroyCpuUs: number;
  written: number;
  dropped: number;
  /** Bytes of every file the backend wrote (warm-up included). */
  bytes: number;
  /** Keeps the control's loop from being optimised away. */
  sink: number;
}

const WARMUP = 100_000;

async function child(a: Args): Promise<Answer> {
  const dir = mkdtempSync(join(a.tmp, 'cpu-rec-'));
  const lg = a.backend === 'control' ? undefined : make(a.backend, dir);
  await lg?.createLoggerContext({ rank: 0, runName: `bench-cpu-${a.backend}`, handleSignals: false });
  const h = lg?.handle('train/loss');
  let sink = 0;
  const loop = (from: number, to: number) => {
    if (lg) for (let i = from; i < to; i++) lg.metric(h!, valueAt(i), i, i % 1000);
    else for (let i = from; i < to; i++) sink += valueAt(i) + (i % 1000);
  };
  // Warm-up (untimed): the JIT, the writer thread's start, the files' creation.
  loop(0, WARMUP);
  await lg?.flush();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  loop(WARMUP, WARMUP + a.n);
  const loopUs = Number(process.hrtime.bigint() - t0) / 1e3;
  await lg?.flush();
  const cpu = process.cpuUsage(cpu0);
  const d0 = process.cpuUsage();
  const st = await lg?.destroyLoggerContext();
  const d = process.cpuUsage(d0);
  const bytes = treeBytes(dir);
  rmSync(dir, { recursive: true, force: true });
  return {
    bytes,
    cpuUs: cpu.user + cpu.system,
    loopUs,
    destroyCpuUs: d.user + d.system,
    written: st ? Math.max(...st.backends.map((b) => b.written)) : 0,
    dropped: st?.dropped ?? 0,
    sink,
  };
}

function treeBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

childTask(import.meta.url, 'cpu-per-record', child);

const BACKENDS: Exclude<Backend, 'control'>[] = ['null', 'local', 'local-csv', 'tensorboard', 'wandb', 'all'];

export async function cpuPerRecord(cfg: Config): Promise<Result[]> {
  const n = cfg.quick ? 200_000 : 2_000_000;
  const reps = cfg.quick ? 1 : 7;
  const run = (backend: Backend) => runChild<Answer>(import.meta.url, 'cpu-per-record', { backend, n, tmp: cfg.tmp } satisfies Args);
  const control: Answer[] = [];
  const by = new Map<Backend, Answer[]>(BACKENDS.map((b) => [b, []]));
  for (let rep = 0; rep < reps; rep++) {
    // Rotate the order, so a drift in the machine's speed hits every configuration alike.
    const order: Backend[] = ['control', ...BACKENDS];
    for (let k = 0; k < rep % order.length; k++) order.push(order.shift()!);
    for (const b of order) {
      const ans = await run(b);
      if (b === 'control') control.push(ans);
      else by.get(b)!.push(ans);
    }
  }
  const nsPer = (us: number) => (us * 1e3) / n;
  const out: Result[] = [];
  out.push({
    id: 'cpu.rec.control',
    label: `CPU per iteration of the same loop without a logger (computing the values): subtracted below; ${n / 1e6}M iterations`,
    unit: 'ns/record',
    ...summarize(control.map((c) => nsPer(c.cpuUs))),
  });
  const totals = new Map<Backend, number[]>();
  for (const b of BACKENDS) {
    const rs = by.get(b)!;
    const total = rs.map((r, i) => nsPer(r.cpuUs - control[i]!.cpuUs));
    totals.set(b, total);
    out.push({
      id: `cpu.rec.${b}`,
      label: `logging CPU per record, all threads summed (training thread + writers + clock): metric() into ${LABEL[b]}, ${n / 1e6}M records, until flushed`,
      unit: 'ns/record',
      ...summarize(total),
      ratioTo: b === 'null' ? undefined : 'cpu.rec.null',
      series: total.map((x) => Number(x.toFixed(1))),
      extra: {
        loopNsPerRecord: Number(summarize(rs.map((r) => nsPer(r.loopUs))).median.toFixed(1)),
        destroyCpuMs: Number(summarize(rs.map((r) => r.destroyCpuUs / 1e3)).median.toFixed(1)),
        writtenPerRun: rs[0]!.written,
        bytesPerRecord: Number((rs[0]!.bytes / (WARMUP + n)).toFixed(1)),
        dropped: rs.reduce((s, r) => s + r.dropped, 0),
      },
    });
  }
  const nul = totals.get('null')!;
  for (const b of BACKENDS) {
    if (b === 'null') continue;
    const backend = totals.get(b)!.map((x, i) => x - nul[i]!);
    out.push({
      id: `cpu.rec.${b}.backend`,
      label: `the backend's share: cpu.rec.${b} − cpu.rec.null in the same repetition (${LABEL[b]}'s sink work per record)`,
      unit: 'ns/record',
      ...summarize(backend),
      series: backend.map((x) => Number(x.toFixed(1))),
    });
  }
  return out;
}
