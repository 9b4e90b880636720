/**
 * The reference log written by wandb's own writer (shared/reference/wandb/synthetic/…) against
 * what WandBLogger writes for the same inputs — the same run fields, config, five rows of loss,
 * acc and the reference's own PNGs as samples — both read with the test's reader:
 * - the record types in the same order, once the records ranklog does not write are set aside
 *   (telemetry, output_raw and stats, which need a Python process to describe; the reference's
 *   summary-only edge-case records) and its metric definitions (define_metric, ranklog's x-axes);
 * - per row: Files, then Summary {_wandb.runtime, _runtime}, then Summary of the row's keys,
 *   then History with `_timestamp`, `_runtime` and `_step` = step.num;
 * - the same keys and value shapes, the same config once nested, and image values equal to the
 *   reference's own (same sha256, size and path, as the file names are content addressed).
 */
import { REFERENCE_ROOT } from './support/reference-data.js';
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WandBLogger } from '@ranklog/wandb';
import { dropAmbientEnv } from './support/child-process.js';
import { tempDir } from './support/log-path.js';
import { readRun, runDirs, type WandbRunRead } from './support/wandb-runs.js';
import type { RawItem } from './support/wandb-decode.js';

const REF_DIR = join(REFERENCE_ROOT, 'wandb/synthetic/offline-run-20250101_120000-ref0abcd/');
dropAmbientEnv();
for (const k of Object.keys(process.env)) if (k.startsWith('WANDB_')) delete process.env[k];

/** Records the reference has that ranklog does not write, and the reference's summary-only edge cases. */
function comparable(run: WandbRunRead): string[] {
  const out: string[] = [];
  let summary = 0;
  for (const r of run.records) {
    if (r.type === 'summary') {
      const keys = [...run.summaries[summary++]!.keys()];
      if (keys.length === 0 || keys.some((k) => k.startsWith('edge_') || k === 'big_text')) continue;
    }
    if (['telemetry', 'output_raw', 'stats', 'metric'].includes(r.type)) continue;
    out.push(r.type);
  }
  return out;
}

/** Config items (the Run record's and the ConfigRecords') as one nested object, as W&B shows the config. */
function nested(list: RawItem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const it of list) {
    const path = it.nestedKey.length > 0 ? it.nestedKey : [it.key];
    let o = out;
    for (const p of path.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    o[path.at(-1)!] = JSON.parse(it.json);
  }
  return out;
}

function shape(v: unknown): unknown {
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'sha256' || k === 'path' ? 'string' : shape(x)]));
  return typeof v;
}

test("WandBLogger writes the reference run's inputs with wandb's record order, keys and value shapes", async (t) => {
  const ref = readRun(REF_DIR.replace(/\/$/, ''));
  t.deepEqual(ref.errors, []);
  const refRun = ref.run!;

  const savedir = tempDir(t, 'wandb-ref');
  const logger = new WandBLogger({
    savedir,
    offlineMode: true,
    projectName: refRun.project,
    runName: refRun.displayName,
    jobType: refRun.jobType,
    tags: refRun.tags,
  });
  await logger.createLoggerContext({ rank: 0, runName: 'reference', handleSignals: false });
  logger.saveHyperparameters({ lr: 0.001, batch_size: 32, model: { layers: 4, act: 'relu' } });
  logger.log(5, 'epochs', { kind: 'param' });
  for (const [step, row] of ref.rows.entries()) {
    logger.log(row.items.get('loss') as number, 'loss', { step });
    logger.log(row.items.get('acc') as number, 'acc', { step });
    const png = new Uint8Array(readFileSync(join(REF_DIR, 'files', (row.items.get('samples') as { path: string }).path)));
    logger.log(png, 'samples', { kind: 'image', step });
  }
  const stats = await logger.destroyLoggerContext();
  t.like(stats.backends[0], { written: 5 + 15, failed: 0 }); // 4 params from saveHyperparameters, epochs, 5 rows of 3

  const dirs = runDirs(savedir);
  t.is(dirs.length, 1);
  const ours = readRun(dirs[0]!);
  t.deepEqual(ours.errors, []);
  t.false(ours.framing.truncatedTail);

  t.deepEqual(comparable(ours), comparable(ref), 'the same record types in the same order');
  t.deepEqual(ours.types.slice(0, 3), ['header', 'run', 'environment']);
  t.deepEqual(ours.types.slice(-3), ['summary', 'exit', 'final'], 'the runtime, Exit, then Final (for the legacy sync)');

  // The run: the same fields, a wandb-style id that names the directory and the file.
  const run = ours.run!;
  t.regex(run.runId, /^[a-z0-9]{8}$/);
  t.is(run.runId, ours.runIdFromName);
  t.like(run, { project: refRun.project, displayName: refRun.displayName, jobType: refRun.jobType, tags: refRun.tags, group: '', entity: '' });
  t.true(run.host.length > 0);
  t.true(run.startTimeMs! > 0);
  t.deepEqual([...run.config], [['_wandb', {}]], "the Run record's config holds _wandb, as wandb.init leaves it");

  // The config: equal once nested (the reference passed a dict; ranklog's flattened params nest at '.').
  const refConfig = nested([
    ...[...refRun.config].filter(([k]) => k !== '_wandb').map(([k, v]) => ({ key: k, nestedKey: [], json: JSON.stringify(v) })),
    ...ref.config,
  ]);
  t.deepEqual(nested(ours.config), refConfig);

  // Rows: the reference's keys plus the x-axis key 'epoch'; the same values; _step = step.num = 0, 1, 2, …
  t.is(ours.rows.length, ref.rows.length);
  for (const [i, row] of ours.rows.entries()) {
    const want = ref.rows[i]!;
    t.is(row.step, i);
    t.is(row.items.get('_step'), i);
    t.is(row.items.get('epoch'), i);
    t.deepEqual([...row.items.keys()].filter((k) => k !== 'epoch').sort(), [...want.items.keys()].sort());
    for (const k of row.items.keys()) if (k !== 'epoch') t.deepEqual(shape(row.items.get(k)), shape(want.items.get(k)), `row ${i} ${k}`);
    for (const k of ['loss', 'acc', 'samples']) t.deepEqual(row.items.get(k), want.items.get(k), `row ${i} ${k} equals the reference's`);
    const img = row.items.get('samples') as { path: string; sha256: string; size: number };
    const file = join(ours.dir, 'files', img.path);
    t.is(createHash('sha256').update(readFileSync(file)).digest('hex'), img.sha256);
    t.is(statSync(file).size, img.size);
  }
  t.deepEqual(ours.files, ref.files, 'a Files record names each media file');

  // Summaries per row: the timing (ints), then the row's keys with _step and _timestamp.
  const perRow = ours.summaries.filter((s) => s.has('_step'));
  const refPerRow = ref.summaries.filter((s) => s.has('_step'));
  t.is(perRow.length, refPerRow.length);
  for (const [i, s] of perRow.entries())
    t.deepEqual(
      [...s.keys()].filter((k) => k !== 'epoch'),
      [...refPerRow[i]!.keys()],
    );
  const timing = ours.summaries.filter((s) => s.has('_wandb.runtime'));
  t.is(timing.length, ours.rows.length + 1, 'one before each row, one at the end');
  for (const s of timing) t.deepEqual([...s.keys()], ['_wandb.runtime', '_runtime']);
  for (const s of timing) t.true(Number.isInteger(s.get('_runtime')));

  t.deepEqual(ours.exit, { exitCode: 0, runtime: ours.exit!.runtime });
  t.deepEqual(
    ours.metrics,
    [
      { name: 'epoch', stepMetric: '', stepSync: false, defined: true },
      ...['loss', 'acc', 'samples'].map((name) => ({ name, stepMetric: 'epoch', stepSync: true, defined: true })),
    ],
    'define_metric: epoch, and each key with epoch as its x-axis',
  );
});
