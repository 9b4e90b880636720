/**
 * The fast path inside training worker_threads: attachLogger(workerHandle(r)),
 * with 1, 2 and 4 threads producing at once (one ring each, one writer
 * thread draining all of them). This file is also the workers' entry point.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { attachLogger, NullLogger, type WorkerHandle } from '@ranklog/core';
import { nsResult, ringWraps, summarize, timeBatches, type BatchPlan, type Config, type Result } from './harness.js';

interface WorkerArgs {
  bench: 'threads';
  handle: WorkerHandle;
  go: SharedArrayBuffer;
  plan: BatchPlan;
}
interface WorkerAnswer {
  samples: number[];
  t0: bigint;
  t1: bigint;
  wraps: number;
}

async function workerMain(a: WorkerArgs): Promise<void> {
  const lg = attachLogger(a.handle);
  const h = lg.handle('loss');
  let s = 0;
  const body = (n: number) => {
    for (let i = 0; i < n; i++, s++) lg.metric(h, s * 1e-6, s, i);
  };
  for (let i = 0; i < a.plan.warmup; i++) body(a.plan.batch);
  // Start together: every thread warmed up, then one go signal.
  parentPort!.postMessage('ready');
  Atomics.wait(new Int32Array(a.go), 0, 0);
  const t0 = process.hrtime.bigint();
  const samples = timeBatches(body, { ...a.plan, warmup: 0 });
  const t1 = process.hrtime.bigint();
  // Atomics.waitAsync does not keep a worker's event loop alive: without a timer, detach() would let the worker exit unanswered.
  const keepAlive = setInterval(() => undefined, 1000);
  await lg.detach();
  clearInterval(keepAlive);
  const answer: WorkerAnswer = { samples, t0, t1, wraps: ringWraps(a.handle.ringSab!) };
  parentPort!.postMessage(answer);
}

if (!isMainThread && (workerData as WorkerArgs | undefined)?.bench === 'threads') void workerMain(workerData as WorkerArgs);

/** One run with `n` producing threads: every thread's batch samples and the aggregate records/s. */
async function runThreads(n: number, plan: BatchPlan, run: number): Promise<{ answers: WorkerAnswer[]; recordsPerSec: number; dropped: number }> {
  const lg = new NullLogger({ logFreq: 'batch', logOnWorkers: -1 });
  await lg.createLoggerContext({ rank: 0, runName: `bench-threads-${n}-${run}`, handleSignals: false });
  const go = new SharedArrayBuffer(4);
  let ready = 0;
  const answers = await Promise.all(
    Array.from({ length: n }, (_, r) => {
      const args: WorkerArgs = { bench: 'threads', handle: lg.workerHandle(r + 1), go, plan };
      const w = new Worker(new URL(import.meta.url), { workerData: args });
      return new Promise<WorkerAnswer>((resolve, reject) => {
        w.on('message', (m: 'ready' | WorkerAnswer) => {
          if (m !== 'ready') {
            resolve(m);
            return void w.terminate();
          }
          if (++ready === n) {
            Atomics.store(new Int32Array(go), 0, 1);
            Atomics.notify(new Int32Array(go), 0);
          }
        });
        w.on('error', reject);
        w.on('exit', (code) => reject(new Error(`benchmark worker exited with ${code} before answering`)));
      });
    }),
  );
  const st = await lg.destroyLoggerContext();
  // biome-ignore lint/complexity/useMathMinMax: bigint nanoseconds, which Math.min cannot take
  const t0 = answers.reduce((m, a) => (a.t0 < m ? a.t0 : m), answers[0]!.t0);
  // biome-ignore lint/complexity/useMathMinMax: as above
  const t1 = answers.reduce((m, a) => (a.t1 > m ? a.t1 : m), answers[0]!.t1);
  const records = n * plan.batch * plan.batches;
  return { answers, recordsPerSec: records / (Number(t1 - t0) / 1e9), dropped: st.dropped };
}

export async function threads(cfg: Config): Promise<Result[]> {
  const plan: BatchPlan = { batch: 100_000, batches: cfg.quick ? 15 : 60, warmup: cfg.quick ? 2 : 5 };
  const reps = cfg.quick ? 1 : 3;
  const out: Result[] = [];
  for (const n of [1, 2, 4]) {
    const samples: number[] = [];
    const perThread: string[] = [];
    const rates: number[] = [];
    let wraps = 0;
    let dropped = 0;
    for (let rep = 0; rep < reps; rep++) {
      const r = await runThreads(n, plan, rep);
      for (const a of r.answers) {
        samples.push(...a.samples);
        perThread.push(summarize(a.samples).median.toFixed(1));
        wraps = Math.min(wraps || Infinity, a.wraps);
      }
      rates.push(r.recordsPerSec);
      dropped += r.dropped;
    }
    const what = n === 1 ? 'fast path in 1 worker_thread' : `fast path, ${n} worker_threads at once`;
    out.push(
      nsResult(`threads.${n}.per-call`, `${what} — per call in each thread`, samples, 'hot.metric', {
        perThreadMedians: perThread.join(' / '),
        ringWrapsPerThread: Number(wraps.toFixed(1)),
        dropped,
      }),
    );
    out.push({
      id: `threads.${n}.throughput`,
      label: `${what} — aggregate records/s`,
      unit: 'records/s',
      ...summarize(rates),
      ratioTo: n === 1 ? undefined : 'threads.1.throughput',
    });
  }
  return out;
}
