/**
 * The control and context blocks mix Int32 words and Float64 fields in one
 * SharedArrayBuffer; an overlap corrupts state silently (it happened once:
 * X_END shared bytes with the clock base). Every field must own its bytes.
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

test('ring control block: Int32 words, per-backend tails and Float64 counters do not overlap, and fit', (t) => {
  const i32 = (name: string, w: number): Field => [name, w * 4, w * 4 + 4];
  const f64 = (name: string, w: number): Field => [name, w * 8, w * 8 + 8];
  const fields: Field[] = [
    i32('C_HEAD', L.C_HEAD), i32('C_WAITING', L.C_WAITING), i32('C_PROGRESS', L.C_PROGRESS), i32('C_RANK', L.C_RANK),
    i32('C_CONSUMERS', L.C_CONSUMERS), i32('C_STATE', L.C_STATE), i32('C_CAPACITY', L.C_CAPACITY), i32('C_ATTACHED', L.C_ATTACHED),
    ...Array.from({ length: L.MAX_BACKENDS }, (_, b) => i32(`C_TAIL+${b}`, L.C_TAIL + b)),
    f64('F_RECORDS_IN', L.F_RECORDS_IN), f64('F_DROPPED', L.F_DROPPED),
    ...Array.from({ length: L.MAX_BACKENDS }, (_, b) => f64(`F_DROPPED_BY+${b}`, L.F_DROPPED_BY + b)),
  ];
  t.deepEqual(overlaps(fields), []);
  t.true(Math.max(...fields.map((f) => f[2])) <= L.CTRL_BYTES, 'fits CTRL_BYTES');
  t.is(L.CTRL_BYTES % L.SLOT_BYTES, 0, 'data slots stay 32-byte aligned');
});

test('context block: Int32 words and the Float64 clock base do not overlap, and fit', (t) => {
  const i32 = (name: string, w: number): Field => [name, w * 4, w * 4 + 4];
  const fields: Field[] = [
    i32('X_WAKE', L.X_WAKE), i32('X_CLOCK', L.X_CLOCK), i32('X_CLOSING', L.X_CLOSING), i32('X_DEAD', L.X_DEAD),
    i32('X_END', L.X_END), i32('X_CLOSED', L.X_CLOSED), ['XF_BASE', L.XF_BASE * 8, L.XF_BASE * 8 + 8],
  ];
  t.deepEqual(overlaps(fields), []);
  t.true(Math.max(...fields.map((f) => f[2])) <= L.CONTEXT_BYTES, 'fits CONTEXT_BYTES');
});
