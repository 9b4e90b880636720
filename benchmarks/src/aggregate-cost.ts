/**
 * Writer-side cost of cross-rank aggregates per record (docs/jobs.md "Aggregates"), all threads
 * summed, measured like cpu-per-record.ts: a fresh child process logs N scalars into
 * LocalFileLogger({ jsonl: false }) as fast as it can, waits for flush(), and reads its CPU time.
 * Three configurations, rotated within each repetition:
 *
 *   plain   no aggregate option (the baseline)
 *   agg     aggregate: { 'train/loss': mean, min, max, std }: every record is folded, and as this
 *           process is the only rank, every step is complete at the next one and written to
 *           aggregates.csv (4 rows per record: the worst case; with k ranks a row set per k records)
 *   other   aggregate for another identifier: what the option costs records it does not name
 *
 * Cost per record = (CPU(agg or other) − CPU(plain)) / N in the same repetition, medians. The
 * training thread's calls are the same in all three (aggregation happens in the writer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type AggregateStat, LocalFileLogger } from '@ranklog/core';
import { childTask, runChild, summarize, type Config, type Result } from './harness.js';

type Mode = 'plain' | 'agg' | 'other';

interface Args {
  mode: Mode;
  n: number;
  tmp: string;
}
interface Answer {
  cpuUs: number;
  rows: number;
}

const WARMUP = 100_000;
const STATS = ['mean', 'min', 'max', 'std'] as const;

async function child(a: Args): Promise<Answer> {
  const dir = mkdtempSync(join(a.tmp, 'agg-cost-'));
  const aggregate: Record<string, AggregateStat[]> | undefined =
    a.mode === 'agg' ? { 'train/loss': [...STATS] } : a.mode === 'other' ? { 'val/loss': [...STATS] } : undefined;
  const lg = new LocalFileLogger({ logFreq: 'batch', savedir: dir, jsonl: false, ...(aggregate ? { aggregate } : {}) });
  await lg.createLoggerContext({ rank: 0, worldSize: 1, runName: `bench-agg-${a.mode}`, handleSignals: false });
  const h = lg.handle('train/loss');
  const loop = (from: number, to: number) => {
    for (let i = from; i < to; i++) lg.metric(h, 2.3 / (1 + i * 1e-6), i, i % 1000);
  };
  loop(0, WARMUP); // untimed: the JIT, the writer's start, the files' creation
  await lg.flush();
  const cpu0 = process.cpuUsage();
  loop(WARMUP, WARMUP + a.n);
  await lg.flush();
  const cpu = process.cpuUsage(cpu0);
  const st = await lg.destroyLoggerContext();
  rmSync(dir, { recursive: true, force: true });
  const b = st.backends[0] as unknown as Record<string, number> | undefined;
  return { cpuUs: cpu.user + cpu.system, rows: b?.aggregateRows ?? 0 };
}

childTask(import.meta.url, 'aggregate-cost', child);

export async function aggregateCost(cfg: Config): Promise<Result[]> {
  const n = cfg.quick ? 200_000 : 1_000_000;
  const reps = cfg.quick ? 1 : 7;
  const by = new Map<Mode, Answer[]>([
    ['plain', []],
    ['agg', []],
    ['other', []],
  ]);
  for (let rep = 0; rep < reps; rep++) {
    const order: Mode[] = ['plain', 'agg', 'other'];
    for (let k = 0; k < rep % order.length; k++) order.push(order.shift()!);
    for (const mode of order) by.get(mode)!.push(await runChild<Answer>(import.meta.url, 'aggregate-cost', { mode, n, tmp: cfg.tmp } satisfies Args));
  }
  const nsPer = (us: number) => (us * 1e3) / n;
  const plain = by.get('plain')!;
  const delta = (m: Mode) => by.get(m)!.map((r, i) => nsPer(r.cpuUs - plain[i]!.cpuUs));
  const agg = delta('agg');
  const other = delta('other');
  return [
    {
      id: 'agg.rec.plain',
      label: `CPU per record, all threads, LocalFileLogger({ jsonl: false }) without aggregate (the baseline); ${n / 1e6}M records`,
      unit: 'ns/record',
      ...summarize(plain.map((r) => nsPer(r.cpuUs))),
    },
    {
      id: 'agg.rec.aggregated',
      label: 'writer-side aggregation cost per aggregated record (4 statistics; one rank: a step and 4 aggregates.csv rows per record), minus the baseline',
      unit: 'ns/record',
      ...summarize(agg),
      series: agg.map((x) => Number(x.toFixed(1))),
      extra: { aggregateRowsPerRun: by.get('agg')![0]!.rows },
    },
    {
      id: 'agg.rec.not-named',
      label: 'cost per record of an identifier the aggregate option does not name, minus the baseline',
      unit: 'ns/record',
      ...summarize(other),
      series: other.map((x) => Number(x.toFixed(1))),
    },
  ];
}
