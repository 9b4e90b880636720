/**
 * Symbolic links in logged artifacts (kind artifact/model), with real links in a temporary
 * directory: links that stay inside the logged directory are copied as content, links out of
 * it are skipped with one warning naming them and the option (unless followExternalSymlinks),
 * dangling links and loops are skipped, and a logged path that is itself a link is followed.
 * The same rule for the local files, MLflow's file store and MLflow's REST artifact upload.
 */
import test, { type ExecutionContext } from 'ava';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LocalFileLogger, onDiagnostic, type LoggerBase } from '@ranklog/core';
import { listTree } from '@ranklog/core/sink';
import { MLFlowLogger } from '@ranklog/mlflow';
import { listFiles } from './support/list-files.js';
import { tempDir } from './support/log-path.js';
import { startMlflowDouble } from '@ranklog/mlflow-double';
import { uniqueRunName } from './support/recording-logger.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const SECRET = 'top secret, outside the logged directory';

interface Tree {
  /** The directory to log. */
  model: string;
  /** A link to `model` (logged by its link). */
  modelLink: string;
  /** A link to a file outside `model`. */
  secretLink: string;
}

/**
 * base/outside/secret.txt, base/outside/more/other.txt
 * base/model/weights.bin, sub/inner.txt, sub/up → .., to-weights → weights.bin, to-sub → sub,
 *   to-secret → ../outside/secret.txt, to-outside-dir → <abs>/outside/more, self → .,
 *   dangling → missing, loop-a → loop-b → loop-a
 */
function makeTree(t: ExecutionContext): Tree {
  const base = tempDir(t, 'links');
  const outside = join(base, 'outside');
  mkdirSync(join(outside, 'more'), { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), SECRET);
  writeFileSync(join(outside, 'more', 'other.txt'), SECRET);
  const model = join(base, 'model');
  mkdirSync(join(model, 'sub'), { recursive: true });
  writeFileSync(join(model, 'weights.bin'), 'weights');
  writeFileSync(join(model, 'sub', 'inner.txt'), 'inner');
  symlinkSync('..', join(model, 'sub', 'up'));
  symlinkSync('weights.bin', join(model, 'to-weights'));
  symlinkSync('sub', join(model, 'to-sub'));
  symlinkSync('../outside/secret.txt', join(model, 'to-secret'));
  symlinkSync(join(outside, 'more'), join(model, 'to-outside-dir'));
  symlinkSync('.', join(model, 'self'));
  symlinkSync('missing', join(model, 'dangling'));
  symlinkSync('loop-b', join(model, 'loop-a'));
  symlinkSync('loop-a', join(model, 'loop-b'));
  const modelLink = join(base, 'model-link');
  symlinkSync(model, modelLink);
  const secretLink = join(base, 'secret-link');
  symlinkSync(join(outside, 'secret.txt'), secretLink);
  return { model, modelLink, secretLink };
}

/** What is copied by default: files, and links whose target stays inside, as content. */
const INSIDE: Record<string, string> = {
  'sub/inner.txt': 'inner',
  'to-sub/inner.txt': 'inner',
  'to-weights': 'weights',
  'weights.bin': 'weights',
};
/** What followExternalSymlinks adds. */
const OUTSIDE: Record<string, string> = { 'to-outside-dir/other.txt': SECRET, 'to-secret': SECRET };

/** Warnings (from the writer threads too) while the test runs. */
function captureWarnings(t: ExecutionContext): string[] {
  const warnings: string[] = [];
  const off = onDiagnostic((level, message) => {
    if (level === 'warn') warnings.push(message);
  });
  t.teardown(off);
  return warnings;
}

/** Files under `dir` with their contents. */
function contents(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

async function run(logger: LoggerBase, body: () => void): Promise<void> {
  await logger.createLoggerContext({ runName: uniqueRunName('links'), handleSignals: false });
  try {
    body();
  } finally {
    await logger.destroyLoggerContext();
  }
}

test('listTree: inside links are followed, links out of the directory, dangling links and loops are skipped; the logged path may be a link', (t) => {
  const tree = makeTree(t);
  for (const root of [tree.model, tree.modelLink]) {
    const { entries, skipped } = listTree(root);
    const files = entries.filter((e) => !e.isDirectory);
    t.deepEqual(Object.fromEntries(files.map((e) => [e.relative, readFileSync(e.source, 'utf8')])), INSIDE, root);
    t.deepEqual(
      entries.filter((e) => e.isDirectory).map((e) => e.relative),
      ['sub', 'to-sub'],
      root,
    );
    t.deepEqual(
      skipped.map((s) => [s.relative, s.reason]),
      [
        ['dangling', 'dangling'],
        ['loop-a', 'loop'],
        ['loop-b', 'loop'],
        ['self', 'loop'],
        ['sub/up', 'loop'],
        ['to-outside-dir', 'outside'],
        ['to-secret', 'outside'],
        ['to-sub/up', 'loop'],
      ],
      root,
    );
    t.true(
      files.every((e) => !relative(tree.model, e.source).startsWith('..')),
      'every source lies inside the logged directory',
    );
  }
  const all = listTree(tree.model, { followExternalSymlinks: true });
  t.deepEqual(Object.fromEntries(all.entries.filter((e) => !e.isDirectory).map((e) => [e.relative, readFileSync(e.source, 'utf8')])), {
    ...INSIDE,
    ...OUTSIDE,
  });
  t.deepEqual(all.skipped.map((s) => s.reason).sort(), ['dangling', 'loop', 'loop', 'loop', 'loop', 'loop']);
});

test('LocalFileLogger: a logged directory keeps its inside links as content, skips the rest with one warning naming them and followExternalSymlinks; the option copies them', async (t) => {
  const tree = makeTree(t);
  const warnings = captureWarnings(t);
  const savedir = tempDir(t, 'links-local');
  const logger = new LocalFileLogger({ savedir });
  await run(logger, () => {
    logger.log(tree.model, 'weights', { kind: 'model' });
    logger.log(tree.secretLink, 'named-link', { kind: 'artifact' });
  });
  const artifacts = join(logger.runDirectory!, 'artifacts');
  t.deepEqual(contents(join(artifacts, 'weights', 'model')), INSIDE);
  t.deepEqual(contents(join(artifacts, 'named-link')), { 'secret-link': SECRET }, 'a logged path that is itself a link is copied: the user named it');
  const about = warnings.filter((w) => w.includes(tree.model));
  t.is(about.length, 1, warnings.join('\n'));
  for (const name of ['to-secret', 'to-outside-dir', 'dangling', 'loop-a', 'self']) t.true(about[0]!.includes(`'${name}'`), `${name} in: ${about[0]}`);
  t.regex(about[0]!, /followExternalSymlinks: true/);

  const followSavedir = tempDir(t, 'links-local-follow');
  const follower = new LocalFileLogger({ savedir: followSavedir, followExternalSymlinks: true });
  await run(follower, () => follower.log(tree.model, 'weights', { kind: 'model' }));
  t.deepEqual(contents(join(follower.runDirectory!, 'artifacts', 'weights', 'model')), { ...INSIDE, ...OUTSIDE });
});

test('MLFlowLogger (file store and REST upload): the same rule for links in a logged directory; followExternalSymlinks uploads them', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const tree = makeTree(t);
  const warnings = captureWarnings(t);
  // The file store.
  for (const follow of [false, true]) {
    const savedir = tempDir(t, 'links-mlflow');
    const logger = new MLFlowLogger({ savedir, experimentName: 'links', followExternalSymlinks: follow });
    await run(logger, () => logger.log(tree.model, 'weights', { kind: 'model' }));
    const store = join(savedir, 'mlflow');
    const files = listFiles(store).filter((f) => f.includes('/artifacts/weights/'));
    const got = Object.fromEntries(
      files.map((f) => [f.slice(f.indexOf('/artifacts/weights/') + '/artifacts/weights/'.length), readFileSync(join(store, f), 'utf8')]),
    );
    t.deepEqual(got, follow ? { ...INSIDE, ...OUTSIDE } : INSIDE, `file store, followExternalSymlinks ${follow}`);
  }
  // A tracking server's artifact proxy.
  const d = await startMlflowDouble();
  t.teardown(() => d.close());
  for (const follow of [false, true]) {
    const experimentName = `links-rest-${follow}`;
    const logger = new MLFlowLogger({ trackingUri: d.url, savedir: tempDir(t, 'links-rest'), experimentName, followExternalSymlinks: follow });
    await run(logger, () => logger.log(tree.model, 'weights', { kind: 'model' }));
    const e = d.experimentByName(experimentName);
    const runs = [...d.runs.values()].filter((r) => r.info.experiment_id === e?.experiment_id);
    t.is(runs.length, 1);
    const got = Object.fromEntries(
      [...(runs[0]?.artifacts ?? new Map<string, Buffer>())]
        .filter(([p]) => p.startsWith('weights/'))
        .map(([p, b]) => [p.slice('weights/'.length), b.toString('utf8')]),
    );
    t.deepEqual(got, follow ? { ...INSIDE, ...OUTSIDE } : INSIDE, `REST, followExternalSymlinks ${follow}`);
  }
  const about = warnings.filter((w) => w.includes(tree.model) && w.includes("'to-secret'"));
  t.is(about.length, 2, `one warning per logged directory without the option (file store, REST):\n${warnings.join('\n')}`);
  t.true(about.every((w) => /followExternalSymlinks: true/.test(w)));
});
