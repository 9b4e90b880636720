/**
 * Core without @ranklog/figures (what `npm install @ranklog/core` alone gives): SVG and Vega-Lite
 * figures are kept as their source by every backend, each backend warns once how to get PNGs,
 * and nothing fails. The packages are laid out on disk without the renderer and run in a child.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installCopies } from './support/package-copies.js';
import { listFiles } from './support/list-files.js';
import { childEnv, runNode } from './support/child-process.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>';
const SPEC = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', mark: 'bar', data: { values: [{ a: 1 }] } };

const CHILD = `
import { createRequire } from 'node:module';
import { LoggersCollection, LocalFileLogger } from '@ranklog/core';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { MLFlowLogger } from '@ranklog/mlflow';
import { WandBLogger } from '@ranklog/wandb';
const here = new URL('.', import.meta.url).pathname;
let renderer = 'absent';
try { createRequire(import.meta.url).resolve('@ranklog/figures/task'); renderer = 'present'; } catch {}
console.log(renderer);
const logger = new LoggersCollection([
  new LocalFileLogger({ savedir: here + 'logs' }),
  new TensorBoardLogger({ savedir: here + 'tb' }),
  new MLFlowLogger({ savedir: here + 'ml', experimentName: 'e' }),
  new WandBLogger({ savedir: here + 'wb', offlineMode: true, projectName: 'p' }),
]);
await logger.createLoggerContext({ rank: 0, runName: 'nofig', handleSignals: false });
for (let step = 0; step < 3; step++) {
  logger.log(${JSON.stringify(SVG)}, 'plots/svg', { kind: 'figure', step });
  logger.log(${JSON.stringify(SPEC)}, 'plots/vl', { kind: 'figure', step });
}
const stats = await logger.destroyLoggerContext();
console.log(JSON.stringify(stats.backends.map((b) => [b.name, b.written, b.failed])));
`;

test('without @ranklog/figures every backend keeps figure sources and warns once how to get PNGs', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-nofig-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  installCopies(root, {
    'node_modules/@ranklog/core': 'core',
    'node_modules/@ranklog/tensorboard': 'tensorboard',
    'node_modules/@ranklog/mlflow': 'mlflow',
    'node_modules/@ranklog/wandb': 'wandb',
  });
  fs.writeFileSync(path.join(root, 'main.mjs'), CHILD);
  const end = await runNode(t, [path.join(root, 'main.mjs')], childEnv({}));
  t.is(end.code, 0, end.stderr);
  const [renderer, counts] = end.stdout.trim().split('\n');
  t.is(renderer, 'absent', 'the layout must not reach the workspace renderer');
  // Every record written, none failed: a figure without a renderer is not an error.
  t.deepEqual(JSON.parse(counts!), [
    ['LocalFileLogger', 6, 0],
    ['TensorBoardLogger', 6, 0],
    ['MLFlowLogger', 6, 0],
    ['WandBLogger', 6, 0],
  ]);
  // One warning per backend, whatever the number of figures, each naming the command.
  const warnings = end.stderr.split('\n').filter((l) => l.includes('@ranklog/figures is not installed'));
  t.is(warnings.length, 4, end.stderr);
  for (const backend of ['local', 'tensorboard', 'mlflow', 'wandb'])
    t.true(
      warnings.some((w) => w.includes(`ranklog ${backend} keeps SVG`)),
      backend,
    );
  t.true(warnings.every((w) => w.includes('npm install @ranklog/figures')));

  // The sources, exactly as logged; no PNG.
  const local = listFiles(path.join(root, 'logs/nofig/figures'));
  t.deepEqual(
    local.filter((f) => f.endsWith('.png')),
    [],
  );
  t.is(fs.readFileSync(path.join(root, 'logs/nofig/figures/plots/svg/rank0-step0.svg'), 'utf8'), SVG);
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(root, 'logs/nofig/figures/plots/vl/rank0-step2.vl.json'), 'utf8')), SPEC);
  const mlflow = listFiles(path.join(root, 'ml')).filter((f) => /artifacts\/plots\//.test(f));
  t.is(mlflow.filter((f) => f.endsWith('.svg')).length, 3, mlflow.join('\n'));
  t.is(mlflow.filter((f) => f.endsWith('.vl.json')).length, 3, mlflow.join('\n'));
  const wandb = listFiles(path.join(root, 'wb')).filter((f) => f.includes('/figures/'));
  t.is(wandb.filter((f) => f.endsWith('.svg')).length, 3, wandb.join('\n'));
  t.is(wandb.filter((f) => f.endsWith('.vl.json')).length, 3, wandb.join('\n'));
  // TensorBoard: the source as text under the figure's tag.
  const events = listFiles(path.join(root, 'tb/nofig')).filter((f) => f.includes('tfevents'));
  t.is(events.length, 1);
  const bytes = fs.readFileSync(path.join(root, 'tb/nofig', events[0]!));
  t.true(bytes.includes(Buffer.from('<rect width="5" height="5"/>')));
});
