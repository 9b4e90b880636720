/**
 * Memory: the ring each producing thread costs, and RSS over a long run
 * into NullLogger, sampled at fixed record counts in a fresh child process
 * (so no other scenario's heap is in the number). Bounded memory means the
 * series is flat once the ring is touched.
 */
import { NullLogger } from '@ranklog/core';
import { childTask, MiB, runChildMeasured, single, summarize, type Config, type Result } from './harness.js';

interface RssArgs {
  records: number;
  every: number;
}
interface RssAnswer {
  rssMiB: number[];
  dropped: number;
}

async function rssChild(a: RssArgs): Promise<RssAnswer> {
  const lg = new NullLogger({ logFreq: 'batch' });
  await lg.createLoggerContext({ rank: 0, runName: 'bench-rss', handleSignals: false });
  const h = lg.handle('loss');
  const rssMiB = [process.memoryUsage().rss / MiB];
  for (let done = 0; done < a.records; done += a.every) {
    for (let i = 0; i < a.every; i++) lg.metric(h, i * 1e-6, done + i, i % 1000);
    rssMiB.push(process.memoryUsage().rss / MiB);
  }
  const st = await lg.destroyLoggerContext();
  return { rssMiB, dropped: st.dropped };
}

childTask(import.meta.url, 'rss', rssChild);
// The reference for every peak-RSS row: a child that loads this module (Node, @ranklog/core) and does nothing.
childTask(import.meta.url, 'idle', async () => null);

export async function memory(cfg: Config): Promise<Result[]> {
  // Ring memory per producing thread: the coordinator's own ring plus two worker rings.
  const lg = new NullLogger({ logFreq: 'batch', logOnWorkers: -1 });
  await lg.createLoggerContext({ rank: 0, runName: 'bench-rings', handleSignals: false });
  lg.workerHandle(1);
  lg.workerHandle(2);
  const st = await lg.stats();
  await lg.destroyLoggerContext();
  const perThread = st.ringBytes / st.rings / MiB;

  const records = cfg.quick ? 5e6 : 50e6;
  const every = cfg.quick ? 5e5 : 5e6;
  const { value: a, peakRssMiB } = await runChildMeasured<RssAnswer>(import.meta.url, 'rss', { records, every } satisfies RssArgs);
  const idle = await runChildMeasured<null>(import.meta.url, 'idle', null);
  const s = summarize(a.rssMiB);
  const steady = summarize(a.rssMiB.slice(1));
  const series = a.rssMiB.map((x) => Number(x.toFixed(1)));
  return [
    {
      id: 'mem.ring-per-thread',
      label: `ring memory per producing thread (default; ${st.rings} rings)`,
      unit: 'MiB',
      median: perThread,
      min: perThread,
      max: perThread,
      n: 1,
    },
    {
      id: 'mem.rss',
      label: `RSS of a child logging ${records / 1e6}M records into NullLogger, every ${every / 1e6}M`,
      unit: 'MiB',
      ...s,
      series,
      // The first sample precedes any record: the ring's pages and the JIT arrive in the first interval.
      extra: {
        maxMinusMin: Number((s.max - s.min).toFixed(1)),
        maxMinusMinAfterFirstInterval: Number((steady.max - steady.min).toFixed(1)),
        dropped: a.dropped,
      },
    },
    { id: 'mem.rss.spread', label: 'RSS max − min over that run', unit: 'MiB', median: s.max - s.min, min: s.max - s.min, max: s.max - s.min, n: 1 },
    single('mem.rss.peak', 'peak RSS of that child (VmHWM)', 'MiB', peakRssMiB, 'mem.peak.idle-child'),
    single(
      'mem.peak.idle-child',
      'peak RSS of an idle child (Node + @ranklog/core loaded, no context): subtract it from the peak-RSS rows',
      'MiB',
      idle.peakRssMiB,
    ),
  ];
}
