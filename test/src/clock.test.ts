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

/** Resolves once Date.now() is past `ms` (an event: the system clock moved on), polling between turns of the event loop. */
async function clockPast(ms: number): Promise<void> {
  while (Date.now() <= ms) await new Promise((r) => setImmediate(r));
}

/** Liveness bound for waiting on the clock thread: a working one takes milliseconds; only a broken one (never ticks, never sleeps) reaches it. */
const LIVENESS_MS = 30_000;

test('clock asleep: each record carries the system time of its call, and a slow producer leaves the clock asleep', async (t) => {
  const ctx = asleepContext();
  const sab = createRing(64 * 1024, 0, 1);
  const p = recordWriter(sab, ctx, 'wait');
  const id = p.define('loss');
  const bounds: [number, number][] = [];
  for (let i = 0; i < 5; i++) {
    const before = Date.now();
    p.scalar(id, 1, i, i, -1);
    const after = Date.now();
    bounds.push([before, after]);
    await clockPast(after); // the next record falls in a later millisecond
  }
  t.is(Atomics.load(ctx, SHARED.CLOCK_MS), CLOCK_ASLEEP, 'five records in five different milliseconds must not wake the clock thread');
  const got = await times(sab);
  t.is(got.length, 5);
  got.forEach((ms, i) => t.true(ms >= bounds[i]![0] && ms <= bounds[i]![1], `record ${i}: ${ms} within [${bounds[i]![0]}, ${bounds[i]![1]}]`));
  // Control: the timestamps are not all one stale value (each record was logged in a later ms than the one before).
  got.slice(1).forEach((ms, i) => t.true(ms > got[i]!, `record ${i + 1} (${ms}) is later than record ${i} (${got[i]})`));
});

test('clock asleep: a burst of records within one ms wakes the clock thread (the word leaves CLOCK_ASLEEP, holding the time of the burst)', (t) => {
  const ctx = asleepContext();
  const sab = createRing(8 * 1024 * 1024, 0, 1); // 262 144 slots: no consumer is needed for the burst
  const p = recordWriter(sab, ctx, 'wait');
  const id = p.define('loss');
  // A few thousand records take well under a ms when the thread runs: some ms holds more than the
  // wake-up threshold (128). Log until the word changes rather than a fixed count, so that a thread
  // descheduled mid-burst only makes the burst longer; 200 000 records without a wake-up is a broken producer.
  const before = Date.now();
  let n = 0;
  for (; Atomics.load(ctx, SHARED.CLOCK_MS) === CLOCK_ASLEEP && n < 200_000; n++) p.scalar(id, 1, n, n, -1);
  const after = Date.now();
  const word = Atomics.load(ctx, SHARED.CLOCK_MS);
  t.not(word, CLOCK_ASLEEP, `${n} records did not wake the clock`);
  t.true(BASE + word >= before && BASE + word <= after, `the word holds the time of the burst since the base: ${BASE + word} within [${before}, ${after}]`);
});

/** The context block of a live logger (private to the core: read only to observe the clock). */
function sharedOf(lg: object): Int32Array {
  const sab = (lg as { ctx?: { sharedSab?: SharedArrayBuffer } }).ctx?.sharedSab;
  if (!sab) throw new Error('no shared block: the core changed; update this test');
  return new Int32Array(sab);
}

test('a context: fast records wake the clock thread, it ticks (the word changes while nothing is logged), and sleeps again once records stop', async (t) => {
  const lg = new NullLogger({ logFreq: 'batch' });
  await lg.createLoggerContext({ runName: uniqueRunName('clock'), handleSignals: false });
  t.teardown(() =>
    lg.destroyLoggerContext().then(
      () => undefined,
      () => undefined,
    ),
  );
  const ctx = sharedOf(lg);
  t.is(Atomics.load(ctx, SHARED.CLOCK_MS), CLOCK_ASLEEP, 'a fresh context starts with the clock asleep');
  const h = lg.handle('loss');
  // A producer writes the word only to wake the clock (CLOCK_ASLEEP → now). So a change from one
  // time to another while this thread logs nothing is a tick of the clock thread. Burst until the
  // clock wakes, then watch the word without logging. On a loaded machine this thread may be
  // descheduled through the clock's whole first window (16 ticks) and find it asleep again: then
  // burst again. No timing is asserted; LIVENESS_MS only ends the test if the clock never ticks.
  const deadline = Date.now() + LIVENESS_MS;
  let i = 0;
  let bursts = 0;
  let tick: [number, number] | undefined;
  while (!tick && Date.now() < deadline) {
    bursts++;
    while (Atomics.load(ctx, SHARED.CLOCK_MS) === CLOCK_ASLEEP && Date.now() < deadline) for (let k = 0; k < 1000; k++, i++) lg.metric(h, i, i);
    const woke = Atomics.load(ctx, SHARED.CLOCK_MS);
    for (let w = woke; w !== CLOCK_ASLEEP && Date.now() < deadline; w = Atomics.load(ctx, SHARED.CLOCK_MS)) {
      if (w !== woke) {
        tick = [woke, w];
        break;
      }
    }
  }
  t.truthy(tick, `no tick of the clock thread seen within ${LIVENESS_MS} ms (${bursts} bursts, ${i} records)`);
  if (tick) t.true(tick[1] > tick[0], `the clock moves forward: ${tick[0]} → ${tick[1]}`);
  t.log(`first tick seen after ${bursts} burst(s): ${tick?.join(' → ')}`);
  // Silence: the clock goes back to sleep (after a window of ticks with few records).
  let asleep = false;
  for (const until = Date.now() + LIVENESS_MS; !asleep && Date.now() < until; ) {
    await sleep(10);
    asleep = Atomics.load(ctx, SHARED.CLOCK_MS) === CLOCK_ASLEEP;
  }
  t.true(asleep, `the clock thread was still ticking ${LIVENESS_MS} ms after the last record`);
  const st = await lg.destroyLoggerContext();
  t.is(st.backends[0]!.written, i);
});
