/**
 * Exactly once, in order: 8 ranks (the coordinator and 7 training worker_threads) each log N
 * sequenced metrics (value = step = 0..N-1) through the fast path into local files and
 * TensorBoard. Every backend must hold each rank's N records once each, in log order. Read back
 * with the test's own CSV reader and TFRecord/Event decoder.
 * CI runs N = 100 000; the full scale is RANKLOG_EXACTLY_ONCE_N=1000000 npx ava test/dist/exactly-once.test.js
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalFileLogger, LoggersCollection } from '@ranklog/core';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { checkSeqCsv, startProducer, tempDir } from './support/log-path.js';
import { EVENT_FILE_PATTERN, forEachEvent, scalarOf } from './support/tb-decode.js';

const N = Number(process.env.RANKLOG_EXACTLY_ONCE_N ?? 100_000);
const RANKS = 8;

test(`${RANKS} ranks × ${N} records: every backend holds each rank's records exactly once, in log order`, async (t) => {
  t.timeout(600_000);
  const savedir = tempDir(t, 'exactly-once');
  const logger = new LoggersCollection([
    new LocalFileLogger({ savedir, logFreq: 'batch', logOnWorkers: -1 }),
    new TensorBoardLogger({ savedir, logFreq: 'batch', logOnWorkers: -1 }),
  ]);
  await logger.createLoggerContext({ rank: 0, worldSize: RANKS, runName: 'run', handleSignals: false });
  const workers = Array.from({ length: RANKS - 1 }, (_, k) => startProducer(t, { handle: logger.workerHandle(k + 1), count: N, mode: 'count' }));
  const h = logger.handle('seq');
  for (let i = 0; i < N; i++) logger.metric(h, i, i);
  for (const w of workers) {
    const end = await w.exited;
    t.is(end.code, 0, `worker exited with ${end.code}: ${end.error?.message ?? ''}`);
    t.like(w.messages.at(-1), { done: N, detached: true });
  }
  const stats = await logger.destroyLoggerContext();
  for (const b of stats.backends) t.like(b, { written: RANKS * N, failed: 0, dropped: 0, afterClose: 0 }, b.name);

  const csv = await checkSeqCsv(join(savedir, 'run', 'metrics.csv'), new Map(Array.from({ length: RANKS }, (_, r) => [r, N])));
  t.like(csv, { rows: RANKS * N, malformed: 0, duplicates: 0, notIncreasing: 0 }, csv.firstProblems.join('\n'));
  for (let r = 0; r < RANKS; r++) t.is(csv.prefix.get(r), N, `metrics.csv rank ${r}`);

  for (let r = 0; r < RANKS; r++) {
    const dir = join(savedir, 'run', `rank_${r}`);
    let next = 0;
    let outOfOrder = 0;
    for (const name of readdirSync(dir).filter((n) => EVENT_FILE_PATTERN.test(n))) {
      const framing = forEachEvent(new Uint8Array(readFileSync(join(dir, name))), name, (e) => {
        for (const v of e.summary?.values ?? []) {
          if (v.tag !== 'seq') continue;
          if (e.step !== next || scalarOf(v) !== next) outOfOrder++;
          next++;
        }
      });
      t.deepEqual(framing.errors, [], `rank_${r}/${name}`);
      t.false(framing.truncatedTail);
    }
    t.is(next, N, `TensorBoard rank ${r}: scalars`);
    t.is(outOfOrder, 0, `TensorBoard rank ${r}: steps 0..N-1 in order`);
  }
});
