/**
 * How a W&B run ends when its process does not end it:
 * - SIGKILL: the transaction log reads back whole up to its last record, every record logged more
 *   than 5 s before the kill is in it, and there is no Exit; `ranklog-wandb-replay <run dir>`
 *   appends Exit (255, killed) and Final, and a second replay changes nothing;
 * - a torn last record (a kill in the middle of a write) and a zero-filled tail are cut back to the
 *   last whole record before Exit and Final are appended;
 * - SIGINT and an uncaught exception: ranklog's exit paths close the run, Exit 255 and 1.
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, statSync, truncateSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LogRecord } from '@ranklog/core/sink';
import { offlineSinkOptions } from './support/wandb-sink-options.js';
import createWandbSink from '../../packages/wandb/dist/wandb-sink.js';
import { childEnv, runNode } from './support/child-process.js';
import { tempDir } from './support/log-path.js';
import { readRun, runDirs } from './support/wandb-runs.js';

const CHILD = fileURLToPath(new URL('./fixtures/wandb-child.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../packages/wandb/dist/cli.js', import.meta.url));
const LOSS_BOUND_MS = 5_000;
const env = () => {
  const e = childEnv({});
  for (const k of Object.keys(e)) if (k.startsWith('WANDB_')) delete e[k];
  return e;
};

function replay(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: env() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const logOf = (dir: string) => `${dir}/run-${readRun(dir).runIdFromName}.wandb`;

test('SIGKILL leaves a log that reads back whole up to its last record, without Exit; ranklog-wandb-replay appends Exit (255) and Final, once', async (t) => {
  t.timeout(120_000);
  const savedir = tempDir(t, 'wandb-kill');
  const child = spawn(process.execPath, [CHILD, savedir, 'run'], { stdio: ['ignore', 'pipe', 'pipe'], env: env() });
  t.teardown(() => child.kill('SIGKILL'));
  let killedAt = 0;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (killedAt === 0 && d.includes('ready')) {
      killedAt = Date.now();
      child.kill('SIGKILL');
    }
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_c, s) => resolve(s)));
  t.is(signal, 'SIGKILL', stderr);

  const dir = runDirs(savedir)[0]!;
  let run = readRun(dir);
  t.deepEqual(run.errors, [], 'every whole record reads back');
  if (run.framing.truncatedTail) t.log('the log ends with a torn record');
  const seq = run.rows.filter((r) => r.items.has('seq'));
  t.true(seq.length > 500, `${seq.length} rows`);
  t.true(
    seq.every((r, i) => r.items.get('step') === i),
    'steps 0, 1, 2, … without a gap',
  );
  const newest = seq.at(-1)!.items.get('seq') as number;
  t.log(`the newest record was logged ${killedAt - newest} ms before the kill`);
  t.true(killedAt - newest < LOSS_BOUND_MS, `records logged ${killedAt - newest} ms before the kill are missing`);
  t.is(run.exit, undefined);

  const r = replay(dir);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /appended exit and final \(exit code 255/);
  run = readRun(dir);
  t.deepEqual(run.errors, []);
  t.false(run.framing.truncatedTail);
  t.deepEqual(run.types.slice(-2), ['exit', 'final']);
  t.is(run.exit?.exitCode, 255);
  t.is(run.rows.filter((x) => x.items.has('seq')).length, seq.length, 'no row lost');

  const size = statSync(logOf(dir)).size;
  const again = replay(dir);
  t.is(again.status, 0);
  t.regex(again.stdout, /already ends with Exit and Final/);
  t.is(statSync(logOf(dir)).size, size);
});

async function finishedRun(savedir: string): Promise<string> {
  const sink = await createWandbSink(offlineSinkOptions(savedir), {
    runName: 'run',
    coordinatorRank: 0,
    worldSize: 1,
    encodePng: () => Promise.reject(new Error('none')),
    warn: () => undefined,
    debug: () => undefined,
  });
  for (let i = 0; i < 3000; i++) {
    const r: LogRecord = { kind: 'metric', rank: 0, identifier: 'seq', step: i, batchIdx: 0, timeMs: 1_700_000_000_000 + i, value: i, item: i };
    await sink.write(r);
    if (i % 500 === 499) await sink.commit();
  }
  await sink.close('finished');
  return runDirs(savedir)[0]!;
}

test('a torn last record is cut back to the last whole one before Exit and Final are appended', async (t) => {
  const dir = await finishedRun(tempDir(t, 'wandb-torn'));
  const file = logOf(dir);
  const whole = readRun(dir);
  // Cut off Final, Exit, the last Summary and half of the last History record: a write torn by a kill.
  truncateSync(file, statSync(file).size - 160);
  const torn = readRun(dir);
  t.true(torn.framing.truncatedTail);
  t.is(torn.exit, undefined);

  const r = replay(dir, '--exit-code', '1');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /cut a torn tail of \d+ bytes .*appended exit and final \(exit code 1/);
  const repaired = readRun(dir);
  t.deepEqual(repaired.errors, [], 'num runs on without a gap');
  t.false(repaired.framing.truncatedTail);
  t.is(repaired.exit?.exitCode, 1);
  t.deepEqual(
    repaired.rows.map((x) => x.items.get('seq')),
    whole.rows.slice(0, repaired.rows.length).map((x) => x.items.get('seq')),
  );
  t.true(repaired.rows.length >= whole.rows.length - 1);
});

test('a zero-filled tail (left by a crash on some file systems) is cut; a run with its Exit gets nothing appended', async (t) => {
  const dir = await finishedRun(tempDir(t, 'wandb-zeros'));
  const file = logOf(dir);
  const size = statSync(file).size;
  appendFileSync(file, Buffer.alloc(4096));
  t.true(readRun(dir).errors.length > 0 || readRun(dir).framing.truncatedTail, 'the reader stops at the zeros');
  const r = replay(dir);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /cut a torn tail of 4096 bytes/);
  t.notRegex(r.stdout, /appended/);
  t.is(statSync(file).size, size);
  t.deepEqual(readRun(dir).errors, []);
});

test('ranklog-wandb-replay rejects a directory that is not an offline run, naming it', (t) => {
  const r = replay(tempDir(t, 'wandb-empty'));
  t.is(r.status, 1);
  t.regex(r.stderr, /holds 0 run-\*\.wandb files; pass an offline-run-… directory/);
});

test('SIGINT closes the run as killed (Exit 255, then Final) and the process ends by the signal', async (t) => {
  t.timeout(120_000);
  const savedir = tempDir(t, 'wandb-sigint');
  let sent = false;
  const end = await runNode(t, [CHILD, savedir, 'run'], env(), (out, child) => {
    if (!sent && out.includes('ready')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  t.is(end.signal, 'SIGINT', end.stderr);
  const run = readRun(runDirs(savedir)[0]!);
  t.deepEqual(run.errors, []);
  t.false(run.framing.truncatedTail);
  t.is(run.exit?.exitCode, 255);
  t.deepEqual(run.types.slice(-2), ['exit', 'final']);
});

test('an uncaught exception closes the run as failed (Exit 1), with everything logged before it', async (t) => {
  t.timeout(120_000);
  const savedir = tempDir(t, 'wandb-throw');
  const end = await runNode(t, [CHILD, savedir, 'throw'], env());
  t.not(end.code, 0);
  t.regex(end.stderr, /training failed on purpose/);
  const run = readRun(runDirs(savedir)[0]!);
  t.deepEqual(run.errors, []);
  t.is(run.exit?.exitCode, 1);
  t.is(run.rows.filter((r) => r.items.has('seq')).length, 100);
});
