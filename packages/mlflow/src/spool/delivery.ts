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
import { copyTree, isDiskError, skippedLinksMessage, WriteFailure, type TreeOptions, type WriteFailures } from '@ranklog/core/sink';
import { FileStoreWriteError } from '../filestore/validation.js';
import { MlflowApiError, TransientError } from '../rest/errors.js';
import { splitBatch } from '../rest/limits.js';
import { endTag, endValue, jobRunId, jobStatus } from '../job-run.js';
import type { Batch, RunTag, TrackingStore } from '../store.js';
import { recordsIn, type Op, type SpoolState } from './ops.js';
import type { Spool } from './spool.js';

/** A store with what a job's shared parent run needs: an exclusive create (the file store) or a search by tag (a tracking server). */
export interface FindingStore extends TrackingStore {
  findRun?(experimentId: string, tag: RunTag): Promise<string | undefined>;
  createOrJoinRun?(
    experimentId: string,
    runId: string,
    opts: { runName: string; startTime: number; tags: RunTag[] },
    identity: RunTag,
  ): Promise<'created' | 'joined'>;
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
  /** Records a disk refused: the file store's, or the spool's while the server was away. */
  failed: number;
}

/** Ops that carry records: what a disk that refuses writes makes us drop during a backoff (runs and ends are always tried). */
function carriesRecords(op: Op): boolean {
  return op.op === 'batch' || op.op === 'inputs' || op.op === 'artifact';
}

const PROBE_MIN_MS = 500;
const PROBE_MAX_MS = 30_000;
/** How long a process waits for another to create the job's parent on a tracking server before it creates one itself. */
const FIND_TIMEOUT_MS = 60_000;
const FIND_POLL_MIN_MS = 100;
const FIND_POLL_MAX_MS = 1000;
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
  /** Set by settle(): waiting for another process's run never outlasts the close budget. */
  private closeBy = Infinity;
  readonly counters: DeliveryCounters = { delivered: 0, spooled: 0, replayed: 0, rejected: 0, failed: 0 };

  constructor(
    private readonly store: FindingStore,
    private readonly spool: Spool,
    readonly state: SpoolState,
    private readonly warn: (message: string) => void,
    /** A full disk under the file store or the spool: records dropped and counted, said once, retried with backoff. */
    readonly failures: WriteFailures,
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
    this.closeBy = deadline;
    for (;;) {
      await this.drain();
      if (!this.offline || Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now()))));
      clearTimeout(this.probe);
      this.kick();
    }
  }

  /** Queued ops to the spool (artifacts copied in, so a later replay still has them). A disk that refuses them loses them, counted. */
  private toSpool(ops: Op[]): void {
    const records = ops.reduce((n, op) => n + recordsIn(op), 0);
    if (!this.failures.shouldTry()) return this.lose(records);
    let own: Op[];
    try {
      own = ops.map((op) => {
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
    } catch (e) {
      if (!isDiskError(e instanceof WriteFailure ? e.cause : e)) throw e;
      this.counters.failed += records;
      return this.failures.fail(e, e instanceof WriteFailure ? e.path : this.spool.dir, records);
    }
    this.failures.succeed();
    this.saveState();
    for (const op of own) this.counters.spooled += recordsIn(op);
  }

  /** Records dropped without a write: the disk refused the last one and the backoff has not passed. */
  private lose(records: number): void {
    this.counters.failed += records;
    this.failures.drop(records);
  }

  /** The spool's state; a disk that refuses it is said (once) and the state is written again with the next op. */
  private saveState(): void {
    try {
      this.spool.writeState(this.state);
    } catch (e) {
      if (!isDiskError(e)) throw e;
      this.failures.fail(e, this.spool.dir, 0);
    }
  }

  /** The file store's disk refused (part of) an op: what reached it counts as delivered, the rest as failed. */
  private diskRefused(op: Op, e: FileStoreWriteError): void {
    const lost = Math.max(0, recordsIn(op) - e.written);
    this.counters.delivered += e.written;
    this.counters.failed += lost;
    this.failures.fail(e, e.path, lost);
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
      if (this.store.onDisk && carriesRecords(this.queue[0]!) && !this.failures.shouldTry()) {
        const op = this.queue.shift()!;
        this.queued -= recordsIn(op);
        this.lose(recordsIn(op));
        continue;
      }
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
        if (r.status === 'fulfilled') {
          this.counters.delivered += recordsIn(op);
          if (this.store.onDisk && carriesRecords(op)) this.failures.succeed();
        } else if (r.reason instanceof FileStoreWriteError) this.diskRefused(op, r.reason);
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
      this.saveState(); // after each op: a crash mid-replay resends nothing
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
        this.state.runIds[op.ref] = await this.store.createRun(await this.experimentId(), this.createOpts(op));
        this.saveState();
        return;
      }
      case 'find':
        if (this.state.runIds[op.ref] !== undefined) return;
        this.state.runIds[op.ref] = await this.sharedRun(op);
        this.saveState();
        return;
      case 'batch':
        for (const part of splitBatch(op.batch)) await this.deliverBatch(this.runId(op.ref), part);
        return;
      case 'inputs':
        return this.store.logInputs(this.runId(op.ref), op.datasets);
      case 'artifact':
        return this.store.logArtifact(this.runId(op.ref), op.localPath, op.artifactPath);
      case 'end':
        return this.store.updateRun(this.runId(op.ref), op.status, op.endTime);
      case 'endShared': {
        // Write our end, THEN read everyone's: of processes ending at once, the last writer sees all.
        const id = this.runId(op.ref);
        // The rendezvous host adds every rank's end as it saw them (vanished ranks included), so the status below is the job's.
        await this.store.logBatch(id, {
          metrics: [],
          params: [],
          tags: [{ key: endTag(op.rank), value: endValue(op.status) }, ...(op.tags ?? []).filter((t) => t.key !== endTag(op.rank))],
        });
        if (op.status !== 'FINISHED') await this.store.updateRun(id, op.status, op.endTime);
        const status = jobStatus(await this.store.getRunTags(id), op.ranks);
        if (status !== undefined) await this.store.updateRun(id, status, op.endTime);
        return;
      }
    }
  }

  /** What a run op creates: its tags plus mlflow.parentRunId when it nests under another ref's run. */
  private createOpts(op: Extract<Op, { op: 'run' }>): { runName: string; startTime: number; tags: RunTag[] } {
    const parent = op.parent === undefined ? undefined : this.runId(op.parent);
    return { runName: op.runName, startTime: op.startTime, tags: parent === undefined ? op.tags : [...op.tags, { key: 'mlflow.parentRunId', value: parent }] };
  }

  /** The run id of a job's shared parent: created exclusively or joined (file store), or found by its tag or created (server). */
  private async sharedRun(op: Extract<Op, { op: 'find' }>): Promise<string> {
    const experimentId = await this.experimentId();
    const opts = this.createOpts(op.orCreate);
    if (this.store.createOrJoinRun) {
      const id = jobRunId(experimentId, op.tag.value);
      await this.store.createOrJoinRun(experimentId, id, opts, op.tag);
      return id;
    }
    if (!this.store.findRun) return this.store.createRun(experimentId, opts);
    const from = Date.now();
    // A run already there is joined (another process of the job, or an earlier launch with the same key).
    for (let pollMs = FIND_POLL_MIN_MS; ; pollMs = Math.min(FIND_POLL_MAX_MS, pollMs * 2)) {
      const id = await this.store.findRun(experimentId, op.tag);
      if (id !== undefined) return id;
      if (op.wait === false) break;
      // This runs in the writer thread's delivery: training never waits for it, only this process's later ops do.
      if (Date.now() + pollMs > Math.min(from + FIND_TIMEOUT_MS, this.closeBy)) {
        this.warn(
          `no run tagged ${op.tag.key}=${op.tag.value} appeared within ${Math.round((Date.now() - from) / 1000)} s; creating one ` +
            `(the lowest logging rank's process creates it: is it running, and does it use the same run name?)`,
        );
        break;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return this.store.createRun(experimentId, opts);
  }

  /** One request's worth; on a 4xx, halve until the offending items are alone, and drop only those. */
  private async deliverBatch(runId: string, batch: Batch): Promise<void> {
    try {
      await this.store.logBatch(runId, batch);
    } catch (e) {
      if (!(e instanceof MlflowApiError)) throw e;
      // Bisect the items as one list (metrics, then params, then tags), so every half is smaller.
      const items: Item[] = [
        ...batch.metrics.map((m) => ['m', m] as Item),
        ...batch.params.map((p) => ['p', p] as Item),
        ...batch.tags.map((t) => ['t', t] as Item),
      ];
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
