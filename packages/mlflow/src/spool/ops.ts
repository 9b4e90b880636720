/**
 * The MLflow sink's unit of delivery: an operation on a logical run ("job",
 * "rank0", …). Ops are plain JSON so they can wait in the on-disk spool and be
 * replayed later, by this process or by the replay CLI, in order.
 */
import type { Batch, DatasetInput, RunStatus, RunTag } from '../store.js';

export type Op =
  /** Create a run; `parent` names the ref whose run id becomes mlflow.parentRunId. */
  | { op: 'run'; ref: string; runName: string; parent?: string; tags: RunTag[]; startTime: number }
  /** Use an existing run (runId option / MLFLOW_RUN_ID). */
  | { op: 'attach'; ref: string; runId: string }
  /**
   * The parent run the processes of a job share (job-run.ts), `tag` = ranklog.job and the job key.
   * File store: create it exclusively under the id derived from the key, or join it. Tracking
   * server: find it by the tag; if absent, create it at once (`wait: false`, the lowest logging
   * rank) or after waiting for its creator (default, also in spools written before `wait` existed).
   */
  | { op: 'find'; ref: string; tag: RunTag; orCreate: Extract<Op, { op: 'run' }>; wait?: boolean }
  | { op: 'batch'; ref: string; batch: Batch }
  | { op: 'inputs'; ref: string; datasets: DatasetInput[] }
  | { op: 'artifact'; ref: string; localPath: string; artifactPath: string }
  | { op: 'end'; ref: string; status: RunStatus; endTime: number }
  /** One process of the job is done: its end tag on the shared run, then the job's status once every rank in `ranks` ended (job-run.ts). */
  | { op: 'endShared'; ref: string; rank: number; status: RunStatus; endTime: number; ranks: number[]; tags?: RunTag[] | undefined };

/** What replay needs besides the ops: where they go. Kept in the spool's state.json. */
export interface SpoolState {
  version: 1;
  /** Tracking URI without credentials. */
  trackingUri: string;
  experimentName: string;
  experimentId?: string;
  /** Logical run → server run id, as far as created. */
  runIds: Record<string, string>;
  /** Ops of ops.jsonl already delivered (replay resumes after them). */
  delivered: number;
}

/** Records an op carries, for counts in messages. */
export function recordsIn(op: Op): number {
  if (op.op === 'batch') return op.batch.metrics.length + op.batch.params.length + op.batch.tags.length;
  if (op.op === 'inputs') return op.datasets.length;
  return op.op === 'artifact' ? 1 : 0;
}
