// A small TensorFlow.js model (pure-JS CPU backend) trained on Fisher's Iris, logged through
// @ranklog/tfjs to local files, TensorBoard and MLflow (a file store, or MLFLOW_TRACKING_URI):
// hyperparameters, batch and epoch metrics, weight histograms, the summary and the model.
//
//   npm run example:tfjs      (node examples/dist/tfjs/main.js [--epochs N] [--savedir DIR] [--tbdir DIR])
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalFileLogger, LoggersCollection } from '@ranklog/core';
import { MLFlowLogger } from '@ranklog/mlflow';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { ranklogCallback } from '@ranklog/tfjs';
import * as tf from '@tensorflow/tfjs';
import { loadIris, N_CLASSES, N_FEATURES, type Split } from '../mlp/dataset.js';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '40' },
    savedir: { type: 'string', default: 'logs' },
    tbdir: { type: 'string', default: 'mllogs' }, // TensorBoard's logdir; MLflow's file store goes to <tbdir>/mlflow
  },
});
const epochs = Number(args.epochs);
if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${args.epochs}`);

await tf.setBackend('cpu'); // the pure-JS backend: no native binary to install
const hp = { hidden: 16, lr: 0.05, batchSize: 16, epochs, seed: 42 };
const runName = `tfjs-iris-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}`;

function tensors(s: Split): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  return { xs: tf.tensor2d(Float32Array.from(s.x), [s.n, N_FEATURES]), ys: tf.oneHot(tf.tensor1d(s.y, 'int32'), N_CLASSES) as tf.Tensor2D };
}
const iris = loadIris(hp.seed);
const train = tensors(iris.train);
const test = tensors(iris.test);

const model = tf.sequential({
  name: 'iris_mlp',
  layers: [
    tf.layers.dense({ inputShape: [N_FEATURES], units: hp.hidden, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: hp.seed }) }),
    tf.layers.dense({ units: N_CLASSES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: hp.seed + 1 }) }),
  ],
});
model.compile({ optimizer: tf.train.adam(hp.lr), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

const logger = new LoggersCollection([
  new LocalFileLogger({ savedir: args.savedir, logFreq: 'batch' }),
  new TensorBoardLogger({ savedir: args.tbdir, logFreq: 'batch' }),
  new MLFlowLogger({ savedir: args.tbdir, experimentName: 'ranklog-tfjs-iris', logFreq: 'batch' }),
]);
await logger.createLoggerContext({
  runName,
  tags: ['tfjs', 'iris'],
  notes: 'A 4-16-3 MLP in TensorFlow.js (CPU backend) on the Iris data set',
  jobType: 'train',
});
try {
  await model.fit(train.xs, train.ys, {
    epochs,
    batchSize: hp.batchSize,
    shuffle: true,
    validationData: [test.xs, test.ys],
    callbacks: [ranklogCallback(logger, { histograms: true, hyperparameters: { seed: hp.seed, dataset: 'iris' } })],
  });
  const [loss, acc] = (model.evaluate(test.xs, test.ys) as tf.Scalar[]).map((s) => s.dataSync()[0]!);
  logger.logMetrics({ 'test/loss': loss!, 'test/acc': acc! }, { step: epochs });
  console.log(`test accuracy ${(acc! * 100).toFixed(1)} % (${iris.test.n} held-out samples), test loss ${loss!.toFixed(4)}`);
} finally {
  await logger.destroyLoggerContext();
}
console.log(`local files: ${path.resolve(args.savedir, runName)}`);
console.log(`TensorBoard: tensorboard --logdir ${path.resolve(args.tbdir)}`);
console.log(`MLflow:      ${process.env.MLFLOW_TRACKING_URI ?? `mlflow server --backend-store-uri ${path.resolve(args.tbdir, 'mlflow')}`}`);
