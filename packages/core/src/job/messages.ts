/**
 * The rendezvous messages (docs/jobs.md "Protocol"). Every message is a msgpack map with a type
 * `t`; a peer ignores types it does not know, so later versions add messages (phase 2's per-step
 * aggregate partials, `part`) without breaking this one.
 */
import type { JobEnd } from '../sink/job.js';
import type { Ids, Part } from './part-frames.js';

export const PROTOCOL_VERSION = 1;

/** A member's first frame. */
export interface Hello {
  t: 'hello';
  v: number;
  /** The member's job id (undefined when its launcher has none): must equal the host's. */
  job: string | undefined;
  rank: number;
  worldSize: number;
  pid: number;
  host: string;
}

/** The host's answer to hello: the agreement. */
export interface Welcome {
  t: 'welcome';
  v: number;
  id: string;
  key: string;
  runName: string;
  startTimeMs: number;
  worldSize: number;
  ranks: number[];
  launcher: string;
}

/** The host refuses a member (another job, a duplicate rank, a rank outside the world); then closes. */
export interface Reject {
  t: 'reject';
  reason: string;
}

/** A member ended (its sinks are closed): finished, failed or killed. */
export interface End {
  t: 'end';
  rank: number;
  status: 'finished' | 'failed' | 'killed';
}

/** The host decided how the job ended; sent to every member still connected, then the host closes. */
export interface Bye {
  t: 'bye';
  end: JobEnd;
}

export type Message = Hello | Welcome | Reject | End | Bye | Ids | Part;

export function isMessage(m: unknown): m is Message {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}
