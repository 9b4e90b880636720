/**
 * When an idle writer writes what was logged without flush(): it sleeps between polls (each
 * backend's own poll interval: the console 100 ms, files 1 s; or the context's pollMs for every
 * backend) unless a ring fills a quarter. Nothing here measures how long a poll takes: "not yet
 * written" is checked right after an event (another writer has written a record logged later), and
 * "written without flush" is waited for with a liveness bound (LIVENESS_MS) that only a writer
 * polling far slower than asked (10 minutes, against a bound of 30 s) or never can miss.
 */
import test from 'ava';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsoleLogger, LocalFileLogger, LoggersCollection } from '@ranklog/core';
import { tempDir } from './support/log-path.js';
import { OtherRecordingLogger, readRecords, RecordingLogger, tempFile, uniqueRunName } from './support/recording-logger.js';
import { LIVENESS_MS, waitFor } from './support/wait-for.js';

/** A poll interval no writer reaches within a test: a backend asking for it writes only when woken (flush, a quarter-full ring, close). */
const TEN_MINUTES = 600_000;

const csvRows = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length - 1 : 0);

test('files: an idle writer sleeps between polls — with pollMs 60 000 a record (no watermark crossed) is not on disk after a 1 ms-poll writer of another context has written three later ones; flush() writes it', async (t) => {
  const dir = tempDir(t, 'poll');
  const lg = new LocalFileLogger({ savedir: dir, logFreq: 'batch' });
  const runName = uniqueRunName('poll-60s');
  await lg.createLoggerContext({ runName, handleSignals: false, pollMs: 60_000 });
  t.teardown(() =>
    lg.destroyLoggerContext().then(
      () => undefined,
      () => undefined,
    ),
  );
  // The probe: a writer of its own context that polls every ms. Each of its records is logged after ours.
  const probeFile = tempFile(t);
  const probe = new RecordingLogger({ file: probeFile, logFreq: 'batch', pollMs: 1 });
  await probe.createLoggerContext({ runName: uniqueRunName('poll-probe'), handleSignals: false });
  t.teardown(() =>
    probe.destroyLoggerContext().then(
      () => undefined,
      () => undefined,
    ),
  );
  const csv = join(dir, runName, 'metrics.csv');

  lg.log(0.5, 'loss', { step: 1 });
  for (let k = 1; k <= 3; k++) {
    probe.log(k, 'probe', { step: k });
    t.true(await waitFor(() => readRecords(probeFile).length === k), `the 1 ms probe wrote record ${k} within ${LIVENESS_MS} ms`);
  }
  // A writer that wrote each record at once (or polled as fast as the probe) would have written ours by now.
  t.is(csvRows(csv), 0, 'the 60 s writer wrote before its poll, flush() or a watermark');
  await lg.flush();
  t.is(csvRows(csv), 1, 'flush() writes it');
});

test('files: an idle LocalFile writer with the default poll writes a record without flush()', async (t) => {
  const dir = tempDir(t, 'poll');
  const lg = new LocalFileLogger({ savedir: dir, logFreq: 'batch' });
  const runName = uniqueRunName('poll-default');
  await lg.createLoggerContext({ runName, handleSignals: false });
  t.teardown(() =>
    lg.destroyLoggerContext().then(
      () => undefined,
      () => undefined,
    ),
  );
  const csv = join(dir, runName, 'metrics.csv');
  lg.log(0.5, 'loss', { step: 1 });
  // Broken: the writer waits for a flush or a watermark and never polls.
  t.true(await waitFor(() => csvRows(csv) === 1), `not written without flush within ${LIVENESS_MS} ms (the poll is 1 s)`);
  lg.log(0.25, 'loss', { step: 2 });
  t.true(await waitFor(() => csvRows(csv) === 2), 'the idle writer polled again');
});

test("pollMs on the context overrides every backend's own: with pollMs 20, backends that ask for a 10-minute poll (and a LocalFile) write without flush()", async (t) => {
  const dir = tempDir(t, 'poll');
  const files = [tempFile(t), tempFile(t)];
  const runName = uniqueRunName('poll-20');
  const lg = new LoggersCollection([
    new LocalFileLogger({ savedir: dir, logFreq: 'batch' }),
    new RecordingLogger({ file: files[0]!, logFreq: 'batch', pollMs: TEN_MINUTES }),
    new OtherRecordingLogger({ file: files[1]!, logFreq: 'batch', pollMs: TEN_MINUTES }),
  ]);
  await lg.createLoggerContext({ runName, handleSignals: false, pollMs: 20 });
  t.teardown(() =>
    lg.destroyLoggerContext().then(
      () => undefined,
      () => undefined,
    ),
  );
  lg.log(0.5, 'loss', { step: 1 });
  // Broken: the context's pollMs is ignored, so the recording backends poll every 10 minutes.
  t.true(
    await waitFor(() => files.every((f) => readRecords(f).length === 1)),
    `a 10-minute backend did not write within ${LIVENESS_MS} ms although the context says pollMs 20`,
  );
  t.true(await waitFor(() => csvRows(join(dir, runName, 'metrics.csv')) === 1), 'the LocalFile backend wrote without flush');
});

test("a backend's own poll interval is used when the context sets none: a 10-minute backend has not written when a 1 ms backend beside it has written three records", async (t) => {
  const slowFile = tempFile(t);
  const fastFile = tempFile(t);
  const slow = new RecordingLogger({ file: slowFile, logFreq: 'batch', pollMs: TEN_MINUTES });
  const fast = new OtherRecordingLogger({ file: fastFile, logFreq: 'batch', pollMs: 1 });
  const lg = new LoggersCollection([slow, fast]);
  await lg.createLoggerContext({ runName: uniqueRunName('poll-own'), handleSignals: false });
  t.teardown(() =>
    lg.destroyLoggerContext().then(
      () => undefined,
      () => undefined,
    ),
  );
  for (let k = 1; k <= 3; k++) {
    lg.log(k, 'loss', { step: k }); // one record in the shared ring, for both backends
    t.true(await waitFor(() => readRecords(fastFile).length === k), `the 1 ms backend wrote record ${k} within ${LIVENESS_MS} ms`);
  }
  t.is(readRecords(slowFile).length, 0, 'the 10-minute backend polled at another interval than its own');
  await lg.flush();
  t.is(readRecords(slowFile).length, 3);
});

test('console: ConsoleLogger asks for a 100 ms poll (a person is watching), and its lines appear without flush()', async (t) => {
  const dir = tempDir(t, 'poll');
  const file = join(dir, 'console.txt');
  const fd = openSync(file, 'w');
  t.teardown(() => closeSync(fd));
  const lg = new ConsoleLogger({ fd, logFreq: 'batch' });
  t.is(lg.sinkSpec().pollMs, 100, "the console's own poll interval (the writer uses it: see the test above)");
  await lg.createLoggerContext({ runName: uniqueRunName('poll-console'), handleSignals: false });
  t.teardown(() =>
    lg.destroyLoggerContext().then(
      () => undefined,
      () => undefined,
    ),
  );
  lg.log('hello', 'note', { kind: 'text' });
  t.true(await waitFor(() => readFileSync(file, 'utf8').includes('hello')), `the console line was not written without flush within ${LIVENESS_MS} ms`);
});
