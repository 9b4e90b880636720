/**
 * The rank-aware dispatcher: one per producing thread. Decides which
 * backends take a call (rank, logFreq, kind), interns identifiers and writes
 * the record once into the thread's ring with a mask of those backends.
 */
import { assertKind, KIND_CODE, type Kind } from '../vocab/kinds.js';
import { argError } from '../vocab/errors.js';
import { checkBatchIdx, checkIdentifier, checkStep } from '../vocab/validate.js';
import { encodePayload } from '../codec/payload.js';
import { normalizeItem } from '../codec/normalize.js';
import type { RecordWriter } from '../codec/record-writer.js';
import { BlobWriter } from '../codec/blob-files.js';
import { debug } from '../util/diag.js';
import { MetricHandle } from './metric-handle.js';
import { MetricsHandle } from './metrics-handle.js';
import { StepCounters } from './step-counter.js';
import { kindMasks, rankMask, type BackendRoute } from './route.js';

const METRIC = KIND_CODE.metric;

/** Kinds that form a series over steps, and so get an automatic step when the call gives none (step-counter.ts). */
const STEPPED: ReadonlySet<Kind> = new Set<Kind>(['metric', 'histogram', 'text', 'dict', 'image', 'figure']);

/** Why `h` is not a handle of this dispatcher: missing, not a handle at all, or another logger's. */
function badHandle(h: unknown): Error {
  if (!(h instanceof MetricHandle)) {
    return argError(
      'handle',
      h,
      "pass the MetricHandle that handle('<identifier>') returned on this logger, e.g. const h = logger.handle('loss'); logger.metric(h, value).",
    );
  }
  return argError('handle', h, 'it was made by another logger or thread; make handles with handle() on the logger that uses them.');
}

/** As badHandle(), for logMetrics(handle, values). */
function badMetricsHandle(h: unknown): Error {
  if (!(h instanceof MetricsHandle)) {
    return argError(
      'handle',
      h,
      "pass what metricsHandle([...identifiers]) returned on this logger, e.g. const m = logger.metricsHandle(['loss', 'acc']); logger.logMetrics(m, [loss, acc], step).",
    );
  }
  return argError('handle', h, 'it was made by another logger or thread; make handles with metricsHandle() on the logger that uses them.');
}

export class Dispatcher {
  private readonly kindMask: Int32Array;
  /** Backends with logFreq 'batch'. */
  private readonly batchAll: number;
  /** Backends with logFreq N: their bits and N. */
  private readonly everyBit: Int32Array;
  private readonly everyN: Int32Array;
  private readonly ids = new Map<string, number>();
  /** Identifiers already validated: a call that no backend takes must still cost a few ns, not a regex. */
  private readonly checked = new Set<string>();
  private readonly skipNoticed = new Set<string>();
  private readonly blobs: BlobWriter;
  /** Automatic steps per identifier, for calls without a step. */
  private readonly steps = new StepCounters();
  /** Backends that take anything from this rank. */
  readonly mask: number;
  /** Key rules of the backends on this rank (e.g. MLflow's key pattern). */
  private readonly keyRules: { name: string; re: RegExp; rule: string }[] = [];
  /** Backends with a param length limit: their bit and the limit. */
  private readonly paramLimits: { bit: number; max: number; name: string }[] = [];

  constructor(
    private readonly routes: readonly BackendRoute[],
    readonly rank: number,
    private readonly records: RecordWriter | undefined,
    blobDir: string,
  ) {
    this.blobs = new BlobWriter(blobDir, rank);
    this.kindMask = kindMasks(routes, rank);
    this.mask = records ? rankMask(routes, rank) : 0;
    let batchAll = 0;
    const bits: number[] = [];
    const ns: number[] = [];
    for (const r of routes) {
      if (r.freq === 0) batchAll |= 1 << r.index;
      else if (r.freq > 0) {
        bits.push(1 << r.index);
        ns.push(r.freq);
      }
    }
    this.batchAll = batchAll;
    for (const r of routes) {
      if (!r.limits || (this.mask & (1 << r.index)) === 0) continue;
      if (r.limits.keyPattern)
        this.keyRules.push({ name: r.name, re: new RegExp(r.limits.keyPattern, 'u'), rule: r.limits.keyRule ?? `keys matching ${r.limits.keyPattern}` });
      if (r.limits.maxParamLength) this.paramLimits.push({ bit: 1 << r.index, max: r.limits.maxParamLength, name: r.name });
    }
    this.everyBit = Int32Array.from(bits);
    this.everyN = Int32Array.from(ns);
  }

  /** Backends (within `subset`) that take a call with this batchIdx, by their logFreq. */
  private freqMask(mask: number, batchIdx: number | undefined): number {
    if (batchIdx === undefined) return mask; // every logFreq takes calls without batchIdx
    let m = mask & this.batchAll;
    const bits = this.everyBit;
    for (let i = 0; i < bits.length; i++) {
      if ((mask & bits[i]!) !== 0 && batchIdx % this.everyN[i]! === 0) m |= bits[i]!;
    }
    return m;
  }

  private check(identifier: string): void {
    if (this.checked.has(identifier)) return;
    checkIdentifier(identifier);
    for (const { name, re, rule } of this.keyRules) {
      if (!re.test(identifier)) throw argError('identifier', identifier, `${name} accepts only ${rule}; rename it.`);
    }
    this.checked.add(identifier);
  }

  private intern(identifier: string): number {
    let id = this.ids.get(identifier);
    if (id === undefined) {
      this.check(identifier);
      id = this.records!.define(identifier);
      this.ids.set(identifier, id);
    }
    return id;
  }

  handle(identifier: string, subset: number): MetricHandle {
    const mask = this.kindMask[METRIC]! & subset & this.mask;
    if (mask !== (subset & this.mask)) this.noticeSkips('metric', identifier, subset);
    if (mask === 0) {
      this.check(identifier);
      return new MetricHandle(identifier, -1, 0, this, this.steps.counter(identifier));
    }
    return new MetricHandle(identifier, this.intern(identifier), mask, this, this.steps.counter(identifier));
  }

  /** Handles for a fixed set of identifiers, for metrics(). */
  metricsHandle(identifiers: readonly string[], subset: number): MetricsHandle {
    const fix = "pass a non-empty array of distinct identifiers, e.g. metricsHandle(['loss', 'acc']).";
    if (!Array.isArray(identifiers) || identifiers.length === 0) throw argError('identifiers', identifiers, fix);
    const seen = new Set<string>();
    for (const [i, id] of identifiers.entries()) {
      if (typeof id !== 'string') throw argError(`identifiers[${i}]`, id, fix);
      if (seen.has(id)) throw argError(`identifiers[${i}]`, id, `it is in the list twice; ${fix}`);
      seen.add(id);
      this.check(id); // all or nothing: no handle interned before every identifier passed
    }
    return new MetricsHandle(
      identifiers.map((id) => this.handle(id, subset)),
      this,
    );
  }

  /** The fast path: a pre-resolved handle, a number, no allocation. */
  metric(h: MetricHandle, value: number, step: number | undefined, batchIdx: number | undefined): void {
    if (typeof value !== 'number') throw argError('value (metric)', value, 'pass a number (NaN and ±Infinity are kept).');
    if (step !== undefined && !Number.isSafeInteger(step)) checkStep(step);
    if (batchIdx !== undefined && !(batchIdx >= 0 && batchIdx <= 0x7fffffff && (batchIdx | 0) === batchIdx)) checkBatchIdx(batchIdx);
    // `?.`: a missing handle is one more compare here, not a TypeError about 'owner'.
    if (h?.owner !== this) throw badHandle(h);
    if (h.mask === 0) return;
    // Counted before logFreq, so every backend gets the same step for this call.
    const s = step === undefined ? h.steps.next++ : step;
    const m = batchIdx === undefined ? h.mask : this.freqMask(h.mask, batchIdx);
    if (m === 0) return;
    this.records!.scalar(h.id, m, value, s, batchIdx === undefined ? -1 : batchIdx);
  }

  /** logMetrics(handle, values): a fixed set of scalars, one check and one logFreq decision, no allocation. */
  metrics(h: MetricsHandle, values: ArrayLike<number>, step: number | undefined, batchIdx: number | undefined): void {
    if (h?.owner !== this) throw badMetricsHandle(h);
    const hs = h.handles;
    const n = hs.length;
    if (values?.length !== n) {
      throw argError(
        'values',
        values,
        `pass ${n} numbers (an array or Float64Array), one per identifier of the handle in its order: ${h.identifiers.join(', ')}.`,
      );
    }
    if (step !== undefined && !Number.isSafeInteger(step)) checkStep(step);
    if (batchIdx !== undefined && !(batchIdx >= 0 && batchIdx <= 0x7fffffff && (batchIdx | 0) === batchIdx)) checkBatchIdx(batchIdx);
    for (let i = 0; i < n; i++) {
      if (typeof values[i] !== 'number') throw argError(`values[${i}] (${h.identifiers[i]})`, values[i], 'pass a number (NaN and ±Infinity are kept).');
    }
    if (h.mask === 0) return;
    // Every handle of the set has the same mask (same kind, same subset): one logFreq decision.
    const m = batchIdx === undefined ? h.mask : this.freqMask(h.mask, batchIdx);
    const b = batchIdx === undefined ? -1 : batchIdx;
    for (let i = 0; i < n; i++) {
      const hi = hs[i]!;
      const s = step === undefined ? hi.steps.next++ : step;
      if (m !== 0) this.records!.scalar(hi.id, m, values[i]!, s, b);
    }
  }

  /** logMetrics({ key: value }): several scalars, checked all before any is written. */
  logMetrics(metrics: Readonly<Record<string, number>>, step: number | undefined, batchIdx: number | undefined, subset: number): void {
    if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics) || metrics instanceof MetricsHandle) {
      throw argError('metrics', metrics, 'pass an object of numbers, e.g. logMetrics({ loss, acc }, { step }), or a metricsHandle() and an array of values.');
    }
    checkStep(step);
    checkBatchIdx(batchIdx);
    const keys = Object.keys(metrics);
    for (const key of keys) {
      const v = metrics[key];
      if (typeof v !== 'number')
        throw argError(`metrics.${key}`, v, 'pass a number (NaN and ±Infinity are kept), or log other kinds with log(item, identifier, { kind }).');
      this.check(key);
    }
    for (const key of keys) this.log(metrics[key], key, 'metric', step, batchIdx, subset);
  }

  /** The general path: any kind. */
  log(item: unknown, identifier: string, kind: Kind | undefined, step: number | undefined, batchIdx: number | undefined, subset: number): void {
    if (kind === undefined || kind === 'metric') {
      if (kind === undefined && typeof item !== 'number') {
        throw argError('kind', kind, `the default kind is 'metric', which takes a number; pass { kind } for ${typeof item} items.`);
      }
      if (typeof item === 'number') {
        if (step !== undefined && !Number.isSafeInteger(step)) checkStep(step);
        if (batchIdx !== undefined && !(batchIdx >= 0 && batchIdx <= 0x7fffffff && (batchIdx | 0) === batchIdx)) checkBatchIdx(batchIdx);
        const base = this.kindMask[METRIC]! & subset & this.mask;
        if (base !== (subset & this.mask)) this.noticeSkips('metric', identifier, subset);
        const s = step === undefined ? (base === 0 ? NaN : this.steps.take(identifier)) : step;
        const m = this.freqMask(base, batchIdx);
        if (m === 0) {
          this.check(identifier);
          return;
        }
        this.records!.scalar(this.intern(identifier), m, item, s, batchIdx === undefined ? -1 : batchIdx);
        return;
      }
    }
    const k = assertKind(kind);
    this.check(identifier);
    checkStep(step);
    checkBatchIdx(batchIdx);
    const base = this.kindMask[KIND_CODE[k]]! & subset & this.mask;
    const m = this.freqMask(base, batchIdx);
    let value = item;
    if (k === 'model' && typeof item === 'object' && item !== null && typeof (item as { save?: unknown }).save === 'function') {
      if (m === 0) return; // a model that saves itself: nothing to check, and no save() where nobody logs it
      value = this.saveModel(item as { save(dir: string): unknown }, identifier);
    }
    const normalized = normalizeItem(k, value); // validate even when no backend takes it: bad input is an error everywhere
    if (k === 'param' && normalized !== null) {
      const len = String(normalized).length;
      for (const p of this.paramLimits) {
        if ((m & p.bit) !== 0 && len > p.max)
          throw argError(
            `param '${identifier}'`,
            normalized,
            `${p.name} keeps at most ${p.max} characters (it has ${len}); log it as text instead.`,
            RangeError,
          );
      }
    }
    if (base !== (subset & this.mask)) this.noticeSkips(k, identifier, subset);
    // Counted once the item is valid and before logFreq (as for metrics); params, paths and datasets keep no step.
    const s = step === undefined ? (base !== 0 && STEPPED.has(k) ? this.steps.take(identifier) : NaN) : step;
    if (m === 0) return;
    const id = this.intern(identifier);
    const bytes = encodePayload(k, normalized);
    const b = batchIdx === undefined ? -1 : batchIdx;
    // Big payloads go to a blob file the writers read, not byte by byte through the ring.
    if (bytes.length > this.records!.maxInlineBytes) this.records!.blob(id, m, KIND_CODE[k], this.blobs.spill(bytes, bitCount(m)), s, b);
    else this.records!.payload(id, m, KIND_CODE[k], bytes, s, b);
  }

  private saveModel(model: { save(dir: string): unknown }, identifier: string): string {
    const dir = this.blobs.modelDir(identifier);
    const r = model.save(dir);
    if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
      throw argError(
        'item (model)',
        model,
        `its save(dir) returned a promise, and log() is synchronous; await model.save('<dir>') yourself, then log the directory path.`,
      );
    }
    return dir;
  }

  private noticeSkips(kind: Kind, identifier: string, subset: number): void {
    const want = subset & this.mask;
    const missing = want & ~this.kindMask[KIND_CODE[kind]]!;
    for (const r of this.routes) {
      if ((missing & (1 << r.index)) === 0) continue;
      const key = `${r.index}\u0000${identifier}`;
      if (this.skipNoticed.has(key)) continue;
      this.skipNoticed.add(key);
      debug(`${r.name} does not support kind '${kind}'; skipping '${identifier}' on that backend`);
    }
  }
}

/** Backends in a mask: how many writers must read a blob before it can go. */
function bitCount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}
