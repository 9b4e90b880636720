/**
 * The README's `npm run example:tfjs` (examples/src/tfjs/main.ts), run as a child process on its
 * build output: a real tfjs model trained on Iris, logged through @ranklog/tfjs to local files,
 * TensorBoard and MLflow's file store; each backend's files hold the run.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, runNode } from './support/child-process.js';
import { parseCsv } from './support/csv-parse.js';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';
import { readRunDir, scalarOf, summaryValues } from './support/tb-decode.js';

const MAIN = fileURLToPath(new URL('../../examples/dist/tfjs/main.js', import.meta.url));

test('the tfjs example trains on Iris and logs to local files, TensorBoard and MLflow', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-tfjs-example-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const savedir = join(dir, 'logs');
  const tbdir = join(dir, 'mllogs');
  const end = await runNode(t, [MAIN, '--epochs', '3', '--savedir', savedir, '--tbdir', tbdir], childEnv({}));
  t.is(end.code, 0, end.stderr);
  t.regex(end.stdout, /test accuracy \d+\.\d % \(30 held-out samples\)/);
  const [runName] = readdirSync(savedir);

  // 120 training samples in batches of 16: 8 batches per epoch.
  const rows = parseCsv(readFileSync(join(savedir, runName!, 'metrics.csv'), 'utf8')).slice(1);
  t.is(rows.filter((r) => r[2] === 'batch/loss').length, 3 * 8);
  t.deepEqual(
    rows.filter((r) => r[2] === 'epoch/val_acc').map((r) => r[3]),
    ['0', '1', '2'],
  );
  t.true(existsSync(join(savedir, runName!, 'artifacts', 'model', 'model', 'model.json')));
  t.like(JSON.parse(readFileSync(join(savedir, runName!, 'run.json'), 'utf8')), { tags: ['tfjs', 'iris'], job_type: 'train' });

  const events = [...readRunDir(join(tbdir, runName!)).values()].flatMap((r) => r.events);
  const tags = new Set(
    summaryValues(events)
      .filter((v) => scalarOf(v.value) !== undefined)
      .map((v) => v.value.tag),
  );
  for (const tag of ['batch/loss', 'batch/acc', 'epoch/loss', 'epoch/val_loss', 'test/acc']) t.true(tags.has(tag), tag);

  const root = join(tbdir, 'mlflow');
  const [run] = runsIn(root, experimentIdsNamed(root, 'ranklog-tfjs-iris')[0]!);
  t.is(run!.status, 'FINISHED');
  t.is(run!.params.get('fit.epochs'), '3');
  t.is(run!.params.get('model.optimizer.name'), 'Adam');
  t.is(run!.metrics.get('epoch/loss')!.length, 3);
  const runDir = join(root, run!.experimentId, run!.runId);
  t.true(existsSync(join(runDir, 'artifacts', 'model', 'model.json')));
  t.true(existsSync(join(runDir, 'artifacts', 'model', 'weights.bin')));
});
