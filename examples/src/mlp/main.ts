// Coordinator: creates the loggers, spawns one training worker_thread per rank,
// checks the ranks agree on the final weights, logs a summary and the model.
//
//   node examples/dist/mlp/main.js [--epochs N] [--quiet] [--savedir DIR]
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { ConsoleLogger, LocalFileLogger, LoggersCollection } from '@ranklog/core';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { MLFlowLogger } from '@ranklog/mlflow';
import { WandBLogger } from '@ranklog/wandb';
import { abortAllreduce, createAllreduceBuffer } from './allreduce.js';
import { loadIris, N_CLASSES, N_FEATURES, shard } from './dataset.js';
import { MLP } from './mlp.js';
import type { Hyperparameters, WorkerInput, WorkerMessage, WorkerResult } from './worker.js';

const t0 = performance.now();
const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '30' },
    quiet: { type: 'boolean', default: false }, // no console logger: only the final report
    savedir: { type: 'string', default: 'logs' },
    tbdir: { type: 'string', default: 'mllogs' }, // TensorBoard's logdir
    mlflow: { type: 'boolean', default: false }, // also log to MLflow: MLFLOW_TRACKING_URI, else a file store in <tbdir>/mlflow
    wandb: { type: 'boolean', default: false }, // also log to Weights & Biases: offline runs in <tbdir>/wandb, for `wandb sync`
  },
});
const epochs = Number(args.epochs);
if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${args.epochs}`);

const hp: Hyperparameters = { lr: 0.2, hidden: 16, epochs, batchSize: 8, workers: 4, seed: 42 };
// pid too: two runs started in the same second (e.g. parallel tests) must not share a directory.
const runName = `mlp-iris-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}`;

/** Batches each rank runs per epoch (every shard has the same size). */
function batchesPerEpoch(): number {
  return Math.ceil(shard(loadIris(hp.seed).train, 0, hp.workers).n / hp.batchSize);
}

// All ranks, every batch: one TensorBoard run per rank (rank_0 … rank_3) so the curves overlay.
const tensorboard = new TensorBoardLogger({ savedir: args.tbdir, logFreq: 'batch', logOnWorkers: -1 });
const files = new LocalFileLogger({ savedir: args.savedir, logFreq: 'batch', logOnWorkers: -1 }); // all ranks, every batch
const logger = new LoggersCollection([
  // Rank 0 on the console: on a terminal a progress bar over epochs and batches, otherwise one line per epoch-level item.
  ...(args.quiet
    ? []
    : [
        process.stdout.isTTY
          ? new ConsoleLogger({ logFreq: 'batch', logOnWorkers: 0, totalEpochs: epochs, batchesPerEpoch: batchesPerEpoch() })
          : new ConsoleLogger({ logFreq: 'epoch', logOnWorkers: 0 }),
      ]),
  files,
  tensorboard,
  // Every rank: one parent run for the job, a nested run per rank.
  ...(args.mlflow
    ? [
        new MLFlowLogger({
          experimentName: 'ranklog-mlp-iris',
          savedir: args.tbdir,
          logFreq: 'batch',
          logOnWorkers: -1,
          runDescription: 'Data-parallel MLP on Iris, 4 worker_thread ranks',
        }),
      ]
    : []),
  // Every rank: an offline W&B run per rank, all in the group of the job.
  ...(args.wandb ? [new WandBLogger({ offlineMode: true, projectName: 'ranklog-mlp-iris', savedir: args.tbdir, logFreq: 'batch', logOnWorkers: -1 })] : []),
]);
await logger.createLoggerContext({ rank: 0, worldSize: hp.workers, runName });
const runDir = files.runDirectory!;
const tbDir = tensorboard.savedir;

/** Runs all ranks; resolves when every worker has exited. Throws the first failure. */
async function runWorkers(): Promise<WorkerResult[]> {
  const sab = createAllreduceBuffer(hp.workers, MLP.paramCount(N_FEATURES, hp.hidden, N_CLASSES) + 1);
  const results: WorkerResult[] = [];
  let firstError: unknown;
  const fail = (err: unknown) => {
    firstError ??= err;
    abortAllreduce(sab); // the other ranks would otherwise wait for this one forever
  };
  const run = (rank: number) =>
    new Promise<void>((resolve) => {
      const workerData: WorkerInput = { ranklog: logger.workerHandle(rank), rank, hp, allreduce: sab };
      const w = new Worker(new URL('./worker.js', import.meta.url), { workerData });
      w.on('message', (m: WorkerMessage) => (m.ok ? (results[rank] = m.result) : fail(m.error)));
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!results[rank]) fail(new Error(`rank ${rank} exited with code ${code} and no result`));
        resolve();
      });
    });
  await Promise.all(Array.from({ length: hp.workers }, (_, r) => run(r)));
  if (firstError !== undefined) throw firstError;
  return results;
}

let exitCode = 0;
let report = '';
let weightsDir: string | undefined;
try {
  logger.saveHyperparameters({ ...hp });
  const results = await runWorkers();

  const checksums = new Set(results.map((r) => r.checksum));
  if (checksums.size !== 1) {
    throw new Error(`ranks disagree on the final weights: ${results.map((r) => `rank ${r.rank} ${r.checksum.slice(0, 12)}`).join(', ')}`);
  }
  const r0 = results[0]!;

  // The model file: weights plus what is needed to use them (standardisation, class names).
  const data = loadIris(hp.seed);
  weightsDir = await mkdtemp(path.join(tmpdir(), 'ranklog-mlp-'));
  const weightsPath = path.join(weightsDir, 'weights.json');
  const model = {
    architecture: { input: N_FEATURES, hidden: hp.hidden, output: N_CLASSES, activation: 'tanh', output_activation: 'softmax' },
    standardisation: { mean: data.mean, std: data.std },
    classes: data.classNames,
    ...r0.weights!,
  };
  await writeFile(weightsPath, JSON.stringify(model, null, 1));

  const testAcc = r0.testAccuracy!;
  report = [
    `final test accuracy: ${testAcc.toFixed(3)} (${Math.round(testAcc * r0.testSize!)}/${r0.testSize} Iris test samples)`,
    `weights identical on all ${hp.workers} ranks after ${r0.steps} SGD steps (sha256 ${r0.checksum.slice(0, 16)}…)`,
  ].join('\n');
  logger.log(report, 'training_summary', { kind: 'text' });
  logger.log(weightsPath, 'trained_model', { kind: 'model' });
} catch (err) {
  exitCode = 1;
  report = `training FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  try {
    logger.log(report, 'training_summary', { kind: 'text' });
  } catch {
    // Logging the failure is best effort; the error is printed below either way.
  }
} finally {
  await logger.destroyLoggerContext(); // flushes every backend (and copies the model file)
  if (weightsDir) await rm(weightsDir, { recursive: true, force: true });
}

const modelCopy = path.join(runDir, 'artifacts', 'trained_model', 'weights.json'); // where LocalFileLogger copies it
const rel = path.relative(process.cwd(), runDir).startsWith('..') ? runDir : path.relative(process.cwd(), runDir);
const seconds = ((performance.now() - t0) / 1000).toFixed(2);
const out = exitCode === 0 ? console.log : console.error;
out(`${args.quiet ? '' : '\n'}${report}
run directory: ${runDir}${existsSync(modelCopy) ? `\nmodel: ${modelCopy}` : ''}
look at the logs:
  npx ranklog view ${path.relative(process.cwd(), path.dirname(runDir)) || '.'}    (a dashboard on 127.0.0.1: charts per rank, params, text, artifacts)
  column -s, -t < ${rel}/metrics.csv | head
  python3 -c "import pandas as pd; df = pd.read_csv('${rel}/metrics.csv'); print(df[df.identifier == 'train/loss_epoch'].pivot(index='step', columns='rank', values='value'))"
  tensorboard --logdir ${path.relative(process.cwd(), tbDir) || '.'}    (TensorBoard event files: ${tensorboard.runDirectory})${
    args.mlflow
      ? process.env.MLFLOW_TRACKING_URI
        ? `\n  MLflow: experiment 'ranklog-mlp-iris' at ${process.env.MLFLOW_TRACKING_URI.replace(/\/\/[^@/]*@/, '//')}`
        : `\n  mlflow server --backend-store-uri ${path.relative(process.cwd(), path.join(tbDir, 'mlflow')) || '.'}    (MLflow file store, experiment 'ranklog-mlp-iris')`
      : ''
  }${args.wandb ? `\n  wandb sync ${path.relative(process.cwd(), path.join(tbDir, 'wandb')) || '.'}/offline-run-*    (W&B offline runs, one per rank, group ${runName})` : ''}
wall time: ${seconds} s`);
process.exitCode = exitCode;
