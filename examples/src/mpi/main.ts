// Data-parallel MLP on Iris across processes: one process per rank, started by a launcher
// (mpirun, srun, a torchrun-style loop, or --cluster N: node:cluster forks N ranks itself).
// Each rank trains on its shard; gradients are summed by a small TCP all-reduce around rank 0
// (tcp-allreduce.ts) on MASTER_ADDR (default 127.0.0.1) and --port (default MASTER_PORT, else 29500).
// Every rank logs to local files, TensorBoard and MLflow (file store); ranklog's rendezvous makes
// them one job, and rank 0's writers write the cross-rank aggregates as the job-level series.
//
//   mpirun -np 4 node examples/dist/mpi/main.js [--epochs N] [--port P] [--savedir DIR] [--tbdir DIR]
import cluster from 'node:cluster';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConsoleLogger, LocalFileLogger, LoggersCollection, rankFromEnv } from '@ranklog/core';
import { MLFlowLogger } from '@ranklog/mlflow';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { loadIris, mulberry32, N_CLASSES, N_FEATURES, shard, shuffle } from '../mlp/dataset.js';
import { MLP } from '../mlp/mlp.js';
import { TcpAllreduce } from './tcp-allreduce.js';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '30' },
    port: { type: 'string' }, // the all-reduce's port; ranklog's rendezvous is elsewhere (docs/jobs.md "Address")
    savedir: { type: 'string', default: 'logs' },
    tbdir: { type: 'string', default: 'mllogs' }, // TensorBoard's logdir; the MLflow file store is <tbdir>/mlflow
    cluster: { type: 'string' }, // node:cluster: this process forks N ranks
    quiet: { type: 'boolean', default: false },
  },
});

if (args.cluster !== undefined && cluster.isPrimary) {
  // The primary trains nothing: it gives each worker its rank and exits with the worst exit code.
  const n = Number(args.cluster);
  let left = n;
  let worst = 0;
  for (let r = 0; r < n; r++) cluster.fork({ RANK: String(r), WORLD_SIZE: String(n) });
  cluster.on('exit', (_w, code) => {
    worst = Math.max(worst, code ?? 1);
    if (--left === 0) process.exit(worst);
  });
} else {
  await train();
}

async function train(): Promise<void> {
  const t0 = performance.now();
  const epochs = Number(args.epochs);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be a positive integer, got ${args.epochs}`);
  const { rank, worldSize = 1 } = rankFromEnv();
  const hp = { lr: 0.2, hidden: 16, epochs, batchSize: 8, ranks: worldSize, seed: 42, exchange: 'tcp-allreduce' };

  // Loss and accuracy per epoch across ranks: mean (overlays the rank curves), spread, extremes.
  const aggregate = {
    'train/loss_epoch': ['mean', 'min', 'max', 'std'],
    'train/accuracy_epoch': ['mean', 'min', 'max'],
  } as const;
  const all = { logOnWorkers: -1, aggregate } as const;
  const files = new LocalFileLogger({ ...all, savedir: args.savedir, logFreq: 'batch' });
  const tensorboard = new TensorBoardLogger({ ...all, savedir: args.tbdir, logFreq: 'batch' });
  const mlflowStore = path.resolve(args.tbdir, 'mlflow');
  const logger = new LoggersCollection([
    ...(args.quiet ? [] : [new ConsoleLogger({ logFreq: 'epoch', logOnWorkers: 0 })]),
    files,
    tensorboard,
    new MLFlowLogger({
      ...all,
      experimentName: 'ranklog-mlp-iris-mpi',
      savedir: args.tbdir,
      trackingUri: mlflowStore,
      logFreq: 'batch',
      runDescription: `Data-parallel MLP on Iris, ${worldSize} processes, gradients summed over TCP`,
    }),
  ]);
  await logger.createLoggerContext();

  const data = loadIris(hp.seed);
  const mine = shard(data.train, rank, worldSize);
  const model = new MLP(N_FEATURES, hp.hidden, N_CLASSES, hp.seed);
  const P = model.nParams;
  const host = process.env.MASTER_ADDR ?? '127.0.0.1';
  const port = Number(args.port ?? process.env.MASTER_PORT ?? 29500);
  let exitCode = 0;
  let checksum = '';
  let testAccuracy = Number.NaN;
  let steps = 0;
  let allreduce: TcpAllreduce | undefined;
  try {
    logger.saveHyperparameters(hp);
    allreduce = await TcpAllreduce.connect({ rank, worldSize, host, port });
    const buf = new Float64Array(P + 1); // [gradient sums…, sample count]: one all-reduce per step
    const grad = buf.subarray(0, P);
    const order = Int32Array.from({ length: mine.n }, (_, i) => i);
    const rand = mulberry32(hp.seed + 1000 * (rank + 1)); // per-rank batch order, reproducible
    const batches = Math.ceil(mine.n / hp.batchSize);
    const lossH = logger.handle('train/loss_batch');
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffle(order, rand);
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const from = b * hp.batchSize;
        const to = Math.min(from + hp.batchSize, mine.n);
        buf.fill(0);
        const batchLoss = model.accumulateGradient(mine.x, mine.y, order, from, to, grad);
        buf[P] = to - from;
        await allreduce.sum(buf);
        model.sgdStep(grad, hp.lr / buf[P]!); // mean gradient over every rank's samples
        lossSum += batchLoss;
        logger.metric(lossH, batchLoss / (to - from), epoch * batches + b, b);
        steps++;
      }
      logger.log(lossSum / mine.n, 'train/loss_epoch', { kind: 'metric', step: epoch });
      logger.log(model.accuracy(mine.x, mine.y, mine.n), 'train/accuracy_epoch', { kind: 'metric', step: epoch });
      if (rank === 0) {
        testAccuracy = model.accuracy(data.test.x, data.test.y, data.test.n);
        logger.log(testAccuracy, 'test/accuracy_epoch', { kind: 'metric', step: epoch });
      }
    }
    // Honest check that data parallelism held: every rank's final weights, byte for byte.
    const weights = await allreduce.allgather(model.params);
    const hashes = weights.map((w) =>
      createHash('sha256')
        .update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength))
        .digest('hex'),
    );
    checksum = hashes[rank]!;
    if (new Set(hashes).size !== 1) throw new Error(`ranks disagree on the final weights: ${hashes.map((h, r) => `rank ${r} ${h.slice(0, 12)}`).join(', ')}`);
    if (rank === 0) logger.log(`test accuracy ${testAccuracy.toFixed(3)}; weights sha256 ${checksum}`, 'training_summary', { kind: 'text' });
  } catch (err) {
    exitCode = 1;
    console.error(`rank ${rank}: training FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    allreduce?.close();
  }
  const stats = await logger.destroyLoggerContext(); // rank 0: waits for every rank's end, then ends the job
  // One line per rank (the test reads them): its final weights' hash.
  console.log(`rank ${rank}: ${steps} SGD steps, final weights sha256 ${checksum || '(none)'}`);
  if (rank === 0) report(stats.job?.status, testAccuracy, checksum, worldSize, steps, logger.runName!, files, tensorboard, mlflowStore, t0);
  process.exitCode = exitCode;
}

function report(
  status: string | undefined,
  testAccuracy: number,
  checksum: string,
  worldSize: number,
  steps: number,
  runName: string,
  files: LocalFileLogger,
  tensorboard: TensorBoardLogger,
  mlflowStore: string,
  t0: number,
): void {
  const rel = (p: string) => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p) || '.');
  const runDir = rel(files.runDirectory!);
  console.log(`
job ${runName}: ${status?.toUpperCase() ?? 'no rendezvous (each rank logged alone)'}
gradients: summed over TCP between the ${worldSize} processes (rank 0 at ${process.env.MASTER_ADDR ?? '127.0.0.1'}), in rank order on every rank
final test accuracy: ${testAccuracy.toFixed(3)}; weights identical on all ${worldSize} ranks after ${steps} SGD steps (sha256 ${checksum.slice(0, 16)}…)
where the logs are and what they show:
  local files   ${runDir}/
                  metrics.csv     every rank's rows (column rank)
                  aggregates.csv  the job-level series: train/loss_epoch mean/min/max/std and train/accuracy_epoch mean/min/max per epoch over the ranks
                  run.json        the job: status, every rank's end
  TensorBoard   tensorboard --logdir ${rel(tensorboard.savedir)}
                  runs ${runName}/rank_0 … rank_${worldSize - 1} and ${runName}/job: the job's mean under the same tag overlays the rank curves,
                  train/loss_epoch.min/.max/.std beside it, job/end in TEXT
  MLflow        mlflow server --backend-store-uri ${rel(mlflowStore)}
                  experiment 'ranklog-mlp-iris-mpi': one parent run ${runName} (the job: aggregates, its end status) with a child run per rank
wall time: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}
