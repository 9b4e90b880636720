/**
 * The shared measuring kit: batch timing, summaries, result records and
 * child processes. No benchmark library: one call is below the timer's
 * resolution, so we time batches of calls with process.hrtime.bigint() and
 * keep the median over batches — the same code runs on the main thread, in
 * worker_threads and in child processes.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Config {
  quick: boolean;
  /** A temporary directory for files the scenarios write; removed by run.ts. */
  tmp: string;
}

export type Unit = 'ns/call' | 'ns/record' | 'records/s' | 'steps/s' | '%' | '% core' | 'MiB' | 'bytes' | 'ms';

export interface Result {
  /** Stable id, e.g. 'hot.metric'; other results name it in ratioTo. */
  id: string;
  label: string;
  unit: Unit;
  median: number;
  mean?: number;
  min: number;
  max: number;
  /** Samples behind median/min/max (batches, runs or RSS samples). */
  n: number;
  /** The id of the result this one is compared with (ratio = median / its median). */
  ratioTo?: string;
  /** Filled in by report.ts. */
  ratio?: number;
  /** Raw series (RSS samples) and counters (calls, ring wraps, drops). */
  series?: number[];
  extra?: Record<string, number | string>;
}

/** A scenario group: one file, one function. */
export type Group = (cfg: Config) => Promise<Result[]>;

export interface Summary {
  median: number;
  /** The mean shows rare long waits (a full ring) that the median hides. */
  mean: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(xs: readonly number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const median = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  return { median, mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

export interface BatchPlan {
  /** Calls per timed batch. */
  batch: number;
  batches: number;
  /** Untimed batches first, so the JIT has optimised the loop. */
  warmup: number;
}

/** ns per call of each timed batch; `body(n)` makes n calls. */
export function timeBatches(body: (n: number) => void, p: BatchPlan): number[] {
  for (let i = 0; i < p.warmup; i++) body(p.batch);
  const out: number[] = [];
  for (let i = 0; i < p.batches; i++) {
    const t0 = process.hrtime.bigint();
    body(p.batch);
    out.push(Number(process.hrtime.bigint() - t0) / p.batch);
  }
  return out;
}

/**
 * Like timeBatches, but awaits `between()` (e.g. flush) before each batch, untimed:
 * the cost of a call while the ring has room, as in a training loop that logs in bursts.
 */
export async function timeBursts(body: (n: number) => void, p: BatchPlan, between: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < p.warmup; i++) {
    await between();
    body(p.batch);
  }
  const out: number[] = [];
  for (let i = 0; i < p.batches; i++) {
    await between();
    const t0 = process.hrtime.bigint();
    body(p.batch);
    out.push(Number(process.hrtime.bigint() - t0) / p.batch);
  }
  return out;
}

export function nsResult(id: string, label: string, samples: number[], ratioTo?: string, extra?: Result['extra']): Result {
  return { id, label, unit: 'ns/call', ...summarize(samples), ratioTo, extra };
}

export const MiB = 1024 * 1024;

/** Slots published into a ring so far / its capacity: how often it wrapped (layout.ts: Int32 word 0 = head, word 6 = capacity). */
export function ringWraps(sab: SharedArrayBuffer): number {
  const ctrl = new Int32Array(sab, 0, 8);
  return (ctrl[0]! >>> 0) / ctrl[6]!;
}

/**
 * The rings of a Logger's context. They are private to the core; we read
 * them only to report how often the ring wrapped (undefined if that changes).
 */
export function contextRings(logger: object): SharedArrayBuffer[] | undefined {
  const rings = (logger as { ctx?: { rings?: { sab: SharedArrayBuffer }[] } }).ctx?.rings;
  return Array.isArray(rings) ? rings.map((r) => r.sab) : undefined;
}

const CHILD_ENV = 'RANKLOG_BENCH_CHILD';

/**
 * Run `task` of `moduleUrl` in a fresh process (clean RSS, no other
 * scenario's garbage) and resolve with the value it sends back.
 */
export async function runChild<T>(moduleUrl: string, task: string, args: unknown): Promise<T> {
  return (await runChildMeasured<T>(moduleUrl, task, args)).value;
}

/**
 * runChild, plus the child's peak RSS when it answered: the most memory the scenario
 * ever held, which a sampled RSS series can miss. It includes Node itself (compare
 * with mem.peak.idle-child).
 */
export function runChildMeasured<T>(moduleUrl: string, task: string, args: unknown): Promise<{ value: T; peakRssMiB: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(moduleUrl), [], {
      env: { ...process.env, [CHILD_ENV]: JSON.stringify({ task, args }) },
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answer: ChildAnswer<T> | undefined;
    child.on('message', (m) => (answer = m as ChildAnswer<T>));
    child.on('error', reject);
    child.on('exit', (code) =>
      answer ? resolve({ value: answer.value, peakRssMiB: answer.maxRssKiB / 1024 }) : reject(new Error(`benchmark child '${task}' exited with ${code}`)),
    );
  });
}

interface ChildAnswer<T> {
  value: T;
  /** Peak RSS, KiB (see peakRssKiB). */
  maxRssKiB: number;
}

/**
 * This process's peak RSS, KiB. On Linux from VmHWM in /proc/self/status: getrusage's
 * maxRSS (process.resourceUsage().maxRSS) survives fork + exec, so a forked child reports
 * at least the RSS its parent had at the fork — here, the benchmark runner's. Elsewhere
 * maxRSS, with that caveat.
 */
export function peakRssKiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

/** In a child started by runChild for this module and task: run `f` and send its value back. */
export function childTask<A>(moduleUrl: string, task: string, f: (args: A) => Promise<unknown>): void {
  const raw = process.env[CHILD_ENV];
  if (!raw || !process.send || pathToFileURL(process.argv[1] ?? '').href !== moduleUrl) return;
  const { task: t, args } = JSON.parse(raw) as { task: string; args: A };
  if (t !== task) return;
  // Loggers unref their worker threads; keep this process alive until the task has answered.
  const keepAlive = setInterval(() => undefined, 1000);
  f(args).then(
    (value) => {
      clearInterval(keepAlive);
      const answer: ChildAnswer<unknown> = { value, maxRssKiB: peakRssKiB() };
      process.send!(answer, () => process.exit(0));
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

/** A one-value result (a single measurement). */
export function single(id: string, label: string, unit: Unit, value: number, ratioTo?: string, extra?: Result['extra']): Result {
  return { id, label, unit, median: value, min: value, max: value, n: 1, ratioTo, extra };
}
