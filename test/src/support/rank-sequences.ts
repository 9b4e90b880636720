/**
 * Per-rank sequences read back from a backend, for volume tests: each rank logged steps 0..n-1 in
 * order with a value the test can recompute. Collects (step, value) per rank as read, then says what
 * was lost, duplicated, out of order or wrong, without keeping decoded records around.
 */
export interface SequenceReport {
  count: number;
  lost: number;
  duplicated: number;
  /** Places where a step is not above the one read before it (per-rank order broken). */
  outOfOrder: number;
  wrongValues: number;
}

export class RankSequences {
  private readonly steps = new Map<number, number[]>();
  private readonly wrong = new Map<number, number>();

  constructor(private readonly expectedValue: (rank: number, step: number) => number) {}

  add(rank: number, step: number, value: number): void {
    let s = this.steps.get(rank);
    if (!s) this.steps.set(rank, (s = []));
    s.push(step);
    if (value !== this.expectedValue(rank, step)) this.wrong.set(rank, (this.wrong.get(rank) ?? 0) + 1);
  }

  ranks(): number[] {
    return [...this.steps.keys()].sort((a, b) => a - b);
  }

  /** What rank `rank`'s sequence holds against steps 0..n-1. */
  report(rank: number, n: number): SequenceReport {
    const steps = this.steps.get(rank) ?? [];
    const seen = new Uint8Array(n);
    let duplicated = 0;
    let outOfOrder = 0;
    let outside = 0;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      if (i > 0 && s <= steps[i - 1]!) outOfOrder++;
      if (s < 0 || s >= n || !Number.isInteger(s)) outside++;
      else if (seen[s]) duplicated++;
      else seen[s] = 1;
    }
    let lost = 0;
    for (let s = 0; s < n; s++) if (!seen[s]) lost++;
    return { count: steps.length, lost, duplicated: duplicated + outside, outOfOrder, wrongValues: this.wrong.get(rank) ?? 0 };
  }
}
