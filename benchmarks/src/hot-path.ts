/**
 * Training-thread cost per call into NullLogger (the null sink) — and, for the
 * metric() fast path, into TensorBoardLogger — with the
 * writer thread draining concurrently, the default 8 MiB ring and the
 * default 'wait' policy. Enough calls that the ring wraps many times, so
 * any waiting on a full ring is inside the timed batches (the sustained
 * figure); the .burst cases flush between batches (the cost without back-pressure).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { NullLogger, type CommonLoggerOptions, type Logger } from '@ranklog/core';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { contextRings, nsResult, ringWraps, summarize, timeBatches, timeBursts, type Config, type Result } from './harness.js';
import { floorBody } from './baselines.js';
import { pairedLogMetrics } from './log-metrics.js';

interface HotCase {
  id: string;
  label: string;
  options: CommonLoggerOptions;
  rank?: number;
  /** Calls per timed batch in the full run (quick runs use a fifth for the slow kinds). */
  batch: number;
  /** Flush (untimed) before each batch, so the ring always has room: the cost of a call without back-pressure. */
  burst?: boolean;
  /** Another backend than NullLogger (its files go to a temporary directory, removed after the case). */
  make?: (options: CommonLoggerOptions, dir: string) => Logger;
  /** Timed batches (full run / --quick) when not the default 100 / 20: backends that write files. */
  batches?: [full: number, quick: number];
  /** The id the ratio is taken against (default: hot.metric). */
  ratioTo?: string;
  /** Returns the timed body; it makes n calls. */
  body: (lg: Logger) => (n: number) => void;
}

const metricBody = (lg: Logger) => {
  const h = lg.handle('loss');
  let s = 0;
  return (n: number) => {
    for (let i = 0; i < n; i++, s++) lg.metric(h, s * 1e-6, s, i);
  };
};
const logBody = (lg: Logger) => {
  let s = 0;
  return (n: number) => {
    for (let i = 0; i < n; i++, s++) lg.log(s * 1e-6, 'loss', { kind: 'metric', step: s, batchIdx: i });
  };
};
const tensorboard = (options: CommonLoggerOptions, dir: string) => new TensorBoardLogger({ ...options, savedir: dir });

const TEXT = 'epoch 12/90 step 4711: loss=0.2345 ok..'; // 40 characters
const PIXELS = new Uint8Array(64 * 64 * 3).map((_, i) => i & 0xff);

export const hotCases: HotCase[] = [
  {
    id: 'hot.metric',
    label: 'metric(handle, v, step, batchIdx) — fast path',
    options: { logFreq: 'batch' },
    batch: 100_000,
    body: metricBody,
  },
  {
    id: 'hot.metric.burst',
    label: 'metric() fast path in bursts of 50k that fit the ring (writer drains between bursts)',
    options: { logFreq: 'batch' },
    batch: 50_000,
    burst: true,
    body: metricBody,
  },
  {
    id: 'hot.metric.burst.system-metrics',
    label: 'metric() fast path, bursts, systemMetrics: 1 (sampler thread and training-thread probe running)',
    options: { logFreq: 'batch', systemMetrics: 1 },
    batch: 50_000,
    burst: true,
    ratioTo: 'hot.metric.burst',
    body: metricBody,
  },
  {
    id: 'hot.log.burst',
    label: 'log() metric in bursts of 50k that fit the ring',
    options: { logFreq: 'batch' },
    batch: 50_000,
    burst: true,
    body: logBody,
  },
  {
    id: 'hot.log',
    label: "log(v, 'loss', { kind: 'metric', step, batchIdx })",
    options: { logFreq: 'batch' },
    batch: 100_000,
    body: logBody,
  },
  {
    id: 'hot.skip-freq.metric',
    label: 'metric() skipped by logFreq 10 (batchIdx % 10 ≠ 0)',
    options: { logFreq: 10 },
    batch: 100_000,
    body: (lg) => {
      const h = lg.handle('loss');
      let s = 0;
      return (n) => {
        for (let i = 0; i < n; i++, s++) lg.metric(h, s * 1e-6, s, i * 10 + 3);
      };
    },
  },
  {
    id: 'hot.skip-freq.log',
    label: 'log() skipped by logFreq 10',
    options: { logFreq: 10 },
    batch: 100_000,
    body: (lg) => {
      let s = 0;
      return (n) => {
        for (let i = 0; i < n; i++, s++) lg.log(s * 1e-6, 'loss', { kind: 'metric', step: s, batchIdx: i * 10 + 3 });
      };
    },
  },
  {
    id: 'hot.skip-rank.metric',
    label: 'metric() skipped by rank (logOnWorkers 1, rank 0)',
    options: { logFreq: 'batch', logOnWorkers: 1 },
    rank: 0,
    batch: 100_000,
    body: metricBody,
  },
  {
    id: 'hot.skip-rank.log',
    label: 'log() skipped by rank',
    options: { logFreq: 'batch', logOnWorkers: 1 },
    rank: 0,
    batch: 100_000,
    body: logBody,
  },
  {
    id: 'hot.param',
    label: "log(3e-4, 'optimizer.lr', { kind: 'param' })",
    options: { logFreq: 'batch' },
    batch: 20_000,
    body: (lg) => (n) => {
      for (let i = 0; i < n; i++) lg.log(3e-4, 'optimizer.lr', { kind: 'param' });
    },
  },
  {
    id: 'hot.text',
    label: 'text, 40 characters',
    options: { logFreq: 'batch' },
    batch: 20_000,
    body: (lg) => {
      let s = 0;
      return (n) => {
        for (let i = 0; i < n; i++, s++) lg.log(TEXT, 'status', { kind: 'text', step: s });
      };
    },
  },
  {
    id: 'hot.dict',
    label: 'dict { lr, loss, acc }',
    options: { logFreq: 'batch' },
    batch: 20_000,
    body: (lg) => {
      let s = 0;
      return (n) => {
        for (let i = 0; i < n; i++, s++) lg.log({ lr: 3e-4, loss: s * 1e-6, acc: 0.9 }, 'train', { kind: 'dict', step: s });
      };
    },
  },
  {
    id: 'hot.image',
    label: 'image 64×64×3 uint8 (12 KiB)',
    options: { logFreq: 'batch' },
    batch: 1_000,
    body: (lg) => {
      let s = 0;
      return (n) => {
        for (let i = 0; i < n; i++, s++) lg.log({ data: PIXELS, width: 64, height: 64, channels: 3 }, 'sample', { kind: 'image', step: s });
      };
    },
  },
  // The same fast path into TensorBoardLogger: the target is hot.metric's figure (the training thread
  // does the same ring store whatever the backend); the sustained case also feels the writer's pace.
  {
    id: 'hot.metric.tensorboard',
    label: 'metric() fast path into TensorBoardLogger (sustained: includes waits when the writer falls behind)',
    options: { logFreq: 'batch' },
    batch: 100_000,
    batches: [30, 10],
    make: tensorboard,
    body: metricBody,
  },
  {
    id: 'hot.metric.tensorboard.burst',
    label: 'metric() into TensorBoardLogger in bursts of 50k that fit the ring',
    options: { logFreq: 'batch' },
    batch: 50_000,
    batches: [40, 10],
    burst: true,
    make: tensorboard,
    ratioTo: 'hot.metric.burst',
    body: metricBody,
  },
];

/**
 * The fast path and the floor in alternating batches: this VM's speed changes by up to 2× from
 * one minute to the next, so rows measured a minute apart give ratios that move with it; a pair
 * of batches a millisecond apart shares the moment. Bursts that fit the ring (a flush, untimed,
 * before each pair): the cost of a call without back-pressure.
 */
async function pairedWithFloor(cfg: Config): Promise<Result[]> {
  const lg = new NullLogger({ logFreq: 'batch' });
  await lg.createLoggerContext({ rank: 0, runName: 'bench-hot-paired', handleSignals: false });
  const metric = metricBody(lg);
  const floor = floorBody();
  const batch = 50_000;
  const pairs = cfg.quick ? 15 : 80;
  const m: number[] = [];
  const f: number[] = [];
  for (let i = -5; i < pairs; i++) {
    await lg.flush();
    const t0 = process.hrtime.bigint();
    metric(batch);
    const t1 = process.hrtime.bigint();
    floor(batch);
    const t2 = process.hrtime.bigint();
    if (i < 0) continue; // warm-up
    m.push(Number(t1 - t0) / batch);
    f.push(Number(t2 - t1) / batch);
  }
  const st = await lg.destroyLoggerContext();
  const ratio = summarize(m.map((x, i) => x / f[i]!));
  return [
    nsResult(
      'hot.metric.paired',
      'metric() fast path, bursts of 50k, each batch followed by a floor batch (the same moment of the machine)',
      m,
      'hot.floor.paired',
      {
        ratioOfPairsMedian: Number(ratio.median.toFixed(2)),
        ratioOfPairsMin: Number(ratio.min.toFixed(2)),
        recordsIn: st.recordsIn,
        dropped: st.dropped,
      },
    ),
    nsResult('hot.floor.paired', 'floor (bare 32-byte store + Atomics.store) in the batches that alternate with hot.metric.paired', f),
  ];
}

export async function hotPath(cfg: Config): Promise<Result[]> {
  const out: Result[] = [...(await pairedWithFloor(cfg)), ...(await pairedLogMetrics(cfg))];
  for (const c of hotCases) {
    const dir = c.make ? mkdtempSync(join(cfg.tmp, 'hot-')) : undefined;
    const lg = c.make ? c.make(c.options, dir!) : new NullLogger(c.options);
    await lg.createLoggerContext({ rank: c.rank ?? 0, runName: `bench-${c.id}`, handleSignals: false });
    const batch = cfg.quick && c.batch < 100_000 ? c.batch / 2 : c.batch;
    const plan = { batch, batches: c.batches?.[cfg.quick ? 1 : 0] ?? (cfg.quick ? 20 : 100), warmup: cfg.quick ? 3 : 5 };
    const samples = c.burst ? await timeBursts(c.body(lg), plan, () => lg.flush()) : timeBatches(c.body(lg), plan);
    const rings = contextRings(lg) ?? [];
    const wraps = rings.length ? ringWraps(rings[0]!) : 0;
    const st = await lg.destroyLoggerContext();
    if (dir) rmSync(dir, { recursive: true, force: true });
    out.push(
      nsResult(c.id, c.label, samples, c.ratioTo ?? (c.id === 'hot.metric' || c.id === 'hot.metric.burst' ? 'base.floor' : 'hot.metric'), {
        calls: plan.batch * (plan.batches + plan.warmup),
        recordsIn: st.recordsIn,
        ringWraps: Number(wraps.toFixed(1)),
        dropped: st.dropped,
      }),
    );
  }
  return out;
}
