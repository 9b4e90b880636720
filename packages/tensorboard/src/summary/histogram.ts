/**
 * Histogram summaries: one `Summary.Value` whose `histo` field is a
 * `HistogramProto` (tensorflow/core/framework/summary.proto, histogram.proto),
 * bucketed the way TensorFlow's `histogram::Histogram` does and trimmed the way
 * tensorboardX's `make_histogram` does.
 *
 * Bucket scheme (TensorFlow tensorflow/core/lib/histogram/histogram.cc,
 * `InitDefaultBucketsInner`; tensorboardX `SummaryWriter.default_bins`):
 * - positive limits P: v = 1e-12, then `v *= 1.1` while v < 1e20 (774 values, the
 *   last ≈ 9.4e19). They are produced by repeated multiplication, not by powers,
 *   so the doubles are bit-identical to TensorFlow's and tensorboardX's;
 * - the full limit table is [-DBL_MAX, -P reversed, 0, P, +DBL_MAX] (1551 limits;
 *   tensorboardX's own table lacks the two ±DBL_MAX ends);
 * - `bucket_limit[i]` is the RIGHT edge of bucket i and the bucket is half-open:
 *   it counts values x with limit[i-1] <= x < limit[i] (TensorFlow: `upper_bound`;
 *   numpy's `histogram` bins are [e_j, e_j+1) too). So 0 lands in the bucket
 *   whose limit is 1e-12, and -1e-12 in the bucket whose limit is 0.
 *   Finite values >= P[last] go to the +DBL_MAX bucket (DBL_MAX itself included);
 *   values < -P[last] go to the bucket whose limit is -P[last] (its left edge is
 *   -DBL_MAX). tensorboardX, using numpy with its DBL_MAX-less table, would drop
 *   values beyond ±9.4e19 from the buckets (still counting them in num/min/max).
 *
 * Emitted buckets (tensorboardX `make_histogram`): every bucket from the first
 * non-empty one to the last non-empty one inclusive (empty buckets in between
 * are kept, not collapsed as TensorFlow's `EncodeToProto` does), preceded by ONE
 * empty bucket whose limit is the left edge of the first non-empty bucket — so a
 * reader that only knows right edges still sees where the data starts. TensorFlow
 * instead collapses each run of empty buckets into one and ends with an empty
 * (DBL_MAX, 0) bucket. TensorBoard reads both: its `data_compat` drops the empty
 * buckets at both ends and uses `min`/`max` as the outermost edges.
 * Verified against the reference file written by tensorboardX 2.6.5
 * (`weights`, 1000 standard-normal samples): 606 buckets, first limit
 * -3.1665833053880363 (count 0), last limit 2.8787120958073054, all 606 limits
 * equal to a contiguous slice of the table above.
 *
 * Non-finite values: TensorFlow refuses the whole histogram (InvalidArgument
 * "Nan in summary histogram for: …" / "Infinity in summary histogram for: …",
 * summary_op.cc), so a TensorFlow-written histogram never contains one. A logger
 * must not throw for that, so NaN and ±Infinity are left out entirely — of the
 * buckets and of num/min/max/sum/sum_squares — and the result is exactly
 * TensorFlow's histogram of the finite values. `computeHistogram` reports how
 * many were left out (`nonFinite`) so the caller can warn.
 *
 * Empty input (or no finite value): num = 0, min = max = sum = sum_squares = 0
 * and, as TensorFlow does ("always at least one bucket entry"), the single
 * bucket (limit DBL_MAX, count 0). TensorFlow would put min = DBL_MAX and
 * max = -DBL_MAX there; we write 0 so no reader meets ±infinity after a float32
 * conversion (TensorBoard ignores min/max when every bucket is empty).
 *
 * Cost: O(n) with no sort — the bucket of |x| is guessed from log(|x|)/log(1.1)
 * and corrected by at most a step or two against the exact table.
 */
import { ProtoWriter } from '@ranklog/core/sink';
import { HISTOGRAM, VALUE } from '../proto/fields.js';

const DBL_MAX = Number.MAX_VALUE;

/** Positive limits 1e-12·1.1^k below 1e20, by repeated multiplication (as TensorFlow). */
const POS: Float64Array = (() => {
  const out: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) out.push(v);
  return Float64Array.from(out);
})();
const NPOS = POS.length;
/** Index of the limit 0 in DEFAULT_BUCKET_LIMITS. */
const ZERO = NPOS + 1;

/** TensorFlow's default bucket limits: [-DBL_MAX, -P reversed, 0, P, DBL_MAX]. */
export const DEFAULT_BUCKET_LIMITS: Float64Array = (() => {
  const t = new Float64Array(2 * NPOS + 3);
  t[0] = -DBL_MAX;
  for (let j = 0; j < NPOS; j++) {
    t[ZERO - 1 - j] = -POS[j]!;
    t[ZERO + 1 + j] = POS[j]!;
  }
  t[ZERO] = 0;
  t[2 * NPOS + 2] = DBL_MAX;
  return t;
})();

const INV_LN_GROWTH = 1 / Math.log(1.1);
const LOG_FIRST = Math.log(1e-12);

/** Number of positive limits <= a (strict = false) or < a (strict = true), for a >= 0. */
function countBelow(a: number, strict: boolean): number {
  let g = Math.floor((Math.log(a) - LOG_FIRST) * INV_LN_GROWTH) + 1;
  if (!(g > 0))
    g = 0; // also catches -Infinity for a = 0
  else if (g > NPOS) g = NPOS;
  if (strict) {
    while (g < NPOS && POS[g]! < a) g++;
    while (g > 0 && POS[g - 1]! >= a) g--;
  } else {
    while (g < NPOS && POS[g]! <= a) g++;
    while (g > 0 && POS[g - 1]! > a) g--;
  }
  return g;
}

/** Index in DEFAULT_BUCKET_LIMITS of the bucket holding the finite value x. */
export function bucketIndex(x: number): number {
  return x >= 0 ? ZERO + 1 + countBelow(x, false) : ZERO - countBelow(-x, true);
}

export interface HistogramData {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edges of the emitted buckets, strictly increasing. */
  bucketLimit: Float64Array;
  /** Counts of the emitted buckets (same length as bucketLimit). */
  bucket: Float64Array;
  /** NaN and ±Infinity values left out of everything above. */
  nonFinite: number;
}

/** The histogram of the finite values of `values`, in the emitted (trimmed) layout. */
export function computeHistogram(values: ArrayLike<number>): HistogramData {
  const counts = new Float64Array(DEFAULT_BUCKET_LIMITS.length);
  let min = Infinity;
  let max = -Infinity;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  let nonFinite = 0;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x - x !== 0) {
      nonFinite++; // NaN or ±Infinity
      continue;
    }
    counts[bucketIndex(x)]!++;
    if (x < min) min = x;
    if (x > max) max = x;
    num++;
    sum += x;
    sumSquares += x * x;
  }
  if (num === 0) {
    return {
      min: 0,
      max: 0,
      num: 0,
      sum: 0,
      sumSquares: 0,
      bucketLimit: Float64Array.of(DBL_MAX),
      bucket: Float64Array.of(0),
      nonFinite,
    };
  }
  let first = 0;
  while (counts[first] === 0) first++;
  let last = counts.length - 1;
  while (counts[last] === 0) last--;
  // One leading empty bucket: its limit is the left edge of the first non-empty bucket.
  // first >= 1 always: bucket 0 (limit -DBL_MAX) can only hold values below -DBL_MAX.
  const start = first - 1;
  const bucketLimit = DEFAULT_BUCKET_LIMITS.slice(start, last + 1);
  const bucket = counts.slice(start, last + 1);
  bucket[0] = 0;
  return { min, max, num, sum, sumSquares, bucketLimit, bucket, nonFinite };
}

/** proto3 omits scalar fields at their default; -0 is kept (it is not the default bit pattern). */
function double(w: ProtoWriter, field: number, v: number): void {
  if (v !== 0 || Object.is(v, -0)) w.double(field, v);
}

function writeHistogramProto(w: ProtoWriter, h: HistogramData): void {
  double(w, HISTOGRAM.min, h.min);
  double(w, HISTOGRAM.max, h.max);
  double(w, HISTOGRAM.num, h.num);
  double(w, HISTOGRAM.sum, h.sum);
  double(w, HISTOGRAM.sumSquares, h.sumSquares);
  w.packedDoubles(HISTOGRAM.bucketLimit, h.bucketLimit);
  w.packedDoubles(HISTOGRAM.bucket, h.bucket);
}

/** The bytes of a `HistogramProto` for `values` (see the file comment for the scheme). */
export function histogramProto(values: ArrayLike<number>): Uint8Array {
  const h = computeHistogram(values);
  const w = new ProtoWriter(64 + 16 * h.bucket.length);
  writeHistogramProto(w, h);
  return w.finish();
}

/** The bytes of one `Summary.Value` { tag, histo } for `values`. */
export function histogramValue(tag: string, values: Float64Array | ArrayLike<number>): Uint8Array {
  const h = computeHistogram(values);
  const w = new ProtoWriter(96 + tag.length * 3 + 16 * h.bucket.length);
  w.string(VALUE.tag, tag);
  w.message(VALUE.histo, (m) => writeHistogramProto(m, h));
  return w.finish();
}
