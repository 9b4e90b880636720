import type { JobEnd, JobInfo, ResumeInfo, RunEndReason, RunMeta } from '../sink/index.js';
import type { SystemMetricsInit } from '../system/sample-reader.js';
/** What the coordinator and a writer thread say to each other (over comlink). */
export interface WriterInit {
  /** The context's shared block (ring/layout.ts SHARED). */
  sharedSab: SharedArrayBuffer;
  backend: number;
  backendName: string;
  sinkModule: string;
  sinkOptions: unknown;
  rings: SharedArrayBuffer[];
  runName: string;
  coordinatorRank: number;
  worldSize: number | undefined;
  /** The job's agreement, when its ranks met at a rendezvous (SinkEnv.job). */
  job: JobInfo | undefined;
  /** The run's tags, notes, group and job type (SinkEnv.run). */
  run: RunMeta | undefined;
  /** Set when this launch resumes the run (SinkEnv.resume). */
  resume: ResumeInfo | undefined;
  pollMs: number;
  /** Where this backend's system samples appear, when its logger asked for them (systemMetrics). */
  systemMetrics: SystemMetricsInit | undefined;
  /** Cross-rank aggregates this backend computes (its logger's aggregate option), if any. */
  aggregate?: import('./aggregation.js').AggregateInit;
  /** Warnings go to the coordinator through this port (diag.warn there); it also answers pings. */
  diagPort: import('node:worker_threads').MessagePort;
}

/** One backend's counts: records written, failed, dropped, and the backend's own counters. */
export interface BackendStats {
  name: string;
  /** Records the sink took and made durable (written to the file, handed to the server or its spool). */
  written: number;
  /** Records the sink threw on, or could not make durable (a full disk); reported as warnings. */
  failed: number;
  /** Records this backend never saw because the drop-newest policy dropped them. */
  dropped: number;
  /** Records logged for this backend after destroyLoggerContext() began (not written). */
  afterClose: number;
  /** Backend-specific counters (sink.stats()). */
  [counter: string]: number | string;
}

export interface WriterApi {
  /** Create the sink and start draining. Rejects with the sink's error (e.g. a directory it cannot create). */
  start(): Promise<void>;
  addRing(sab: SharedArrayBuffer): void;
  /** Resolves when everything published before the call is committed by the sink. */
  flush(): Promise<void>;
  stats(): BackendStats;
  /** Drain everything published, close the sink, stop; `job`: how the whole job ended (on its host only). */
  close(reason: RunEndReason, job?: JobEnd): Promise<BackendStats>;
}
