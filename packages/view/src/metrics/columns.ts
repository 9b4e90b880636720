/**
 * One curve's points as parallel Float64Array columns, grown as rows arrive: 32 bytes a point,
 * no boxed numbers, no per-point objects. A missing step or batch index is NaN.
 */
export class Columns {
  length = 0;
  step: Float64Array;
  batch: Float64Array;
  time: Float64Array;
  value: Float64Array;

  constructor(capacity = 16) {
    this.step = new Float64Array(capacity);
    this.batch = new Float64Array(capacity);
    this.time = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
  }

  push(step: number, batch: number, time: number, value: number): void {
    if (this.length === this.step.length) this.grow();
    const i = this.length++;
    this.step[i] = step;
    this.batch[i] = batch;
    this.time[i] = time;
    this.value[i] = value;
  }

  /** The column that serves as x for `kind`. */
  x(kind: XKind): Float64Array {
    return kind === 'step' ? this.step : kind === 'time' ? this.time : this.batch;
  }

  private grow(): void {
    // ×1.5 rather than ×2: less slack on the large curves that dominate memory.
    const cap = Math.max(16, Math.ceil(this.step.length * 1.5));
    const grown = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.step = grown(this.step);
    this.batch = grown(this.batch);
    this.time = grown(this.time);
    this.value = grown(this.value);
  }
}

/** What a chart's x axis is: the step, the wall-clock time (ms since the epoch), or the batch index. */
export type XKind = 'step' | 'time' | 'batch';
export const X_KINDS: readonly XKind[] = ['step', 'time', 'batch'];
