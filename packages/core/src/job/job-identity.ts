/**
 * Which job this process belongs to, read from the launcher's environment (docs/jobs.md
 * "Job identity"). One function, jobFromEnv(); every other module asks it.
 *
 * Launchers, first found wins (the rank, world size and local size come from the same one):
 *   Open MPI      OMPI_COMM_WORLD_RANK / _SIZE / _LOCAL_RANK / _LOCAL_SIZE; job: PMIX_NAMESPACE,
 *                 else OMPI_MCA_ess_base_jobid (both set by Open MPI 4.1's mpirun, same in every rank)
 *   MPICH/Hydra   PMI_RANK / PMI_SIZE, MPI_LOCALRANKID / MPI_LOCALNRANKS; Hydra puts no job id in
 *                 the environment (PMI-1 hands out the KVS name over its socket): RANKLOG_JOB, or on
 *                 one machine the parent pid (every local rank is a child of one hydra_pmi_proxy)
 *   PMIx          PMIX_RANK with PMIX_NAMESPACE (srun --mpi=pmix, prterun) and no OMPI_ variables
 *   torchrun      RANK / WORLD_SIZE / LOCAL_RANK / LOCAL_WORLD_SIZE; job: TORCHELASTIC_RUN_ID
 *                 (not its default 'none'), else MASTER_ADDR:MASTER_PORT
 *   Slurm         SLURM_PROCID / SLURM_NTASKS / SLURM_LOCALID; job: SLURM_JOB_ID[.SLURM_STEP_ID];
 *                 one machine when SLURM_STEP_NUM_NODES (else SLURM_JOB_NUM_NODES, SLURM_NNODES) is 1
 *   node:cluster  cluster.isWorker (Node sets NODE_UNIQUE_ID for the worker, and deletes it from
 *                 process.env while it starts, so the environment cannot say); rank and world size from
 *                 RANK / WORLD_SIZE that the primary passes to cluster.fork(); job: the primary's pid
 * RANKLOG_JOB overrides the job id whatever the launcher. MPI launchers come before Slurm: under
 * mpirun inside an allocation SLURM_PROCID is the step's (0 in every rank), not the MPI rank.
 */
import cluster from 'node:cluster';
import { hostname } from 'node:os';

export type Launcher = 'openmpi' | 'mpich' | 'pmix' | 'torchrun' | 'slurm' | 'cluster' | 'none';

export interface JobIdentity {
  launcher: Launcher;
  /** The job's id, the same in every process of one launch; undefined when the environment has none. */
  id: string | undefined;
  /** The variable(s) the id came from (for messages), e.g. 'PMIX_NAMESPACE'. */
  idSource: string | undefined;
  rank: number;
  worldSize: number | undefined;
  localRank: number | undefined;
  /** Ranks of this job on this machine; equal to worldSize when the launcher says all run here. */
  localSize: number | undefined;
  /** Every rank runs on this machine (a Unix socket reaches them all). */
  oneMachine: boolean;
  /** The variable the rank came from, or 'default'. */
  rankSource: string;
}

type Env = NodeJS.ProcessEnv;

/** Where the process runs: for the job id of launchers whose id is a parent pid (per machine). */
export interface ProcessFacts {
  ppid: number;
  hostname: string;
  /** This process is a node:cluster worker. */
  clusterWorker: boolean;
}

function here(): ProcessFacts {
  return { ppid: process.ppid, hostname: hostname(), clusterWorker: cluster.isWorker };
}

function bad(name: string, raw: string, what: string, fix: string): TypeError {
  return new TypeError(`ranklog: environment variable ${name} is ${JSON.stringify(raw)}; ${what}. ${fix}`);
}

const FIX = "Fix the launcher's environment, or pass { rank, worldSize } to createLoggerContext().";

function int(env: Env, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const t = raw.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(n) || n < min) {
    throw bad(name, raw, min === 0 ? 'it must be a non-negative integer' : 'it must be a positive integer', FIX);
  }
  return n;
}

interface Vars {
  launcher: Launcher;
  rank: string;
  size: string;
  localRank?: string;
  localSize?: string;
}

const LAUNCHERS: Vars[] = [
  {
    launcher: 'openmpi',
    rank: 'OMPI_COMM_WORLD_RANK',
    size: 'OMPI_COMM_WORLD_SIZE',
    localRank: 'OMPI_COMM_WORLD_LOCAL_RANK',
    localSize: 'OMPI_COMM_WORLD_LOCAL_SIZE',
  },
  { launcher: 'mpich', rank: 'PMI_RANK', size: 'PMI_SIZE', localRank: 'MPI_LOCALRANKID', localSize: 'MPI_LOCALNRANKS' },
  { launcher: 'pmix', rank: 'PMIX_RANK', size: 'PMIX_SIZE' },
  { launcher: 'slurm', rank: 'SLURM_PROCID', size: 'SLURM_NTASKS', localRank: 'SLURM_LOCALID' },
];
const TORCHRUN: Vars = { launcher: 'torchrun', rank: 'RANK', size: 'WORLD_SIZE', localRank: 'LOCAL_RANK', localSize: 'LOCAL_WORLD_SIZE' };

/** Characters a job id keeps: it names a socket file, an MLflow tag value and a directory. */
function clean(raw: string): string {
  return raw.replace(/[^\w.\-:@+=,]/g, '_').slice(0, 200);
}

/** The launcher's own job id, and the variable it came from. */
function launcherId(launcher: Launcher, env: Env, facts: ProcessFacts, oneMachine: boolean): [string, string] | undefined {
  const has = (name: string) => env[name] !== undefined && env[name] !== '';
  switch (launcher) {
    case 'openmpi':
      if (has('PMIX_NAMESPACE')) return [`ompi-${env.PMIX_NAMESPACE}`, 'PMIX_NAMESPACE'];
      if (has('OMPI_MCA_ess_base_jobid')) return [`ompi-${env.OMPI_MCA_ess_base_jobid}`, 'OMPI_MCA_ess_base_jobid'];
      return undefined;
    case 'pmix':
      return has('PMIX_NAMESPACE') ? [`pmix-${env.PMIX_NAMESPACE}`, 'PMIX_NAMESPACE'] : undefined;
    case 'mpich':
      return oneMachine ? [`hydra-${facts.hostname}-${facts.ppid}`, 'the parent pid (hydra_pmi_proxy)'] : undefined;
    case 'torchrun':
      if (has('TORCHELASTIC_RUN_ID') && env.TORCHELASTIC_RUN_ID !== 'none') return [`torch-${env.TORCHELASTIC_RUN_ID}`, 'TORCHELASTIC_RUN_ID'];
      if (has('MASTER_ADDR') && has('MASTER_PORT')) return [`torch-${env.MASTER_ADDR}:${env.MASTER_PORT}`, 'MASTER_ADDR:MASTER_PORT'];
      return undefined;
    case 'slurm':
      if (!has('SLURM_JOB_ID')) return undefined;
      return has('SLURM_STEP_ID')
        ? [`slurm-${env.SLURM_JOB_ID}.${env.SLURM_STEP_ID}`, 'SLURM_JOB_ID.SLURM_STEP_ID']
        : [`slurm-${env.SLURM_JOB_ID}`, 'SLURM_JOB_ID'];
    case 'cluster':
      return [`cluster-${facts.hostname}-${facts.ppid}`, "the cluster primary's pid"];
    case 'none':
      return undefined;
  }
}

/** Slurm knows its node count; other launchers say it by local size == world size. */
function slurmOneMachine(env: Env): boolean {
  for (const name of ['SLURM_STEP_NUM_NODES', 'SLURM_JOB_NUM_NODES', 'SLURM_NNODES']) {
    const n = int(env, name, 1);
    if (n !== undefined) return n === 1;
  }
  return false;
}

/**
 * The job of this process. Throws a TypeError naming the variable, its value and the fix when a
 * launcher's variables are malformed or contradict each other (a rank outside the world, RANK
 * different from the MPI rank).
 */
export function jobFromEnv(env: Env = process.env, facts: ProcessFacts = here()): JobIdentity {
  const mpi = LAUNCHERS.find((l) => env[l.rank] !== undefined && env[l.rank] !== '');
  const torch = env.RANK !== undefined && env.RANK !== '' ? TORCHRUN : undefined;
  const clusterWorker = facts.clusterWorker;
  // torchrun-style variables come first (what rank.ts has always read), but must agree with an MPI launcher's.
  let vars: Vars | undefined = torch ?? mpi;
  if (torch && mpi && mpi.launcher !== 'slurm') {
    for (const [a, b] of [
      [torch.rank, mpi.rank],
      [torch.size, mpi.size],
    ] as const) {
      if (env[a] !== undefined && env[b] !== undefined && env[a]!.trim() !== env[b]!.trim()) {
        throw bad(a, env[a]!, `but ${b} is ${JSON.stringify(env[b])} (the launcher's)`, `Unset ${a} (ranklog reads ${b}), or set it to the same value.`);
      }
    }
    vars = { ...mpi, launcher: mpi.launcher };
  }
  let launcher: Launcher = vars?.launcher ?? 'none';
  if (launcher === 'torchrun' && clusterWorker) launcher = 'cluster';
  if (launcher === 'none' && clusterWorker) launcher = 'cluster';

  const rank = vars ? (int(env, vars.rank, 0) ?? 0) : 0;
  const worldSize = vars ? int(env, vars.size, 1) : undefined;
  const localRank = vars?.localRank ? int(env, vars.localRank, 0) : undefined;
  const localSize = vars?.localSize ? int(env, vars.localSize, 1) : undefined;
  if (vars && worldSize !== undefined && rank >= worldSize) {
    throw bad(vars.rank, env[vars.rank]!, `it must be below ${vars.size} (${worldSize})`, FIX);
  }
  if (vars?.localRank && vars.localSize && localRank !== undefined && localSize !== undefined && localRank >= localSize) {
    throw bad(vars.localRank, env[vars.localRank]!, `it must be below ${vars.localSize} (${localSize})`, FIX);
  }
  if (localSize !== undefined && worldSize !== undefined && localSize > worldSize) {
    throw bad(vars!.localSize!, env[vars!.localSize!]!, `it must not exceed ${vars!.size} (${worldSize})`, FIX);
  }
  const oneMachine =
    launcher === 'cluster' || (launcher === 'slurm' ? slurmOneMachine(env) : localSize !== undefined && worldSize !== undefined && localSize === worldSize);

  let id: string | undefined;
  let idSource: string | undefined;
  const explicit = env.RANKLOG_JOB;
  if (explicit !== undefined && explicit !== '') {
    if (!/^[\w.\-:@+=,]{1,200}$/.test(explicit)) {
      throw bad(
        'RANKLOG_JOB',
        explicit,
        'use 1 to 200 letters, digits and . - _ : @ + = ,',
        "Set the same value in every process of one launch, or unset it to use the launcher's job id.",
      );
    }
    id = explicit;
    idSource = 'RANKLOG_JOB';
  } else {
    const found = launcherId(launcher, env, facts, oneMachine);
    if (found) [id, idSource] = [clean(found[0]), found[1]];
  }
  return { launcher, id, idSource, rank, worldSize, localRank, localSize, oneMachine, rankSource: vars?.rank ?? 'default' };
}
