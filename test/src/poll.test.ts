/**
 * How soon an idle writer writes what was logged without flush(): each
 * backend's own poll interval (the console within ~100 ms, files and
 * servers within ~1 s), or the context's pollMs for every backend.
 */
import test from 'ava';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsoleLogger, LocalFileLogger } from '@ranklog/core';
import { tempDir } from './support/log-path.js';
import { uniqueRunName } from './support/recording-logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` until it returns true or `ms` pass; returns the time it took, or undefined. */
async function within(ms: number, read: () => boolean): Promise<number | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (read()) return Date.now() - t0;
    await sleep(10);
  }
  return read() ? Date.now() - t0 : undefined;
}

const csvRows = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length - 1 : 0);

test('files: an idle LocalFile writer looks about once a second, so a record is not on disk at 300 ms, and flush() writes it', async (t) => {
  const dir = tempDir(t, 'poll');
  const lg = new LocalFileLogger({ savedir: dir, logFreq: 'batch' });
  const runName = uniqueRunName('poll-default');
  await lg.createLoggerContext({ runName, handleSignals: false });
  t.teardown(() => lg.destroyLoggerContext().then(() => undefined, () => undefined));
  const csv = join(dir, runName, 'metrics.csv');
  lg.log(0.5, 'loss', { step: 1 });
  await sleep(300);
  t.is(csvRows(csv), 0, 'the writer sleeps between polls: nothing written yet');
  await lg.flush();
  t.is(csvRows(csv), 1);
  // Without flush, the next poll (≤ 1 s, more under load) writes a second record.
  lg.log(0.25, 'loss', { step: 2 });
  t.not(await within(10_000, () => csvRows(csv) === 2), undefined, 'the idle writer polled again');
});

test('pollMs on the context applies to every backend: 20 ms makes a LocalFile record visible without flush well before 1 s', async (t) => {
  const dir = tempDir(t, 'poll');
  const lg = new LocalFileLogger({ savedir: dir, logFreq: 'batch' });
  const runName = uniqueRunName('poll-20');
  await lg.createLoggerContext({ runName, handleSignals: false, pollMs: 20 });
  t.teardown(() => lg.destroyLoggerContext().then(() => undefined, () => undefined));
  const csv = join(dir, runName, 'metrics.csv');
  lg.log(0.5, 'loss', { step: 1 });
  // 700 ms: short of the 1 s default poll, so this fails if the context's pollMs were ignored.
  const took = await within(700, () => csvRows(csv) === 1);
  t.not(took, undefined, 'not written within 700 ms without flush: the 20 ms pollMs was not applied');
  t.log(`visible after ${took} ms`);
});

test('console: lines appear without flush within about 100 ms (a person is watching)', async (t) => {
  const dir = tempDir(t, 'poll');
  const file = join(dir, 'console.txt');
  const fd = openSync(file, 'w');
  t.teardown(() => closeSync(fd));
  const lg = new ConsoleLogger({ fd, logFreq: 'batch' });
  await lg.createLoggerContext({ runName: uniqueRunName('poll-console'), handleSignals: false });
  t.teardown(() => lg.destroyLoggerContext().then(() => undefined, () => undefined));
  lg.log('hello', 'note', { kind: 'text' });
  // 100 ms poll; allow a loaded machine 700 ms, still well short of the 1 s default of other backends.
  const took = await within(700, () => readFileSync(file, 'utf8').includes('hello'));
  t.not(took, undefined, 'the console line was not written within 700 ms');
});
