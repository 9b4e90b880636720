/**
 * The W&B sink against the contract kit (@ranklog/core/sink-contract), read back from the
 * transaction logs of each rank's run with the test's own reader: order per rank, durability
 * after commit(), no loss on a healthy disk, every end reason, numeric stats.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSinkContract, type StoredRecord } from '@ranklog/core/sink-contract';
import { offlineSinkOptions } from './support/wandb-sink-options.js';
import createWandbSink, { type WandbSinkOptions } from '../../packages/wandb/dist/wandb-sink.js';
import { readRun, runDirs } from './support/wandb-runs.js';

function options(dir: string): WandbSinkOptions {
  return offlineSinkOptions(dir, { project: 'contract', multiRank: true, program: 'contract' });
}

/** Every ranklog record in the history rows of each rank's run, in stored order. */
function readBack(dir: string): StoredRecord[] {
  const out: StoredRecord[] = [];
  for (const runDir of runDirs(dir)) {
    const run = readRun(runDir);
    if (run.errors.length > 0) throw new Error(run.errors.join('; '));
    const rank = Number(/-rank(\d+)$/.exec(run.run!.displayName)?.[1]);
    for (const row of run.rows) {
      const step = (row.items.get('epoch') ?? row.items.get('step')) as number;
      for (const [key, value] of row.items) {
        if (key === 'epoch' || key === 'step' || key.startsWith('_')) continue;
        out.push({ rank, identifier: key, step, value: value as number });
      }
    }
  }
  return out;
}

test("W&B keeps the sink contract (read back from each rank's transaction log)", async (t) => {
  const problems = await checkSinkContract({
    createSink: createWandbSink,
    options: () => {
      const d = mkdtempSync(join(tmpdir(), 'ranklog-contract-wandb-'));
      t.teardown(() => rmSync(d, { recursive: true, force: true }));
      return options(d);
    },
    durableAfter: 'commit',
    readBack: (o) => readBack(o.dir),
  });
  t.deepEqual(problems, []);
});
