/**
 * Rank and world size from the launcher's environment (docs/architecture.md §4):
 * torchrun-style RANK/WORLD_SIZE, Open MPI, MPICH/Intel MPI (PMI), PMIx, Slurm.
 */
const RANK_VARS = ['RANK', 'OMPI_COMM_WORLD_RANK', 'PMI_RANK', 'PMIX_RANK', 'SLURM_PROCID'] as const;
const SIZE_VARS = ['WORLD_SIZE', 'OMPI_COMM_WORLD_SIZE', 'PMI_SIZE', 'SLURM_NTASKS'] as const;

/** A rank as the launcher's environment gives it. */
export interface RankInfo {
  rank: number;
  worldSize: number | undefined;
  localRank: number | undefined;
  /** The variable the rank came from, or 'default'. */
  source: string;
}

function parseNonNegative(name: string, raw: string): number {
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
    throw new TypeError(
      `ranklog: environment variable ${name} is ${JSON.stringify(raw)}; it must be a non-negative integer. ` +
        `Fix the launcher's environment or pass { rank } to createLoggerContext().`,
    );
  }
  return n;
}

/** World size alone, so a valid { rank } option does not depend on a broken rank variable. */
export function worldSizeFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  for (const name of SIZE_VARS) {
    const raw = env[name];
    if (raw !== undefined) return parseNonNegative(name, raw);
  }
  return undefined;
}

/** This process's rank, world size and local rank from the launcher's environment (torchrun, Open MPI, PMI, PMIx, Slurm). */
export function rankFromEnv(env: NodeJS.ProcessEnv = process.env): RankInfo {
  let rank = 0;
  let source = 'default';
  for (const name of RANK_VARS) {
    const raw = env[name];
    if (raw !== undefined) {
      rank = parseNonNegative(name, raw);
      source = name;
      break;
    }
  }
  const worldSize = worldSizeFromEnv(env);
  const lr = env.LOCAL_RANK ?? env.OMPI_COMM_WORLD_LOCAL_RANK ?? env.SLURM_LOCALID;
  const localRank = lr === undefined ? undefined : parseNonNegative('LOCAL_RANK', lr);
  return { rank, worldSize, localRank, source };
}
