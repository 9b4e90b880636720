// One training rank. Data-parallel SGD: every rank starts from the same weights,
// computes the gradient on its own shard's batch, the allreduce sums gradients and
// sample counts, and every rank applies the same averaged step.
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { attachLogger, type WorkerHandle } from '@ranklog/core';
import { Allreduce } from './allreduce.js';
import { loadIris, mulberry32, N_CLASSES, N_FEATURES, shard, shuffle } from './dataset.js';
import { MLP } from './mlp.js';

export interface Hyperparameters {
  lr: number;
  hidden: number;
  epochs: number;
  batchSize: number; // per rank; the global batch is batchSize × workers
  workers: number;
  seed: number;
}

export interface WorkerInput {
  ranklog: WorkerHandle;
  rank: number;
  hp: Hyperparameters;
  allreduce: SharedArrayBuffer;
}

/** What a worker posts to the coordinator: its result, or its error as soon as it fails. */
export type WorkerMessage = { ok: true; result: WorkerResult } | { ok: false; error: Error };

export interface WorkerResult {
  rank: number;
  /** sha256 of the final weights' bytes: equal on all ranks iff the weights are bit-identical. */
  checksum: string;
  steps: number;
  /** Rank 0 only. */
  testAccuracy?: number;
  testSize?: number;
  weights?: ReturnType<MLP['toJSON']>;
}

const { ranklog, rank, hp, allreduce } = workerData as WorkerInput;
const log = attachLogger(ranklog);

function train(): WorkerResult {
  const data = loadIris(hp.seed);
  const mine = shard(data.train, rank, hp.workers);
  const model = new MLP(N_FEATURES, hp.hidden, N_CLASSES, hp.seed);
  const P = model.nParams;
  const ar = new Allreduce(allreduce, rank, hp.workers, P + 1);
  const buf = new Float64Array(P + 1); // [gradient sums…, sample count]: one allreduce per step
  const grad = buf.subarray(0, P);
  const order = Int32Array.from({ length: mine.n }, (_, i) => i);
  const rand = mulberry32(hp.seed + 1000 * (rank + 1)); // per-rank batch order, reproducible
  const batches = Math.ceil(mine.n / hp.batchSize);
  const lossH = log.handle('train/loss_batch');
  let testAccuracy = NaN;

  for (let epoch = 0; epoch < hp.epochs; epoch++) {
    shuffle(order, rand);
    let lossSum = 0;
    for (let b = 0; b < batches; b++) {
      const from = b * hp.batchSize;
      const to = Math.min(from + hp.batchSize, mine.n);
      buf.fill(0);
      const batchLoss = model.accumulateGradient(mine.x, mine.y, order, from, to, grad);
      buf[P] = to - from;
      ar.sum(buf);
      model.sgdStep(grad, hp.lr / buf[P]); // divide by the global count: mean gradient over all ranks' samples
      lossSum += batchLoss;
      log.metric(lossH, batchLoss / (to - from), epoch * batches + b, b);
    }
    log.log(lossSum / mine.n, 'train/loss_epoch', { kind: 'metric', step: epoch });
    log.log(model.accuracy(mine.x, mine.y, mine.n), 'train/accuracy_epoch', { kind: 'metric', step: epoch });
    if (rank === 0) {
      testAccuracy = model.accuracy(data.test.x, data.test.y, data.test.n);
      log.log(testAccuracy, 'test/accuracy_epoch', { kind: 'metric', step: epoch });
    }
  }

  const checksum = createHash('sha256').update(new Uint8Array(model.params.buffer)).digest('hex');
  return {
    rank,
    checksum,
    steps: hp.epochs * batches,
    ...(rank === 0 ? { testAccuracy, testSize: data.test.n, weights: model.toJSON() } : {}),
  };
}

let message: WorkerMessage;
try {
  message = { ok: true, result: train() };
} catch (error) {
  message = { ok: false, error: error instanceof Error ? error : new Error(String(error)) }; // Errors are cloneable
}
// Report before detaching, so that on failure the coordinator can release the other
// ranks from the allreduce at once.
parentPort!.postMessage(message);
// Also on failure: what this rank logged before the error still reaches the backends.
if (!(await log.detach())) console.error(`rank ${rank}: ranklog writers did not confirm this rank's records in time`);
if (!message.ok) process.exitCode = 1;
