/**
 * The coordinator's end of the job thread (job/job-thread.ts; docs/jobs.md): decides whether this
 * process takes part in a rendezvous, starts the thread, waits a bounded time for the agreement,
 * and at close hands over this rank's end (and, on rank 0, gets the job's).
 */
import { type MessagePort, Worker } from 'node:worker_threads';
import { hostname } from 'node:os';
import { rankMask, type BackendRoute } from '../dispatch/route.js';
import { jobFromEnv, type JobIdentity } from '../job/job-identity.js';
import type { JobThreadInit, ToCoordinator } from '../job/job-thread-protocol.js';
import { PROTOCOL_VERSION, type Welcome } from '../job/messages.js';
import { describeAddress, rendezvousAddress, type RendezvousAddress } from '../job/rendezvous-address.js';
import type { JobEnd, JobInfo, RunEndReason } from '../sink/index.js';
import { warn } from '../util/diag.js';

/**
 * How long a member waits for rank 0's agreement in createLoggerContext(), s. Processes of one launch
 * start within seconds of each other, but rank 0 may import slower (a loaded node, a shared file
 * system); past this the rank logs on its own rather than hold training back any longer.
 */
export const DEFAULT_JOIN_TIMEOUT_S = 20;
/** How long rank 0's close waits for the other ranks' ends, s: ranks of one job finish close together; this bounds a hung one. */
export const DEFAULT_END_WAIT_S = 120;
/** How long an exit path (a signal, an uncaught exception) waits for a member's end frame to leave, ms. */
const END_SYNC_MS = 1000;

function seconds(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const s = Number(raw);
  if (!(s > 0 && s <= 86_400)) {
    throw new TypeError(
      `ranklog: environment variable ${name} is ${JSON.stringify(raw)}; use a number of seconds above 0 (at most 86400), or unset it for ${fallback}.`,
    );
  }
  return s;
}

export interface JobJoin {
  link: JobLink | undefined;
  info: JobInfo | undefined;
  /** The ranks log from separate processes (a job was planned), whether or not the rendezvous was reached. */
  separate?: boolean;
}

export interface JobPlan {
  identity: JobIdentity;
  address: RendezvousAddress;
  rank: number;
  worldSize: number;
  expected: number[];
  runName: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Whether this process takes part in a rendezvous, decided synchronously from the options and
 * the environment: several processes of a launched job log (rank 0 hosts even when it logs
 * nothing itself). Undefined otherwise, with one warning when no address is known.
 */
export function planJob(args: {
  routes: BackendRoute[];
  rank: number;
  worldSize: number | undefined;
  runName: string;
  rendezvous: string | false | undefined;
  env?: NodeJS.ProcessEnv;
}): JobPlan | undefined {
  const env = args.env ?? process.env;
  const { routes, rank, worldSize } = args;
  if (args.rendezvous === false || worldSize === undefined || worldSize < 2) return undefined;
  const expected: number[] = [];
  for (let r = 0; r < worldSize; r++) if (rankMask(routes, r) !== 0) expected.push(r);
  // One logging process, or none: nothing to agree on.
  if (expected.length < 2 || (rank !== 0 && !expected.includes(rank))) return undefined;
  const identity: JobIdentity = jobFromEnv(env);
  // Ranks without a launcher are training threads of this one process (workerHandle), unless the user names a rendezvous.
  if (identity.launcher === 'none' && args.rendezvous === undefined && !env.RANKLOG_RENDEZVOUS) return undefined;
  const address = rendezvousAddress(identity, args.rendezvous, env);
  if (address === null) return undefined; // turned off by the user: no warning
  if (address === undefined) {
    if (expected.includes(rank))
      warn(
        `ranklog: ranks ${expected.join(', ')} of this job log from separate processes, but no rendezvous address is known (${identity.launcher} launcher, ` +
          `${identity.oneMachine ? 'no job id' : 'the launcher does not say that every rank runs on this machine'}): each rank logs on its own, and no job-level end status is kept. ` +
          'Fix: set RANKLOG_RENDEZVOUS=<rank 0 host>:<free port> (the same in every rank), or MASTER_ADDR and MASTER_PORT, or RANKLOG_JOB on one machine.',
      );
    return undefined;
  }
  return { identity, address, rank, worldSize, expected, runName: args.runName, env };
}

/**
 * Join the planned job: rank 0 starts hosting at once; another rank waits up to
 * RANKLOG_RENDEZVOUS_TIMEOUT_S (default 20 s) for the agreement. Never throws for a network
 * problem: the rank then logs on its own, with one warning.
 */
export async function joinJob(plan: JobPlan): Promise<JobJoin> {
  const { identity, address, rank, worldSize, expected, env } = plan;
  const joinTimeoutMs = seconds('RANKLOG_RENDEZVOUS_TIMEOUT_S', DEFAULT_JOIN_TIMEOUT_S, env) * 1000;
  const endWaitMs = seconds('RANKLOG_JOB_END_WAIT_S', DEFAULT_END_WAIT_S, env) * 1000;
  const flag = new SharedArrayBuffer(4);
  const common = { address, expected, flag };
  let init: JobThreadInit;
  if (rank === 0) {
    const startTimeMs = Date.now();
    const id = identity.id ?? `ranklog-${hostname()}-${process.pid}-${startTimeMs}`;
    const welcome: Welcome = {
      t: 'welcome',
      v: PROTOCOL_VERSION,
      id,
      key: `${plan.runName}@${id}`,
      runName: plan.runName,
      startTimeMs,
      worldSize,
      ranks: expected,
      launcher: identity.launcher,
    };
    init = { ...common, role: 'host', welcome };
  } else {
    init = { ...common, role: 'member', hello: { job: identity.id, rank, worldSize }, joinTimeoutMs };
  }
  const link = new JobLink(init, endWaitMs);
  const first = await link.started;
  if (first.t === 'solo') {
    warn(
      rank === 0
        ? `ranklog: ${first.reason} Each rank logs on its own; no job-level end status is kept.`
        : `ranklog: rank ${rank} did not join the job's rendezvous at ${describeAddress(address)}: ${first.reason}. ` +
            `It logs on its own (no shared job-level run, no job end status). Fix: check that rank 0 runs and reaches createLoggerContext(), ` +
            `that ${describeAddress(address)} is reachable from this machine, or set RANKLOG_RENDEZVOUS=host:port the same in every rank ` +
            `(RANKLOG_RENDEZVOUS=off: no rendezvous; RANKLOG_RENDEZVOUS_TIMEOUT_S: wait longer).`,
    );
    await link.terminate();
    return { link: undefined, info: undefined, separate: true };
  }
  link.unref();
  const w = first.welcome;
  const info: JobInfo = {
    id: w.id,
    key: w.key,
    runName: w.runName,
    startTimeMs: w.startTimeMs,
    worldSize: w.worldSize,
    ranks: w.ranks,
    host: rank === 0,
    launcher: w.launcher,
  };
  return { link, info, separate: true };
}

export class JobLink {
  private readonly worker: Worker;
  readonly started: Promise<Extract<ToCoordinator, { t: 'ready' | 'solo' }>>;
  private onEnd: ((m: ToCoordinator) => void) | undefined;
  private readonly flag: Int32Array;
  private endPosted = false;
  /** Rendezvous frames this rank sent (member) or received (host), for stats and the docs' figures. */
  frames = 0;
  /** A member saw rank 0 vanish: at close it records that in the job-level runs it can reach (docs/jobs.md "End"). */
  hostGone = false;

  constructor(
    readonly init: JobThreadInit,
    private readonly endWaitMs: number,
  ) {
    this.flag = new Int32Array(init.flag);
    this.worker = new Worker(new URL('../job/job-thread.js', import.meta.url), { workerData: init, name: 'ranklog-job' });
    let first: ((m: Extract<ToCoordinator, { t: 'ready' | 'solo' }>) => void) | undefined;
    this.started = new Promise((resolve) => (first = resolve));
    this.worker.on('message', (m: ToCoordinator) => {
      if (m.t === 'warn') warn(`ranklog: ${m.message}`);
      else if (m.t === 'hostGone') this.hostGone = true;
      else if (m.t === 'ready' || m.t === 'solo') first?.(m);
      else this.onEnd?.(m);
    });
    this.worker.on('error', (e) => {
      warn(`ranklog: the job thread failed: ${e.message}`);
      first?.({ t: 'solo', reason: `the job thread failed: ${e.message}` });
      this.onEnd?.({ t: 'ended', sent: 0 });
    });
    this.worker.on('exit', () => this.onEnd?.({ t: 'ended', sent: 0 }));
  }

  get host(): boolean {
    return this.init.role === 'host';
  }

  /**
   * This rank ended with `reason`. A member hands its end to rank 0 and resolves; the host waits
   * (up to RANKLOG_JOB_END_WAIT_S) for every rank's end and resolves with the job's.
   */
  end(reason: RunEndReason): Promise<JobEnd | undefined> {
    this.worker.ref();
    return new Promise((resolve) => {
      this.onEnd = (m) => {
        this.onEnd = undefined;
        if (m.t === 'jobEnd') this.frames = m.received;
        if (m.t === 'ended') this.frames = m.sent;
        this.worker.unref();
        resolve(m.t === 'jobEnd' ? m.end : undefined);
      };
      this.endPosted = true;
      this.worker.postMessage({ t: 'end', status: reason, waitMs: this.endWaitMs });
    });
  }

  /** An exit path cannot await: hand over the end and block (at most END_SYNC_MS) until it has left. Rank 0 does not wait for the others here. */
  endSync(reason: RunEndReason): void {
    if (this.endPosted) return;
    this.endPosted = true;
    this.worker.postMessage({ t: 'end', status: reason, waitMs: 0 });
    Atomics.wait(this.flag, 0, 0, END_SYNC_MS);
  }

  /** Give the job thread one end of a writer's aggregate port (writer/aggregation.ts): it forwards partials over the rendezvous. */
  aggregatePort(backend: number, port: MessagePort): void {
    this.worker.postMessage({ t: 'aggPort', backend, port }, [port]);
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  unref(): void {
    this.worker.unref();
  }
}
