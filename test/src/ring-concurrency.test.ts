/**
 * The broadcast ring under load: 4 producer worker_threads, each logging through the
 * metric() fast path into its own SMALL ring (64 KiB = 2048 slots, so it wraps
 * thousands of times and is full most of the time), drained by two (or three)
 * writer threads at once under the default 'wait' policy. Nothing may be lost,
 * duplicated or reordered within a producer, in any backend.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalFileLogger, LoggersCollection, type WorkerHandle } from '@ranklog/core';
import { RING } from '../../packages/core/dist/ring/layout.js';
import { backendStats, nextOf, SequenceLogger, type SequenceStats } from './support/sequence-logger.js';
import { OrderLogger } from './support/order-logger.js';
import { checkSeqCsv, countLines, CSV_HEADER, startProducer, tempDir } from './support/log-path.js';
import { bigTextFor, dictFor, expectedCounts, ID_BIG, ID_DICT, ID_SEQ, ID_TEXT, textFor, TEXT_EVERY, DICT_AT, BIG_EVERY, BIG_AT } from './support/payloads.js';

import { encodePayload } from '../../packages/core/dist/codec/payload.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const PRODUCERS = [1, 2, 3, 4]; // ranks; the coordinator is rank 0 and logs nothing
const RING_BYTES = 64 * 1024;

/**
 * Run the producers to completion. Meanwhile sample their rings from this thread (informational:
 * how often a ring was seen full / its producer waiting); afterwards check from the ring's own
 * head counter that it wrapped around many times.
 */
async function runProducers(t: import('ava').ExecutionContext, logger: LoggersCollection, count: number, mixed: boolean): Promise<void> {
  const handles: WorkerHandle[] = PRODUCERS.map((rank) => logger.workerHandle(rank));
  const ctrls = handles.map((h) => new Int32Array(h.ringSab!, 0, 32));
  let samples = 0;
  let full = 0;
  let waiting = 0;
  const sampler = setInterval(() => {
    for (const c of ctrls) {
      samples++;
      const head = Atomics.load(c, RING.PUBLISHED);
      let used = 0;
      for (const b of [0, 1, 2]) if (Atomics.load(c, RING.READERS) & (1 << b)) used = Math.max(used, (head - Atomics.load(c, RING.RELEASED + b)) | 0);
      if (used >= c[RING.CAPACITY]! * 0.9) full++;
      if (Atomics.load(c, RING.PRODUCER_WAITING) === 1) waiting++;
    }
  }, 5);
  t.teardown(() => clearInterval(sampler));
  const runs = handles.map((handle) => startProducer(t, { handle, count, mode: 'count', mixed }));
  const exits = await Promise.all(runs.map((r) => r.exited));
  clearInterval(sampler);
  t.log(`ring samples: ${samples}; ≥ 90 % full: ${full}; producer waiting: ${waiting}`);
  for (const [i, c] of ctrls.entries()) {
    const head = Atomics.load(c, RING.PUBLISHED) >>> 0;
    const wraps = head / c[RING.CAPACITY]!;
    t.true(wraps >= count / 2048, `the ring wrapped only ${wraps} times`);
    if (mixed) {
      // Replay the producer's slot accounting: the final head must match, and PAD records must have happened.
      const sim = simulateMixedRing(handles[i]!, runs[i]!.worker.threadId, count, c[RING.CAPACITY]!);
      t.is(head, sim.head >>> 0, `rank ${handles[i]!.rank}: head after the run`);
      t.true(sim.pads > 0, 'the schedule never put a multi-slot record at the buffer end');
      t.log(`rank ${handles[i]!.rank}: ${wraps.toFixed(0)} wraps, ${sim.pads} PAD records, ${sim.multi} multi-slot records`);
    }
  }
  for (const [i, e] of exits.entries()) {
    t.is(e.error, undefined, `producer ${PRODUCERS[i]} failed: ${e.error?.stack}`);
    t.is(e.code, 0);
    t.deepEqual(runs[i]!.messages, [{ done: count, detached: true }], `producer ${PRODUCERS[i]} did not finish`);
  }
}

/**
 * The slots a producer of the mixed schedule takes (ring/layout.ts: 1 header slot + the bytes in
 * 32-byte slots; a PAD fills the buffer tail when a multi-slot record would not fit contiguously).
 */
function simulateMixedRing(handle: WorkerHandle, threadId: number, count: number, capacity: number) {
  let head = 0;
  let pads = 0;
  let multi = 0;
  let blobs = 0;
  const put = (bytes: number) => {
    const total = 1 + Math.ceil(bytes / 32);
    const idx = head & (capacity - 1);
    if (total > 1) multi++;
    if (idx + total > capacity) {
      head += capacity - idx;
      pads++;
    }
    head += total;
  };
  const utf8 = (s: string) => Buffer.byteLength(s);
  const defined = new Set<string>();
  const define = (id: string) => {
    if (!defined.has(id)) put(utf8(id));
    defined.add(id);
  };
  const inlineMax = (capacity * 32) >> 3;
  const payload = (id: string, bytes: Uint8Array) => {
    define(id);
    put(bytes.length <= inlineMax ? bytes.length : utf8(join(handle.blobDir, `blob-r${handle.rank}-t${threadId}-${blobs++}.bin`)));
  };
  define(ID_SEQ);
  for (let i = 0; i < count; i++) {
    put(0);
    const m = i % TEXT_EVERY;
    if (m === 0) payload(ID_TEXT, encodePayload('text', textFor(handle.rank, i)));
    else if (m === DICT_AT) payload(ID_DICT, encodePayload('dict', dictFor(handle.rank, i)));
    if (i % BIG_EVERY === BIG_AT) payload(ID_BIG, encodePayload('text', bigTextFor(handle.rank, i)));
  }
  return { head, pads, multi };
}

function newCollection(t: import('ava').ExecutionContext, savedir: string, withOrder: boolean) {
  const local = new LocalFileLogger({ savedir, logOnWorkers: -1, logFreq: 'batch' });
  const seq = new SequenceLogger({ logOnWorkers: -1, logFreq: 'batch' });
  const loggers = withOrder ? [local, seq, new OrderLogger({ logOnWorkers: -1, logFreq: 'batch' })] : [local, seq];
  const logger = new LoggersCollection(loggers);
  let destroyed = false;
  t.teardown(async () => {
    if (!destroyed) await logger.destroyLoggerContext().catch(() => undefined);
  });
  return {
    local,
    logger,
    async destroy() {
      destroyed = true;
      return logger.destroyLoggerContext();
    },
  };
}

function checkSequence(t: import('ava').ExecutionContext, s: SequenceStats, count: number): void {
  t.is(s.received, count * PRODUCERS.length, 'SequenceLogger received');
  t.is(s.outOfOrder, 0, 'outOfOrder');
  t.is(s.duplicates, 0, 'duplicates');
  t.is(s.gaps, 0, 'gaps');
  t.is(s.stepMismatch, 0, 'stepMismatch');
  t.is(s.foreign, 0, 'foreign');
  t.is(s.failed, 0);
  t.is(s.dropped, 0);
  for (const r of PRODUCERS) t.is(nextOf(s, r), count, `rank ${r} prefix`);
}

async function checkCsv(t: import('ava').ExecutionContext, runDir: string, count: number, from: number): Promise<void> {
  const csv = join(runDir, 'metrics.csv');
  const expected = new Map(PRODUCERS.map((r) => [r, count] as const));
  const c = await checkSeqCsv(csv, expected, { from, to: Date.now() });
  t.deepEqual(c.header, CSV_HEADER);
  t.is(c.rows, count * PRODUCERS.length, 'metrics.csv data rows');
  t.is(c.malformed, 0, c.firstProblems.join('\n'));
  t.is(c.outOfTime, 0, c.firstProblems.join('\n'));
  t.is(c.duplicates, 0, c.firstProblems.join('\n'));
  t.is(c.notIncreasing, 0, c.firstProblems.join('\n'));
  for (const r of PRODUCERS) t.is(c.prefix.get(r), count, `metrics.csv: every step of rank ${r} exactly once`);
  t.is(await countLines(join(runDir, 'metrics.jsonl')), count * PRODUCERS.length, 'metrics.jsonl lines');
}

test.serial('4 producers × 1M fast-path metrics through a full 64 KiB ring reach two writers complete and in order', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const COUNT = 1_000_000;
  const savedir = tempDir(t, 'ringconc');
  const { local, logger, destroy } = newCollection(t, savedir, false);
  const from = Date.now();
  await logger.createLoggerContext({ rank: 0, runName: 'conc', ringBytes: RING_BYTES });
  const t0 = Date.now();
  await runProducers(t, logger, COUNT, false);
  const runDir = local.runDirectory!;
  const stats = await destroy();
  t.log(`producers + drain + close: ${Date.now() - t0} ms`);
  t.is(stats.recordsIn, COUNT * PRODUCERS.length);
  t.is(stats.dropped, 0);
  t.is(stats.rings, PRODUCERS.length + 1);
  const l = backendStats(stats, 'LocalFileLogger');
  t.is(l.written, COUNT * PRODUCERS.length);
  t.is(l.failed, 0);
  t.is(l.dropped, 0);
  t.is(l.metrics, COUNT * PRODUCERS.length);
  const s = backendStats<SequenceStats>(stats, 'SequenceLogger');
  t.is(s.written, COUNT * PRODUCERS.length);
  checkSequence(t, s, COUNT);
  await checkCsv(t, runDir, COUNT, from);
  t.log(`total: ${Date.now() - t0} ms`);
});

test.serial('mixed payloads (text, dict, blob) wrap with PAD records and stay in order with the scalars of their producer', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const COUNT = 1_000_000;
  const savedir = tempDir(t, 'ringmixed');
  const { local, logger, destroy } = newCollection(t, savedir, true);
  const from = Date.now();
  await logger.createLoggerContext({ rank: 0, runName: 'mixed', ringBytes: RING_BYTES });
  const t0 = Date.now();
  await runProducers(t, logger, COUNT, true);
  const runDir = local.runDirectory!;
  const stats = await destroy();
  t.log(`producers + drain + close: ${Date.now() - t0} ms`);
  const exp = expectedCounts(COUNT);
  const payloads = exp.texts + exp.dicts + exp.bigs;
  t.true(exp.texts > 0 && exp.dicts > 0 && exp.bigs > 0);
  t.is(stats.recordsIn, (COUNT + payloads) * PRODUCERS.length);
  t.is(stats.dropped, 0);

  // SequenceLogger takes metrics only: the payload records are in its ring but masked out.
  const s = backendStats<SequenceStats>(stats, 'SequenceLogger');
  t.is(s.written, COUNT * PRODUCERS.length);
  checkSequence(t, s, COUNT);

  const o = backendStats(stats, 'OrderLogger');
  t.is(o.failed, 0);
  t.like(o, {
    metrics: COUNT * PRODUCERS.length,
    texts: exp.texts * PRODUCERS.length,
    dicts: exp.dicts * PRODUCERS.length,
    bigs: exp.bigs * PRODUCERS.length,
    metricOrder: 0,
    payloadOrder: 0,
    contentErrors: 0,
    foreign: 0,
  });

  const l = backendStats(stats, 'LocalFileLogger');
  t.is(l.failed, 0);
  t.is(l.errors, 0);
  t.is(l.metrics, COUNT * PRODUCERS.length);
  await checkCsv(t, runDir, COUNT, from);

  // The local files: one text/dict file per payload record, with the exact content.
  for (const rank of PRODUCERS) {
    const want = new Map<string, string>();
    for (let i = 0; i < COUNT; i++) {
      if (i % TEXT_EVERY === 0) want.set(join('text', ID_TEXT, `rank${rank}-step${i}.txt`), textFor(rank, i));
      if (i % TEXT_EVERY === DICT_AT) want.set(join('dicts', ID_DICT, `rank${rank}-step${i}.json`), JSON.stringify(dictFor(rank, i), null, 2) + '\n');
      if (i % BIG_EVERY === BIG_AT) want.set(join('text', ID_BIG, `rank${rank}-step${i}.txt`), bigTextFor(rank, i));
    }
    let wrong = 0;
    const firstWrong: string[] = [];
    for (const [rel, content] of want) {
      const file = join(runDir, rel);
      if (!existsSync(file) || readFileSync(file, 'utf8') !== content) {
        wrong++;
        if (firstWrong.length < 5) firstWrong.push(rel);
      }
    }
    t.is(wrong, 0, `rank ${rank}: missing or wrong payload files: ${firstWrong.join(', ')}`);
  }
  // …and nothing else (no duplicate -1 suffixes).
  const files = (sub: string) => readdirSync(join(runDir, sub), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;
  t.is(files('text'), (exp.texts + exp.bigs) * PRODUCERS.length);
  t.is(files('dicts'), exp.dicts * PRODUCERS.length);
  t.log(`total: ${Date.now() - t0} ms`);
});
