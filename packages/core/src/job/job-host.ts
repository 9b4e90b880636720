/**
 * Rank 0's side of the rendezvous (docs/jobs.md): a server that hands every member the agreement
 * (run name, start time, world size, job key), keeps one connection per member, and decides how
 * the job ended: a member that sent `end` ended so; one whose connection closed first vanished.
 * Runs in the job thread, never on the training thread.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { decideJobEnd, type JobEnd, type RankEnd } from '../sink/job.js';
import { encodeFrame, FrameReader } from './frames.js';
import { isMessage, PROTOCOL_VERSION, type Welcome } from './messages.js';
import { PartDecoder } from './part-frames.js';
import type { PartTuple } from '../writer/aggregation.js';
import { describeAddress, type RendezvousAddress } from './rendezvous-address.js';

/** TCP keepalive probes start after this much silence (the OS's default is 2 hours); its probe interval and count decide the rest. */
export const KEEPALIVE_MS = 10_000;
/** How long close() lets the `bye` frames leave before the thread may end. */
const BYE_FLUSH_MS = 1000;

/**
 * Where a TCP host binds: the address itself when it is one of this machine's (the rendezvous is
 * then reachable only there, e.g. a private network or loopback); every interface otherwise
 * (MASTER_ADDR may be a name, or an address this machine is reached by through NAT).
 */
function bindHost(host: string): string | undefined {
  if (isIP(host) === 0) return undefined;
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.address === host) return host;
  return undefined;
}

interface Member {
  socket: Socket;
  end: RankEnd | undefined;
}

export class JobHost {
  private readonly server: Server;
  private readonly members = new Map<number, Member>();
  private readonly ends = new Map<number, RankEnd>();
  private waiters: (() => void)[] = [];
  /** Messages received (all members), for stats. */
  received = 0;
  /** Aggregate partials of the members (b: the backend's index), for rank 0's writers. */
  onParts: (backend: number, tuples: PartTuple[]) => void = () => undefined;
  /** Malformed aggregate messages skipped (a peer of another version, a bug). */
  malformedParts = 0;

  constructor(
    private readonly address: RendezvousAddress,
    private readonly welcome: Welcome,
    /** The ranks whose end decides the job's (rank 0 included when it logs). */
    private readonly expected: readonly number[],
    private readonly warn: (message: string) => void,
  ) {
    this.server = createServer((s) => this.accept(s));
  }

  /** Start listening; rejects with a message naming the address and the fix. */
  listen(): Promise<void> {
    const a = this.address;
    // A socket file left by a launch that was SIGKILLed would make listen() fail: the job id is per launch, so it is stale.
    if (a.kind === 'unix' && existsSync(a.path)) unlinkSync(a.path);
    return new Promise((resolve, reject) => {
      this.server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `rank 0 cannot host the job's rendezvous on ${describeAddress(a)}: ${e.code ?? e.message}. ` +
              (a.kind === 'tcp'
                ? `Is the port taken (by another job, or MASTER_PORT+1 by the framework)? Set RANKLOG_RENDEZVOUS=<host>:<free port> in every rank.`
                : 'Set RANKLOG_RENDEZVOUS=unix:<writable path> or host:port in every rank.'),
          ),
        ),
      );
      const done = () => {
        this.server.on('error', (e) => this.warn(`rendezvous server: ${e.message}`));
        resolve();
      };
      if (a.kind === 'unix') this.server.listen(a.path, done);
      else this.server.listen(a.port, bindHost(a.host), done);
    });
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    const reader = new FrameReader();
    const parts = new PartDecoder();
    let rank: number | undefined;
    const refuse = (reason: string) => {
      socket.end(encodeFrame({ t: 'reject', reason }));
      this.warn(`refused a connection to the rendezvous: ${reason}`);
    };
    socket.on('data', (chunk: Buffer) => {
      let messages: unknown[];
      try {
        messages = reader.push(chunk);
      } catch (e) {
        socket.destroy();
        this.warn(`closed a rendezvous connection: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      for (const m of messages) {
        if (!isMessage(m)) continue;
        this.received++;
        if (m.t === 'hello' && rank === undefined) {
          const w = this.welcome;
          if (m.v !== PROTOCOL_VERSION)
            return refuse(`rank ${m.rank} speaks protocol ${m.v}, rank 0 speaks ${PROTOCOL_VERSION}: use one ranklog version in every rank`);
          if (m.job !== undefined && m.job !== w.id)
            return refuse(
              `rank ${m.rank} (pid ${m.pid} on ${m.host}) belongs to job ${m.job}, not ${w.id}: two jobs share the address; give each its own RANKLOG_RENDEZVOUS`,
            );
          if (m.worldSize !== w.worldSize)
            return refuse(`rank ${m.rank} has world size ${m.worldSize}, rank 0 has ${w.worldSize}: check the launcher's environment`);
          if (!this.expected.includes(m.rank)) return refuse(`rank ${m.rank} is not a logging rank of this job (ranks ${w.ranks.join(', ')})`);
          if (this.members.has(m.rank) || this.ends.has(m.rank))
            return refuse(`rank ${m.rank} is already connected (pid ${m.pid} on ${m.host}): two processes claim one rank`);
          rank = m.rank;
          this.members.set(rank, { socket, end: undefined });
          socket.write(encodeFrame(w));
        } else if (m.t === 'end' && rank !== undefined && (m.status === 'finished' || m.status === 'failed' || m.status === 'killed')) {
          this.settle(rank, m.status);
        } else if (m.t === 'ids' && rank !== undefined) {
          parts.ids(m);
        } else if (m.t === 'part' && rank !== undefined && Number.isInteger(m.b)) {
          const before = parts.malformed;
          this.onParts(m.b, parts.tuples(m));
          this.malformedParts += parts.malformed - before;
        }
        // Other types (a later version's) are ignored.
      }
    });
    socket.on('error', () => undefined); // 'close' follows and says what matters
    socket.on('close', () => {
      if (rank === undefined) return;
      const member = this.members.get(rank);
      this.members.delete(rank);
      if (member && member.end === undefined && !this.ends.has(rank)) {
        this.warn(
          `rank ${rank} vanished: its connection to the rendezvous closed without its end (SIGKILL, the OOM killer or a lost node); the job will end FAILED`,
        );
        this.settle(rank, 'vanished');
      }
    });
  }

  private settle(rank: number, end: RankEnd): void {
    if (this.ends.has(rank)) return;
    this.ends.set(rank, end);
    const m = this.members.get(rank);
    if (m) m.end = end;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Rank 0's own end. */
  endSelf(status: 'finished' | 'failed' | 'killed'): void {
    if (this.expected.includes(0)) this.settle(0, status);
  }

  /** Ranks not ended yet. */
  pending(): number[] {
    return this.expected.filter((r) => !this.ends.has(r));
  }

  /** How the job ended, once every expected rank ended or vanished, or when `timeoutMs` ran out. */
  async waitEnd(timeoutMs: number): Promise<JobEnd> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending().length > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const ranks: Record<number, RankEnd> = {};
    for (const r of this.expected) ranks[r] = this.ends.get(r) ?? (this.members.has(r) ? 'running' : 'absent');
    return decideJobEnd(ranks);
  }

  /** Tell every member still connected how the job ended, and stop listening; resolves once the frames left (at most BYE_FLUSH_MS). */
  async close(end: JobEnd | undefined): Promise<void> {
    const frame = end && encodeFrame({ t: 'bye', end });
    const sent = [...this.members.values()].map(
      (m) =>
        new Promise<void>((resolve) => {
          if (frame) m.socket.end(frame, resolve);
          else m.socket.end(resolve);
          m.socket.once('close', () => resolve());
        }),
    );
    this.server.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(sent), new Promise<void>((resolve) => (timer = setTimeout(resolve, BYE_FLUSH_MS)))]);
    clearTimeout(timer);
    if (this.address.kind === 'unix') {
      try {
        unlinkSync(this.address.path);
      } catch {
        // already gone
      }
    }
  }
}
