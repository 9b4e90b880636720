/**
 * What logging costs a real training loop: steps/s of data-parallel SGD in
 * worker_thread ranks (a 4→H→3 tanh MLP, softmax cross-entropy, gradients
 * summed through a SharedArrayBuffer with an Atomics barrier each step — the
 * shape of examples/src/mlp, written again here so the suite stays
 * self-contained), with logging
 *   off     no logger at all (no calls, no threads: what EmptyLogger costs),
 *   batch   every batch, into LocalFileLogger + TensorBoardLogger (all ranks)
 *           and NullLogger (rank 0) at once, through one LoggersCollection,
 *   freq10  the same loggers with logFreq 10.
 * Each rank logs its batch loss with metric() (the fast path) and its epoch
 * loss with log() at the end of each epoch of 50 batches.
 *
 * Variants: 'solo' is one rank of the example's model, so the training
 * thread has a core of its own and the logging threads share the other (the
 * placement a cluster job has: ranks ≤ cores); 'light' is the example itself
 * (4 ranks on this machine's 2 cores, hidden 16, batch 8 per rank: a step is
 * a few µs of arithmetic, so barrier wake-ups and logging dominate); 'heavy'
 * (4 ranks, hidden 64, batch 32) makes a step cost about half a millisecond.
 * With 4 lockstep ranks on 2 cores every background thread's CPU is taken
 * from training, and the scheduler's noise is large: the A/A rows show it.
 *
 * The same workers run every configuration; configurations are interleaved
 * within each repetition (rotated, so each takes each position), and the
 * overhead is computed per repetition against that repetition's 'off' run,
 * so slow drift of the machine hits all of them alike. An A/A control (a
 * second 'off' configuration) shows what noise alone produces. This file is
 * also the workers' entry point.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { attachLogger, LocalFileLogger, LoggersCollection, NullLogger, type AttachedLogger, type LogFreq, type WorkerHandle } from '@ranklog/core';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { MiB, summarize, type Config, type Result } from './harness.js';

/** The example's rank count: the most any variant uses. */
const MAX_WORLD = 4;
const N_IN = 4;
const N_OUT = 3;
const BATCHES_PER_EPOCH = 50;

// ---------------------------------------------------------------- the model

/** mulberry32, a 32-bit seeded PRNG: the same weights and data on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** nIn → nHid (tanh) → nOut (softmax); parameters and gradient flat: W1 | b1 | W2 | b2. */
class Mlp {
  readonly w: Float64Array;
  readonly n: number;
  private readonly b1: number;
  private readonly w2: number;
  private readonly b2: number;
  private readonly h: Float64Array;
  private readonly p: Float64Array;
  private readonly dh: Float64Array;

  constructor(
    private readonly nIn: number,
    private readonly nHid: number,
    private readonly nOut: number,
    seed: number,
  ) {
    this.b1 = nHid * nIn;
    this.w2 = this.b1 + nHid;
    this.b2 = this.w2 + nOut * nHid;
    this.n = this.b2 + nOut;
    this.w = new Float64Array(this.n);
    this.h = new Float64Array(nHid);
    this.p = new Float64Array(nOut);
    this.dh = new Float64Array(nHid);
    const r = rng(seed);
    const a1 = Math.sqrt(6 / (nIn + nHid));
    const a2 = Math.sqrt(6 / (nHid + nOut));
    for (let i = 0; i < this.b1; i++) this.w[i] = (2 * r() - 1) * a1;
    for (let i = this.w2; i < this.b2; i++) this.w[i] = (2 * r() - 1) * a2;
  }

  /** Adds the summed cross-entropy gradient of samples order[from..to) into g; returns the summed loss. */
  grad(x: Float64Array, y: Int32Array, order: Int32Array, from: number, to: number, g: Float64Array): number {
    const { w, h, p, dh, nIn, nHid, nOut, b1, w2, b2 } = this;
    let loss = 0;
    for (let s = from; s < to; s++) {
      const i = order[s]!;
      const xo = i * nIn;
      for (let j = 0; j < nHid; j++) {
        let z = w[b1 + j]!;
        for (let q = 0; q < nIn; q++) z += w[j * nIn + q]! * x[xo + q]!;
        h[j] = Math.tanh(z);
      }
      let max = -Infinity;
      for (let k = 0; k < nOut; k++) {
        let z = w[b2 + k]!;
        for (let j = 0; j < nHid; j++) z += w[w2 + k * nHid + j]! * h[j]!;
        p[k] = z;
        if (z > max) max = z;
      }
      let sum = 0;
      for (let k = 0; k < nOut; k++) sum += p[k] = Math.exp(p[k]! - max);
      for (let k = 0; k < nOut; k++) p[k]! /= sum;
      const label = y[i]!;
      loss -= Math.log(Math.max(p[label]!, 1e-300));
      dh.fill(0);
      for (let k = 0; k < nOut; k++) {
        const dz = p[k]! - (k === label ? 1 : 0);
        g[b2 + k]! += dz;
        for (let j = 0; j < nHid; j++) {
          g[w2 + k * nHid + j]! += dz * h[j]!;
          dh[j]! += dz * w[w2 + k * nHid + j]!;
        }
      }
      for (let j = 0; j < nHid; j++) {
        const da = dh[j]! * (1 - h[j]! * h[j]!);
        g[b1 + j]! += da;
        for (let q = 0; q < nIn; q++) g[j * nIn + q]! += da * x[xo + q]!;
      }
    }
    return loss;
  }

  step(g: Float64Array, lr: number): void {
    for (let i = 0; i < this.n; i++) this.w[i]! -= lr * g[i]!;
  }
}

/**
 * Sum-allreduce through one SharedArrayBuffer: [arrived, generation] Int32 words,
 * then two halves of `world` slots; call k uses half k mod 2, so one barrier per
 * call suffices. The barrier sleeps in Atomics.wait (no spinning), as the example's.
 */
class Allreduce {
  private readonly ctrl: Int32Array;
  private readonly data: Float64Array;
  private calls = 0;
  constructor(
    sab: SharedArrayBuffer,
    private readonly rank: number,
    private readonly world: number,
    private readonly len: number,
  ) {
    this.ctrl = new Int32Array(sab, 0, 2);
    this.data = new Float64Array(sab, 8);
  }
  static buffer(world: number, len: number): SharedArrayBuffer {
    return new SharedArrayBuffer(8 + 2 * world * len * 8);
  }
  sum(v: Float64Array): void {
    const { data, len } = this;
    const { world } = this;
    const half = (this.calls++ & 1) * world * len;
    data.set(v, half + this.rank * len);
    const c = this.ctrl;
    const gen = Atomics.load(c, 1);
    if (world === 1) {
      // one rank: no peers to wait for
    } else if (Atomics.add(c, 0, 1) === world - 1) {
      Atomics.store(c, 0, 0);
      Atomics.add(c, 1, 1);
      Atomics.notify(c, 1);
    } else {
      while (Atomics.load(c, 1) === gen) {
        if (Atomics.wait(c, 1, gen, 30_000) === 'timed-out') throw new Error(`allreduce: rank ${this.rank} waited 30 s for its peers`);
      }
    }
    for (let i = 0; i < len; i++) v[i] = data[half + i]!;
    for (let r = 1; r < world; r++) for (let i = 0; i < len; i++) v[i]! += data[half + r * len + i]!;
  }
}

/** Three Gaussian blobs in 4-D (an Iris stand-in that scales to any size); rank r draws its own shard. */
function shard(n: number, rank: number): { x: Float64Array; y: Int32Array } {
  const r = rng(1234 + rank);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const x = new Float64Array(n * N_IN);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % N_OUT;
    y[i] = c;
    for (let f = 0; f < N_IN; f++) x[i * N_IN + f] = (f % N_OUT === c ? 1.5 : -0.5) + 0.8 * gauss();
  }
  return { x, y };
}

// ---------------------------------------------------------------- the workers

interface RunSpec {
  handle: WorkerHandle | undefined;
  sab: SharedArrayBuffer;
  world: number;
  hidden: number;
  batch: number;
  warmup: number;
  steps: number;
}
interface RunAnswer {
  t0: bigint;
  t1: bigint;
  loss: number;
  /** detach(): until the writers have committed this rank's records. */
  detachMs: number;
}

async function runRank(rank: number, s: RunSpec): Promise<RunAnswer> {
  const log: AttachedLogger | undefined = s.handle ? attachLogger(s.handle) : undefined;
  const model = new Mlp(N_IN, s.hidden, N_OUT, 42);
  const P = model.n;
  const ar = new Allreduce(s.sab, rank, s.world, P + 1);
  const buf = new Float64Array(P + 1);
  const g = buf.subarray(0, P);
  const { x, y } = shard(s.batch * BATCHES_PER_EPOCH, rank);
  const order = Int32Array.from({ length: s.batch * BATCHES_PER_EPOCH }, (_, i) => i);
  const rand = rng(7 + rank);
  const lossH = log?.handle('train/loss_batch');
  const lr = 0.1;
  let step = 0;
  let epoch = 0;
  let lossSum = 0;
  let last = NaN;
  const train = (n: number) => {
    for (let k = 0; k < n; k++, step++) {
      const b = step % BATCHES_PER_EPOCH;
      if (b === 0) {
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          const t = order[i]!;
          order[i] = order[j]!;
          order[j] = t;
        }
      }
      buf.fill(0);
      const loss = model.grad(x, y, order, b * s.batch, (b + 1) * s.batch, g);
      buf[P] = s.batch;
      ar.sum(buf);
      model.step(g, lr / buf[P]!);
      lossSum += loss;
      last = loss / s.batch;
      if (log) log.metric(lossH!, last, step, b);
      if (b === BATCHES_PER_EPOCH - 1) {
        if (log) log.log(lossSum / (s.batch * BATCHES_PER_EPOCH), 'train/loss_epoch', { kind: 'metric', step: epoch });
        epoch++;
        lossSum = 0;
      }
    }
  };
  train(s.warmup);
  const t0 = process.hrtime.bigint();
  train(s.steps);
  const t1 = process.hrtime.bigint();
  const d0 = performance.now();
  if (log && !(await log.detach())) throw new Error(`rank ${rank}: the writers did not commit this rank's records in time`);
  return { t0, t1, loss: last, detachMs: performance.now() - d0 };
}

if (!isMainThread && (workerData as { bench?: string } | undefined)?.bench === 'training') {
  const { rank } = workerData as { rank: number };
  parentPort!.on('message', (s: RunSpec) => {
    runRank(rank, s).then(
      (a) => parentPort!.postMessage({ ok: true, a }),
      (e: unknown) => parentPort!.postMessage({ ok: false, e: e instanceof Error ? e.message : String(e) }),
    );
  });
}

/** MAX_WORLD persistent training threads; run() starts one training run on the first specs.length of them. */
/** Exported, with oneRun and VARIANTS, for ad-hoc experiments (a script that imports the built file). */
export class Ranks {
  private readonly workers = Array.from({ length: MAX_WORLD }, (_, rank) => new Worker(new URL(import.meta.url), { workerData: { bench: 'training', rank } }));

  run(specs: RunSpec[]): Promise<RunAnswer[]> {
    return Promise.all(
      this.workers.slice(0, specs.length).map(
        (w, r) =>
          new Promise<RunAnswer>((resolve, reject) => {
            const onError = (e: Error) => reject(e);
            w.once('error', onError);
            w.once('message', (m: { ok: true; a: RunAnswer } | { ok: false; e: string }) => {
              w.off('error', onError);
              if (m.ok) resolve(m.a);
              else reject(new Error(`training rank ${r}: ${m.e}`));
            });
            w.postMessage(specs[r]);
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// ---------------------------------------------------------------- the coordinator

export type Mode = 'off' | 'aa' | 'batch' | 'freq10' | 'null';
/** Modes that create loggers, with their logFreq. */
const FREQ: Partial<Record<Mode, LogFreq>> = { batch: 'batch', freq10: 10, null: 'batch' };
const MODE_LABEL: Record<Mode, string> = {
  off: 'logging off (no logger, no calls)',
  aa: "logging off again (A/A control: the same as 'off', compared like the others — the noise floor)",
  batch: 'logging every batch into LocalFile + TensorBoard (all ranks) + Null (rank 0)',
  freq10: 'logging every 10 batches (logFreq 10) into LocalFile + TensorBoard (all ranks) + Null (rank 0)',
  null: 'logging every batch into NullLogger only (all ranks): ring, clock and writer wake-ups, no file work',
};
const OVERHEAD_LABEL: Record<Mode, string> = {
  off: '',
  aa: 'a second logging-off run (A/A: what noise alone shows)',
  batch: 'logging every batch (all backends)',
  freq10: 'logging every 10 batches (all backends)',
  null: 'logging every batch into NullLogger only',
};

export interface Variant {
  id: string;
  /** Training ranks (worker_threads), at most MAX_WORLD. */
  world: number;
  hidden: number;
  batch: number;
  /** Steps of the untimed calibration run (mode off) that sets the step count. */
  calibrate: number;
  /** Configurations of the full run, and of --quick (a smoke test: fewer). */
  modes: Mode[];
  quickModes: Mode[];
}
export const VARIANTS: Variant[] = [
  { id: 'solo', world: 1, hidden: 16, batch: 8, calibrate: 20000, modes: ['off', 'batch', 'freq10', 'aa'], quickModes: ['off', 'batch'] },
  {
    id: 'light',
    world: MAX_WORLD,
    hidden: 16,
    batch: 8,
    calibrate: 3000,
    modes: ['off', 'batch', 'freq10', 'null', 'aa'],
    quickModes: ['off', 'batch', 'freq10'],
  },
  // hidden 256 / batch 64 makes a step cost 2–6 ms here and the 4-on-2-cores scheduling bimodal (steps/s
  // jumping ±40 % between identical runs); 64 / 32 (~0.5 ms) is compute-bound and still below a scheduler slice.
  { id: 'heavy', world: MAX_WORLD, hidden: 64, batch: 32, calibrate: 600, modes: ['off', 'batch', 'freq10', 'aa'], quickModes: ['off', 'batch'] },
];

export interface RunOutcome {
  stepsPerSec: number;
  closeMs: number;
  detachMs: number;
  recordsIn: number;
  dropped: number;
  written: number;
  /** RSS at the end of the training minus RSS before the loggers were created. */
  rssMiB: number;
  /** CPU time of the whole process (every thread: ranks, writers, clock) per step, warm-up included. */
  cpuUsPerStep: number;
  loss: number;
}

export async function oneRun(
  ranks: Ranks,
  v: Variant,
  mode: Mode,
  steps: number,
  warmup: number,
  tmp: string,
  tag: string,
  clockResolutionMs?: number,
): Promise<RunOutcome> {
  const dir = mkdtempSync(join(tmp, 'train-'));
  const rss0 = process.memoryUsage().rss;
  let logger: LoggersCollection | undefined;
  const logFreq = FREQ[mode];
  if (logFreq !== undefined) {
    logger = new LoggersCollection(
      mode === 'null'
        ? [new NullLogger({ logFreq, logOnWorkers: -1 })]
        : [
            new LocalFileLogger({ savedir: join(dir, 'logs'), logFreq, logOnWorkers: -1 }),
            new TensorBoardLogger({ savedir: join(dir, 'mllogs'), logFreq, logOnWorkers: -1 }),
            new NullLogger({ logFreq, logOnWorkers: 0 }),
          ],
    );
    await logger.createLoggerContext({ rank: 0, worldSize: v.world, runName: `bench-train-${tag}`, handleSignals: false, clockResolutionMs });
  }
  const P = new Mlp(N_IN, v.hidden, N_OUT, 42).n;
  const sab = Allreduce.buffer(v.world, P + 1);
  const specs = Array.from(
    { length: v.world },
    (_, r): RunSpec => ({ handle: logger?.workerHandle(r), sab, world: v.world, hidden: v.hidden, batch: v.batch, warmup, steps }),
  );
  const cpu0 = process.cpuUsage();
  const answers = await ranks.run(specs);
  const cpu = process.cpuUsage(cpu0);
  // Process-wide (RSS counts every thread): what the loggers' threads, rings and buffers added during the run.
  const rssMiB = (process.memoryUsage().rss - rss0) / MiB;
  const c0 = performance.now();
  const st = logger ? await logger.destroyLoggerContext() : undefined;
  const closeMs = performance.now() - c0;
  rmSync(dir, { recursive: true, force: true });
  // biome-ignore lint/complexity/useMathMinMax: bigint nanoseconds, which Math.min cannot take
  const t0 = answers.reduce((m, a) => (a.t0 < m ? a.t0 : m), answers[0]!.t0);
  // biome-ignore lint/complexity/useMathMinMax: as above
  const t1 = answers.reduce((m, a) => (a.t1 > m ? a.t1 : m), answers[0]!.t1);
  return {
    stepsPerSec: steps / (Number(t1 - t0) / 1e9),
    closeMs,
    detachMs: Math.max(...answers.map((a) => a.detachMs)),
    recordsIn: st?.recordsIn ?? 0,
    dropped: st?.dropped ?? 0,
    written: st?.backends.reduce((s, b) => s + b.written, 0) ?? 0,
    rssMiB,
    cpuUsPerStep: (cpu.user + cpu.system) / (steps + warmup),
    loss: answers[0]!.loss,
  };
}

const round = (x: number, d = 1) => Number(x.toFixed(d));

export async function trainingOverhead(cfg: Config): Promise<Result[]> {
  // Many shorter runs rather than few long ones: a burst of outside load then spoils one run, not a fifth of them.
  const reps = cfg.quick ? 5 : 7;
  const seconds = cfg.quick ? 0.5 : 2;
  const out: Result[] = [];
  const ranks = new Ranks();
  try {
    for (const v of VARIANTS) {
      // Calibrate (and warm the JIT): the step count that makes an 'off' run last `seconds`; the first run is cold.
      let rate = 0;
      for (let i = 0; i < 2; i++)
        rate = Math.max(rate, (await oneRun(ranks, v, 'off', v.calibrate, Math.ceil(v.calibrate / 5), cfg.tmp, `${v.id}-cal${i}`)).stepsPerSec);
      const steps = Math.max(BATCHES_PER_EPOCH, Math.round((rate * seconds) / BATCHES_PER_EPOCH) * BATCHES_PER_EPOCH);
      const warmup = Math.min(steps, 2 * BATCHES_PER_EPOCH * Math.ceil(v.calibrate / 1000));
      const modes = cfg.quick ? v.quickModes : v.modes;
      const runs = new Map<Mode, RunOutcome[]>(modes.map((m) => [m, []]));
      for (let rep = 0; rep < reps; rep++) {
        for (let k = 0; k < modes.length; k++) {
          const mode = modes[(rep + k) % modes.length]!;
          runs.get(mode)!.push(await oneRun(ranks, v, mode, steps, warmup, cfg.tmp, `${v.id}-${mode}-${rep}`));
        }
      }
      const off = runs.get('off')!;
      const what = `${v.id}: 4→${v.hidden}→3 MLP, batch ${v.batch}/rank, ${v.world} worker_thread rank${v.world > 1 ? 's' : ''}`;
      for (const mode of modes) {
        const rs = runs.get(mode)!;
        const rate = summarize(rs.map((r) => r.stepsPerSec));
        const label = `${what}, ${MODE_LABEL[mode]} — steps/s`;
        out.push({
          id: `train.${v.id}.${mode}`,
          label,
          unit: 'steps/s',
          ...rate,
          ratioTo: mode === 'off' ? undefined : `train.${v.id}.off`,
          extra: {
            steps,
            reps,
            usPerStep: round(1e6 / rate.median, 2),
            cpuUsPerStep: round(summarize(rs.map((r) => r.cpuUsPerStep)).median, 2),
            rssGrowthMiB: round(summarize(rs.map((r) => r.rssMiB)).median),
            ...(FREQ[mode] === undefined
              ? {}
              : {
                  recordsInPerRun: rs[0]!.recordsIn,
                  writtenPerRun: rs[0]!.written,
                  dropped: rs.reduce((s, r) => s + r.dropped, 0),
                  detachMsMedian: round(summarize(rs.map((r) => r.detachMs)).median),
                  destroyMsMedian: round(summarize(rs.map((r) => r.closeMs)).median),
                }),
            finalLoss: round(rs[rs.length - 1]!.loss, 4),
          },
        });
      }
      for (const mode of modes) {
        if (mode === 'off') continue;
        const rs = runs.get(mode)!;
        // Per repetition, against the same repetition's 'off' run: time per step, relative.
        const pct = rs.map((r, i) => (off[i]!.stepsPerSec / r.stepsPerSec - 1) * 100);
        const addedUs = rs.map((r, i) => 1e6 / r.stepsPerSec - 1e6 / off[i]!.stepsPerSec);
        // Interference only ever slows a run down: the fastest of each configuration is the least disturbed.
        const best = (xs: RunOutcome[]) => Math.max(...xs.map((r) => r.stepsPerSec));
        out.push({
          id: `train.${v.id}.${mode}.overhead`,
          label: `${v.id}: time per step added by ${OVERHEAD_LABEL[mode]}, vs 'off' in the same repetition`,
          unit: '%',
          ...summarize(pct),
          series: pct.map((p) => round(p)),
          extra: {
            addedUsPerStepMedian: round(summarize(addedUs).median, 2),
            fastestVsFastestPct: round((best(off) / best(rs) - 1) * 100),
            recordsPerStepPerRank: mode === 'freq10' ? 0.12 : mode === 'aa' ? 0 : 1.02,
          },
        });
      }
    }
  } finally {
    await ranks.close();
  }
  return out;
}
