/**
 * @ranklog/tfjs with real TensorFlow.js (@tensorflow/tfjs, the pure-JS CPU backend): a small
 * model trained with fit() and fitDataset(), logged through ranklogCallback() into local files;
 * the files say what each callback logged, and the saved model loads back and predicts as the
 * trained one.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFileLogger } from '@ranklog/core';
import { ranklogCallback } from '@ranklog/tfjs';
import * as tf from '@tensorflow/tfjs';
import { parseCsv } from './support/csv-parse.js';
import { uniqueRunName } from './support/recording-logger.js';

await tf.setBackend('cpu');

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-tfjs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** 40 samples of 4 features, 3 classes: separable by the first feature. */
function data(): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 40; i++) {
    const c = i % 3;
    x.push([c + ((i * 7) % 5) * 0.05, (i % 4) * 0.1, 0.5, 1 - c * 0.2]);
    y.push(c);
  }
  return { xs: tf.tensor2d(x), ys: tf.oneHot(tf.tensor1d(y, 'int32'), 3) as tf.Tensor2D };
}

function model(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [4], units: 5, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

interface Row {
  identifier: string;
  step: string;
  batch: string;
  value: number;
}

function metricRows(runDir: string): Row[] {
  const rows = parseCsv(readFileSync(join(runDir, 'metrics.csv'), 'utf8')).slice(1);
  return rows.map((r) => ({ identifier: r[2]!, step: r[3]!, batch: r[4]!, value: Number(r[5]) }));
}

test('fit(): hyperparameters, every batch and epoch log entry with its step and batchIdx, weight histograms, the summary and the model', async (t) => {
  const savedir = tempDir(t);
  const runName = uniqueRunName('tfjs');
  const logger = new LocalFileLogger({ savedir, logFreq: 'batch' });
  await logger.createLoggerContext({ runName, handleSignals: false, rank: 0 });
  const m = model();
  const { xs, ys } = data();
  // 40 samples, validationSplit 0.25 → 30 for training: 3 batches of 10 per epoch.
  const history = await m.fit(xs, ys, {
    epochs: 3,
    batchSize: 10,
    validationSplit: 0.25,
    shuffle: false,
    callbacks: [ranklogCallback(logger, { histograms: true, hyperparameters: { seed: 1 } })],
  });
  await logger.destroyLoggerContext();
  const runDir = join(savedir, runName);

  const rows = metricRows(runDir);
  const of = (id: string) => rows.filter((r) => r.identifier === id).map((r) => [r.step, r.batch]);
  t.deepEqual(
    of('batch/loss'),
    [0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => [String(s), String(s % 3)]),
  );
  t.deepEqual(of('batch/acc'), of('batch/loss'));
  for (const id of ['epoch/loss', 'epoch/acc', 'epoch/val_loss', 'epoch/val_acc'])
    t.deepEqual(
      of(id),
      [
        ['0', ''],
        ['1', ''],
        ['2', ''],
      ],
      id,
    );
  t.true(rows.every((r) => Number.isFinite(r.value)));
  // The values are tfjs's own: the epoch rows equal what fit()'s History holds.
  for (const key of ['loss', 'acc', 'val_loss', 'val_acc'])
    t.deepEqual(
      rows.filter((r) => r.identifier === `epoch/${key}`).map((r) => r.value),
      history.history[key]!.map(Number),
      key,
    );

  const params = JSON.parse(readFileSync(join(runDir, 'params.json'), 'utf8')) as Record<string, unknown>;
  t.like(params, {
    seed: 1,
    'fit.epochs': 3,
    'fit.batchSize': 10,
    'fit.doValidation': true,
    'model.layers': 3, // a Sequential counts its input layer
    'model.params': 4 * 5 + 5 + 5 * 3 + 3,
    'model.optimizer.name': 'Adam',
    'model.optimizer.learningRate': 0.02,
    'model.loss': 'categoricalCrossentropy',
  });
  t.regex(readFileSync(join(runDir, 'text', 'model_summary', 'rank0-step0.txt'), 'utf8'), /Total params: 43/);

  const histograms = readFileSync(join(runDir, 'histograms.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { identifier: string; step: number; count: number });
  t.is(histograms.length, 3 * 4); // 4 weights (2 kernels, 2 biases) per epoch
  t.deepEqual(
    histograms.filter((h) => h.step === 2).map((h) => [h.identifier, h.count]),
    m.weights.map((w) => [`weights/${w.name}`, w.shape.reduce((a, b) => a! * b!, 1)]),
  );

  // The model: model.json + weights.bin, loaded back by tfjs, predicts what the trained model does.
  const dir = join(runDir, 'artifacts', 'model', 'model');
  t.true(existsSync(join(dir, 'weights.bin')));
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const weights = readFileSync(join(dir, 'weights.bin'));
  const artifacts = tf.io.getModelArtifactsForJSONSync(
    json,
    json.weightsManifest[0]!.weights,
    weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  );
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const probe = tf.tensor2d([[0.1, 0.2, 0.5, 1]]);
  t.deepEqual(Array.from((loaded.predict(probe) as tf.Tensor).dataSync()), Array.from((m.predict(probe) as tf.Tensor).dataSync()));
});

test('fitDataset(): batch steps continue across epochs, epoch metrics at the epoch', async (t) => {
  const savedir = tempDir(t);
  const runName = uniqueRunName('tfjs-ds');
  const logger = new LocalFileLogger({ savedir, logFreq: 'batch' });
  await logger.createLoggerContext({ runName, handleSignals: false, rank: 0 });
  const m = model();
  const { xs, ys } = data();
  const ds = tf.data.zip({ xs: tf.data.array(xs.arraySync()), ys: tf.data.array(ys.arraySync()) }).batch(16); // 40 → 16, 16, 8
  await m.fitDataset(ds as never, { epochs: 2, callbacks: [ranklogCallback(logger, { saveModel: false, summary: false })] });
  await logger.destroyLoggerContext();
  const runDir = join(savedir, runName);
  const rows = metricRows(runDir);
  t.deepEqual(
    rows.filter((r) => r.identifier === 'batch/loss').map((r) => [r.step, r.batch]),
    [0, 1, 2, 3, 4, 5].map((s) => [String(s), String(s % 3)]),
  );
  t.deepEqual(
    rows.filter((r) => r.identifier === 'epoch/loss').map((r) => r.step),
    ['0', '1'],
  );
  t.false(existsSync(join(runDir, 'artifacts')));
  t.like(JSON.parse(readFileSync(join(runDir, 'params.json'), 'utf8')), { 'fit.epochs': 2 });
});

test('bad options to ranklogCallback() name the option, the value and the fix', (t) => {
  const logger = new LocalFileLogger();
  t.throws(() => ranklogCallback(logger, { histogram: true } as never), { message: /histogram.*histograms/ });
  t.throws(() => ranklogCallback(logger, { saveModel: 'yes' } as never), { message: /option saveModel is "yes".*true or false/ });
  t.throws(() => ranklogCallback({} as never), { message: /logger is an object.*ranklog logger/ });
});
