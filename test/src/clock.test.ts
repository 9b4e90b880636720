/**
 * Record timestamps and the adaptive shared clock: slow loggers read the
 * system clock per record (exact to the ms, no clock thread wake-ups); a
 * producer that logs many records within one ms starts the clock thread,
 * which goes back to sleep when the rate drops.
 */
import test from 'ava';
import { NullLogger } from '@ranklog/core';
import { recordReader, recordWriter, RecordView } from './support/ring-codec.js';
import { createRing } from '../../packages/core/dist/ring/ring.js';
import { CLOCK_ASLEEP, SHARED, SHARED_BYTES, SHARED_F64 } from '../../packages/core/dist/ring/layout.js';
import { uniqueRunName } from './support/recording-logger.js';

const BASE = Date.now() - 10_000;

function asleepContext(): Int32Array {
  const sab = new SharedArrayBuffer(SHARED_BYTES);
  new Float64Array(sab)[SHARED_F64.CLOCK_BASE_MS] = BASE;
  const ctx = new Int32Array(sab);
  Atomics.store(ctx, SHARED.CLOCK_MS, CLOCK_ASLEEP);
  return ctx;
}

async function times(sab: SharedArrayBuffer): Promise<number[]> {
  const c = recordReader(sab, 0, BASE);
  const out: number[] = [];
  await c.read(new RecordView(), 1 << 16, (r) => void out.push(r.timeMs));
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('clock asleep: each record carries the system time of its call, and a slow producer leaves the clock asleep', async (t) => {
  const ctx = asleepContext();
  const sab = createRing(64 * 1024, 0, 1);
  const p = recordWriter(sab, ctx, 'wait');
  const id = p.define('loss');
  const bounds: [number, number][] = [];
  for (let i = 0; i < 5; i++) {
    const before = Date.now();
    p.scalar(id, 1, i, i, -1);
    bounds.push([before, Date.now()]);
    await sleep(15);
  }
  t.is(Atomics.load(ctx, SHARED.CLOCK_MS), CLOCK_ASLEEP, 'five records 15 ms apart must not wake the clock thread');
  const got = await times(sab);
  t.is(got.length, 5);
  got.forEach((ms, i) => t.true(ms >= bounds[i]![0] && ms <= bounds[i]![1], `record ${i}: ${ms} within [${bounds[i]![0]}, ${bounds[i]![1]}]`));
  // Control: the timestamps are not all one stale value.
  t.true(got[4]! - got[0]! >= 50, `records 60 ms apart, got ${got[4]! - got[0]!} ms`);
});

test('clock asleep: a burst of records within one ms wakes the clock thread (the word leaves CLOCK_ASLEEP)', (t) => {
  const ctx = asleepContext();
  const sab = createRing(256 * 1024, 0, 1);
  const p = recordWriter(sab, ctx, 'wait');
  const id = p.define('loss');
  // 5000 records take well under a few ms: some millisecond holds more than the wake-up threshold.
  for (let i = 0; i < 5000; i++) p.scalar(id, 1, i, i, -1);
  const word = Atomics.load(ctx, SHARED.CLOCK_MS);
  t.not(word, CLOCK_ASLEEP);
  t.true(Math.abs(BASE + word - Date.now()) < 1000, `the word holds a time since the base: ${word}`);
});

/** The context block of a live logger (private to the core: read only to observe the clock). */
function sharedOf(lg: object): Int32Array {
  const sab = (lg as { ctx?: { sharedSab?: SharedArrayBuffer } }).ctx?.sharedSab;
  if (!sab) throw new Error('no shared block: the core changed; update this test');
  return new Int32Array(sab);
}

test('a context: the clock thread ticks while records flow fast, and sleeps again once they stop', async (t) => {
  const lg = new NullLogger({ logFreq: 'batch' });
  await lg.createLoggerContext({ runName: uniqueRunName('clock'), handleSignals: false });
  t.teardown(() => lg.destroyLoggerContext().then(() => undefined, () => undefined));
  const ctx = sharedOf(lg);
  t.is(Atomics.load(ctx, SHARED.CLOCK_MS), CLOCK_ASLEEP, 'a fresh context starts with the clock asleep');
  const h = lg.handle('loss');
  // About 100 ms of fast logging: the clock thread must tick (the word changes while we log).
  const seen = new Set<number>();
  const end = Date.now() + 100;
  let i = 0;
  while (Date.now() < end) {
    for (let k = 0; k < 1000; k++, i++) lg.metric(h, i, i);
    seen.add(Atomics.load(ctx, SHARED.CLOCK_MS));
  }
  seen.delete(CLOCK_ASLEEP);
  t.true(seen.size >= 5, `the shared word took ${seen.size} distinct times during 100 ms of fast logging`);
  // Silence: within a few windows of ticks the clock goes back to sleep.
  let asleep = false;
  for (let k = 0; k < 100 && !asleep; k++) {
    await sleep(10);
    asleep = Atomics.load(ctx, SHARED.CLOCK_MS) === CLOCK_ASLEEP;
  }
  t.true(asleep, 'the clock thread went back to sleep within 1 s of the last record');
  const st = await lg.destroyLoggerContext();
  t.is(st.backends[0]!.written, i);
});
