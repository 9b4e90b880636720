/**
 * What a training worker_thread needs to log into the coordinator's writers:
 * structured-cloneable, passed in workerData.
 */
import type { FullRingPolicy } from '../ring/producer.js';
import type { BackendRoute } from '../dispatch/route.js';

/** What workerHandle(rank) returns: structured-cloneable, for workerData; attachLogger() takes it. */
export interface WorkerHandle {
  readonly ranklog: 1;
  readonly rank: number;
  readonly routes: BackendRoute[];
  /** undefined when no backend logs on this rank: the worker does no I/O at all. */
  readonly ringSab: SharedArrayBuffer | undefined;
  /** The context's shared block (ring/layout.ts SHARED). */
  readonly sharedSab: SharedArrayBuffer | undefined;
  readonly policy: FullRingPolicy;
  readonly blobDir: string;
  readonly runName: string;
}

export function isWorkerHandle(v: unknown): v is WorkerHandle {
  return typeof v === 'object' && v !== null && (v as { ranklog?: unknown }).ranklog === 1;
}
