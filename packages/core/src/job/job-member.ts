/**
 * A non-zero rank's side of the rendezvous (docs/jobs.md): connect to rank 0 (retrying while rank 0
 * may still be starting), say hello, receive the agreement, keep the connection open while the
 * rank runs (rank 0 sees it vanish if the process dies), and say `end` at close.
 * Runs in the job thread, never on the training thread.
 */
import { hostname } from 'node:os';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobEnd } from '../sink/job.js';
import { encodeFrame, FrameReader } from './frames.js';
import { KEEPALIVE_MS } from './job-host.js';
import { type End, isMessage, PROTOCOL_VERSION, type Welcome } from './messages.js';
import { PartEncoder } from './part-frames.js';
import type { PartTuple } from '../writer/aggregation.js';
import { describeAddress, type RendezvousAddress } from './rendezvous-address.js';

/** First retry delay while rank 0 is not listening yet; doubled up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1000;

/** Partials per `part` frame at most. */
const PART_CHUNK = 2048;

export type JoinResult = { ok: true; welcome: Welcome } | { ok: false; reason: string };

export class JobMember {
  private socket: Socket | undefined;
  private bye: JobEnd | undefined;
  private ending = false;
  /** Frames sent to rank 0 (hello, end, aggregate partials), for stats. */
  sent = 0;
  /** Bytes of aggregate frames sent (ids, part), frame headers included. */
  partBytes = 0;
  /** Partials not sent: the connection to rank 0 was gone. */
  partsLost = 0;
  private readonly parts = new PartEncoder();

  constructor(
    private readonly address: RendezvousAddress,
    private readonly hello: { job: string | undefined; rank: number; worldSize: number },
    private readonly warn: (message: string) => void,
    /** Rank 0 vanished (its connection closed without `bye`) while this rank runs. */
    private readonly onHostGone: () => void = () => undefined,
  ) {}

  private connectOnce(): Promise<Socket> {
    const a = this.address;
    return new Promise((resolve, reject) => {
      const s = a.kind === 'unix' ? connect(a.path) : connect(a.port, a.host);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
  }

  /** Connect and get the agreement, retrying for `timeoutMs`. */
  async join(timeoutMs: number): Promise<JoinResult> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (let wait = RETRY_MIN_MS; ; wait = Math.min(RETRY_MAX_MS, wait * 2)) {
      try {
        const s = await this.connectOnce();
        const answer = await this.greet(s, deadline);
        if (answer !== undefined) return answer;
        lastError = 'no answer';
      } catch (e) {
        lastError = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
      }
      if (Date.now() + wait >= deadline) return { ok: false, reason: `no answer within ${timeoutMs / 1000} s (last error: ${lastError})` };
      await sleep(wait);
    }
  }

  /** Hello, then the first frame back; undefined if the connection closed or the deadline passed first. */
  private greet(s: Socket, deadline: number): Promise<JoinResult | undefined> {
    s.setNoDelay(true);
    s.setKeepAlive(true, KEEPALIVE_MS);
    const reader = new FrameReader();
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          s.destroy();
          resolve(undefined);
        },
        Math.max(0, deadline - Date.now()),
      );
      let joined = false;
      s.on('data', (chunk: Buffer) => {
        let messages: unknown[];
        try {
          messages = reader.push(chunk);
        } catch {
          s.destroy();
          return;
        }
        for (const m of messages) {
          if (!isMessage(m)) continue;
          if (!joined && m.t === 'welcome') {
            joined = true;
            clearTimeout(timer);
            this.socket = s;
            resolve({ ok: true, welcome: m });
          } else if (!joined && m.t === 'reject') {
            clearTimeout(timer);
            s.destroy();
            resolve({ ok: false, reason: `rank 0 refused this rank: ${m.reason}` });
          } else if (joined && m.t === 'bye') {
            this.bye = m.end;
            // Rank 0 ended first (an exit path, or its wait ran out): this rank's own runs go on and end normally.
            if (!this.ending)
              this.warn(
                `rank 0 ended the job ${m.end.status.toUpperCase()} while this rank still runs${m.end.summary ? ` (${m.end.summary})` : ''}; this rank goes on logging and ends its own runs`,
              );
          }
        }
      });
      s.on('error', () => undefined); // 'close' follows
      s.on('close', () => {
        clearTimeout(timer);
        if (!joined) resolve(undefined);
        else if (!this.ending && this.bye === undefined) {
          this.onHostGone();
          this.warn(
            `the job's rendezvous host (rank 0, ${describeAddress(this.address)}) went away while this rank runs; ` +
              `this rank goes on logging and ends its own runs, but rank 0 no longer tracks the job's end`,
          );
        }
        if (this.socket === s) this.socket = undefined;
      });
      s.write(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, pid: process.pid, host: hostname(), ...this.hello }));
      this.sent++;
    });
  }

  /** Send aggregate partials of backend `b` to rank 0 (in order, before `end`: one stream). */
  sendParts(b: number, tuples: readonly PartTuple[]): void {
    const s = this.socket;
    if (!s || s.destroyed || this.ending) {
      this.partsLost += tuples.length;
      return;
    }
    // Chunks keep each frame far below MAX_FRAME (an item is at most ~80 bytes).
    for (let i = 0; i < tuples.length; i += PART_CHUNK) {
      for (const m of this.parts.messages(b, tuples.slice(i, i + PART_CHUNK))) {
        const f = encodeFrame(m);
        this.partBytes += f.length;
        this.sent++;
        s.write(f);
      }
    }
  }

  /** Say how this rank ended; resolves once the frame is handed to the kernel (or the connection is gone). */
  end(status: End['status']): Promise<void> {
    this.ending = true;
    const s = this.socket;
    if (!s || s.destroyed) return Promise.resolve();
    this.sent++;
    return new Promise((resolve) => {
      s.end(encodeFrame({ t: 'end', rank: this.hello.rank, status }), () => resolve());
      s.once('close', () => resolve());
    });
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }
}
