/**
 * The TensorBoard scalar fast path (ScalarTemplate → RecordBuffer) carries each payload's
 * CRC32C along as it writes — across the tag's fixed bytes by table (CrcRun), from a wall
 * time's CRC kept while the millisecond lasts — instead of hashing the finished record.
 * Every record is read back by the test suite's own decoder (support/tb-decode.ts: bit-by-bit
 * CRCs, its own protobuf walker) over tags of every length class, steps of every varint length,
 * wall times repeated and changing (0 and -0 too), and float32 edge values.
 */
import test from 'ava';
import { ScalarTemplate } from '../../packages/tensorboard/dist/record/event.js';
import { RecordBuffer } from '../../packages/tensorboard/dist/record/record-buffer.js';
import { decodeEventBytes, scalarOf } from './support/tb-decode.js';
import { mulberry32 } from './support/prng.js';

const TAGS = [
  '',
  'a',
  'abc',
  'loss',
  'train/loss',
  'ünï ✓',
  'x'.repeat(100),
  'y'.repeat(117),
  'z'.repeat(118),
  'w'.repeat(127),
  'v'.repeat(128),
  't'.repeat(300),
  's'.repeat(20_000),
];
const STEPS = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1];
const VALUES = [0, -0, 1, -1, 0.1, 1 / 3, 3.4e38, 1e-45, 5e-324, NaN, Infinity, -Infinity, 123456.789];

test('scalar events read back exactly (both CRCs, tag, step, wall time, float32 value) for every tag length, step length and wall time', (t) => {
  const r = mulberry32(11);
  const out = new RecordBuffer(64);
  const expected: { tag: string; step: number; wall: number; value: number }[] = [];
  const templates = TAGS.map((tag) => ({ tag, t: new ScalarTemplate(tag) }));
  let wall = 1_796_000_000.123;
  for (let i = 0; i < 20_000; i++) {
    // Runs of one wall time (the CRC cache), jumps, and the zeros whose bytes differ.
    if (i % 7 === 0) wall = r() < 0.05 ? (r() < 0.5 ? 0 : -0) : 1_796_000_000 + Math.floor(r() * 1e6) / 1000;
    const { tag, t: template } = templates[i % templates.length]!;
    const step = r() < 0.5 ? STEPS[Math.floor(r() * STEPS.length)]! : Math.floor(r() * 1e6);
    const value = r() < 0.3 ? VALUES[Math.floor(r() * VALUES.length)]! : (r() - 0.5) * 10 ** Math.floor(r() * 20 - 10);
    template.write(out, wall, step, value);
    expected.push({ tag, step, wall, value });
  }
  const file = decodeEventBytes(out.bytes());
  t.deepEqual(file.errors, []);
  t.false(file.truncatedTail);
  t.is(file.events.length, expected.length);
  let bad = 0;
  const firstBad: string[] = [];
  file.events.forEach((e, i) => {
    const x = expected[i]!;
    const v = e.summary?.values[0];
    const ok =
      e.summary?.values.length === 1 &&
      v!.tag === x.tag &&
      Object.is(scalarOf(v!), Math.fround(x.value)) &&
      e.stepBig === BigInt(x.step) &&
      Object.is(e.wallTime, x.wall);
    if (!ok && bad++ < 3)
      firstBad.push(
        `#${i} ${JSON.stringify({ ...x, tag: x.tag.slice(0, 20) })}: got ${JSON.stringify({ tag: v?.tag.slice(0, 20), value: v && scalarOf(v), step: e.step, wall: e.wallTime })}`,
      );
  });
  t.deepEqual(firstBad, []);
});
