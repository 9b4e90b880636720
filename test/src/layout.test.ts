/**
 * The control and context blocks mix Int32 words and Float64 fields in one
 * SharedArrayBuffer; an overlap corrupts state silently (it happened once:
 * the end request shared bytes with the clock base). Every field must own its bytes.
 */
import test from 'ava';
import * as L from '../../packages/core/dist/ring/layout.js';

type Field = [name: string, start: number, end: number];

function overlaps(fields: Field[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    for (let j = i + 1; j < fields.length; j++) {
      const [a, as, ae] = fields[i]!;
      const [b, bs, be] = fields[j]!;
      if (as < be && bs < ae) out.push(`${a} [${as},${ae}) overlaps ${b} [${bs},${be})`);
    }
  }
  return out;
}

test('ring control block: Int32 words, per-reader released positions and Float64 counters do not overlap, and fit', (t) => {
  const i32 = (name: string, w: number): Field => [name, w * 4, w * 4 + 4];
  const f64 = (name: string, w: number): Field => [name, w * 8, w * 8 + 8];
  const { RELEASED, ...words } = L.RING;
  const { DROPPED_FOR, ...counters } = L.RING_F64;
  const fields: Field[] = [
    ...Object.entries(words).map(([name, w]) => i32(`RING.${name}`, w)),
    ...Array.from({ length: L.MAX_READERS }, (_, r) => i32(`RING.RELEASED+${r}`, RELEASED + r)),
    ...Object.entries(counters).map(([name, w]) => f64(`RING_F64.${name}`, w)),
    ...Array.from({ length: L.MAX_READERS }, (_, r) => f64(`RING_F64.DROPPED_FOR+${r}`, DROPPED_FOR + r)),
  ];
  t.deepEqual(overlaps(fields), []);
  t.true(Math.max(...fields.map((f) => f[2])) <= L.CTRL_BYTES, 'fits CTRL_BYTES');
  t.is(L.CTRL_BYTES % L.SLOT_BYTES, 0, 'data slots stay 32-byte aligned');
  t.is(new Set(Object.values(words)).size, Object.keys(words).length, 'one word per name');
});

test('shared block: Int32 words and the Float64 clock base do not overlap, and fit', (t) => {
  const fields: Field[] = [
    ...Object.entries(L.SHARED).map(([name, w]): Field => [`SHARED.${name}`, w * 4, w * 4 + 4]),
    ...Object.entries(L.SHARED_F64).map(([name, w]): Field => [`SHARED_F64.${name}`, w * 8, w * 8 + 8]),
  ];
  t.deepEqual(overlaps(fields), []);
  t.true(Math.max(...fields.map((f) => f[2])) <= L.SHARED_BYTES, 'fits SHARED_BYTES');
});
