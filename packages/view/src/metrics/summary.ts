/**
 * A curve's points summarised along one x axis at a fixed resolution: `BUCKETS` equal x-buckets,
 * each keeping its smallest-y and largest-y point (their x and y), one non-finite point's x (a
 * gap), how many points fell in it, and the byte offsets of its first and last row in
 * metrics.csv. Memory is fixed per curve, whatever the number of rows. When a point falls
 * outside the covered range, the bucket width doubles (pairs of buckets merge) until it fits:
 * x values are integers (steps, batch indices, ms), and the grid starts at a multiple of the
 * width, so an old bucket always lies inside one new bucket.
 */

export const BUCKETS = 4096;

export class Summary {
  /** x of bucket 0's start (a multiple of `width`), and the width of a bucket. */
  private x0 = 0;
  private width = 1;
  private started = false;
  readonly minY = new Float64Array(BUCKETS).fill(Number.NaN);
  readonly maxY = new Float64Array(BUCKETS).fill(Number.NaN);
  readonly xAtMin = new Float64Array(BUCKETS);
  readonly xAtMax = new Float64Array(BUCKETS);
  /** x of a point whose y is NaN or ±Infinity; NaN when none. */
  readonly gapX = new Float64Array(BUCKETS).fill(Number.NaN);
  readonly count = new Float64Array(BUCKETS);
  /** Byte offsets in metrics.csv of the bucket's first and last row (by file order: the smallest and largest). */
  readonly first = new Float64Array(BUCKETS).fill(Number.POSITIVE_INFINITY);
  readonly last = new Float64Array(BUCKETS).fill(Number.NEGATIVE_INFINITY);

  add(x: number, y: number, offset: number): void {
    if (x !== x) return; // no x on this axis (an epoch-level row on the batch axis)
    if (!this.started) {
      this.started = true;
      this.x0 = Math.floor(x);
    }
    while (x < this.x0 || x >= this.x0 + BUCKETS * this.width) this.widen(x);
    const b = Math.floor((x - this.x0) / this.width);
    this.count[b]!++;
    if (offset < this.first[b]!) this.first[b] = offset;
    if (offset > this.last[b]!) this.last[b] = offset;
    if (y - y !== 0) {
      if (this.gapX[b] !== this.gapX[b]) this.gapX[b] = x;
      return;
    }
    const mn = this.minY[b]!;
    if (mn !== mn || y < mn) {
      this.minY[b] = y;
      this.xAtMin[b] = x;
    }
    const mx = this.maxY[b]!;
    if (mx !== mx || y > mx) {
      this.maxY[b] = y;
      this.xAtMax[b] = x;
    }
  }

  /** Doubles the width (merging pairs) and moves the grid so that x is covered. */
  private widen(x: number): void {
    const w2 = this.width * 2;
    const lo = Math.min(x, this.x0);
    const x0 = Math.floor(lo / w2) * w2;
    const old = {
      minY: Float64Array.from(this.minY),
      maxY: Float64Array.from(this.maxY),
      xAtMin: Float64Array.from(this.xAtMin),
      xAtMax: Float64Array.from(this.xAtMax),
      gapX: Float64Array.from(this.gapX),
      count: Float64Array.from(this.count),
      first: Float64Array.from(this.first),
      last: Float64Array.from(this.last),
    };
    const oldX0 = this.x0;
    const oldW = this.width;
    this.minY.fill(Number.NaN);
    this.maxY.fill(Number.NaN);
    this.gapX.fill(Number.NaN);
    this.count.fill(0);
    this.first.fill(Number.POSITIVE_INFINITY);
    this.last.fill(Number.NEGATIVE_INFINITY);
    this.x0 = x0;
    this.width = w2;
    for (let j = 0; j < BUCKETS; j++) {
      if (old.count[j] === 0) continue;
      const b = Math.floor((oldX0 + j * oldW - x0) / w2);
      if (b < 0 || b >= BUCKETS) throw new Error(`summary: bucket ${j} lands outside the grid (${b}); x0 ${x0}, width ${w2}`);
      this.count[b]! += old.count[j]!;
      if (old.first[j]! < this.first[b]!) this.first[b] = old.first[j]!;
      if (old.last[j]! > this.last[b]!) this.last[b] = old.last[j]!;
      if (this.gapX[b] !== this.gapX[b]) this.gapX[b] = old.gapX[j]!;
      const mn = old.minY[j]!;
      if (mn === mn && (this.minY[b] !== this.minY[b] || mn < this.minY[b]!)) {
        this.minY[b] = mn;
        this.xAtMin[b] = old.xAtMin[j]!;
      }
      const mx = old.maxY[j]!;
      if (mx === mx && (this.maxY[b] !== this.maxY[b] || mx > this.maxY[b]!)) {
        this.maxY[b] = mx;
        this.xAtMax[b] = old.xAtMax[j]!;
      }
    }
    // A grid that still cannot hold x widens again (the caller loops).
  }

  /** The buckets that may hold points with from ≤ x ≤ to. */
  private range(from: number, to: number): [number, number] {
    const a = Math.max(0, Math.floor((Math.max(from, this.x0) - this.x0) / this.width));
    const b = Math.min(BUCKETS - 1, Math.floor((Math.min(to, this.x0 + BUCKETS * this.width - 1) - this.x0) / this.width));
    return [a, b];
  }

  /**
   * Whether the summary answers a window of `width` pixels as well as the points would: its
   * buckets in the window are at least as many as the pixels, or each holds at most its two
   * kept points (then it is exact).
   */
  serves(from: number, to: number, width: number): boolean {
    if (!this.started) return true;
    const [a, b] = this.range(from, to);
    if (b < a) return true;
    let used = 0;
    let exact = true;
    for (let i = a; i <= b; i++) {
      const n = this.count[i]!;
      if (n === 0) continue;
      used++;
      if (n > 2 || (n === 2 && this.gapX[i] === this.gapX[i])) exact = false;
    }
    return exact || used >= width;
  }

  /** The kept points with from ≤ x ≤ to: per bucket its extremes and its gap, as columns. */
  points(from: number, to: number): { x: Float64Array; y: Float64Array; length: number } {
    const [a, b] = this.range(from, to);
    const x = new Float64Array(Math.max(0, (b - a + 1) * 3));
    const y = new Float64Array(x.length);
    let n = 0;
    const put = (px: number, py: number) => {
      if (px >= from && px <= to) {
        x[n] = px;
        y[n++] = py;
      }
    };
    for (let i = a; i <= b; i++) {
      if (this.count[i] === 0) continue;
      if (this.minY[i] === this.minY[i]) {
        put(this.xAtMin[i]!, this.minY[i]!);
        if (this.xAtMax[i] !== this.xAtMin[i] || this.maxY[i] !== this.minY[i]) put(this.xAtMax[i]!, this.maxY[i]!);
      }
      if (this.gapX[i] === this.gapX[i]) put(this.gapX[i]!, Number.NaN);
    }
    return { x, y, length: n };
  }

  /** Points in the buckets that meet [from, to]: exact for the whole axis, at most a bucket's worth more at each end otherwise. */
  countIn(from: number, to: number): number {
    if (!this.started) return 0;
    const [a, b] = this.range(from, to);
    let n = 0;
    for (let i = a; i <= b; i++) n += this.count[i]!;
    return n;
  }

  /** Byte offsets [first row, last row] of the points with from ≤ x ≤ to; undefined when none. */
  bytes(from: number, to: number): [number, number] | undefined {
    const [a, b] = this.range(from, to);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = a; i <= b; i++) {
      if (this.count[i] === 0) continue;
      if (this.first[i]! < lo) lo = this.first[i]!;
      if (this.last[i]! > hi) hi = this.last[i]!;
    }
    return lo <= hi ? [lo, hi] : undefined;
  }
}
