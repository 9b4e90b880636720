/** Decimal digits of int32s straight into bytes, two digits per division (a division is the slow part). */

/** "00" … "99" as ASCII pairs. */
const PAIRS = new Uint8Array(200);
for (let d = 0; d < 100; d++) {
  PAIRS[2 * d] = 48 + ((d / 10) | 0);
  PAIRS[2 * d + 1] = 48 + (d % 10);
}

/** Writes the `count` low decimal digits of int32 x ≥ 0, zero-padded, into buf ending before `end`. */
export function putDigits(buf: Uint8Array, x: number, count: number, end: number): void {
  x |= 0; // int32 from here: divisions by 100 compile to multiplications
  let j = end;
  for (; count >= 2; count -= 2) {
    const t = (x / 100) | 0;
    const d = (x - t * 100) << 1;
    buf[--j] = PAIRS[d + 1]!;
    buf[--j] = PAIRS[d]!;
    x = t;
  }
  if (count === 1) buf[--j] = 48 + (x % 10);
}

/** How many decimal digits int32 x ≥ 0 has (1 for 0): comparisons, no divisions. */
export function digitCount(x: number): number {
  if (x < 100000) return x < 100 ? (x < 10 ? 1 : 2) : x < 1000 ? 3 : x < 10000 ? 4 : 5;
  return x < 10000000 ? (x < 1000000 ? 6 : 7) : x < 100000000 ? 8 : x < 1000000000 ? 9 : 10;
}
