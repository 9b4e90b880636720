/**
 * The custom backend of docs/backend-guide.md (examples/src/custom-backend/), exactly as the
 * guide shows it: it keeps the sink contract, and it works end to end behind a Logger with
 * worker ranks. The guide's code must work when pasted.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSinkContract } from '@ranklog/core/sink-contract';
import { JsonlLogger } from '../../examples/dist/custom-backend/jsonl-logger.js';
import createJsonlSink from '../../examples/dist/custom-backend/jsonl-sink.js';

function tempDir(t: { teardown(f: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'ranklog-custom-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** The file read back with JSON.parse, one object per line. */
function lines(file: string): { rank: number; id: string; step: number | null; value: unknown }[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

test("the guide's sink keeps the sink contract", async (t) => {
  const dir = tempDir(t);
  let n = 0;
  const problems = await checkSinkContract({
    createSink: createJsonlSink,
    options: () => ({ file: join(dir, `m${n++}.jsonl`), multiRank: true }),
    readBack: (o) => lines(o.file).map((l) => ({ rank: l.rank, identifier: l.id, step: l.step ?? undefined, value: l.value as number })),
    durableAfter: 'commit',
  });
  t.deepEqual(problems, []);
});

test("the guide's logger: options checked by name, records of every rank written", async (t) => {
  const dir = tempDir(t);
  t.throws(() => new JsonlLogger({ fiel: 'x' } as never), { message: /did you mean 'file'\?/ });
  t.throws(() => new JsonlLogger({ flushSecs: 0 }), { instanceOf: RangeError, message: /JsonlLogger option flushSecs is 0/ });
  const file = join(dir, 'run.jsonl');
  const logger = new JsonlLogger({ file, logFreq: 'batch', logOnWorkers: -1 });
  await logger.createLoggerContext({ rank: 0, runName: 'custom', handleSignals: false });
  logger.saveHyperparameters({ lr: 0.5 });
  const h = logger.handle('loss');
  for (let i = 0; i < 1000; i++) logger.metric(h, i / 4, i, i);
  const stats = await logger.destroyLoggerContext();
  t.like(stats.backends[0], { written: 1001, failed: 0, failedOnDisk: 0 });
  const got = lines(file);
  t.deepEqual(got[0], { rank: 0, id: 'lr', step: null, value: 0.5 });
  t.deepEqual(
    got.slice(1).map((l) => l.value),
    Array.from({ length: 1000 }, (_, i) => i / 4),
  );
});
