/**
 * The job key: what the processes of one launch share, so they find (or
 * exclusively create) one parent run. It is ranklog's run name (every process
 * of a job uses the same one: README "Ranks"), followed by the launcher's job
 * identity when the environment has one, so two launches that reuse a run name
 * get two parent runs instead of silently merging.
 *
 * The identity is the first variable found of (each the same in every process
 * of one launch, different from launch to launch):
 *   RANKLOG_JOB            an explicit identity, set by the user
 *   PMIX_NAMESPACE         Open MPI 4/5 (ORTE, PRRTE) and srun --mpi=pmix: the job's PMIx namespace
 *   OMPI_MCA_ess_base_jobid  Open MPI ≤ 4 without a PMIx namespace in the environment
 *   TORCHELASTIC_RUN_ID    torchrun's rendezvous id (not its default 'none')
 *   SLURM_JOB_ID           with SLURM_STEP_ID when set: one srun step
 * MPI launchers come before Slurm: under `mpirun` inside an allocation, the
 * processes mpirun starts itself and those its remote daemons start carry
 * different SLURM_STEP_IDs, but one namespace.
 */

const SOURCES = ['RANKLOG_JOB', 'PMIX_NAMESPACE', 'OMPI_MCA_ess_base_jobid', 'TORCHELASTIC_RUN_ID', 'SLURM_JOB_ID'] as const;
/** Characters kept in the key: it goes into a runs/search filter between quotes, so no quotes or backslashes. */
const SAFE = /^[\w.\-:@/+=,]{1,200}$/;

/** `VAR=value` of the launcher's job identity, or undefined (then the run name alone is the key). */
export function launchIdFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.RANKLOG_JOB;
  if (explicit !== undefined && explicit !== '') {
    if (!SAFE.test(explicit)) {
      throw new TypeError(
        `ranklog: environment variable RANKLOG_JOB is ${JSON.stringify(explicit)}; use 1 to 200 letters, digits and . - _ : @ / + = , ` +
          `(the same value in every process of one launch), or unset it to use the launcher's job id.`,
      );
    }
    return `RANKLOG_JOB=${explicit}`;
  }
  for (const name of SOURCES.slice(1)) {
    const raw = env[name];
    if (raw === undefined || raw === '' || (name === 'TORCHELASTIC_RUN_ID' && raw === 'none')) continue;
    // A launcher's value is not the user's to fix: characters the key cannot hold become '_'.
    const value = raw.replace(/[^\w.\-:@/+=,]/g, '_').slice(0, 200);
    if (name === 'SLURM_JOB_ID' && env.SLURM_STEP_ID) return `SLURM_JOB_ID=${value},SLURM_STEP_ID=${env.SLURM_STEP_ID.replace(/[^\w.-]/g, '_').slice(0, 50)}`;
    return `${name}=${value}`;
  }
  return undefined;
}

/** The job key of a run name and a launch id: `<runName>` or `<runName>@<VAR=value>`. */
export function jobKey(runName: string, launchId: string | undefined): string {
  return launchId === undefined ? runName : `${runName}@${launchId}`;
}
