/**
 * String(v) of a double, as ASCII bytes, without making a string: the fewest significant
 * digits that read back as v, the closest such when there are several (ECMA-262
 * Number::toString). String() costs ~200 ns per value here, most of a metric line's cost.
 *
 * Ryū (Adams, PLDI 2018), its e2 < 0 branch, with Ryū's 128-bit integer products replaced by
 * exact double arithmetic: m2·5^i (53 × ≤ 52 bits) is exact as the sum of two doubles (Dekker's
 * two-product); the decimal candidates vr, vp, vm then share their digits above the last 8
 * (H·10^8 + a low part below 10^8, an int32), and Ryū's digit removal runs on the low parts.
 * That covers |v| in [2^-15, 2^50) (3.05e-5 up to 1.1e15), where 5^i is an exact double: losses,
 * accuracies, most learning rates. Elsewhere — and in the one case in ~10^7 where the three do
 * not share H — writeShortest declines (-1) and the caller uses String(v).
 * No npm package does this and is kept up; test/src/shortest-double.test.ts checks it against String().
 */
import { digitCount, putDigits } from './decimal-digits.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/** Largest i with 5^i an exact double. */
const MAX_I = 22;
/** 5^i, exact, and its Veltkamp halves (≤ 26 bits each) for the two-product. */
const POW5 = new Float64Array(MAX_I + 1);
const POW5_HI = new Float64Array(MAX_I + 1);
const POW5_LO = new Float64Array(MAX_I + 1);
const SPLITTER = 134217729; // 2^27 + 1
for (let i = 0; i <= MAX_I; i++) {
  const f = i === 0 ? 1 : POW5[i - 1]! * 5;
  const c = SPLITTER * f;
  POW5[i] = f;
  POW5_HI[i] = c - (c - f);
  POW5_LO[i] = f - POW5_HI[i]!;
}
/** 2^(2 − q), exact, for every q this range uses. */
const SCALE = new Float64Array(65);
for (let q = 0, s = 4; q <= 64; q++, s /= 2) SCALE[q] = s;
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

const E8 = 1e8;
/** 10^8 · 2^18 = 390625 · 2^26: H·10^8 is formed exactly as Hh·E8_2_18 + Hl·10^8. */
const E8_2_18 = E8 * 262144;
const TWO_M18 = 1 / 262144;

/** floor(x + y) exactly, for a sum below 2^52 (TwoSum: the rounding error decides at integers). */
function floorSum(x: number, y: number): number {
  const s = x + y;
  const z = s - x;
  const err = x - (s - z) + (y - z);
  const f = Math.floor(s);
  return f === s && err < 0 ? f - 1 : f;
}

/**
 * Write String(v) at buf[pos…] (at most 25 bytes: reserve them) and return the position after
 * it; or return -1, having written nothing that counts, when v is outside the range above (and
 * for 0, -0, NaN, ±Infinity): then use String(v).
 */
export function writeShortest(buf: Uint8Array, pos: number, v: number): number {
  bits[0] = v;
  const hi = words[HI]!;
  // Ryū's e2 (two extra bits for the bounds); q ≥ 2 needs e2 ≤ −5, i ≤ 22 needs e2 ≥ −69.
  const e2 = ((hi >>> 20) & 0x7ff) - 1077;
  if (e2 > -5 || e2 < -69) return -1;
  const mantissaHi = hi & 0xfffff;
  const mantissaLo = words[LO]!;
  const m2 = 4503599627370496 + mantissaHi * 4294967296 + mantissaLo; // 2^52 | mantissa
  const mmShift = mantissaHi !== 0 || mantissaLo !== 0 ? 1 : 0; // a power of two has a closer lower neighbour
  const q = ((-e2 * 732923) >>> 20) - 1; // log10Pow5(−e2) − 1
  const i = -e2 - q;
  const s = SCALE[q]!;

  // vr = floor(4·m2·5^i / 2^q) = floor(big + small): p = fl(m2·5^i) and its error e, scaled.
  const f = POW5[i]!;
  const c = SPLITTER * m2;
  const mh = c - (c - m2);
  const ml = m2 - mh;
  const fh = POW5_HI[i]!;
  const fl = POW5_LO[i]!;
  const p = m2 * f;
  const e = mh * fh - p + mh * fl + ml * fh + ml * fl;
  const big = p * s; // ≥ 2^56: an integer
  const small = e * s;
  const unit = f * s; // one unit of mv (= 4·m2) in these units
  // big = H·10^8 + L exactly (H's estimate corrected by L's range).
  let H = Math.floor(big / E8);
  const Hh = Math.floor(H * TWO_M18);
  let L = big - Hh * E8_2_18 - (H - Hh * 262144) * E8;
  if (L < 0) (H--, (L += E8));
  else if (L >= E8) (H++, (L -= E8));
  // The low parts of vr, vp (mv + 2) and vm (mv − 1 − mmShift); they must share H.
  const r0 = L + Math.floor(small);
  const p0 = L + floorSum(small, unit / 2);
  const m0 = L + floorSum(small, -(1 + mmShift) * (unit / 4));
  if (!(m0 >= 0 && p0 < E8 && r0 >= 0 && r0 < E8)) return -1;
  // int32 from here: divisions by 10 and 100 compile to multiplications.
  let rl = r0 | 0;
  let pl = p0 | 0;
  let ml2 = m0 | 0;

  let removed = 0;
  // vr is exact when mv has q trailing zero bits: then ties round to even (Ryū's general case).
  let vrIsTrailingZeros = Number.isInteger(m2 * s);
  if (!vrIsTrailingZeros) {
    // Ryū's common case: remove digits while the interval still holds a shorter number.
    let roundUp = false;
    const p100 = (pl / 100) | 0;
    const m100 = (ml2 / 100) | 0;
    if (p100 > m100) {
      const r100 = (rl / 100) | 0;
      roundUp = rl - r100 * 100 >= 50;
      rl = r100;
      pl = p100;
      ml2 = m100;
      removed = 2;
    }
    for (;;) {
      const p10 = (pl / 10) | 0;
      const m10 = (ml2 / 10) | 0;
      if (p10 <= m10) break;
      const r10 = (rl / 10) | 0;
      roundUp = rl - r10 * 10 >= 5;
      rl = r10;
      pl = p10;
      ml2 = m10;
      removed++;
    }
    if (rl === ml2 || roundUp) rl++;
  } else {
    // vm is never exact here (mm has at most one trailing zero bit, q ≥ 2), so it is outside the interval.
    let lastRemovedDigit = 0;
    for (;;) {
      const p10 = (pl / 10) | 0;
      const m10 = (ml2 / 10) | 0;
      if (p10 <= m10) break;
      const r10 = (rl / 10) | 0;
      vrIsTrailingZeros &&= lastRemovedDigit === 0;
      lastRemovedDigit = rl - r10 * 10;
      rl = r10;
      pl = p10;
      ml2 = m10;
      removed++;
    }
    if (vrIsTrailingZeros && lastRemovedDigit === 5 && rl % 2 === 0) lastRemovedDigit = 4; // …50…0: round half to even
    if (rl === ml2 || lastRemovedDigit >= 5) rl++;
  }
  if (removed >= 8) return -1; // the interval spans the whole low part: never in this range
  const low = 8 - removed; // digits left in rl
  if (rl === POW10[low]) (H++, (rl = 0));

  // The digits: H (as top·10^8 + rest, both int32), then rl padded to `low` digits.
  const top = Math.floor(H / E8) | 0;
  const rest = (H - top * E8) | 0;
  const restDigits = top > 0 ? 8 : digitCount(rest);
  const topDigits = top > 0 ? digitCount(top) : 0;
  const k = topDigits + restDigits + low;
  const n = q + e2 + removed + k; // value = 0.d1d2…dk · 10^n
  if (n > 21 || n <= -6) return -1; // exponential notation: never in this range

  let out = pos;
  if (v < 0) buf[out++] = 45; // '-'
  if (n <= 0) {
    buf[out++] = 48; // 0.000ddd
    buf[out++] = 46;
    for (let z = 0; z < -n; z++) buf[out++] = 48;
  } else if (n < k) out++; // room for the point: the first n digits move left over it
  if (top > 0) putDigits(buf, top, topDigits, out + topDigits);
  putDigits(buf, rest, restDigits, out + topDigits + restDigits);
  putDigits(buf, rl, low, out + k);
  if (n <= 0) return out + k;
  if (n >= k) {
    out += k;
    for (let z = k; z < n; z++) buf[out++] = 48;
    return out;
  }
  for (let j = out - 1; j < out - 1 + n; j++) buf[j] = buf[j + 1]!;
  buf[out - 1 + n] = 46;
  return out + k;
}
