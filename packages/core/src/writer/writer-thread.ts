/**
 * A writer worker_thread: one per backend. Drains every ring it is given,
 * hands records to the backend's sink, commits, then releases ring space.
 * The event loop stays free (Atomics.waitAsync) so comlink control calls
 * (flush, stats, close) are answered while it drains.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { RingConsumer } from '../ring/consumer.js';
import { RecordReader, RecordView } from '../codec/record-reader.js';
import { END_NONE, END_REASON, SHARED, SHARED_F64 } from '../ring/layout.js';
import type { FigureItem, JobEnd, LogRecord, RunEndReason, Sink, SinkEnv, SinkFactory } from '../sink/index.js';
import type { BackendStats, WriterApi, WriterInit } from './protocol.js';
import type { PngEncoder } from '../encode/png-pool.js';
import { figureTaskUrl } from '../encode/figure-renderer.js';
import { ringDropped } from '../ring/stats.js';
import { SampleReader } from '../system/sample-reader.js';
import { takeAsMetrics } from './system-records.js';
import { WriterAggregation } from './aggregation.js';

const init = workerData as WriterInit;
const shared = new Int32Array(init.sharedSab);
const clockBase = new Float64Array(init.sharedSab)[SHARED_F64.CLOCK_BASE_MS]!;
/** Slots read from one ring before the writer commits and moves on (bounds commit latency). */
const BATCH_SLOTS = 1 << 16;

const readers: RecordReader[] = init.rings.map((sab) => new RecordReader(new RingConsumer(sab, init.backend), clockBase));
const view = new RecordView();
let sink: Sink | undefined;
/** This backend's system samples (its logger's systemMetrics option), if any. */
const samples = init.systemMetrics && new SampleReader(init.systemMetrics, init.coordinatorRank);
let written = 0;
let failed = 0;
let warnedFailures = 0;
/** Set by close(): where each ring's head was, so a producer that keeps logging cannot hold close() forever. */
let closeTargets: Map<RecordReader, number> | undefined;
/** Records published for this backend after close() began, not written (counted, reported in stats). */
let afterClose = 0;
let stopped: Promise<void> | undefined;
const flushWaiters: { targets: Map<RecordReader, number>; resolve: () => void }[] = [];
/** The PNG/figure pool, created on the first image or figure (png-pool.js is imported only then). */
let pngEncoder: Promise<PngEncoder> | undefined;
function encoder(): Promise<PngEncoder> {
  return (pngEncoder ??= import('../encode/png-pool.js').then((m) => m.createPngEncoder()));
}

/**
 * Warnings reach the user through the coordinator's diagnostics (stderr, onDiagnostic).
 * On an exit path (END_REQUEST) the coordinator is blocked and cannot read messages: straight to fd 2.
 */
function warn(message: string): void {
  if (Atomics.load(shared, SHARED.END_REQUEST) === END_NONE) {
    init.diagPort.postMessage({ warn: message });
    return;
  }
  try {
    writeSync(2, `[ranklog ${init.backendName}] ${message}\n`);
  } catch {
    // stderr closed: nothing better to do
  }
}
// A ping is answered after every warning posted before it: the coordinator's way to wait for them.
init.diagPort.on('message', (m: { ping?: number }) => {
  if (m.ping !== undefined) init.diagPort.postMessage({ pong: m.ping });
});
init.diagPort.unref();

/** Cross-rank aggregates (the logger's aggregate option), when asked for. */
const aggregation =
  init.aggregate &&
  new WriterAggregation(
    init.aggregate,
    () => readers.map((r) => r.ring.rank),
    () => {
      Atomics.add(shared, SHARED.WRITER_WAKE, 1);
      Atomics.notify(shared, SHARED.WRITER_WAKE);
    },
    warn,
  );

/** Records of the current batch the sink took; they count as written once commit() says they are durable. */
let batchTaken = 0;

function warnFailure(error: unknown, what: string): void {
  if (warnedFailures++ < 5) {
    warn(
      `${what} failed: ${error instanceof Error ? error.message : String(error)}${warnedFailures === 5 ? ' (further failures are only counted in stats().failed)' : ''}`,
    );
  }
}

function recordFailure(error: unknown, what: string): void {
  failed++;
  warnFailure(error, what);
}

/** Commit the batch: its records are written, except those the sink says it could not make durable. */
async function commitBatch(): Promise<void> {
  let lost: number;
  try {
    lost = (await sink!.commit()) ?? 0;
  } catch (e) {
    warnFailure(e, 'commit');
    lost = batchTaken;
  }
  settle(lost);
}

/** The batch's records are written, less those the sink reports lost (of this batch, or of earlier ones for sinks that deliver later). */
function settle(lost: number): void {
  const n = Math.min(Math.max(0, lost), written + batchTaken);
  written += batchTaken - n;
  failed += n;
  batchTaken = 0;
}

const env: SinkEnv = {
  runName: init.runName,
  coordinatorRank: init.coordinatorRank,
  worldSize: init.worldSize,
  ...(init.job ? { job: init.job } : {}),
  ...(init.run ? { run: init.run } : {}),
  ...(init.resume ? { resume: init.resume } : {}),
  async encodePng(image) {
    return (await encoder()).encodePng(image);
  },
  // Only where @ranklog/figures is installed: without it, sinks keep figures as their source.
  ...(figureTaskUrl() !== undefined && {
    async renderFigure(item: FigureItem, onWarning?: (message: string) => void) {
      return (await encoder()).renderFigure(item, onWarning);
    },
  }),
  warn,
  debug(message) {
    if (process.env.RANKLOG_DEBUG === '1') process.stderr.write(`[ranklog debug ${init.backendName}] ${message}\n`);
  },
};

function take(r: LogRecord): void | Promise<void> {
  aggregation?.observe(r);
  try {
    const p = sink!.write(r);
    if (p !== undefined) {
      return p.then(
        () => void batchTaken++,
        (e: unknown) => recordFailure(e, `writing ${r.kind} '${r.identifier}' (rank ${r.rank})`),
      );
    }
    batchTaken++;
  } catch (e) {
    recordFailure(e, `writing ${r.kind} '${r.identifier}' (rank ${r.rank})`);
  }
}

/** Each ring's published head now: what a flush or close must reach. */
function snapshot(): Map<RecordReader, number> {
  const targets = new Map<RecordReader, number>();
  for (const r of readers) targets.set(r, r.ring.head());
  return targets;
}

function reached(targets: Map<RecordReader, number>): boolean {
  for (const [r, target] of targets) if (((target - r.ring.released) | 0) > 0) return false;
  return true;
}

/**
 * A new system sample, if one is due: to the sink's writeSystemSample(), else as `system/…` metric
 * records. It joins the batch being drained (committed with it). None once close has begun.
 */
async function takeSample(): Promise<boolean> {
  const s = closeTargets ? undefined : samples?.next();
  if (s === undefined) return false;
  if (!sink!.writeSystemSample) {
    await takeAsMetrics(s, take);
    return true;
  }
  try {
    await sink!.writeSystemSample(s);
    batchTaken++;
  } catch (e) {
    recordFailure(e, `writing system sample ${s.index}`);
  }
  return true;
}

/** Finished aggregate steps to the sink, or partials to the job thread; a sink's failure is counted, as for records. */
async function pumpAggregates(): Promise<number> {
  try {
    return await aggregation!.pump(sink!);
  } catch (e) {
    warnFailure(e, 'writing aggregates');
    return 0;
  }
}

/** One pass over all rings; returns the number of slots consumed. */
async function drainOnce(): Promise<number> {
  const sampled = await takeSample();
  let slots = 0;
  for (const r of readers) {
    const before = r.ring.position;
    if (r.ring.pending() === 0) continue;
    await r.read(view, BATCH_SLOTS, take);
    slots += (r.ring.position - before) | 0;
  }
  const aggregated = aggregation && !closeTargets ? await pumpAggregates() : 0;
  if (slots > 0 || sampled || aggregated > 0) {
    await commitBatch();
    for (const r of readers) r.ring.release();
  }
  for (let i = flushWaiters.length - 1; i >= 0; i--) {
    const w = flushWaiters[i]!;
    if (reached(w.targets)) {
      flushWaiters.splice(i, 1);
      w.resolve();
    }
  }
  return slots;
}

async function loop(pollMs: number): Promise<void> {
  for (;;) {
    const seen = Atomics.load(shared, SHARED.WRITER_WAKE);
    const end = Atomics.load(shared, SHARED.END_REQUEST);
    // An exit path that cannot await (uncaught exception, process.exit) asks every writer to end on its own.
    if (end !== END_NONE && !closeTargets) void closeWriter(END_REASON[end] ?? 'failed');
    const slots = await drainOnce();
    if (closeTargets && reached(closeTargets)) return;
    if (slots === 0) {
      const w = Atomics.waitAsync(shared, SHARED.WRITER_WAKE, seen, closeTargets ? 1 : pollMs);
      if (w.async) await w.value;
    } else {
      await yieldToLoop(); // let control messages through between batches
    }
  }
}

/** Tell producers to stop waiting for this backend's cursors, so a dead writer never blocks training. */
function markDead(): void {
  Atomics.or(shared, SHARED.DEAD_WRITERS, 1 << init.backend);
  for (const r of readers) r.ring.wakeProducer();
}
process.on('uncaughtException', (e) => {
  warn(`writer thread failed: ${e.stack ?? e.message}`);
  markDead();
  process.exit(1);
});

let closing: Promise<BackendStats> | undefined;

/** Drain to the heads seen now, close the sink, and say so in CLOSED_WRITERS. Once. */
function closeWriter(reason: RunEndReason, job?: JobEnd): Promise<BackendStats> {
  closing ??= (async () => {
    closeTargets = snapshot();
    Atomics.add(shared, SHARED.WRITER_WAKE, 1);
    Atomics.notify(shared, SHARED.WRITER_WAKE);
    if (stopped) await stopped;
    // Whatever producers published after close began is not written: count it, so nothing vanishes silently.
    for (const r of readers) afterClose += r.countPending();
    // The last steps: a member hands over its partials; a host waits for the others' (not on an exit path: nobody waits there).
    try {
      await aggregation?.finish(sink, Atomics.load(shared, SHARED.END_REQUEST) === END_NONE);
    } catch (e) {
      warnFailure(e, 'writing aggregates');
    }
    try {
      settle((await sink?.close(reason, job)) ?? 0);
    } catch (e) {
      warnFailure(e, 'close');
    }
    await pngEncoder?.then(
      (e) => e.close(),
      () => {}, // the pool never loaded: nothing to stop
    );
    Atomics.or(shared, SHARED.CLOSED_WRITERS, 1 << init.backend);
    Atomics.notify(shared, SHARED.CLOSED_WRITERS);
    for (const r of readers) r.ring.wakeProducer(); // a producer waiting on a full ring stops waiting for us
    if (afterClose > 0) warn(`${afterClose} records logged after the close began were not written (stats().afterClose)`);
    return stats();
  })();
  return closing;
}

function stats(): BackendStats {
  let dropped = 0;
  for (const r of readers) dropped += ringDropped(r.ring.sab, init.backend);
  const extra = sink?.stats?.() ?? {};
  const system: Record<string, number> = samples ? { systemSamples: samples.taken } : {};
  return { ...extra, ...system, ...aggregation?.stats(), name: init.backendName, written, failed, dropped, afterClose };
}

const api: WriterApi = {
  async start() {
    const mod = (await import(init.sinkModule)) as { default: SinkFactory };
    if (typeof mod.default !== 'function') {
      throw new TypeError(`ranklog: backend module ${init.sinkModule} has no default export SinkFactory`);
    }
    sink = await mod.default(init.sinkOptions, env);
    stopped = loop(init.pollMs).catch((e: unknown) => {
      warn(`writer stopped on an internal error; records for this backend are no longer written: ${e instanceof Error ? e.stack : String(e)}`);
      markDead();
      throw e;
    });
  },
  addRing(sab) {
    if (readers.some((r) => r.ring.sab === sab)) return;
    readers.push(new RecordReader(new RingConsumer(sab, init.backend), clockBase));
    Atomics.add(shared, SHARED.WRITER_WAKE, 1);
    Atomics.notify(shared, SHARED.WRITER_WAKE);
  },
  async flush() {
    const targets = snapshot();
    await new Promise<void>((resolve) => {
      flushWaiters.push({ targets, resolve });
      Atomics.add(shared, SHARED.WRITER_WAKE, 1);
      Atomics.notify(shared, SHARED.WRITER_WAKE);
    });
    // Backends that deliver asynchronously (a tracking server) finish delivering, or spool, here,
    // and then say what a disk refused meanwhile.
    if (sink?.flush) {
      await sink.flush();
      await commitBatch();
    }
  },
  stats,
  close: (reason, job) => closeWriter(reason, job),
};

Comlink.expose(api, nodeEndpoint(parentPort!));
