/**
 * What a sink learns about the job its process belongs to (docs/jobs.md): the agreement every
 * rank received from the rendezvous, and, at close on the host (rank 0), how the job ended.
 */

/** The agreement of one job's processes, made by rank 0 and handed to every rank that reached it. */
export interface JobInfo {
  /** The launcher's job id (or rank 0's own, when the launcher has none). */
  readonly id: string;
  /** `<runName>@<id>`: names the job-level run in every backend (MLflow's ranklog.job tag). */
  readonly key: string;
  readonly runName: string;
  /** When rank 0 started the job, ms since the epoch: the job-level run's start in every backend. */
  readonly startTimeMs: number;
  readonly worldSize: number;
  /** The ranks that log (their end decides the job's status). */
  readonly ranks: readonly number[];
  /** This process hosts the rendezvous and ends the job-level run (rank 0). */
  readonly host: boolean;
  /** Which launcher started the job ('openmpi', 'torchrun', 'slurm', 'cluster', …). */
  readonly launcher: string;
}

/** How one rank ended, as the host saw it. */
export type RankEnd = 'finished' | 'failed' | 'killed' | 'vanished' | 'absent' | 'running';

/** The job's end, decided by the host once every rank ended, vanished, or the wait ran out. */
export interface JobEnd {
  status: 'finished' | 'failed' | 'killed';
  /** Every expected rank's end, by rank number. */
  ranks: Record<number, RankEnd>;
  /** One line for people: "rank 2 vanished (connection closed without its end)". Empty when all finished. */
  summary: string;
}

/** FAILED when any rank failed, vanished, never came or outlasted the host's wait; else KILLED when any was killed; else FINISHED. */
export function decideJobEnd(ranks: Record<number, RankEnd>): JobEnd {
  const entries = Object.entries(ranks).map(([r, e]) => [Number(r), e] as const);
  const bad = entries.filter(([, e]) => e !== 'finished');
  const status = bad.some(([, e]) => e !== 'killed') ? 'failed' : bad.length > 0 ? 'killed' : 'finished';
  const why: Record<Exclude<RankEnd, 'finished'>, string> = {
    failed: 'failed',
    killed: 'was killed',
    vanished: 'vanished (its connection closed without its end: SIGKILL, OOM killer or a lost node)',
    absent: 'never reached the rendezvous',
    running: 'was still running when rank 0 stopped waiting for it (RANKLOG_JOB_END_WAIT_S)',
  };
  const summary = bad.map(([r, e]) => `rank ${r} ${why[e as Exclude<RankEnd, 'finished'>]}`).join('; ');
  return { status, ranks, summary };
}
