// A 4→H→3 multilayer perceptron: tanh hidden layer, softmax cross-entropy,
// parameters and gradients in flat Float64Arrays so the gradient can be copied
// straight into shared memory for the allreduce.
import { mulberry32 } from './dataset.js';

export class MLP {
  readonly nParams: number;
  /** Layout: W1[H×D] | b1[H] | W2[C×H] | b2[C], row-major. */
  readonly params: Float64Array;
  private readonly oW1 = 0;
  private readonly oB1: number;
  private readonly oW2: number;
  private readonly oB2: number;
  // Scratch buffers reused for every sample: no allocation in the training loop.
  private readonly h: Float64Array;
  private readonly p: Float64Array;
  private readonly dh: Float64Array;

  static paramCount(nIn: number, nHidden: number, nOut: number): number {
    return nHidden * nIn + nHidden + nOut * nHidden + nOut;
  }

  constructor(
    readonly nIn: number,
    readonly nHidden: number,
    readonly nOut: number,
    seed: number,
  ) {
    this.oB1 = nHidden * nIn;
    this.oW2 = this.oB1 + nHidden;
    this.oB2 = this.oW2 + nOut * nHidden;
    this.nParams = this.oB2 + nOut;
    this.params = new Float64Array(this.nParams);
    this.h = new Float64Array(nHidden);
    this.p = new Float64Array(nOut);
    this.dh = new Float64Array(nHidden);
    // Glorot-uniform weights, zero biases; same seed on every rank → same start.
    const rand = mulberry32(seed);
    const glorot = (off: number, fanIn: number, fanOut: number) => {
      const a = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < fanIn * fanOut; i++) this.params[off + i] = (2 * rand() - 1) * a;
    };
    glorot(this.oW1, nIn, nHidden);
    glorot(this.oW2, nHidden, nOut);
  }

  /** Forward pass of x[off..off+nIn) into this.h / this.p (softmax probabilities). */
  private forward(x: Float64Array, off: number): void {
    const { params: w, h, p, nIn, nHidden, nOut } = this;
    for (let j = 0; j < nHidden; j++) {
      let s = w[this.oB1 + j]!;
      for (let i = 0; i < nIn; i++) s += w[this.oW1 + j * nIn + i]! * x[off + i]!;
      h[j] = Math.tanh(s);
    }
    let max = -Infinity;
    for (let k = 0; k < nOut; k++) {
      let s = w[this.oB2 + k]!;
      for (let j = 0; j < nHidden; j++) s += w[this.oW2 + k * nHidden + j]! * h[j]!;
      p[k]! = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let k = 0; k < nOut; k++) z += p[k] = Math.exp(p[k]! - max); // subtract max: no overflow
    for (let k = 0; k < nOut; k++) p[k]! /= z;
  }

  private argmax(): number {
    let best = 0;
    for (let k = 1; k < this.nOut; k++) if (this.p[k]! > this.p[best]!) best = k;
    return best;
  }

  /**
   * Adds the gradient of the summed cross-entropy over samples [from, to) into
   * grad (not averaged: the allreduce divides by the global sample count).
   * Returns the summed loss.
   */
  accumulateGradient(x: Float64Array, y: Int32Array, idx: ArrayLike<number>, from: number, to: number, grad: Float64Array): number {
    const { params: w, h, p, dh, nIn, nHidden, nOut } = this;
    let loss = 0;
    for (let s = from; s < to; s++) {
      const i = idx[s]!;
      const off = i * nIn;
      this.forward(x, off);
      loss -= Math.log(Math.max(p[y[i]!]!, 1e-300));
      dh.fill(0);
      for (let k = 0; k < nOut; k++) {
        const dz = p[k]! - (k === y[i] ? 1 : 0); // ∂loss/∂logit for softmax + cross-entropy
        grad[this.oB2 + k]! += dz;
        for (let j = 0; j < nHidden; j++) {
          grad[this.oW2 + k * nHidden + j]! += dz * h[j]!;
          dh[j]! += dz * w[this.oW2 + k * nHidden + j]!;
        }
      }
      for (let j = 0; j < nHidden; j++) {
        const da = dh[j]! * (1 - h[j]! * h[j]!); // tanh' = 1 − tanh²
        grad[this.oB1 + j]! += da;
        for (let q = 0; q < nIn; q++) grad[this.oW1 + j * nIn + q]! += da * x[off + q]!;
      }
    }
    return loss;
  }

  /** params −= lr · grad. */
  sgdStep(grad: Float64Array, lr: number): void {
    for (let i = 0; i < this.nParams; i++) this.params[i]! -= lr * grad[i]!;
  }

  /** Fraction of samples classified correctly. */
  accuracy(x: Float64Array, y: Int32Array, n: number): number {
    let correct = 0;
    for (let i = 0; i < n; i++) {
      this.forward(x, i * this.nIn);
      if (this.argmax() === y[i]) correct++;
    }
    return n === 0 ? 0 : correct / n;
  }

  /** Weights as nested arrays, for a JSON model file. */
  toJSON(): { W1: number[][]; b1: number[]; W2: number[][]; b2: number[] } {
    const w = this.params;
    const rows = (off: number, r: number, c: number) => Array.from({ length: r }, (_, j) => Array.from(w.subarray(off + j * c, off + (j + 1) * c)));
    return {
      W1: rows(this.oW1, this.nHidden, this.nIn),
      b1: Array.from(w.subarray(this.oB1, this.oW2)),
      W2: rows(this.oW2, this.nOut, this.nHidden),
      b2: Array.from(w.subarray(this.oB2)),
    };
  }
}
