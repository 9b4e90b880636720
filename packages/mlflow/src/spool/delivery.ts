/**
 * Delivers ops to a tracking store in order (batches of different runs may share a
 * window of concurrent requests; one run's stay in order). When the server
 * stays unreachable past the retries, everything queued goes to the spool and
 * later ops follow it there; a probe replays the spool when the server is
 * back, then delivery continues from memory. A rejected op (4xx) is reported
 * with the server's message and skipped — a bad batch is bisected first, so
 * only the offending items are lost, never the stream behind them.
 */
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { copyTree, skippedLinksMessage, type TreeOptions } from '@ranklog/core/sink';
import { MlflowApiError, TransientError } from '../rest/errors.js';
import { splitBatch } from '../rest/limits.js';
import type { Batch, TrackingStore } from '../store.js';
import { recordsIn, type Op, type SpoolState } from './ops.js';
import type { Spool } from './spool.js';

export interface FindingStore extends TrackingStore {
  findRun?(experimentId: string, tag: { key: string; value: string }): Promise<string | undefined>;
}

type Item = ['m', Batch['metrics'][number]] | ['p', Batch['params'][number]] | ['t', Batch['tags'][number]];

function toBatch(items: Item[]): Batch {
  const b: Batch = { metrics: [], params: [], tags: [] };
  for (const [k, v] of items) {
    if (k === 'm') b.metrics.push(v);
    else if (k === 'p') b.params.push(v);
    else b.tags.push(v);
  }
  return b;
}

export interface DeliveryCounters {
  delivered: number;
  spooled: number;
  replayed: number;
  rejected: number;
}

const PROBE_MIN_MS = 500;
const PROBE_MAX_MS = 30_000;
const FIND_TIMEOUT_MS = 60_000;
/** log-batch requests in flight at once (the client's agent keeps up to 4 connections). */
const IN_FLIGHT = 4;
/** Records waiting in memory before the rest waits on disk: a server slower than the training never grows our memory without bound. */
const MAX_QUEUED_RECORDS = 500_000;

export class Delivery {
  private queue: Op[] = [];
  private queued = 0;
  /** Ops at the head of the queue that the pump is sending now (never moved to the spool). */
  private inFlight = 0;
  private running: Promise<void> | undefined;
  private probe: NodeJS.Timeout | undefined;
  private probeMs = PROBE_MIN_MS;
  private artifactSeq = 0;
  offline = false;
  /** Offline because the server was away (not just a backlog): say so when it is back. */
  private unreachable = false;
  readonly counters: DeliveryCounters = { delivered: 0, spooled: 0, replayed: 0, rejected: 0 };

  constructor(
    private readonly store: FindingStore,
    private readonly spool: Spool,
    readonly state: SpoolState,
    private readonly warn: (message: string) => void,
    /** How artifact directories are copied into the spool: the same link rule as the stores. */
    private readonly artifactTree: TreeOptions = {},
  ) {
    // A spool left by an earlier run of this job is replayed first, before anything new.
    if ((spool.readState()?.delivered ?? 0) < spool.readOps().length) this.offline = true;
  }

  enqueue(ops: Op[]): void {
    if (ops.length === 0) return;
    if (this.offline) this.toSpool(ops);
    else {
      this.queue.push(...ops);
      for (const op of ops) this.queued += recordsIn(op);
      if (this.queued > MAX_QUEUED_RECORDS) {
        // The server is reachable but slower than the training: the backlog waits on disk, in order.
        this.offline = true;
        this.toSpool(this.queue.slice(this.inFlight));
        this.queue = this.queue.slice(0, this.inFlight);
        this.queued = this.queue.reduce((n, op) => n + recordsIn(op), 0);
      }
    }
    this.kick();
  }

  /** Start delivering if idle. */
  kick(): void {
    this.running ??= this.pump().finally(() => (this.running = undefined));
  }

  /** Deliver what is queued; resolves when the queue is empty or spooled. */
  async drain(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  /** Keep delivering (probing while the server is away) until nothing is left or the deadline. */
  async settle(deadline: number): Promise<void> {
    for (;;) {
      await this.drain();
      if (!this.offline || Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
      clearTimeout(this.probe);
      this.kick();
    }
  }

  /** Queued ops to the spool (artifacts copied in, so a later replay still has them). */
  private toSpool(ops: Op[]): void {
    const own = ops.map((op) => {
      if (op.op !== 'artifact') return op;
      const dir = join(this.spool.dir, 'artifacts', String(this.artifactSeq++));
      mkdirSync(dir, { recursive: true });
      const copy = join(dir, basename(op.localPath));
      // The spool's copy holds plain files only, so a replay (even by the CLI) follows no link.
      if (statSync(op.localPath).isDirectory()) {
        const why = skippedLinksMessage(op.localPath, copyTree(op.localPath, copy, this.artifactTree).skipped);
        if (why !== undefined) this.warn(why);
      } else {
        copyFileSync(op.localPath, copy);
      }
      return { ...op, localPath: copy };
    });
    this.spool.append(own);
    this.spool.writeState(this.state);
    for (const op of own) this.counters.spooled += recordsIn(op);
  }

  private goOffline(e: TransientError): void {
    if (!this.unreachable) this.warn(`tracking server unreachable (${e.message}); spooling to ${this.spool.dir} and retrying in the background`);
    this.offline = true;
    this.unreachable = true;
    this.toSpool(this.queue);
    this.queue = [];
    this.queued = 0;
    clearTimeout(this.probe);
    this.probe = setTimeout(() => this.kick(), this.probeMs);
    this.probeMs = Math.min(PROBE_MAX_MS, this.probeMs * 2);
  }

  private async pump(): Promise<void> {
    if (this.offline && !(await this.replay())) return;
    while (this.queue.length > 0 || this.offline) {
      if (this.offline) {
        if (this.queue.length > 0) {
          this.toSpool(this.queue); // went offline (backlog) while a window was in flight
          this.queue = [];
          this.queued = 0;
        }
        if (!(await this.replay())) return;
        continue;
      }
      // Consecutive batches of different runs (ranks) go out together, up to IN_FLIGHT requests:
      // a server with 10–50 ms per request would otherwise cap a job at 20–100k metrics/s.
      // Anything else is a barrier.
      // Only batches of different runs share a window: one run's requests stay in log order
      // (a file-store-backed server lists metric history in arrival order).
      const refs = new Set<string>();
      let n = 0;
      while (n < IN_FLIGHT && n < this.queue.length && this.queue[n]!.op === 'batch' && !refs.has(this.queue[n]!.ref)) refs.add(this.queue[n++]!.ref);
      const window = this.queue.slice(0, Math.max(1, n));
      this.inFlight = window.length;
      const results = await Promise.allSettled(window.map((op) => this.execute(op)));
      this.inFlight = 0;
      let transient: TransientError | undefined;
      const retry: Op[] = [];
      results.forEach((r, i) => {
        const op = window[i]!;
        if (r.status === 'fulfilled') this.counters.delivered += recordsIn(op);
        else if (r.reason instanceof TransientError) {
          transient ??= r.reason;
          retry.push(op); // only what did not arrive goes to the spool: nothing is sent twice
        } else this.reject(op, r.reason);
      });
      this.queue.splice(0, window.length);
      for (const op of window) this.queued -= recordsIn(op);
      if (transient) {
        this.queue.unshift(...retry);
        for (const op of retry) this.queued += recordsIn(op);
        return this.goOffline(transient);
      }
    }
  }

  /** Replay the spool in order from the first undelivered op; false if the server is still away. */
  private async replay(): Promise<boolean> {
    // Ops keep arriving in the spool while we replay (delivery is offline until it is empty):
    // re-read until nothing is left, and clear only after a read that found nothing new.
    for (let ops = this.spool.readOps(); this.state.delivered < ops.length; ops = this.spool.readOps()) {
      if (!(await this.replayFrom(ops))) return false;
    }
    this.spool.clear(this.state);
    this.state.delivered = 0;
    this.offline = false;
    this.probeMs = PROBE_MIN_MS;
    if (this.unreachable) this.warn(`tracking server reachable again; the spool is replayed`);
    this.unreachable = false;
    return true;
  }

  private async replayFrom(ops: Op[]): Promise<boolean> {
    for (let i = this.state.delivered; i < ops.length; i++) {
      const op = ops[i]!;
      try {
        await this.execute(op);
        this.counters.replayed += recordsIn(op);
      } catch (e) {
        if (e instanceof TransientError) {
          this.goOffline(e);
          return false;
        }
        this.reject(op, e);
      }
      this.state.delivered = i + 1;
      this.spool.writeState(this.state); // after each op: a crash mid-replay resends nothing
    }
    return true;
  }

  private reject(op: Op, e: unknown): void {
    this.counters.rejected += Math.max(1, recordsIn(op));
    this.warn(`${op.op} for ${op.ref} rejected: ${e instanceof Error ? e.message : String(e)}`);
  }

  private async experimentId(): Promise<string> {
    this.state.experimentId ??= await this.store.getOrCreateExperiment(this.state.experimentName);
    return this.state.experimentId;
  }

  private runId(ref: string): string {
    const id = this.state.runIds[ref];
    if (id === undefined) throw new MlflowApiError(0, 'NO_RUN', `no run for '${ref}' (its creation failed earlier)`, 'ranklog');
    return id;
  }

  private async execute(op: Op): Promise<void> {
    switch (op.op) {
      case 'attach':
        this.state.runIds[op.ref] = op.runId;
        return;
      case 'run': {
        if (this.state.runIds[op.ref] !== undefined) return; // created before a restart of the delivery
        const parent = op.parent === undefined ? undefined : this.runId(op.parent);
        const tags = parent === undefined ? op.tags : [...op.tags, { key: 'mlflow.parentRunId', value: parent }];
        this.state.runIds[op.ref] = await this.store.createRun(await this.experimentId(), { runName: op.runName, startTime: op.startTime, tags });
        this.spool.writeState(this.state);
        return;
      }
      case 'find': {
        if (this.state.runIds[op.ref] !== undefined) return;
        const deadline = Date.now() + FIND_TIMEOUT_MS;
        while (this.store.findRun && Date.now() < deadline) {
          const id = await this.store.findRun(await this.experimentId(), op.tag);
          if (id !== undefined) {
            this.state.runIds[op.ref] = id;
            this.spool.writeState(this.state);
            return;
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
        this.warn(`no run tagged ${op.tag.key}=${op.tag.value} appeared within ${FIND_TIMEOUT_MS / 1000} s; creating one`);
        return this.execute(op.orCreate);
      }
      case 'batch':
        for (const part of splitBatch(op.batch)) await this.deliverBatch(this.runId(op.ref), part);
        return;
      case 'inputs':
        return this.store.logInputs(this.runId(op.ref), op.datasets);
      case 'artifact':
        return this.store.logArtifact(this.runId(op.ref), op.localPath, op.artifactPath);
      case 'end':
        return this.store.updateRun(this.runId(op.ref), op.status, op.endTime);
    }
  }

  /** One request's worth; on a 4xx, halve until the offending items are alone, and drop only those. */
  private async deliverBatch(runId: string, batch: Batch): Promise<void> {
    try {
      await this.store.logBatch(runId, batch);
    } catch (e) {
      if (!(e instanceof MlflowApiError)) throw e;
      // Bisect the items as one list (metrics, then params, then tags), so every half is smaller.
      const items: Item[] = [...batch.metrics.map((m) => ['m', m] as Item), ...batch.params.map((p) => ['p', p] as Item), ...batch.tags.map((t) => ['t', t] as Item)];
      if (items.length <= 1) {
        this.counters.rejected++;
        this.warn(`key '${items[0]?.[1].key}' rejected by the tracking server: ${e.serverMessage} (${e.errorCode}); the rest of the stream goes on`);
        return;
      }
      const mid = items.length >> 1;
      await this.deliverBatch(runId, toBatch(items.slice(0, mid)));
      await this.deliverBatch(runId, toBatch(items.slice(mid)));
    }
  }

  /** Records not delivered: queued in memory or waiting in the spool. */
  undelivered(): number {
    return this.queued + (this.offline ? this.spool.pendingRecords() : 0);
  }

  stop(): void {
    clearTimeout(this.probe);
  }
}
