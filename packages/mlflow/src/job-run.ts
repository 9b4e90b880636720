/**
 * The parent run that separate processes of one job share, and how it ends
 * without a coordinator.
 *
 * It carries `ranklog.job = <job key>` (job-key.ts). In the file store its run
 * id is derived from the experiment and the job key, so every process proposes
 * the same directory and exactly one rename(2) creates it; a tracking server
 * has no exclusive create, so one process (the lowest logging rank) creates it
 * and the others find it by the tag.
 *
 * Ending: each logging process writes `ranklog.end.rank<r>` = running when it
 * joins, and finished | failed | killed at close, THEN reads the parent's tags;
 * a process that sees an end tag of every logging rank sets the job's status
 * (FAILED > KILLED > FINISHED). Each writes before it reads, so the last to
 * write sees all; several may end it, with the same status. A process that
 * failed or was killed also ends the parent at once with that status, so a
 * job whose other ranks hang shows it; the final decision still comes after.
 */
import { createHash } from 'node:crypto';
import type { RunStatus } from './store.js';

export const JOB_TAG = 'ranklog.job';
const END_TAG_PREFIX = 'ranklog.end.rank';

/** The file store's run id of a job's parent: 32 hex characters, like MLflow's uuid4 hex ids. */
export function jobRunId(experimentId: string, job: string): string {
  return createHash('sha256').update(`ranklog.mlflow.job\0${experimentId}\0${job}`, 'utf8').digest('hex').slice(0, 32);
}

export function endTag(rank: number): string {
  return `${END_TAG_PREFIX}${rank}`;
}

/** The end tag's value for a process that ends with `status`, or 'running' while it runs. */
export function endValue(status: RunStatus): string {
  return status.toLowerCase();
}

/** The job's status once every logging rank has ended (per the parent's tags), else undefined. */
export function jobStatus(tags: Readonly<Record<string, string>>, ranks: readonly number[]): RunStatus | undefined {
  const ends = ranks.map((r) => tags[endTag(r)]);
  if (!ends.every((e) => e === 'finished' || e === 'failed' || e === 'killed')) return undefined;
  return ends.includes('failed') ? 'FAILED' : ends.includes('killed') ? 'KILLED' : 'FINISHED';
}
