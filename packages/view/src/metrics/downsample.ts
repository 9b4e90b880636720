/**
 * Server-side downsampling of one curve for a chart `width` pixels wide: at most 2 × width points,
 * the smallest and the largest y of each of `width` equal x-buckets, so spikes survive while the
 * bytes sent and the browser's work depend on the screen, not on the file. O(n) over the columns,
 * no allocation per point.
 */

export interface Window {
  /** Only points with from ≤ x ≤ to; ±Infinity for no bound. */
  from: number;
  to: number;
  /** Chart width in pixels: the number of buckets. */
  width: number;
}

export interface Downsampled {
  x: number[];
  /** null for NaN and ±Infinity: a gap in the curve. */
  y: (number | null)[];
  /** Points in the window before downsampling. */
  points: number;
}

/** The points of (x[i], y[i]) for i < length in the window, sorted by x, downsampled when more than 2 × width. */
export function downsample(x: Float64Array, y: Float64Array, length: number, w: Window): Downsampled {
  let points = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let sorted = true;
  let prev = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < length; i++) {
    const xi = x[i]!;
    if (!(xi >= w.from && xi <= w.to)) continue; // also drops NaN (no step, no batch index)
    points++;
    if (xi < lo) lo = xi;
    if (xi > hi) hi = xi;
    if (xi < prev) sorted = false;
    prev = xi;
  }
  if (points <= 2 * w.width) return all(x, y, length, w, points, sorted);

  const buckets = w.width;
  const minAt = new Int32Array(buckets).fill(-1);
  const maxAt = new Int32Array(buckets).fill(-1);
  const gapAt = new Int32Array(buckets).fill(-1); // a non-finite y in the bucket: drawn as a gap
  const scale = hi > lo ? buckets / (hi - lo) : 0;
  for (let i = 0; i < length; i++) {
    const xi = x[i]!;
    if (!(xi >= w.from && xi <= w.to)) continue;
    const b = Math.min(buckets - 1, Math.floor((xi - lo) * scale));
    const yi = y[i]!;
    if (yi - yi !== 0) {
      if (gapAt[b] === -1) gapAt[b] = i;
      continue;
    }
    const mn = minAt[b]!;
    if (mn === -1 || yi < y[mn]!) minAt[b] = i;
    const mx = maxAt[b]!;
    if (mx === -1 || yi > y[mx]!) maxAt[b] = i;
  }
  const out: Downsampled = { x: [], y: [], points };
  const push = (i: number) => {
    out.x.push(x[i]!);
    const yi = y[i]!;
    out.y.push(yi - yi === 0 ? yi : null);
  };
  for (let b = 0; b < buckets; b++) {
    // Within a bucket, the kept points in x order (a gap counts as a point).
    const kept = [minAt[b]!, maxAt[b]!, gapAt[b]!].filter((i, k, a) => i >= 0 && a.indexOf(i) === k);
    kept.sort((i, j) => x[i]! - x[j]! || i - j);
    for (const i of kept) push(i);
  }
  return out;
}

function all(x: Float64Array, y: Float64Array, length: number, w: Window, points: number, sorted: boolean): Downsampled {
  const idx: number[] = [];
  for (let i = 0; i < length; i++) {
    const xi = x[i]!;
    if (xi >= w.from && xi <= w.to) idx.push(i);
  }
  // Stable: points with the same x keep the order they were logged in.
  if (!sorted) idx.sort((i, j) => x[i]! - x[j]! || i - j);
  const out: Downsampled = { x: new Array(idx.length), y: new Array(idx.length), points };
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    out.x[k] = x[i]!;
    const yi = y[i]!;
    out.y[k] = yi - yi === 0 ? yi : null;
  }
  return out;
}
