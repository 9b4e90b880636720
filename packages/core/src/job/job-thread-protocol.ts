/** What the coordinator and the job thread say to each other (job-thread.ts, context/job-link.ts). */
import type { MessagePort } from 'node:worker_threads';
import type { JobEnd } from '../sink/job.js';
import type { End, Welcome } from './messages.js';
import type { RendezvousAddress } from './rendezvous-address.js';

interface Common {
  address: RendezvousAddress;
  /** The ranks whose end decides the job's. */
  expected: number[];
  /** Int32[0] becomes 1 once this rank's end is handed over (member) or the job's end decided (host). */
  flag: SharedArrayBuffer;
}

export type JobThreadInit =
  | (Common & { role: 'host'; welcome: Welcome })
  | (Common & { role: 'member'; hello: { job: string | undefined; rank: number; worldSize: number }; joinTimeoutMs: number });

export type ToCoordinator =
  | { t: 'ready'; welcome: Welcome }
  | { t: 'solo'; reason: string }
  | { t: 'warn'; message: string }
  | { t: 'jobEnd'; end: JobEnd; received: number }
  | { t: 'ended'; sent: number }
  /** A member's connection to rank 0 closed without `bye`: rank 0 vanished. */
  | { t: 'hostGone' };

export type ToJobThread =
  | { t: 'end'; status: End['status']; waitMs: number }
  /** A writer's aggregate port (writer/aggregation.ts): partials to forward (member) or to deliver to (host). */
  | { t: 'aggPort'; backend: number; port: MessagePort };
