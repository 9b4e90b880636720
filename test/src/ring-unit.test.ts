/**
 * RingProducer / RingConsumer on their own (compiled core, by relative path), plus the
 * end-to-end accounting of the drop-newest policy and of blob payloads.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LocalFileLogger, LoggersCollection } from '@ranklog/core';
import type { FullRingPolicy } from '../../packages/core/dist/ring/producer.js';
import { recordReader, recordWriter, RecordView } from './support/ring-codec.js';
import type { RecordReader } from '../../packages/core/dist/codec/record-reader.js';
import { createRing, ringViews } from '../../packages/core/dist/ring/ring.js';
import { ringDropped, ringRecordsIn } from '../../packages/core/dist/ring/stats.js';
import { PAD_FRAME, RING, SHARED, SHARED_BYTES, SHARED_F64, SLOT_BYTES } from '../../packages/core/dist/ring/layout.js';
import { REC_BLOB, REC_DEFINE, REC_PAYLOAD, REC_SCALAR } from '../../packages/core/dist/codec/record-layout.js';
import { waitReleased } from '../../packages/core/dist/ring/wait.js';
import { encodePayload } from '../../packages/core/dist/codec/payload.js';
import { KIND_CODE } from '../../packages/core/dist/vocab/kinds.js';
import { Dispatcher } from '../../packages/core/dist/dispatch/dispatcher.js';
import type { RingConsumerData, RingConsumerResult } from './fixtures/ring-consumer-worker.js';
import { backendStats, nextOf, SequenceLogger, type SequenceStats } from './support/sequence-logger.js';
import { tempDir } from './support/log-path.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const RING_BYTES = 64 * 1024;
const CAPACITY = 2048; // slots of a 64 KiB ring
const TEXT = KIND_CODE.text;
const CLOCK_BASE = Date.now() - 5000;

function context(): Int32Array {
  const sab = new SharedArrayBuffer(SHARED_BYTES);
  new Float64Array(sab)[SHARED_F64.CLOCK_BASE_MS] = CLOCK_BASE;
  const ctx = new Int32Array(sab);
  Atomics.store(ctx, SHARED.CLOCK_MS, 1234);
  return ctx;
}

/** A ring read by the backends in `consumers` (bit mask); optionally with head and every tail preset to `start` (u32). */
function ring(consumers: number, start?: number): SharedArrayBuffer {
  const sab = createRing(RING_BYTES, 7, consumers);
  if (start !== undefined) {
    const ctrl = new Int32Array(sab, 0, 32);
    ctrl[RING.PUBLISHED] = start | 0;
    for (let b = 0; b < 16; b++) if (consumers & (1 << b)) ctrl[RING.RELEASED + b] = start | 0;
  }
  return sab;
}

interface Rec {
  kind: string;
  identifier: string;
  value: number;
  step: number | undefined;
  batchIdx: number | undefined;
  item: unknown;
  timeMs: number;
}

/** Read everything published (in chunks of maxSlots), release, and return plain copies. */
async function drain(c: RecordReader, maxSlots = 1 << 16): Promise<Rec[]> {
  const out: Rec[] = [];
  const view = new RecordView();
  while (c.ring.pending() > 0) {
    await c.read(view, maxSlots, (r) => {
      out.push({ kind: r.kind, identifier: r.identifier, value: r.value, step: r.step, batchIdx: r.batchIdx, item: r.item, timeMs: r.timeMs });
    });
    c.ring.release();
  }
  return out;
}

/** An independent walk over the slot headers between two u32 positions: [type, slot index] of every record, PADs included. */
function walk(sab: SharedArrayBuffer, from: number, to: number): [number, number][] {
  const { u32, mask, capacity } = ringViews(sab);
  const out: [number, number][] = [];
  for (let pos = from | 0; ((to - pos) | 0) > 0; ) {
    const idx = pos & mask;
    const type = u32[idx * 8]! & 0xff;
    out.push([type, idx]);
    if (type === REC_SCALAR) pos = (pos + 1) | 0;
    else if (type === PAD_FRAME) pos = (pos + capacity - idx) | 0;
    else pos = (pos + 1 + Math.ceil(u32[idx * 8 + 3]! / SLOT_BYTES)) | 0;
  }
  return out;
}

/** msgpack text payload taking exactly `slots` data slots. */
function textOfSlots(slots: number): string {
  for (let n = slots * SLOT_BYTES; n > 0; n--) {
    const s = 'p'.repeat(n);
    if (Math.ceil(encodePayload('text', s).length / SLOT_BYTES) === slots) return s;
  }
  throw new Error('unreachable');
}

test('createRing gives a 64 KiB ring 2048 slots (the tests below rely on it)', (t) => {
  t.is(ringViews(ring(1)).capacity, CAPACITY);
  t.is(recordWriter(ring(1), context(), 'wait').maxInlineBytes, (CAPACITY * SLOT_BYTES) / 8);
});

test('a multi-slot record that does not fit at the buffer end gets a PAD and arrives intact after the wrap; an exact fit gets none', async (t) => {
  const sab = ring(0b11);
  const p = recordWriter(sab, context(), 'wait');
  const c0 = recordReader(sab, 0, CLOCK_BASE);
  const c1 = recordReader(sab, 1, CLOCK_BASE);
  const id = p.define('m'); // 2 slots
  const got0: Rec[] = [];
  const got1: Rec[] = [];
  let v = 0;
  const scalarsTo = async (slot: number) => {
    while (p.ring.position !== slot) {
      t.true(p.scalar(id, 0b11, v, v, -1));
      v++;
      if (v % 500 === 0) {
        got0.push(...(await drain(c0)));
        got1.push(...(await drain(c1)));
      }
    }
  };
  const text = textOfSlots(19); // header + 19 = 20 slots
  const bytes = encodePayload('text', text);

  // 1. Head at 2040: 2040 + 20 > 2048, so 8 slots of PAD, the record at slot 0.
  await scalarsTo(CAPACITY - 8);
  t.true(p.payload(id, 0b01, TEXT, bytes, 77, 3)); // backend 0 only: backend 1 must skip it (and the PAD)
  t.is(p.ring.position, CAPACITY + 20);
  t.deepEqual(walk(sab, CAPACITY - 8, p.ring.position), [
    [PAD_FRAME, CAPACITY - 8],
    [REC_PAYLOAD, 0],
  ]);
  const after1 = v;
  // 2. An exact fit at the end: head at 2*2048 - 20, no PAD.
  await scalarsTo(2 * CAPACITY - 20);
  t.true(p.payload(id, 0b11, TEXT, bytes, 78, undefined as unknown as number));
  t.is(p.ring.position, 2 * CAPACITY);
  t.deepEqual(walk(sab, 2 * CAPACITY - 20, p.ring.position), [[REC_PAYLOAD, CAPACITY - 20]]);
  const after2 = v;
  await scalarsTo(2 * CAPACITY + 10);
  got0.push(...(await drain(c0, 7)));
  got1.push(...(await drain(c1, 7)));
  t.is(c0.ring.position, p.ring.position);
  t.is(c1.ring.position, p.ring.position);

  const expectScalars = (recs: Rec[]) => recs.filter((r) => r.kind === 'metric').map((r) => r.value);
  const all = Array.from({ length: v }, (_, i) => i);
  t.deepEqual(expectScalars(got0), all);
  t.deepEqual(expectScalars(got1), all);
  // Backend 0: both payloads, each right after the scalar logged before it.
  const idx0 = got0.findIndex((r) => r.kind === 'text');
  t.like(got0[idx0], { identifier: 'm', item: text, step: 77, batchIdx: 3 });
  t.is(got0[idx0 - 1]!.value, after1 - 1);
  const idx0b = got0.findIndex((r, i) => i > idx0 && r.kind === 'text');
  t.is(got0[idx0b - 1]!.value, after2 - 1);
  t.is(got0.filter((r) => r.kind === 'text').length, 2);
  // Backend 1: only the second payload.
  t.is(got1.filter((r) => r.kind === 'text').length, 1);
  t.is(got1[got1.findIndex((r) => r.kind === 'text') - 1]!.value, after2 - 1);
  t.is(got0[0]!.timeMs, CLOCK_BASE + 1234);
  t.is(ringRecordsIn(sab), v + 2);
});

test('the u32 head counter wraps past 2^32 (with a PAD at the same time) and nothing is lost or reordered', async (t) => {
  const start = 0xfffffff0;
  const sab = ring(0b101, start);
  const ctrl = new Int32Array(sab, 0, 32);
  const ctx = context();
  const p = recordWriter(sab, ctx, 'wait');
  const c0 = recordReader(sab, 0, CLOCK_BASE);
  const c2 = recordReader(sab, 2, CLOCK_BASE);
  const id = p.define('wrap'); // slots -16, -15
  const bytes = encodePayload('text', textOfSlots(19));
  let v = 0;
  while (((p.ring.position - (start | 0)) | 0) < 14) t.true(p.scalar(id, 0b101, v++, NaN, -1));
  // 2 slots left before both the buffer end and 2^32: PAD, then the record at slot 0 = position 2^32.
  t.true(p.payload(id, 0b101, TEXT, bytes, 5, -1));
  t.is(Atomics.load(ctrl, RING.PUBLISHED) >>> 0, 20);
  t.deepEqual(walk(sab, start, 20), [
    [REC_DEFINE, CAPACITY - 16],
    ...Array.from({ length: 12 }, (_, i) => [REC_SCALAR, CAPACITY - 14 + i] as [number, number]),
    [PAD_FRAME, CAPACITY - 2],
    [REC_PAYLOAD, 0],
  ]);
  t.is(c0.ring.pending(), 36);
  const got0: Rec[] = [];
  const got2: Rec[] = [];
  // Three more laps with the consumers in step, in small reads.
  const before = v;
  for (let i = 0; i < 3 * CAPACITY; i++) {
    t.true(p.scalar(id, 0b101, v++, NaN, -1));
    if (i % 1000 === 999) {
      got0.push(...(await drain(c0, 100)));
      got2.push(...(await drain(c2, 333)));
    }
  }
  got0.push(...(await drain(c0, 100)));
  got2.push(...(await drain(c2, 333)));
  t.true(waitReleased(sab, ctx, 1000));
  t.is(Atomics.load(ctrl, RING.PUBLISHED) >>> 0, 20 + 3 * CAPACITY);
  t.is(c0.ring.released >>> 0, 20 + 3 * CAPACITY);
  t.is(c2.ring.released >>> 0, 20 + 3 * CAPACITY);
  for (const got of [got0, got2]) {
    t.deepEqual(
      got.filter((r) => r.kind === 'metric').map((r) => r.value),
      Array.from({ length: v }, (_, i) => i),
    );
    t.is(
      got.findIndex((r) => r.kind === 'text'),
      before,
    );
    t.true(got.every((r) => r.identifier === 'wrap'));
  }
});

test('across 2^32 the producer is bounded by the slowest cursor: drop-newest accepts exactly the free space', async (t) => {
  const start = 0xffffff00;
  const sab = ring(0b11, start);
  const p = recordWriter(sab, context(), 'drop-newest');
  const fast = recordReader(sab, 0, CLOCK_BASE);
  const slow = recordReader(sab, 1, CLOCK_BASE);
  const id = p.define('x'); // 2 slots
  let accepted = 0;
  let v = 0;
  for (let i = 0; i < 3 * CAPACITY; i++) {
    if (p.scalar(id, 0b11, v++, NaN, -1)) accepted++;
    if (i % 100 === 0) await drain(fast); // the fast backend keeps up; the slow one reads nothing
  }
  t.is(accepted, CAPACITY - 2);
  t.true(((p.ring.position - (start | 0)) | 0) === CAPACITY && p.ring.position >>> 0 === (start + CAPACITY) % 2 ** 32);
  t.is(ringDropped(sab), 3 * CAPACITY - accepted);
  t.is(ringDropped(sab, 0), 3 * CAPACITY - accepted);
  t.is(ringDropped(sab, 1), 3 * CAPACITY - accepted);
  const slowGot = await drain(slow);
  t.deepEqual(
    slowGot.map((r) => r.value),
    Array.from({ length: accepted }, (_, i) => i),
  );
});

test('drop-newest on a full ring drops exactly the overflow, counts it per backend, and accepts again once space is released', async (t) => {
  const sab = ring(0b11);
  const p = recordWriter(sab, context(), 'drop-newest');
  const c0 = recordReader(sab, 0, CLOCK_BASE);
  const c1 = recordReader(sab, 1, CLOCK_BASE);
  const id = p.define('d'); // 2 slots
  let v = 0;
  const accepted: number[] = [];
  const log = (mask: number) => {
    const value = v++;
    const ok = p.scalar(id, mask, value, NaN, -1);
    if (ok) accepted.push(value);
    return ok;
  };
  for (let i = 0; i < CAPACITY - 2; i++) t.true(log(0b11));
  t.is(ringDropped(sab), 0);
  let dropped = 0;
  for (let i = 0; i < 100; i++) if (!log(0b11)) dropped++;
  for (let i = 0; i < 50; i++) if (!log(0b01)) dropped++; // meant for backend 0 only
  t.false(p.payload(id, 0b10, TEXT, encodePayload('text', 'dropped too'), 1, -1));
  dropped++;
  t.is(dropped, 151);
  t.is(ringDropped(sab), 151);
  t.is(p.ring.droppedCount, 151);
  t.is(ringDropped(sab, 0), 150);
  t.is(ringDropped(sab, 1), 101);
  t.is(ringRecordsIn(sab), CAPACITY - 2);
  // Backend 0 releases everything; backend 1 still holds the ring full: still dropped.
  const got0 = await drain(c0);
  t.false(log(0b11));
  t.is(ringDropped(sab), 152);
  // Backend 1 releases: accepted again, and nothing dropped shows up anywhere.
  const got1 = await drain(c1);
  for (let i = 0; i < 500; i++) t.true(log(0b11));
  got0.push(...(await drain(c0)));
  got1.push(...(await drain(c1)));
  t.is(ringDropped(sab), 152);
  t.is(ringRecordsIn(sab), CAPACITY - 2 + 500);
  t.deepEqual(
    got0.map((r) => r.value),
    accepted,
  );
  t.deepEqual(
    got1.map((r) => r.value),
    accepted,
  );
});

async function blockedProducer(t: import('ava').ExecutionContext, policy: FullRingPolicy, blockWith: 'scalar' | 'define') {
  t.timeout(TEST_TIMEOUT_MS);
  const sab = ring(0b1);
  const p = recordWriter(sab, context(), policy);
  const id = p.define('b'); // 2 slots
  let v = 0;
  const accepted: number[] = [];
  while (p.ring.position !== CAPACITY) {
    t.true(p.scalar(id, 1, v, NaN, -1));
    accepted.push(v++);
  }
  const data: RingConsumerData = { sab, backend: 0, clockBase: CLOCK_BASE };
  const worker = new Worker(new URL('./fixtures/ring-consumer-worker.js', import.meta.url), { workerData: data });
  t.teardown(() => worker.terminate());
  const result = new Promise<RingConsumerResult>((resolve, reject) => {
    worker.on('message', (m: unknown) => {
      if (m !== 'ready') resolve(m as RingConsumerResult);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`consumer worker exited (${code}) before it reported`)));
  });
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  // The ring is full and nobody has released anything: this call must block until the worker does.
  let late = id;
  if (blockWith === 'define') late = p.define('late'); // definitions are never dropped, whatever the policy
  const firstLate = accepted.length;
  const more = 3 * CAPACITY;
  for (let i = 0; i < more; i++) {
    if (p.scalar(late, 1, v, NaN, -1)) accepted.push(v);
    v++;
  }
  p.ring.detach();
  const r = await result;
  t.true(r.sawWaiting);
  // The worker saw the producer waiting on a completely full ring, before anything was released.
  t.is(r.headWhenWaiting, CAPACITY);
  t.deepEqual(r.values, accepted);
  t.is(ringDropped(sab), v - accepted.length);
  if (policy === 'wait') t.is(accepted.length, v, 'the wait policy dropped records');
  t.true(accepted.length > firstLate, 'nothing was accepted after the block');
  t.is(accepted[firstLate], firstLate, 'the record logged right after the block (or the define) was lost');
  t.deepEqual([...new Set(r.identifiers.slice(0, firstLate))], ['b']);
  t.deepEqual([...new Set(r.identifiers.slice(firstLate))], [blockWith === 'define' ? 'late' : 'b']);
}

test('the default policy blocks on a full ring until a consumer (another thread) releases, then loses nothing', async (t) => {
  await blockedProducer(t, 'wait', 'scalar');
});

test('definitions are never dropped: define() on a full drop-newest ring waits for a consumer', async (t) => {
  await blockedProducer(t, 'drop-newest', 'define');
});

test('payloads above the inline limit go to a blob file and arrive intact; at the limit they stay inline', async (t) => {
  const sab = ring(0b1);
  const p = recordWriter(sab, context(), 'wait');
  const c = recordReader(sab, 0, CLOCK_BASE);
  const blobDir = join(mkdtempSync(join(tmpdir(), 'ranklog-blobunit-')), 'blobs');
  t.teardown(() => rmSync(join(blobDir, '..'), { recursive: true, force: true }));
  const routes = [{ index: 0, name: 'Unit', kinds: ['metric', 'text', 'dict'] as ('metric' | 'text' | 'dict')[], freq: 0, logOnWorkers: -1 }];
  const d = new Dispatcher(routes, 7, p, blobDir);
  const limit = p.maxInlineBytes;
  // A text whose encoding is exactly the limit, one byte more, and a big one; a big dict.
  let atLimit = 'a'.repeat(limit);
  while (encodePayload('text', atLimit).length > limit) atLimit = atLimit.slice(1);
  t.is(encodePayload('text', atLimit).length, limit);
  const overLimit = atLimit + 'b';
  const big = Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(32 + (i % 90))).join('') + 'ü€𝄞';
  const bigDict = { rows: Array.from({ length: 5000 }, (_, i) => ({ i, s: `row ${i}` })) };
  const items: [string, 'text' | 'dict', unknown][] = [
    ['at_limit', 'text', atLimit],
    ['over_limit', 'text', overLimit],
    ['big', 'text', big],
    ['big_dict', 'dict', bigDict],
  ];
  const start = p.ring.position;
  for (const [i, [id, kind, item]] of items.entries()) {
    d.log(item, id, kind, i, undefined, 1);
    d.log(i, 'after', 'metric', i, undefined, 1);
  }
  const types = walk(sab, start, p.ring.position)
    .map(([type]) => type)
    .filter((x) => x !== REC_DEFINE);
  t.deepEqual(types, [REC_PAYLOAD, REC_SCALAR, REC_BLOB, REC_SCALAR, REC_BLOB, REC_SCALAR, REC_BLOB, REC_SCALAR]);
  t.is(readdirSync(blobDir).length, 3);
  const got = await drain(c);
  t.deepEqual(
    got.map((r) => [r.identifier, r.kind, r.step]),
    items.flatMap(([id, kind], i) => [
      [id, kind, i],
      ['after', 'metric', i],
    ]),
  );
  t.is(got[0]!.item, atLimit);
  t.is(got[2]!.item, overLimit);
  t.is(got[4]!.item, big);
  t.deepEqual(got[6]!.item, bigDict);
});

test('end to end: drop-newest with a stalled writer drops exactly the overflow, counts it per backend, and accepts again after a flush', async (t) => {
  const savedir = tempDir(t, 'dropnewest');
  const gate = new SharedArrayBuffer(4);
  const local = new LocalFileLogger({ savedir, logOnWorkers: -1, logFreq: 'batch' });
  const seq = new SequenceLogger({ logOnWorkers: -1, logFreq: 'batch', gate });
  const logger = new LoggersCollection([local, seq]);
  await logger.createLoggerContext({ rank: 0, runName: 'drop', ringBytes: RING_BYTES, fullRingPolicy: 'drop-newest' });
  let destroyed = false;
  t.teardown(async () => {
    Atomics.store(new Int32Array(gate), 0, 1);
    Atomics.notify(new Int32Array(gate), 0);
    if (!destroyed) await logger.destroyLoggerContext().catch(() => undefined);
  });
  const h = logger.handle('seq'); // DEFINE: 2 slots
  const N = 3 * CAPACITY;
  for (let i = 0; i < N; i++) logger.metric(h, i, i);
  // SequenceLogger's writer cannot commit, so it releases nothing: exactly CAPACITY - 2 records fit.
  const acceptedFirst = CAPACITY - 2;
  Atomics.store(new Int32Array(gate), 0, 1);
  Atomics.notify(new Int32Array(gate), 0);
  await logger.flush();
  const M = 1000; // fits in the now empty ring
  for (let i = N; i < N + M; i++) logger.metric(h, i, i);
  destroyed = true;
  const stats = await logger.destroyLoggerContext();
  const dropped = N - acceptedFirst;
  t.is(stats.dropped, dropped);
  t.is(stats.recordsIn, acceptedFirst + M);
  const s = backendStats<SequenceStats>(stats, 'SequenceLogger');
  const l = backendStats(stats, 'LocalFileLogger');
  t.is(s.dropped, dropped);
  t.is(l.dropped, dropped);
  t.is(s.written, acceptedFirst + M);
  t.is(l.written, acceptedFirst + M);
  t.like(s, { received: acceptedFirst + M, gaps: dropped, duplicates: 0, outOfOrder: 0, stepMismatch: 0 });
  t.is(nextOf(s, 0), N + M);
  const lines = readFileSync(join(local.runDirectory!, 'metrics.csv'), 'utf8').trimEnd().split('\n');
  t.is(lines.length, 1 + acceptedFirst + M);
  t.is(lines[acceptedFirst]!.split(',')[3], String(acceptedFirst - 1));
  t.is(lines[acceptedFirst + 1]!.split(',')[3], String(N));
});

test('end to end: a payload bigger than the ring travels as a blob file, arrives intact, and the blob directory is removed at close', async (t) => {
  const savedir = tempDir(t, 'blobe2e');
  const local = new LocalFileLogger({ savedir, logOnWorkers: -1, logFreq: 'batch' });
  const logger = new LoggersCollection([local]);
  await logger.createLoggerContext({ rank: 0, runName: 'blob', ringBytes: RING_BYTES });
  let destroyed = false;
  t.teardown(async () => {
    if (!destroyed) await logger.destroyLoggerContext().catch(() => undefined);
  });
  const big = 'x'.repeat(1 << 20) + '\nend ü';
  const dict = { values: Array.from({ length: 20_000 }, (_, i) => i * 0.5) };
  const { blobDir } = logger.workerHandle(0); // the context's spool directory (the extra ring stays empty)
  logger.log(1, 'before', { step: 0 });
  logger.log(big, 'big/text', { kind: 'text', step: 1 });
  logger.log(dict, 'big/dict', { kind: 'dict', step: 2 });
  logger.log(2, 'after', { step: 3 });
  // 1 MiB cannot travel inline through a 64 KiB ring (RingProducer.variable() throws for that), so arriving proves the blob path.
  destroyed = true;
  await logger.destroyLoggerContext();
  const run = local.runDirectory!;
  t.is(readFileSync(join(run, 'text', 'big', 'text', 'rank0-step1.txt'), 'utf8'), big);
  t.deepEqual(JSON.parse(readFileSync(join(run, 'dicts', 'big', 'dict', 'rank0-step2.json'), 'utf8')), dict);
  t.is(readFileSync(join(run, 'metrics.csv'), 'utf8').trimEnd().split('\n').length, 3);
  t.false(existsSync(blobDir), 'blob directory left behind');
});
