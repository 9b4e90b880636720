/**
 * A backend package that brings its own copy of @ranklog/core (npm nests one when the versions
 * do not dedupe): the collection of the user's core must still take its loggers. Two real copies
 * are laid out on disk and loaded by a child process; the collection recognises loggers by the
 * brand Symbol.for('ranklog.logger'), not by instanceof (which is false across copies).
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installCopies } from './support/package-copies.js';
import { childEnv, runNode } from './support/child-process.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const CHILD = `
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { LoggersCollection, LocalFileLogger, Logger } from '@ranklog/core';
import { TensorBoardLogger } from '@ranklog/tensorboard';
const require = createRequire(import.meta.url);
const here = new URL('.', import.meta.url).pathname;
const tbCore = require.resolve('@ranklog/core', { paths: [require.resolve('@ranklog/tensorboard')] });
const tb = new TensorBoardLogger({ savedir: here + 'tb' });
console.log(JSON.stringify({ tbCore, userCore: require.resolve('@ranklog/core'), instanceOf: tb instanceof Logger }));
const logger = new LoggersCollection([new LocalFileLogger({ savedir: here + 'logs' }), tb]);
await logger.createLoggerContext({ rank: 0, runName: 'two-cores', handleSignals: false });
logger.log(0.5, 'loss', { step: 1 });
const stats = await logger.destroyLoggerContext();
console.log(JSON.stringify(stats.backends.map((b) => [b.name, b.written])));
`;

function tmpRoot(t: { teardown(fn: () => void): void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-copies-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  return root;
}

test('a collection of one copy of core takes a logger built on another copy', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const root = tmpRoot(t);
  installCopies(root, {
    'node_modules/@ranklog/core': 'core',
    'node_modules/@ranklog/tensorboard': 'tensorboard',
    'node_modules/@ranklog/tensorboard/node_modules/@ranklog/core': 'core',
  });
  fs.writeFileSync(path.join(root, 'main.mjs'), CHILD);
  const end = await runNode(t, [path.join(root, 'main.mjs')], childEnv({}));
  t.is(end.code, 0, end.stderr);
  const [where, written] = end.stdout.trim().split('\n');
  const w = JSON.parse(where!) as { tbCore: string; userCore: string; instanceOf: boolean };
  // The layout is what it claims: two copies, and instanceof cannot see across them.
  t.not(w.tbCore, w.userCore);
  t.true(w.tbCore.includes(path.join('tensorboard', 'node_modules')));
  t.false(w.instanceOf);
  t.deepEqual(JSON.parse(written!), [
    ['LocalFileLogger', 1],
    ['TensorBoardLogger', 1],
  ]);
});

test('a logger of a copy that speaks another protocol is refused, naming the fix', async (t) => {
  const { LoggersCollection, LocalFileLogger } = await import('@ranklog/core');
  const foreign = new LocalFileLogger();
  // What a future core with a changed logger protocol would carry.
  Object.defineProperty(foreign, Symbol.for('ranklog.logger'), { value: 999 });
  const err = t.throws(() => new LoggersCollection([foreign]));
  t.regex(
    err.message,
    /loggers\[0\] is a LocalFileLogger; it comes from a copy of @ranklog\/core that speaks logger protocol 999, this one speaks 1; .*npm dedupe/,
  );
});
