/**
 * wandb.Histogram(sequence) computes numpy.histogram(sequence, bins=64): 64 equal bins from the
 * minimum to the maximum (±0.5 around a single value, [0, 1] for no values), the last bin closed
 * on the right. This follows numpy's arithmetic step by step — linspace for the edges, the same
 * index computation and its two corrections — so the counts are the ones the Python SDK logs.
 * numpy refuses NaN and ±Infinity; the caller leaves them out.
 */
export const HISTOGRAM_BINS = 64;

export interface Histogram {
  /** Counts per bin (wandb's `values`). */
  values: number[];
  /** HISTOGRAM_BINS + 1 edges. */
  bins: number[];
}

/** numpy.linspace(start, stop, num) with endpoint=True. */
function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out = new Array<number>(num);
  for (let i = 0; i < num; i++) out[i] = (step === 0 ? (i / div) * delta : i * step) + start;
  out[num - 1] = stop;
  return out;
}

/** The histogram of the finite values in `values` (others must have been removed). */
export function histogram(values: ArrayLike<number>, n = HISTOGRAM_BINS): Histogram {
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < first) first = v;
    if (v > last) last = v;
  }
  if (values.length === 0) {
    first = 0;
    last = 1;
  } else if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const bins = linspace(first, last, n + 1);
  const counts = new Array<number>(n).fill(0);
  const denom = last - first;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let k = Math.trunc(((v - first) / denom) * n);
    if (k === n) k--;
    if (v < bins[k]!) k--;
    else if (k !== n - 1 && v >= bins[k + 1]!) k++;
    counts[k]!++;
  }
  return { values: counts, bins };
}
