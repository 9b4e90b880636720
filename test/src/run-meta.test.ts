/**
 * createLoggerContext({ tags, notes, group, jobType }): the run's description, mapped to each
 * backend's own concept and read back from its files: run.json, TensorBoard's Text dashboard
 * and HPARAMS table, MLflow's tags and description (mlflow.note.content), W&B's Run record.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFileLogger, LoggersCollection, type ContextOptions } from '@ranklog/core';
import { WandBLogger } from '@ranklog/wandb';
import { everyBackend, mlflowRun, readJson, tensorboardEvents, wandbRun } from './support/every-backend.js';
import { uniqueRunName } from './support/recording-logger.js';
import { decodeHParamsPluginData, pvalueToJs, summaryValues, tensorStrings } from './support/tb-decode.js';

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-runmeta-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const META = { tags: ['baseline', 'lr sweep'], notes: 'First try: SGD, no warm-up.', group: 'iris-mlp', jobType: 'train' };

test('tags, notes, group and jobType reach every backend, each in its own form', async (t) => {
  const savedir = tempDir(t);
  const runName = uniqueRunName('meta');
  const logger = new LoggersCollection(everyBackend(savedir));
  await logger.createLoggerContext({ runName, handleSignals: false, rank: 0, ...META });
  logger.log(1, 'loss', { step: 0 });
  await logger.destroyLoggerContext();

  t.like(readJson(join(savedir, 'local', runName, 'run.json')), { tags: META.tags, notes: META.notes, group: META.group, job_type: 'train' });

  const events = tensorboardEvents(savedir, runName);
  const text = summaryValues(events).find((v) => v.value.tag === 'run/description');
  t.truthy(text, 'a run/description text summary');
  const [markdown] = tensorStrings(text!.value.tensor!);
  t.is(markdown, 'First try: SGD, no warm-up.\n\n**tags:** baseline, lr sweep\n\n**group:** iris-mlp\n\n**job type:** train');
  const start = summaryValues(events)
    .filter((v) => v.value.metadata?.pluginName === 'hparams')
    .map((v) => decodeHParamsPluginData(v.value.metadata!.pluginContent!))
    .find((d) => d.data === 'session_start_info');
  t.like(Object.fromEntries(start!.sessionStartInfo!.hparams.map(([k, v]) => [k, pvalueToJs(v)])), {
    'run/tags': 'baseline, lr sweep',
    'run/group': 'iris-mlp',
    'run/job_type': 'train',
  });

  const tags = mlflowRun(savedir).tags;
  t.is(tags.get('mlflow.note.content'), META.notes);
  t.is(tags.get('baseline'), '');
  t.is(tags.get('lr sweep'), '');
  t.is(tags.get('ranklog.tags'), 'baseline, lr sweep');
  t.is(tags.get('ranklog.group'), 'iris-mlp');
  t.is(tags.get('ranklog.job_type'), 'train');

  t.like(wandbRun(savedir).run, { tags: META.tags, notes: META.notes, group: 'iris-mlp', jobType: 'train' });
});

test("W&B's own options beat the context's; a run without them has none anywhere", async (t) => {
  const savedir = tempDir(t);
  const runName = uniqueRunName('meta');
  const logger = new LoggersCollection([
    new LocalFileLogger({ savedir: join(savedir, 'local') }),
    new WandBLogger({ savedir: join(savedir, 'wb'), offlineMode: true, projectName: 'p', tags: ['own'], notes: 'own notes' }),
  ]);
  await logger.createLoggerContext({ runName, handleSignals: false, rank: 0, ...META });
  logger.log(1, 'loss', { step: 0 }); // a W&B run starts with its first record
  await logger.destroyLoggerContext();
  t.like(wandbRun(savedir).run, { tags: ['own'], notes: 'own notes', group: 'iris-mlp', jobType: 'train' });

  const plain = uniqueRunName('plain');
  const other = new LocalFileLogger({ savedir: join(savedir, 'local') });
  await other.createLoggerContext({ runName: plain, handleSignals: false, rank: 0 });
  await other.destroyLoggerContext();
  const json = readJson(join(savedir, 'local', plain, 'run.json')) as Record<string, unknown>;
  t.false('tags' in json || 'notes' in json || 'group' in json || 'job_type' in json);
});

test('bad tags, notes, group or jobType throw at createLoggerContext, naming the option, the value and the fix', async (t) => {
  const savedir = tempDir(t);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ tags: 'baseline' }, /options\.tags is "baseline".*pass an array of distinct non-empty strings/],
    [{ tags: ['a', 'a'] }, /options\.tags\[1\] is "a".*distinct/],
    [{ tags: ['x'.repeat(65)] }, /options\.tags\[0\].*at most 64 characters/],
    [{ tags: [''] }, /options\.tags\[0\] is ""/],
    [{ notes: 3 }, /options\.notes is 3.*non-empty string/],
    [{ group: 'g'.repeat(129) }, /options\.group.*at most 128 characters/],
    [{ jobType: '' }, /options\.jobType is "".*non-empty string of at most 64/],
    [{ tag: ['x'] }, /tag.*tags/],
  ];
  for (const [options, message] of bad) {
    const logger = new LocalFileLogger({ savedir });
    await t.throwsAsync(logger.createLoggerContext({ runName: uniqueRunName('bad'), handleSignals: false, ...(options as ContextOptions) }), { message });
    t.is(logger.runName, undefined, 'no context was made');
  }
});
