/**
 * WriteFailures, the full-disk policy every file-writing sink shares, with an injected clock:
 * backoff between attempts, counts, and what the user is told (once per episode, and at close).
 */
import test from 'ava';
import { WriteFailures } from '@ranklog/core/sink';

const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

function make() {
  let now = 1_000_000;
  const warnings: string[] = [];
  const f = new WriteFailures(
    (m) => warnings.push(m),
    'sink',
    () => now,
  );
  return { f, warnings, advance: (ms: number) => (now += ms) };
}

test('after a failure the sink backs off: no attempt until the interval passed, the interval doubles up to 1 s, a success resets it', (t) => {
  const { f, advance } = make();
  t.true(f.shouldTry());
  const gaps: number[] = [];
  for (let k = 0; k < 8; k++) {
    f.fail(enospc, '/d/file', 1);
    let waited = 0;
    while (!f.shouldTry()) {
      advance(10);
      waited += 10;
    }
    gaps.push(waited);
  }
  t.deepEqual(gaps, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  f.succeed();
  f.fail(enospc, '/d/file', 1);
  t.false(f.shouldTry());
  advance(100);
  t.true(f.shouldTry(), 'the interval starts again at 100 ms after writing resumed');
});

test('records are counted: fail() and drop() add to failed and to what take() hands the next commit', (t) => {
  const { f } = make();
  f.fail(enospc, '/d/file', 7);
  f.drop(5);
  t.is(f.take(), 12);
  t.is(f.take(), 0, 'take() empties');
  f.drop(3);
  t.is(f.failed, 15);
  t.is(f.take(), 3);
});

test('the user is told once per episode (path, errno text, what happens now), when writing resumes (with the count), and at close', (t) => {
  const { f, warnings } = make();
  f.succeed();
  t.deepEqual(warnings, [], 'nothing to say while writes succeed');
  f.fail(enospc, '/d/metrics.csv', 10);
  f.fail(enospc, '/d/metrics.csv', 10);
  f.drop(5);
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /^sink: cannot write \/d\/metrics\.csv \(ENOSPC: no space left on device\)\. .*dropped and counted in stats\(\)\.failed/);
  f.succeed();
  t.is(warnings[1], 'sink: writing resumed; 25 records could not be written meanwhile (stats().failed).');
  f.fail(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }), '/d/other', 2);
  t.regex(warnings[2]!, /cannot write \/d\/other \(EIO: i\/o error\)/, 'a new episode is told again');
  f.report();
  t.is(warnings[3], 'sink: 27 records could not be written (first: ENOSPC: no space left on device at /d/metrics.csv); see stats().failed.');
});

test('report() says nothing when nothing failed', (t) => {
  const { f, warnings } = make();
  f.report();
  t.deepEqual(warnings, []);
});
