/**
 * Background CPU: what ranklog's own threads (writer threads, the clock
 * thread) burn while a training thread logs at a steady pace. On a machine
 * whose cores are all busy training, this is the part of the logging cost
 * that the training loop pays in time, on top of the calls themselves.
 *
 * A fresh child process logs `rate` scalar records per second in 1 ms ticks
 * (the tick's records through metric(), then Atomics.wait until the next
 * tick) for a few seconds, and reads its CPU time (every thread) from
 * first tick to last. The control is the same paced loop without a logger.
 *
 *   background = CPU(logging) − CPU(control) − time spent inside the calls
 *
 * Context creation and destroy are outside the measured window: they are
 * one-off costs, reported by the training rows (detach/destroy times).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LocalFileLogger, LoggersCollection, NullLogger, type Logger } from '@ranklog/core';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { childTask, runChild, single, summarize, type Config, type Result } from './harness.js';

type Backends = 'control' | 'null' | 'local' | 'tensorboard' | 'all';

const LABEL: Record<Backends, string> = {
  control: 'no logger',
  null: 'NullLogger',
  local: 'LocalFileLogger',
  tensorboard: 'TensorBoardLogger',
  all: "LocalFile + TensorBoard + Null (the training rows' set)",
};

function make(b: Exclude<Backends, 'control'>, dir: string): Logger | LoggersCollection {
  switch (b) {
    case 'null':
      return new NullLogger({ logFreq: 'batch' });
    case 'local':
      return new LocalFileLogger({ logFreq: 'batch', savedir: join(dir, 'logs') });
    case 'tensorboard':
      return new TensorBoardLogger({ logFreq: 'batch', savedir: join(dir, 'tb') });
    case 'all':
      return new LoggersCollection([
        new LocalFileLogger({ logFreq: 'batch', savedir: join(dir, 'logs') }),
        new TensorBoardLogger({ logFreq: 'batch', savedir: join(dir, 'tb') }),
        new NullLogger({ logFreq: 'batch' }),
      ]);
  }
}

interface PacedArgs {
  backends: Backends;
  /** Records per second. */
  rate: number;
  seconds: number;
  tmp: string;
}
interface PacedAnswer {
  /** CPU time of the whole process over the paced window, µs. */
  cpuUs: number;
  /** Wall time of the window, µs. */
  wallUs: number;
  /** Time spent inside the logging calls, µs (the training thread's own share). */
  callsUs: number;
  records: number;
  written: number;
  dropped: number;
}

async function pacedChild(a: PacedArgs): Promise<PacedAnswer> {
  const dir = mkdtempSync(join(a.tmp, 'bg-'));
  const lg = a.backends === 'control' ? undefined : make(a.backends, dir);
  await lg?.createLoggerContext({ rank: 0, runName: `bench-bg-${a.backends}-${a.rate}`, handleSignals: false });
  const h = lg?.handle('train/loss');
  const perTick = Math.max(1, Math.round(a.rate / 1000));
  const ticks = Math.round(a.seconds * 1000);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let callsNs = 0n;
  let step = 0;
  const tick = () => {
    const c0 = process.hrtime.bigint();
    if (lg) for (let i = 0; i < perTick; i++, step++) lg.metric(h!, 1 / (1 + step), step, step % 1000);
    else step += perTick;
    callsNs += process.hrtime.bigint() - c0;
  };
  // Warm the JIT and the writers (untimed): 200 ticks.
  const pace = (n: number) => {
    const start = performance.now();
    for (let k = 0; k < n; k++) {
      tick();
      const wait = start + (k + 1) - performance.now();
      if (wait > 0) Atomics.wait(sleeper, 0, 0, wait);
    }
  };
  pace(200);
  callsNs = 0n;
  const before = step;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  pace(ticks);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  const st = await lg?.destroyLoggerContext();
  rmSync(dir, { recursive: true, force: true });
  return {
    cpuUs: cpu.user + cpu.system,
    wallUs,
    callsUs: Number(callsNs) / 1e3,
    records: step - before,
    written: st?.backends.reduce((s, b) => s + b.written, 0) ?? 0,
    dropped: st?.dropped ?? 0,
  };
}

childTask(import.meta.url, 'paced', pacedChild);

interface Scenario {
  backends: Exclude<Backends, 'control'>;
  rate: number;
}
const SCENARIOS: Scenario[] = [
  { backends: 'null', rate: 1_000 },
  { backends: 'all', rate: 1_000 },
  { backends: 'null', rate: 100_000 },
  { backends: 'tensorboard', rate: 100_000 },
  { backends: 'local', rate: 100_000 },
  { backends: 'all', rate: 100_000 },
];

const rateLabel = (r: number) => (r >= 1000 ? `${r / 1000}k` : `${r}`);

export async function backgroundCpu(cfg: Config): Promise<Result[]> {
  const seconds = cfg.quick ? 0.5 : 3;
  const reps = cfg.quick ? 1 : 3;
  const run = (backends: Backends, rate: number) =>
    runChild<PacedAnswer>(import.meta.url, 'paced', { backends, rate, seconds, tmp: cfg.tmp } satisfies PacedArgs);
  const out: Result[] = [];
  // Controls before and after each scenario's runs, so drift in the machine's load shows in both.
  const controls: number[] = [];
  const perScenario = new Map<Scenario, PacedAnswer[]>(SCENARIOS.map((s) => [s, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const s of SCENARIOS) {
      const c = await run('control', s.rate);
      controls.push(c.cpuUs / c.wallUs);
      perScenario.get(s)!.push(await run(s.backends, s.rate));
    }
  }
  const control = summarize(controls);
  out.push(
    single(
      'cpu.bg.control',
      'CPU of the paced loop itself, no logger (1 ms ticks in Atomics.wait) — the control subtracted below',
      '% core',
      control.median * 100,
      undefined,
      {
        runs: controls.length,
        min: Number((control.min * 100).toFixed(2)),
        max: Number((control.max * 100).toFixed(2)),
      },
    ),
  );
  for (const s of SCENARIOS) {
    const rs = perScenario.get(s)!;
    // Share of one core used by ranklog's threads: CPU beyond the control's, minus the calls' own time.
    const share = rs.map((r) => (r.cpuUs - control.median * r.wallUs - r.callsUs) / r.wallUs);
    const perRecordNs = rs.map((r, i) => (share[i]! * r.wallUs * 1e3) / r.records);
    const callNs = rs.map((r) => (r.callsUs * 1e3) / r.records);
    const id = `cpu.bg.${s.backends}.${rateLabel(s.rate)}`;
    const what = `${LABEL[s.backends]}, ${rateLabel(s.rate)} records/s in 1 ms ticks`;
    out.push({
      id,
      label: `background CPU (writer + clock threads) while logging into ${what} — share of one core`,
      unit: '% core',
      ...summarize(share.map((x) => x * 100)),
      extra: {
        records: rs[0]!.records,
        writtenPerRun: rs[0]!.written,
        dropped: rs.reduce((n, r) => n + r.dropped, 0),
        callNsPerRecord: Number(summarize(callNs).median.toFixed(1)),
      },
    });
    out.push({
      id: `${id}.per-record`,
      label: `the same per record: background CPU ns per logged scalar (${what})`,
      unit: 'ns/record',
      ...summarize(perRecordNs),
    });
  }
  return out;
}
