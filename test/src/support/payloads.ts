/**
 * The deterministic record schedule of the mixed ring-concurrency variant,
 * shared by the producer fixture (which logs it) and order-sink.ts (which
 * checks it in a writer thread), so both sides agree on every byte.
 *
 * For i = 0 … count-1 a producer of rank r logs, in this order:
 *   metric  'seq'        value i, step i                      (every i)
 *   text    'mixed/text' textFor(r, i), step i                (i % TEXT_EVERY === 0)
 *   dict    'mixed/dict' dictFor(r, i), step i                (i % TEXT_EVERY === DICT_AT)
 *   text    'mixed/big'  bigTextFor(r, i), step i             (i % BIG_EVERY === BIG_AT) — larger than the
 *                                                            inline limit of a 64 KiB ring: goes to a blob file
 */
export const TEXT_EVERY = 1000;
export const DICT_AT = 500;
export const BIG_EVERY = 50_000;
export const BIG_AT = 250;
/** Bigger than the inline limit of a 64 KiB ring (ringBytes / 8 = 8 KiB). */
export const BIG_BYTES = 12 * 1024;

export const ID_SEQ = 'seq';
export const ID_TEXT = 'mixed/text';
export const ID_DICT = 'mixed/dict';
export const ID_BIG = 'mixed/big';

/** Lengths vary from a few bytes to ~1.3 KiB (1 to ~42 ring slots), so records hit the buffer end at every offset. */
export function textFor(rank: number, i: number): string {
  const k = Math.floor(i / TEXT_EVERY);
  const len = (k * 37 + rank * 11) % 1300;
  return `T r${rank} i${i}|` + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(40).slice(0, len);
}

export function dictFor(rank: number, i: number): { rank: number; i: number; pad: string; list: number[] } {
  const k = Math.floor(i / TEXT_EVERY);
  const n = (k * 13 + rank * 7) % 97;
  return { rank, i, pad: 'é'.repeat((k * 29) % 500), list: Array.from({ length: n }, (_, j) => j * i) };
}

export function bigTextFor(rank: number, i: number): string {
  const head = `B r${rank} i${i}|`;
  let s = head;
  let j = 0;
  while (s.length < BIG_BYTES) s += (j++ % 10).toString();
  return s;
}

export function expectedCounts(count: number): { texts: number; dicts: number; bigs: number } {
  const upTo = (every: number, at: number) => (count > at ? Math.floor((count - 1 - at) / every) + 1 : 0);
  return { texts: upTo(TEXT_EVERY, 0), dicts: upTo(TEXT_EVERY, DICT_AT), bigs: upTo(BIG_EVERY, BIG_AT) };
}
