/**
 * WandBLogger's options and wandb's environment variables: unknown keys and bad values are errors
 * naming the option or variable, the value and the fix; an option beats its variable, which beats
 * the default; the modes (offline, disabled, and online, which needs WANDB_API_KEY); identifiers W&B or
 * the row layout reserve are refused at log(); and the API key never shows — not in the logger's
 * properties, util.inspect, JSON, an error message, stats or any file the run writes.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { WandBLogger, type WandBLoggerOptions } from '@ranklog/wandb';
import { dropAmbientEnv } from './support/child-process.js';
import { listFiles } from './support/list-files.js';
import { tempDir } from './support/log-path.js';
import { readRun, runDirs } from './support/wandb-runs.js';

dropAmbientEnv();
for (const k of Object.keys(process.env)) if (k.startsWith('WANDB_')) delete process.env[k];

/** Run `f` with these WANDB_* variables set (tests that touch the environment are serial). */
async function withEnv<T>(vars: Record<string, string>, f: () => T | Promise<T>): Promise<T> {
  Object.assign(process.env, vars);
  try {
    return await f();
  } finally {
    for (const k of Object.keys(vars)) delete process.env[k];
  }
}

const BAD: [string, WandBLoggerOptions, RegExp][] = [
  ['a misspelled key', { offlineMode: true, projectNme: 'x' } as WandBLoggerOptions, /WandBLogger option 'projectNme' is "x"; .*did you mean 'projectName'\?/],
  ['a project with /', { offlineMode: true, projectName: 'a/b' }, /WandBLogger option projectName is "a\/b"; W&B project names cannot hold/],
  ['an empty entity', { offlineMode: true, entity: '' }, /WandBLogger option entity is ""; pass a W&B entity name/],
  [
    'tags that are not an array of short strings',
    { offlineMode: true, tags: ['ok', 'x'.repeat(65)] },
    /WandBLogger option tags is an array of length 2; pass tags of 1 to 64 characters/,
  ],
  ['a run id that cannot name a directory', { offlineMode: true, runId: '../x' }, /WandBLogger option runId is "\.\.\/x"; use 1 to 64 letters/],
  ['flushSecs 0', { offlineMode: true, flushSecs: 0 }, /WandBLogger option flushSecs is 0; pass a number of seconds above 0/],
  ['offlineMode "yes"', { offlineMode: 'yes' as unknown as boolean }, /WandBLogger option offlineMode is "yes"; pass true/],
  [
    'followExternalSymlinks "no"',
    { offlineMode: true, followExternalSymlinks: 'no' as unknown as boolean },
    /WandBLogger option followExternalSymlinks is "no"; pass true or false/,
  ],
  ['an empty savedir', { offlineMode: true, savedir: '' }, /WandBLogger option savedir is ""; pass a directory path/],
  [
    'online without an API key',
    { offlineMode: false },
    /WANDB_API_KEY \(from the environment\) is "\(not set\)"; set WANDB_API_KEY to your W&B API key .*WANDB_MODE=offline/,
  ],
  ['fileStreamSecs 0', { offlineMode: true, fileStreamSecs: 0 }, /WandBLogger option fileStreamSecs is 0; pass a number of seconds above 0/],
];
for (const [what, options, message] of BAD) {
  test.serial(`${what} is an error naming the option, the value and the fix`, (t) => {
    t.throws(() => new WandBLogger(options), { message });
  });
}

test.serial("the default mode is wandb's (online), which needs an API key and says how to get an offline run; WANDB_MODE=offline gives one", async (t) => {
  t.throws(() => new WandBLogger(), { message: /WANDB_API_KEY .*WANDB_MODE=offline/ });
  t.is((await withEnv({ WANDB_API_KEY: 'k'.repeat(40) }, () => new WandBLogger())).mode, 'online');
  const l = await withEnv({ WANDB_MODE: 'offline' }, () => new WandBLogger());
  t.is(l.mode, 'offline');
  await t.throwsAsync(
    withEnv({ WANDB_MODE: 'shared' }, () => new WandBLogger()),
    { message: /WANDB_MODE \(from the environment\) is "shared"; set it to 'offline', 'online' or 'disabled'/ },
  );
});

test.serial("wandb's variables fill in what the options leave out, and the options win", async (t) => {
  const env = {
    WANDB_PROJECT: 'envproj',
    WANDB_ENTITY: 'team',
    WANDB_NAME: 'env-name',
    WANDB_RUN_ID: 'envid123',
    WANDB_RUN_GROUP: 'grp',
    WANDB_JOB_TYPE: 'eval',
    WANDB_NOTES: 'from env',
    WANDB_TAGS: 'a, b,,a',
    WANDB_MODE: 'offline',
  };
  const fromEnv = tempDir(t, 'wandb-env');
  await withEnv({ ...env, WANDB_DIR: fromEnv }, async () => {
    const logger = new WandBLogger();
    t.is(logger.savedir, fromEnv);
    await logger.createLoggerContext({ rank: 0, runName: 'r', handleSignals: false });
    logger.log(1, 'x');
    await logger.destroyLoggerContext();
  });
  const run = readRun(runDirs(fromEnv)[0]!).run!;
  t.like(run, {
    project: 'envproj',
    entity: 'team',
    displayName: 'env-name',
    runId: 'envid123',
    group: 'grp',
    jobType: 'eval',
    notes: 'from env',
    tags: ['a', 'b'],
  });

  const fromOptions = tempDir(t, 'wandb-opt');
  await withEnv(env, async () => {
    const logger = new WandBLogger({
      savedir: fromOptions,
      projectName: 'p',
      entity: 'e',
      runName: 'n',
      runId: 'id',
      group: 'g',
      jobType: 'j',
      notes: 'o',
      tags: ['t'],
    });
    await logger.createLoggerContext({ rank: 0, runName: 'r', handleSignals: false });
    logger.log(1, 'x');
    await logger.destroyLoggerContext();
  });
  t.like(readRun(runDirs(fromOptions)[0]!).run!, {
    project: 'p',
    entity: 'e',
    displayName: 'n',
    runId: 'id',
    group: 'g',
    jobType: 'j',
    notes: 'o',
    tags: ['t'],
  });
});

test.serial('WANDB_MODE=disabled: the logger takes nothing and writes nothing', async (t) => {
  const savedir = tempDir(t, 'wandb-disabled');
  const logger = await withEnv({ WANDB_MODE: 'disabled' }, () => new WandBLogger({ savedir }));
  await logger.createLoggerContext({ rank: 0, runName: 'r', handleSignals: false });
  logger.log(1, 'x');
  logger.log('t', 'notes', { kind: 'text' });
  await logger.destroyLoggerContext();
  t.deepEqual(listFiles(savedir), []);
});

test.serial('WANDB_BASE_URL must be an http(s) address without credentials, and the message hides the password', async (t) => {
  const e = await t.throwsAsync(withEnv({ WANDB_MODE: 'offline', WANDB_BASE_URL: 'https://me:hunter2@wandb.example' }, () => new WandBLogger()));
  t.regex(e!.message, /WANDB_BASE_URL \(from the environment\) is "https:\/\/\*\*\*@wandb\.example\/"; take the user name and password out/);
  t.notRegex(e!.message, /hunter2/);
  await t.throwsAsync(
    withEnv({ WANDB_MODE: 'offline', WANDB_BASE_URL: 'ftp://x' }, () => new WandBLogger()),
    { message: /set it to the http\(s\) address of your W&B server/ },
  );
  t.is((await withEnv({ WANDB_MODE: 'offline', WANDB_BASE_URL: 'http://127.0.0.1:8080/' }, () => new WandBLogger())).baseUrl, 'http://127.0.0.1:8080');
});

test.serial('the API key never shows: not in properties, util.inspect, JSON, messages, stats or any file of the run', async (t) => {
  const KEY = 'local-0123456789abcdef0123456789abcdef01234567';
  const savedir = tempDir(t, 'wandb-key');
  const messages: string[] = [];
  await withEnv({ WANDB_API_KEY: KEY, WANDB_MODE: 'offline' }, async () => {
    const logger = new WandBLogger({ savedir });
    t.true(logger.hasApiKey);
    for (const shown of [
      inspect(logger, { depth: 10, showHidden: true }),
      JSON.stringify(logger),
      Object.keys(logger).join(),
      Object.values(logger).map(String).join(),
    ])
      t.false(shown.includes(KEY));
    try {
      new WandBLogger({ savedir, projectName: 'bad/name' });
    } catch (e) {
      messages.push((e as Error).message);
    }
    await logger.createLoggerContext({ rank: 0, runName: 'r', handleSignals: false });
    logger.log(1, 'x');
    logger.log({ a: 1 }, 'd', { kind: 'dict' });
    const stats = await logger.destroyLoggerContext();
    messages.push(JSON.stringify(stats));
  });
  t.true(messages.length === 2);
  for (const m of messages) t.false(m.includes(KEY));
  for (const f of listFiles(savedir)) t.false(readFileSync(`${savedir}/${f}`).includes(KEY), f);
});

for (const id of ['epoch', 'step', '_step', '_runtime', '_timestamp', '_wandb']) {
  test.serial(`log() refuses the identifier '${id}', which the row layout or W&B reserve, naming the rule`, async (t) => {
    const logger = new WandBLogger({ savedir: tempDir(t, 'wandb-reserved'), offlineMode: true });
    await logger.createLoggerContext({ rank: 0, runName: 'r', handleSignals: false });
    t.throws(() => logger.log(1, id), { message: new RegExp(`identifier is "${id}"; WandBLogger accepts only identifiers other than 'step', 'epoch'`) });
    t.notThrows(() => logger.log(1, `${id}s`));
    await logger.destroyLoggerContext();
  });
}
