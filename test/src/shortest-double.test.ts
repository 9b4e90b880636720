/**
 * The local sink's number formatter must write exactly String(v) — V8's own shortest
 * round-trip formatter is the oracle — for every double: random bit patterns (every exponent,
 * subnormals), random doubles in the formatter's own range and at its edges, powers of two
 * and ten, integers near 2^53, short decimals, ties, and negative zero.
 * RANKLOG_SHORTEST_N=100000000 runs 100M random doubles per case instead of 1M.
 */
import test from 'ava';
import { writeShortest } from '../../packages/core/dist/backends/local/shortest-double.js';
import { LineBuffer } from '../../packages/core/dist/backends/local/line-buffer.js';
import { mulberry32 } from './support/prng.js';

const N = Number(process.env.RANKLOG_SHORTEST_N ?? 1_000_000);
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer); // [low, high] on the little-endian machines Node runs on

function fromWords(hi: number, lo: number): number {
  words[1] = hi >>> 0;
  words[0] = lo >>> 0;
  return bits[0]!;
}

/** Checks values; returns the mismatches (at most 5 listed) and how many took the fast path. */
function check(values: Iterable<number>): { bad: string[]; fast: number; total: number } {
  const buf = Buffer.alloc(64);
  const lines = new LineBuffer(64);
  const bad: string[] = [];
  let fast = 0;
  let total = 0;
  for (const v of values) {
    total++;
    const want = String(v);
    const end = writeShortest(buf, 0, v);
    if (end >= 0) {
      fast++;
      const got = buf.toString('latin1', 0, end);
      if (got !== want && bad.length < 5) bad.push(`writeShortest(${want}) wrote ${got}`);
    }
    // The LineBuffer path (integers, the fast path, String() for the rest) must always be exact.
    lines.clear();
    lines.reserve(32);
    lines.number(v);
    const viaLines = lines.buf.toString('latin1', 0, lines.pos);
    if (viaLines !== want && !Object.is(v, -0) && bad.length < 5) bad.push(`LineBuffer.number(${want}) wrote ${viaLines}`);
  }
  return { bad, fast, total };
}

function* randomBits(seed: number, n: number): Generator<number> {
  const r = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const v = fromWords(r() * 4294967296, r() * 4294967296);
    if (v === v && v - v === 0) yield v; // NaN and ±Infinity are the caller's (CSV/JSON spellings)
  }
}

/** Random doubles with an exponent in [lo, hi] (unbiased), random mantissa and sign. */
function* randomInBinades(seed: number, n: number, lo: number, hi: number): Generator<number> {
  const r = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const exp = lo + Math.floor(r() * (hi - lo + 1));
    const sign = r() < 0.5 ? 0x80000000 : 0;
    yield fromWords(sign | ((exp + 1023) << 20) | Math.floor(r() * 0x100000), r() * 4294967296);
  }
}

test('random bit patterns: every exponent, subnormals included (most outside the fast range: String() then)', (t) => {
  const { bad, fast, total } = check(randomBits(1, N / 4));
  t.deepEqual(bad, []);
  t.log(`${total} values, ${fast} on the fast path`);
});

test('random doubles in the fast range [2^-40, 2^50) and one binade beyond each edge', (t) => {
  const { bad, fast, total } = check(randomInBinades(2, N, -41, 50));
  t.deepEqual(bad, []);
  // Nearly all of them must take the fast path: a formatter that always declines is no formatter.
  t.true(fast > total * 0.9, `${fast} of ${total} on the fast path`);
  t.log(`${total} values, ${fast} on the fast path`);
});

test('loss-like values: computed curves with 15–17 significant digits', (t) => {
  function* losses(): Generator<number> {
    for (let n = 0; n < N; n++) {
      const i = n % 1_000_000; // a million-step run, again with other noise
      yield 2.3 / (1 + i * 1e-6) + (Math.imul(n, -1640531535) >>> 22) * 1e-5;
      yield Math.exp(-i / 1e5);
      yield Math.fround(1 / (3 + (i % 30_000))); // float32 values widened to double
      yield 1e-3 / (1 + i); // learning-rate schedules and gradient norms, down to 1e-9
    }
  }
  const { bad, fast, total } = check(losses());
  t.deepEqual(bad, []);
  t.true(fast > total * 0.9, `${fast} of ${total} on the fast path`);
});

test('edges and special values: powers of two and ten, short decimals, ties, integers near 2^53, neighbours of each', (t) => {
  const values: number[] = [-0, 0, 5e-324, -5e-324, 2.2250738585072014e-308, Number.MIN_VALUE, Number.MAX_VALUE, Number.EPSILON];
  for (let e = -1074; e <= 1023; e++) values.push(2 ** e);
  for (let e = -330; e <= 308; e++) values.push(Number(`1e${e}`), Number(`9.999999999999999e${e}`), Number(`5e${e}`));
  for (let k = 0; k < 20_000; k++) values.push(k / 1000, k / 1024, k / 3, k * 0.1, 0.1 * k, k + 0.5, k / 8 + 1e-7);
  for (let d = -2000; d <= 2000; d++) values.push(2 ** 53 + d, 2 ** 50 + d / 4, 2 ** 50 - d / 8, 2 ** 52 + d / 2, 2 ** 31 + d, 2 ** 32 + d);
  for (const x of [
    2 ** -41,
    2 ** -40,
    2 ** -39,
    2 ** -16,
    2 ** -15,
    2 ** -14,
    2 ** -20,
    2 ** 49,
    2 ** 50,
    3.0517578125e-5,
    1e-5,
    3e-4,
    1e-6,
    // biome-ignore lint/correctness/noPrecisionLoss: the double just below 1e-6, written as its shortest form
    9.999999999999999e-7,
    1e-7,
    2.5e-9,
    1e-12,
    0.1,
    0.2,
    0.3,
    1 / 3,
    2 / 3,
    0.5,
    0.75,
    0.8125,
    1.5,
    123.456,
  ]) {
    let lo = x;
    let hi = x;
    for (let j = 0; j < 200; j++) {
      lo = nextDown(lo);
      hi = nextUp(hi);
      values.push(lo, hi);
    }
  }
  const all = values.flatMap((v) => [v, -v]);
  const { bad, fast, total } = check(all);
  t.deepEqual(bad, []);
  t.log(`${total} values, ${fast} on the fast path`);
});

test('negative zero: writeShortest declines it (the CSV/JSON writers spell it -0 themselves)', (t) => {
  t.is(writeShortest(Buffer.alloc(32), 0, -0), -1);
  t.is(writeShortest(Buffer.alloc(32), 0, 0), -1);
});

function nextUp(x: number): number {
  bits[0] = x;
  if (x >= 0) {
    if (words[0] === 0xffffffff) {
      words[0] = 0;
      words[1] = words[1]! + 1;
    } else words[0] = words[0]! + 1;
  } else if (words[0] === 0) {
    words[0] = 0xffffffff;
    words[1] = words[1]! - 1;
  } else words[0] = words[0]! - 1;
  return bits[0]!;
}

function nextDown(x: number): number {
  return -nextUp(-x);
}
