/**
 * The run's name, shared by every backend. Separate processes of one job
 * (mpirun, srun) must agree on it, so it comes from the job's environment
 * when the user does not give one.
 */
export function defaultRunName(env: NodeJS.ProcessEnv = process.env, now = new Date()): string {
  if (env.RANKLOG_RUN_NAME) return env.RANKLOG_RUN_NAME;
  if (env.SLURM_JOB_ID) return `slurm-${env.SLURM_JOB_ID}${env.SLURM_STEP_ID ? `.${env.SLURM_STEP_ID}` : ''}`;
  if (env.TORCHELASTIC_RUN_ID && env.TORCHELASTIC_RUN_ID !== 'none') return `job-${env.TORCHELASTIC_RUN_ID}`;
  // Open MPI 5 / PMIx launchers: the namespace names the job, the same in every process.
  if (env.PMIX_NAMESPACE) return `job-${env.PMIX_NAMESPACE.replace(/[^\w.-]/g, '_')}`;
  const p = (n: number) => String(n).padStart(2, '0');
  // The pid keeps two runs started in the same second apart.
  return `run-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}-${process.pid}`;
}
