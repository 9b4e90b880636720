/**
 * The local sink's cached ISO-8601 timestamps must equal Date.prototype.toISOString()
 * for every millisecond: across second, day and year boundaries, before 1970, past
 * year 9999 (extended format), and for non-integer times.
 */
import test from 'ava';
import { IsoTime } from '../../packages/core/dist/backends/local/iso-time.js';
import { mulberry32 } from './support/prng.js';

test('a run of consecutive milliseconds across second, minute, day and year boundaries', (t) => {
  const iso = new IsoTime();
  const starts = [Date.UTC(2026, 10, 27, 14, 59, 59, 990), Date.UTC(2026, 11, 31, 23, 59, 59, 500), Date.UTC(1999, 11, 31, 23, 59, 58, 0), 0, -1500];
  let bad = 0;
  for (const s of starts) {
    for (let ms = s; ms < s + 2500; ms++) if (iso.text(ms) !== new Date(ms).toISOString()) bad++;
  }
  t.is(bad, 0);
});

test('random times, in random order (the cache must not leak between seconds), including extended years and fractions', (t) => {
  const iso = new IsoTime();
  const r = mulberry32(7);
  const mismatches: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const kind = i % 5;
    const ms =
      kind === 0
        ? Math.floor(r() * 4e12)
        : // 1970..2096
          kind === 1
          ? Math.floor(-r() * 6.2e13)
          : // back to year 0
            kind === 2
            ? Math.floor(2.6e14 + r() * 1e12)
            : // past 9999: +0YYYYY form
              kind === 3
              ? r() * 2e12
              : // a fraction of a ms
                1_790_000_000_000 + (i % 3); // the same second again and again
    const want = new Date(ms).toISOString();
    const got = iso.text(ms);
    if (got !== want && mismatches.length < 5) mismatches.push(`${ms}: ${got} ≠ ${want}`);
  }
  t.deepEqual(mismatches, []);
});
