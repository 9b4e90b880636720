/**
 * String(v) of a double, as ASCII bytes, without making a string: the fewest significant
 * digits that read back as v, the closest such when there are several (ECMA-262
 * Number::toString). String() costs ~200 ns per value here, most of a metric line's cost.
 *
 * Ryū (Adams, PLDI 2018), its e2 < 0 branch, with Ryū's 128-bit integer products replaced by
 * double arithmetic: 5^i (i ≤ 30) is an exact sum of two doubles, and m2·5^i an exact sum of
 * four (Dekker's two-product). Above 2^-15 every step is exact; below, the smallest parts are
 * summed with an error under 2^-90, while the quantities floored are multiples of 2^-64, so no
 * floor can come out wrong. The decimal candidates vr, vp, vm then share their digits above the
 * last 8 (H·10^8 + a low part below 10^8, an int32), and Ryū's digit removal runs on the low parts.
 * That covers |v| in [2^-40, 2^50) (9.1e-13 up to 1.1e15): losses, accuracies, learning rates,
 * gradient norms. Elsewhere — and in the one case in ~10^7 where the three do not share H —
 * writeShortest declines (-1) and the caller uses String(v).
 * No npm package does this and is kept up; test/src/shortest-double.test.ts checks it against String()
 * (the near-integer branches of floorOf are argued here, not hit by random inputs: they need a
 * product within 2^-38 of an integer).
 */
import { digitCount, putDigits } from './decimal-digits.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/** Largest i this range needs (e2 ≥ −94, q ≤ 64). */
const MAX_I = 30;
const SPLITTER = 134217729; // 2^27 + 1
/** Veltkamp halves (≤ 26 bits each) of x, for Dekker's two-product. */
function split(x: number): [number, number] {
  const c = SPLITTER * x;
  const h = c - (c - x);
  return [h, x - h];
}
/** 5^i = POW5_H[i] + POW5_L[i] exactly (POW5_L is 0 up to 5^22), and the Veltkamp halves of each. */
const POW5_H = new Float64Array(MAX_I + 1);
const POW5_L = new Float64Array(MAX_I + 1);
const POW5_HH = new Float64Array(MAX_I + 1);
const POW5_HL = new Float64Array(MAX_I + 1);
const POW5_LH = new Float64Array(MAX_I + 1);
const POW5_LL = new Float64Array(MAX_I + 1);
for (let i = 0, f = 1n; i <= MAX_I; i++, f *= 5n) {
  const h = Number(f);
  POW5_H[i] = h;
  POW5_L[i] = Number(f - BigInt(h));
  [POW5_HH[i], POW5_HL[i]] = split(POW5_H[i]!);
  [POW5_LH[i], POW5_LL[i]] = split(POW5_L[i]!);
}
/** 2^(2 − q), exact, for every q this range uses. */
const SCALE = new Float64Array(65);
for (let q = 0, s = 4; q <= 64; q++, s /= 2) SCALE[q] = s;
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

const E8 = 1e8;
/** 10^8 · 2^18 = 390625 · 2^26: H·10^8 is formed exactly as Hh·E8_2_18 + Hl·10^8. */
const E8_2_18 = E8 * 262144;
const TWO_M18 = 1 / 262144;

/**
 * floor(x + tiny + oh + ol), for |x + oh| < 2^52 and |tiny|, |ol| < 2^-40, where the exact sum is
 * a multiple of 2^-64 (an integer when it is exact): x + oh by TwoSum, whose error joins the tiny
 * parts in r; r decides only within |r| < 2^-38 of an integer, and its own error is under 2^-90.
 */
function floorOf(x: number, tiny: number, oh: number, ol: number): number {
  const y = x + oh;
  const z = y - x;
  const r = x - (y - z) + (oh - z) + tiny + ol;
  const f = Math.floor(y);
  const w = y - f; // exact
  if (w === 0) return r < 0 ? f - 1 : f;
  if (w < 0.5) return r < -w ? f - 1 : f;
  return r >= 1 - w ? f + 1 : f; // 1 − w exact for w ≥ 0.5
}

/**
 * Write String(v) at buf[pos…] (at most 25 bytes: reserve them) and return the position after
 * it; or return -1, having written nothing that counts, when v is outside the range above (and
 * for 0, -0, NaN, ±Infinity): then use String(v).
 */
export function writeShortest(buf: Uint8Array, pos: number, v: number): number {
  bits[0] = v;
  const hi = words[HI]!;
  // Ryū's e2 (two extra bits for the bounds); q ≥ 2 needs e2 ≤ −5, q ≤ 64 needs e2 ≥ −94.
  const e2 = ((hi >>> 20) & 0x7ff) - 1077;
  if (e2 > -5 || e2 < -94) return -1;
  const mantissaHi = hi & 0xfffff;
  const mantissaLo = words[LO]!;
  const m2 = 4503599627370496 + mantissaHi * 4294967296 + mantissaLo; // 2^52 | mantissa
  const mmShift = mantissaHi !== 0 || mantissaLo !== 0 ? 1 : 0; // a power of two has a closer lower neighbour
  const q = ((-e2 * 732923) >>> 20) - 1; // log10Pow5(−e2) − 1
  const i = -e2 - q;
  const s = SCALE[q]!;

  // 4·m2·5^i / 2^q = big + x + tiny: m2·5^i = p + e + p2 + e2p (two two-products), scaled.
  const c = SPLITTER * m2;
  const mh = c - (c - m2);
  const ml = m2 - mh;
  const fh = POW5_H[i]!;
  const fl = POW5_L[i]!;
  const p = m2 * fh;
  const e = mh * POW5_HH[i]! - p + mh * POW5_HL[i]! + ml * POW5_HH[i]! + ml * POW5_HL[i]!;
  const p2 = m2 * fl;
  const e2p = mh * POW5_LH[i]! - p2 + mh * POW5_LL[i]! + ml * POW5_LH[i]! + ml * POW5_LL[i]!;
  const big = p * s; // ≥ 2^56: an integer
  const a1 = e * s;
  const a2 = p2 * s;
  const x = a1 + a2;
  const z = x - a1;
  const tiny = a1 - (x - z) + (a2 - z) + e2p * s;
  // One unit of mv (= 4·m2) in these units is (fh + fl)·s.
  const uh = fh * s;
  const ul = fl * s;
  // vr is exact when mv has q trailing zero bits: then ties round to even (Ryū's general case).
  let vrIsTrailingZeros = Number.isInteger(m2 * s);
  // big = H·10^8 + L exactly (H's estimate corrected by L's range).
  let H = Math.floor(big / E8);
  const Hh = Math.floor(H * TWO_M18);
  let L = big - Hh * E8_2_18 - (H - Hh * 262144) * E8;
  if (L < 0) {
    H--;
    L += E8;
  } else if (L >= E8) {
    H++;
    L -= E8;
  }
  // The low parts of vr, vp (mv + 2) and vm (mv − 1 − mmShift); they must share H.
  const r0 = L + (vrIsTrailingZeros ? Math.round(x + tiny) : floorOf(x, tiny, 0, 0));
  const p0 = L + floorOf(x, tiny, uh / 2, ul / 2);
  const m0 = L + floorOf(x, tiny, -(1 + mmShift) * (uh / 4), -(1 + mmShift) * (ul / 4));
  if (!(m0 >= 0 && p0 < E8 && r0 >= 0 && r0 < E8)) return -1;
  // int32 from here: divisions by 10 and 100 compile to multiplications.
  let rl = r0 | 0;
  let pl = p0 | 0;
  let ml2 = m0 | 0;

  let removed = 0;
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
  if (rl === POW10[low]) {
    H++;
    rl = 0;
  }

  // The digits: H (as top·10^8 + rest, both int32), then rl padded to `low` digits.
  const top = Math.floor(H / E8) | 0;
  const rest = (H - top * E8) | 0;
  const restDigits = top > 0 ? 8 : digitCount(rest);
  const topDigits = top > 0 ? digitCount(top) : 0;
  const k = topDigits + restDigits + low;
  const n = q + e2 + removed + k; // value = 0.d1d2…dk · 10^n
  if (n > 21) return -1; // a positive exponent: never in this range

  let out = pos;
  if (v < 0) buf[out++] = 45; // '-'
  const exponential = n <= -6; // d[.ddd]e-N
  if (exponential) {
    if (k > 1) out++; // room for the point after the first digit
  } else if (n <= 0) {
    buf[out++] = 48; // 0.000ddd
    buf[out++] = 46;
    for (let z = 0; z < -n; z++) buf[out++] = 48;
  } else if (n < k) out++; // room for the point: the first n digits move left over it
  if (top > 0) putDigits(buf, top, topDigits, out + topDigits);
  putDigits(buf, rest, restDigits, out + topDigits + restDigits);
  putDigits(buf, rl, low, out + k);
  if (exponential) {
    let end = out + k;
    if (k > 1) {
      buf[out - 1] = buf[out]!;
      buf[out] = 46;
    }
    buf[end++] = 101; // 'e'
    buf[end++] = 45; // '-'
    const exp = 1 - n;
    const expDigits = digitCount(exp);
    putDigits(buf, exp, expDigits, end + expDigits);
    return end + expDigits;
  }
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
