/**
 * Encoding of the TensorBoard histogram and hparams summaries (one `Summary.Value` each),
 * decoded here with a small protobuf wire-format walker of its own (not the package's encoder),
 * and compared with what tensorboardX 2.6.5 wrote into the reference event files.
 *
 * Bucket semantics checked: TensorFlow's `upper_bound` — `bucket_limit[i]` is the right edge and
 * bucket i counts limit[i-1] <= x < limit[i] (half-open on the right, as numpy's bins are).
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { histogramValue, computeHistogram } from '../../packages/tensorboard/dist/summary/histogram.js';
import { experimentValue, sessionEndValue, sessionStartValue } from '../../packages/tensorboard/dist/summary/hparams.js';
import { mulberry32 } from './support/prng.js';
import { referenceData } from './support/reference-data.js';

// ---------------------------------------------------------------- wire-format decoder

interface Field {
  no: number;
  wire: number;
  int?: number;
  bytes?: Uint8Array;
}

function readVarint(b: Uint8Array, p: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    if (p >= b.length) throw new Error('truncated varint');
    const c = b[p++]!;
    v += (c & 0x7f) * mul;
    mul *= 128;
    if (!(c & 0x80)) return [v, p];
  }
}

function decode(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let p = 0;
  while (p < b.length) {
    let key: number;
    [key, p] = readVarint(b, p);
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (no === 0) throw new Error('field number 0');
    if (wire === 0) {
      let v: number;
      [v, p] = readVarint(b, p);
      out.push({ no, wire, int: v });
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (p + n > b.length) throw new Error('truncated fixed field');
      out.push({ no, wire, bytes: b.subarray(p, p + n) });
      p += n;
    } else if (wire === 2) {
      let len: number;
      [len, p] = readVarint(b, p);
      if (p + len > b.length) throw new Error('truncated length-delimited field');
      out.push({ no, wire, bytes: b.subarray(p, p + len) });
      p += len;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return out;
}

const fieldNos = (fs: Field[]): number[] => fs.map((f) => f.no);
function only(fs: Field[], no: number): Field {
  const hits = fs.filter((f) => f.no === no);
  if (hits.length !== 1) throw new Error(`field ${no}: ${hits.length} occurrences`);
  return hits[0]!;
}
const has = (fs: Field[], no: number): boolean => fs.some((f) => f.no === no);
const sub = (fs: Field[], no: number): Field[] => decode(bytesOf(only(fs, no)));
function bytesOf(f: Field): Uint8Array {
  if (f.wire !== 2 || !f.bytes) throw new Error(`field ${f.no} is not length-delimited`);
  return f.bytes;
}
function f64(f: Field): number {
  if (f.wire !== 1 || !f.bytes) throw new Error(`field ${f.no} is not a double`);
  return new DataView(f.bytes.buffer, f.bytes.byteOffset, 8).getFloat64(0, true);
}
function int(f: Field): number {
  if (f.wire !== 0 || f.int === undefined) throw new Error(`field ${f.no} is not a varint`);
  return f.int;
}
const str = (f: Field): string => new TextDecoder('utf-8', { fatal: true }).decode(bytesOf(f));
/** proto3: an absent double is 0. */
const dbl = (fs: Field[], no: number): number => (has(fs, no) ? f64(only(fs, no)) : 0);
function packedF64(f: Field): number[] {
  const b = bytesOf(f);
  if (b.length % 8) throw new Error('packed doubles not a multiple of 8 bytes');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  return Array.from({ length: b.length / 8 }, (_, i) => dv.getFloat64(i * 8, true));
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Records of a TFRecord file (length u64, crc, payload, crc); CRCs not checked here. */
function records(file: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < file.length; ) {
    const len = Number(file.readBigUInt64LE(p));
    out.push(file.subarray(p + 12, p + 12 + len));
    p += 12 + len + 4;
  }
  return out;
}
/** Every Summary.Value of an event file, keyed by tag. */
function summaryValues(path: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const rec of records(readFileSync(path))) {
    const ev = decode(rec);
    if (!has(ev, 5)) continue;
    for (const v of decode(bytesOf(only(ev, 5))).filter((f) => f.no === 1)) {
      out.set(str(only(decode(bytesOf(v)), 1)), bytesOf(v));
    }
  }
  return out;
}

// ---------------------------------------------------------------- independent bucket table

const DBL_MAX = Number.MAX_VALUE;
/** TensorFlow histogram.cc: 1e-12 *= 1.1 while < 1e20, mirrored, 0 between, ±DBL_MAX at the ends. */
const TABLE: number[] = (() => {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  return [-DBL_MAX, ...pos.map((v) => -v).reverse(), 0, ...pos, DBL_MAX];
})();
/** Index of the first table limit > x (std::upper_bound), by binary search. */
function upperBound(limits: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = limits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (limits[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface Histo {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  limits: number[];
  counts: number[];
}
function decodeHistoValue(bytes: Uint8Array, tag: string): Histo {
  const v = decode(bytes);
  if (str(only(v, 1)) !== tag) throw new Error('tag');
  if (fieldNos(v).join() !== '1,5') throw new Error(`Summary.Value fields ${fieldNos(v).join()}`);
  const h = sub(v, 5);
  for (const f of h) if (f.no < 1 || f.no > 7) throw new Error(`unexpected HistogramProto field ${f.no}`);
  return {
    min: dbl(h, 1),
    max: dbl(h, 2),
    num: dbl(h, 3),
    sum: dbl(h, 4),
    sumSquares: dbl(h, 5),
    limits: packedF64(only(h, 6)),
    counts: packedF64(only(h, 7)),
  };
}

/** The invariants every emitted histogram must satisfy, and the placement of each value. */
function checkLayout(t: import('ava').ExecutionContext, h: Histo, values: ArrayLike<number>): void {
  t.is(h.limits.length, h.counts.length);
  for (let i = 1; i < h.limits.length; i++) {
    if (!(h.limits[i]! > h.limits[i - 1]!)) t.fail(`limits not strictly increasing at ${i}`);
  }
  // A contiguous slice of TensorFlow's default table.
  const start = TABLE.indexOf(h.limits[0]!);
  t.true(start >= 0, 'first limit is a default-table limit');
  t.deepEqual(h.limits, TABLE.slice(start, start + h.limits.length));
  t.is(
    h.counts.reduce((a, c) => a + c, 0),
    h.num,
  );
  t.is(h.counts[0], 0, 'leading empty bucket');
  t.true(h.counts.at(-1)! > 0, 'last emitted bucket is non-empty');
  t.true(h.counts.length === 1 || h.counts[1]! > 0, 'second bucket is the first non-empty one');
  // Every finite value lands in bucket i with limits[i-1] <= x < limits[i].
  const expected = new Array<number>(h.counts.length).fill(0);
  for (let k = 0; k < values.length; k++) {
    const x = values[k]!;
    if (!Number.isFinite(x)) continue;
    let i = upperBound(h.limits, x);
    if (i === h.limits.length && x === DBL_MAX && h.limits.at(-1) === DBL_MAX) i--; // DBL_MAX itself
    if (i === 0 || i === h.limits.length) {
      t.fail(`value ${x} outside the emitted buckets`);
      return;
    }
    expected[i]!++;
  }
  t.deepEqual(h.counts, expected);
}

// ---------------------------------------------------------------- reference facts

/** tensorboardX's files (<repo>/../shared/reference/…, or RANKLOG_REFERENCE_DIR): missing fails in CI, skips elsewhere. */
const REFERENCE = referenceData('tb-summary-encoding', 'tensorboard/tensorboardx-2.6.5');
/** The event file in `dir` (a reference folder without one is broken: an error, not a skip). */
function refFile(dir: string): string {
  const f = existsSync(dir) ? readdirSync(dir).find((n) => n.startsWith('events.out.tfevents.')) : undefined;
  if (f === undefined) throw new Error(`no events.out.tfevents.* file in ${dir}`);
  return join(dir, f);
}

/** tensorboardX 2.6.5 `weights` (1000 standard-normal samples), decoded from the reference file. */
const REF_WEIGHTS = {
  min: -3.0461430547999266,
  max: 2.759355114021582,
  num: 1000,
  firstLimit: -3.1665833053880363,
  lastLimit: 2.8787120958073054,
  buckets: 606,
  counts: (
    '0 1 5 3 9 8 9 18x2 22 19 26 20 24 28 25 20 30 11 14 17 21 18 22 8 14 9 6 9 10 6 4 5 3 7 6 8 4 2 1 4x2 2 4 ' +
    '2x2 3 1 3 0 1x2 2 0x2 1x3 0x2 1 0x21 1 0x453 1 0x2 1 0x5 1x3 2 0x3 1x2 3 1 2 0 2 1 2 1 2 5 1 3 2 1x2 2 8 0 3 2 4 7 6 ' +
    '10 5 10 7 13x2 11 18 20 19 10 14 15x2 16 24 20 27 23 15 20 16 14 16 13 8 9 5 2'
  )
    .split(' ')
    .flatMap((s) => {
      const [v, n = '1'] = s.split('x');
      return new Array<number>(Number(n)).fill(Number(v));
    }),
};

/** The three Summary.Values tensorboardX 2.6.5 wrote for {lr 0.01, batch_size 32, optimizer adam, use_bn true}. */
const REF_HPARAMS_HEX = {
  experiment:
    '0a145f68706172616d735f2f6578706572696d656e744a680a660a0768706172616d73125b125922060a026c722003220e0a0a' +
    '62617463685f73697a652003220d0a096f7074696d697a65722001220a0a067573655f626e20022a130a11120f68706172616d2f61' +
    '636375726163792a0f0a0d120b68706172616d2f6c6f7373',
  start:
    '0a1c5f68706172616d735f2f73657373696f6e5f73746172745f696e666f4a5c0a5a0a0768706172616d73124f1a4d0a130a096f' +
    '7074696d697a657212061a046164616d0a0f0a026c721209117b14ae47e17a843f0a0c0a067573655f626e120220010a170a0a6261' +
    '7463685f73697a651209110000000000004040',
  end: '0a1a5f68706172616d735f2f73657373696f6e5f656e645f696e666f4a110a0f0a0768706172616d73120422020801',
};

/** Deterministic standard normals (mulberry32 + Box–Muller). */
function normals(n: number, seed: number): Float64Array {
  const u = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const a = Math.sqrt(-2 * Math.log(1 - u()));
    const b = 2 * Math.PI * u();
    out[i] = a * Math.cos(b);
    if (i + 1 < n) out[i + 1] = a * Math.sin(b);
  }
  return out;
}

// ---------------------------------------------------------------- histogram

test('histogram: Summary.Value {tag, histo}, stats, buckets and edge values', (t) => {
  const values = Float64Array.of(-2.5, -0.5, -1e-12, 0, 0, 1e-13, 1e-12, 5e-324, 3, 1e25, -1e25, DBL_MAX, -DBL_MAX, 0.3, 0.30000000000000004);
  const h = decodeHistoValue(histogramValue('layer/w', values), 'layer/w');
  t.is(h.num, values.length);
  t.is(h.min, -DBL_MAX);
  t.is(h.max, DBL_MAX);
  let sum = 0;
  let sq = 0;
  for (const x of values) {
    sum += x;
    sq += x * x;
  }
  t.is(h.sum, sum);
  t.is(h.sumSquares, sq); // Infinity here (1e25² and DBL_MAX²), as TensorFlow's running sum gives
  checkLayout(t, h, values);
  // Placement of the edge values in the full table.
  const bucketOf = (x: number): number => h.limits[upperBound(h.limits, x)]!;
  t.is(bucketOf(0), 1e-12, '0 is counted in [0, 1e-12)');
  t.is(bucketOf(-1e-12), 0, '-1e-12 is counted in [-1e-12, 0)');
  t.is(bucketOf(1e-12), 1e-12 * 1.1, '1e-12 is counted in [1e-12, 1.1e-12)');
  t.is(bucketOf(1e25), DBL_MAX, 'beyond 1e20: the DBL_MAX bucket');
  t.is(h.limits[0], -DBL_MAX, 'leading empty bucket for -DBL_MAX values: limit -DBL_MAX');
});

test('histogram: non-finite values are left out of buckets and stats', (t) => {
  const values = Float64Array.of(NaN, 1, Infinity, 2, -Infinity, NaN);
  const h = decodeHistoValue(histogramValue('x', values), 'x');
  t.like(h, { num: 2, min: 1, max: 2, sum: 3, sumSquares: 5 });
  checkLayout(t, h, values);
  t.is(computeHistogram(values).nonFinite, 4);
});

test('histogram: empty input is a valid proto with num 0', (t) => {
  for (const values of [new Float64Array(0), Float64Array.of(NaN)]) {
    const h = decodeHistoValue(histogramValue('empty', values), 'empty');
    t.like(h, { num: 0, min: 0, max: 0, sum: 0, sumSquares: 0 });
    t.deepEqual(h.limits, [DBL_MAX]);
    t.deepEqual(h.counts, [0]);
  }
});

test('histogram: a single value and identical values', (t) => {
  for (const values of [Float64Array.of(42), new Float64Array(10).fill(-7.25)]) {
    const h = decodeHistoValue(histogramValue('one', values), 'one');
    t.is(h.limits.length, 2);
    t.is(h.counts[1], values.length);
    checkLayout(t, h, values);
  }
});

test('histogram: 1M values bucket like a binary search over the full table, quickly', (t) => {
  const n = 1_000_000;
  const base = normals(n, 7);
  const values = new Float64Array(n);
  // Spread over many decades, both signs, with exact table limits and zeros mixed in.
  for (let i = 0; i < n; i++) {
    const r = i % 10;
    values[i] = r === 0 ? TABLE[1 + (i % (TABLE.length - 2))]! : r === 1 ? 0 : base[i]! * 10 ** ((i % 37) - 18);
  }
  // Full-table reference counts by binary search: the answer, and the yardstick for "quickly".
  const reference = () => {
    const full = new Array<number>(TABLE.length).fill(0);
    for (const x of values) full[Math.min(upperBound(TABLE, x), TABLE.length - 1)]!++;
    return full;
  };
  // Speed relative to that binary search on this machine, the best of 3 interleaved runs each, so
  // that a loaded machine slows both alike (no absolute time limit). Healthy: about 0.5x the binary
  // search. Broken: a linear scan over the ~1500 limits is about 20x it, a linear walk from the smallest
  // positive limit instead of the log index 3.3-4.5x (near the bound: caught most of the time); the bound is 3x.
  let bytes: Uint8Array = new Uint8Array(0);
  let full: number[] = [];
  let ours = Infinity;
  let yardstick = Infinity;
  for (let k = 0; k < 3; k++) {
    let t0 = performance.now();
    bytes = histogramValue('big', values);
    ours = Math.min(ours, performance.now() - t0);
    t0 = performance.now();
    full = reference();
    yardstick = Math.min(yardstick, performance.now() - t0);
  }
  t.log(`1M values: ${ours.toFixed(1)} ms (a binary search over the table: ${yardstick.toFixed(1)} ms), ${bytes.length} bytes`);
  t.true(ours < 3 * yardstick, `${ours.toFixed(1)} ms for 1M values: over 3x a binary search (${yardstick.toFixed(1)} ms)`);
  const h = decodeHistoValue(bytes, 'big');
  t.is(h.num, n);
  const start = TABLE.indexOf(h.limits[0]!);
  t.deepEqual(h.counts.slice(1), full.slice(start + 1, start + h.limits.length));
  t.is(
    full.slice(0, start + 1).reduce((a, c) => a + c, 0),
    0,
    'nothing left of the emitted range',
  );
  t.is(
    full.slice(start + h.limits.length).reduce((a, c) => a + c, 0),
    0,
    'nothing right of the emitted range',
  );
});

test('histogram: same layout as tensorboardX for the reference `weights` (1000 standard normals)', (t) => {
  t.is(REF_WEIGHTS.counts.length, REF_WEIGHTS.buckets);
  // The reference limits are the default-table slice from its first to its last limit.
  const start = TABLE.indexOf(REF_WEIGHTS.firstLimit);
  t.true(start > 0);
  t.is(TABLE[start + REF_WEIGHTS.buckets - 1], REF_WEIGHTS.lastLimit);
  const refLimits = TABLE.slice(start, start + REF_WEIGHTS.buckets);
  // Values reproducing the reference counts (bucket midpoints, plus the exact min and max).
  const values: number[] = [REF_WEIGHTS.min, REF_WEIGHTS.max];
  const counts = REF_WEIGHTS.counts.slice();
  counts[upperBound(refLimits, REF_WEIGHTS.min)]!--;
  counts[upperBound(refLimits, REF_WEIGHTS.max)]!--;
  counts.forEach((c, i) => {
    for (let k = 0; k < c; k++) values.push((refLimits[i - 1]! + refLimits[i]!) / 2);
  });
  const h = decodeHistoValue(histogramValue('weights', Float64Array.from(values)), 'weights');
  t.is(h.num, REF_WEIGHTS.num);
  t.is(h.min, REF_WEIGHTS.min);
  t.is(h.max, REF_WEIGHTS.max);
  t.deepEqual(h.limits, refLimits);
  t.deepEqual(h.counts, REF_WEIGHTS.counts);

  // 1000 fresh standard normals: the same scheme (a slice of the same table, framed by min and max).
  const fresh = normals(1000, 2025);
  const g = decodeHistoValue(histogramValue('weights', fresh), 'weights');
  checkLayout(t, g, fresh);
  t.is(g.limits[0], TABLE[upperBound(TABLE, g.min) - 1], 'first limit = left edge of the bucket of min');
  t.is(g.limits.at(-1), TABLE[upperBound(TABLE, g.max)], 'last limit = right edge of the bucket of max');
  t.true(Math.abs(g.limits.length - REF_WEIGHTS.buckets) < 20, `${g.limits.length} buckets`);
});

REFERENCE.test('histogram: reference file `weights` decodes to the embedded facts', (t) => {
  const ref = decodeHistoValue(summaryValues(refFile(REFERENCE.dir)).get('weights')!, 'weights');
  t.like(ref, { min: REF_WEIGHTS.min, max: REF_WEIGHTS.max, num: REF_WEIGHTS.num });
  const start = TABLE.indexOf(REF_WEIGHTS.firstLimit);
  t.deepEqual(ref.limits, TABLE.slice(start, start + REF_WEIGHTS.buckets));
  t.deepEqual(ref.counts, REF_WEIGHTS.counts);
});

// ---------------------------------------------------------------- hparams

const REF_PARAMS: Array<[string, string | number | boolean]> = [
  ['lr', 0.01],
  ['batch_size', 32],
  ['optimizer', 'adam'],
  ['use_bn', true],
];

test('hparams: byte-identical to tensorboardX 2.6.5 for the reference run', (t) => {
  const exp = experimentValue({ hparams: new Map(REF_PARAMS), metricTags: ['hparam/accuracy', 'hparam/loss'], timeCreatedSecs: 0 });
  t.is(hex(exp), REF_HPARAMS_HEX.experiment);
  // tensorboardX's map order in this file (Python protobuf map order): optimizer, lr, use_bn, batch_size.
  const byName = new Map(REF_PARAMS);
  const order = ['optimizer', 'lr', 'use_bn', 'batch_size'];
  const start = sessionStartValue({ hparams: new Map(order.map((k) => [k, byName.get(k)!])), startTimeSecs: 0 });
  t.is(hex(start), REF_HPARAMS_HEX.start);
  t.is(hex(sessionEndValue({ status: 'success', endTimeSecs: 0 })), REF_HPARAMS_HEX.end);
});

REFERENCE.test('hparams: embedded reference bytes match the reference file', (t) => {
  const vals = summaryValues(refFile(join(REFERENCE.dir, 'hparams')));
  t.is(hex(vals.get('_hparams_/experiment')!), REF_HPARAMS_HEX.experiment);
  t.is(hex(vals.get('_hparams_/session_start_info')!), REF_HPARAMS_HEX.start);
  t.is(hex(vals.get('_hparams_/session_end_info')!), REF_HPARAMS_HEX.end);
});

/** Summary.Value → HParamsPluginData fields, checking the envelope on the way. */
function pluginData(t: import('ava').ExecutionContext, bytes: Uint8Array, tag: string): Field[] {
  const v = decode(bytes);
  t.deepEqual(fieldNos(v), [1, 9], 'tag and metadata only (no tensor, no simple_value)');
  t.is(str(only(v, 1)), tag);
  const md = sub(v, 9);
  t.deepEqual(fieldNos(md), [1], 'metadata: plugin_data only (no data_class)');
  const pd = sub(md, 1);
  t.deepEqual(fieldNos(pd), [1, 2]);
  t.is(str(only(pd, 1)), 'hparams');
  const content = sub(pd, 2);
  t.false(has(content, 1), 'version 0 (absent)');
  return content;
}

test('hparams: experiment types, null skipped, metric groups, time_created_secs', (t) => {
  const hparams = new Map<string, string | number | boolean | null>([
    ['name', ''],
    ['zero', 0],
    ['off', false],
    ['gone', null],
    ['lr', 3e-4],
  ]);
  const content = pluginData(
    t,
    experimentValue({
      hparams,
      metricTags: ['loss', { tag: 'acc', group: 'eval' }],
      timeCreatedSecs: 1700000000.5,
    }),
    '_hparams_/experiment',
  );
  t.deepEqual(fieldNos(content), [2]);
  const e = sub(content, 2);
  t.is(f64(only(e, 3)), 1700000000.5);
  const infos = e.filter((f) => f.no === 4).map((f) => decode(bytesOf(f)));
  t.deepEqual(
    infos.map((h) => [str(only(h, 1)), int(only(h, 4))]),
    [
      ['name', 1],
      ['zero', 3],
      ['off', 2],
      ['lr', 3],
    ],
  );
  const metrics = e.filter((f) => f.no === 5).map((f) => sub(decode(bytesOf(f)), 1));
  t.deepEqual(
    metrics.map((m) => [has(m, 1) ? str(only(m, 1)) : '', str(only(m, 2))]),
    [
      ['', 'loss'],
      ['eval', 'acc'],
    ],
  );
});

test('hparams: session start values (google.protobuf.Value kinds), group name, start time', (t) => {
  const hparams = new Map<string, string | number | boolean | null>([
    ['s', ''],
    ['n', 0],
    ['b', false],
    ['x', null],
    ['pi', Math.PI],
    ['t', true],
    ['u', 'é✓'],
  ]);
  const content = pluginData(t, sessionStartValue({ hparams, startTimeSecs: 1700000001.25, groupName: 'job-42' }), '_hparams_/session_start_info');
  t.deepEqual(fieldNos(content), [3]);
  const s = sub(content, 3);
  t.is(str(only(s, 4)), 'job-42');
  t.is(f64(only(s, 5)), 1700000001.25);
  const entries = s.filter((f) => f.no === 1).map((f) => decode(bytesOf(f)));
  const got = entries.map((e) => {
    const val = sub(e, 2);
    t.is(val.length, 1, 'exactly one kind set');
    const k = val[0]!;
    const v = k.no === 2 ? f64(k) : k.no === 3 ? str(k) : k.no === 4 ? int(k) === 1 : `kind ${k.no}`;
    return [str(only(e, 1)), k.no, v];
  });
  t.deepEqual(got, [
    ['s', 3, ''],
    ['n', 2, 0],
    ['b', 4, false],
    ['pi', 2, Math.PI],
    ['t', 4, true],
    ['u', 3, 'é✓'],
  ]);
});

test('hparams: session end status codes and end time', (t) => {
  const codes = { unknown: 0, success: 1, failure: 2, running: 3 } as const;
  for (const [status, code] of Object.entries(codes) as Array<[keyof typeof codes, number]>) {
    const content = pluginData(t, sessionEndValue({ status, endTimeSecs: 1700000002 }), '_hparams_/session_end_info');
    t.deepEqual(fieldNos(content), [4]);
    const e = sub(content, 4);
    t.is(has(e, 1) ? int(only(e, 1)) : 0, code);
    t.is(has(e, 1), code !== 0, 'proto3: STATUS_UNKNOWN is absent');
    t.is(f64(only(e, 2)), 1700000002);
  }
});
