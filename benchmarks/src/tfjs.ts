/**
 * @ranklog/tfjs's cost per batch. tfjs.batchEnd: `await callback.onBatchEnd(i, logs)` with tfjs's
 * logs of a batch ({ batch, size, loss, acc }) into NullLogger, in bursts that alternate with an
 * empty async callback (what any tfjs callback costs) and with the logMetrics() call it makes;
 * medians per batch and ratios of the same rounds. tfjs.fit: a real model.fit() (4-16-3 MLP, 120
 * samples, batches of 16, CPU backend) with and without the callback, interleaved; ns per batch.
 */
import { NullLogger } from '@ranklog/core';
import { ranklogCallback } from '@ranklog/tfjs';
import * as tf from '@tensorflow/tfjs';
import { nsResult, summarize, type Config, type Result } from './harness.js';

async function batchEnd(cfg: Config): Promise<Result[]> {
  const lg = new NullLogger({ logFreq: 'batch' });
  await lg.createLoggerContext({ rank: 0, runName: 'bench-tfjs', handleSignals: false });
  const cb = ranklogCallback(lg, { saveModel: false, summary: false });
  const m = lg.metricsHandle(['batch/loss', 'batch/acc']);
  const values = new Float64Array(2);
  const logs = { batch: 0, size: 16, loss: 0.5, acc: 0.75 };
  const empty = { async onBatchEnd(_b: number, _l: unknown): Promise<void> {} };
  let s = 0;
  const bodies: ((n: number) => Promise<void>)[] = [
    async (n) => {
      for (let i = 0; i < n; i++) await empty.onBatchEnd(i, logs);
    },
    async (n) => {
      for (let i = 0; i < n; i++, s++) {
        logs.batch = i;
        logs.loss = s * 1e-6;
        await cb.onBatchEnd(i, logs);
      }
    },
    async (n) => {
      for (let i = 0; i < n; i++, s++) {
        values[0] = s * 1e-6;
        values[1] = 0.75;
        lg.logMetrics(m, values, s, i);
      }
    },
  ];
  const batch = 10_000;
  const rounds = cfg.quick ? 10 : 60;
  const t: number[][] = [[], [], []];
  for (let r = -3; r < rounds; r++) {
    for (const [k, body] of bodies.entries()) {
      await lg.flush();
      const t0 = process.hrtime.bigint();
      await body(batch);
      if (r >= 0) t[k]!.push(Number(process.hrtime.bigint() - t0) / batch);
    }
  }
  await lg.destroyLoggerContext();
  const [noop, callback, direct] = t as [number[], number[], number[]];
  const ratio = (xs: number[], to: number[]) => Number(summarize(xs.map((x, i) => x / to[i]!)).median.toFixed(2));
  return [
    nsResult('tfjs.batchEnd.empty', 'await onBatchEnd() of an empty async callback (any tfjs callback pays this)', noop),
    nsResult('tfjs.batchEnd', 'await ranklogCallback.onBatchEnd(i, { batch, size, loss, acc }) into NullLogger', callback, 'tfjs.batchEnd.empty', {
      ratioOfRoundsMedian: ratio(callback, noop),
      minusEmptyNs: Number((summarize(callback).median - summarize(noop).median).toFixed(1)),
    }),
    nsResult('tfjs.batchEnd.logMetrics', 'the logMetrics(handle, Float64Array(2), step, batchIdx) it makes, alone', direct, 'tfjs.batchEnd', {
      ratioOfRoundsMedian: ratio(direct, callback),
    }),
  ];
}

async function fit(cfg: Config): Promise<Result[]> {
  await tf.setBackend('cpu');
  const n = 120;
  const xs = tf.randomNormal([n, 4], 0, 1, 'float32', 1);
  const ys = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % 3),
      'int32',
    ),
    3,
  );
  const epochs = cfg.quick ? 3 : 10;
  const batches = epochs * Math.ceil(n / 16);
  const lg = new NullLogger({ logFreq: 'batch' });
  await lg.createLoggerContext({ rank: 0, runName: 'bench-tfjs-fit', handleSignals: false });
  const run = async (withCallback: boolean) => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 16, activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'softmax' })],
    });
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const callbacks = withCallback ? [ranklogCallback(lg, { saveModel: false, summary: false })] : [];
    const t0 = process.hrtime.bigint();
    await model.fit(xs, ys, { epochs, batchSize: 16, shuffle: false, callbacks, yieldEvery: 'never' });
    const ns = Number(process.hrtime.bigint() - t0) / batches;
    model.dispose();
    return ns;
  };
  const reps = cfg.quick ? 3 : 9;
  const off: number[] = [];
  const on: number[] = [];
  await run(false); // warm-up: kernels compiled, the pool of tensors grown
  await run(true);
  for (let r = 0; r < reps; r++) {
    off.push(await run(false));
    on.push(await run(true));
  }
  await lg.destroyLoggerContext();
  const ratio = Number(summarize(on.map((x, i) => x / off[i]!)).median.toFixed(3));
  return [
    { id: 'tfjs.fit.off', label: 'model.fit() per batch (4-16-3 MLP, batches of 16, CPU backend), no callback', unit: 'ns/call', ...summarize(off) },
    {
      id: 'tfjs.fit.on',
      label: 'the same with ranklogCallback into NullLogger, interleaved',
      unit: 'ns/call',
      ...summarize(on),
      ratioTo: 'tfjs.fit.off',
      extra: { ratioOfRepsMedian: ratio },
    },
  ];
}

export async function tfjs(cfg: Config): Promise<Result[]> {
  return [...(await batchEnd(cfg)), ...(await fit(cfg))];
}
