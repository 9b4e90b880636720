/**
 * Job identity (job/job-identity.ts) and the rendezvous address (job/rendezvous-address.ts) from
 * each launcher's environment: what Open MPI 4.1's mpirun sets (checked against a real mpirun in
 * jobs.test.ts), MPICH/Hydra, PMIx, torchrun, Slurm (environment only: no slurmd here), node:cluster
 * and RANKLOG_JOB; contradictions are errors naming the variable, the value and the fix. Also the
 * rendezvous frames and the host's decision over the ranks' ends.
 */
import test from 'ava';
import { decideJobEnd } from '@ranklog/core/sink';
import { encodeFrame, FrameReader, MAX_FRAME } from '../../packages/core/dist/job/frames.js';
import { jobFromEnv, type ProcessFacts } from '../../packages/core/dist/job/job-identity.js';
import { parseAddress, rendezvousAddress } from '../../packages/core/dist/job/rendezvous-address.js';

const FACTS: ProcessFacts = { ppid: 4242, hostname: 'node7', clusterWorker: false };

test('Open MPI (as mpirun 4.1 sets it): rank, size, local size, job from PMIX_NAMESPACE; one machine → a Unix socket', (t) => {
  const env = {
    OMPI_COMM_WORLD_RANK: '2',
    OMPI_COMM_WORLD_SIZE: '4',
    OMPI_COMM_WORLD_LOCAL_RANK: '2',
    OMPI_COMM_WORLD_LOCAL_SIZE: '4',
    PMIX_NAMESPACE: '2098724865',
    PMIX_RANK: '2',
    OMPI_MCA_ess_base_jobid: '2098724865',
  };
  const job = jobFromEnv(env, FACTS);
  t.like(job, { launcher: 'openmpi', id: 'ompi-2098724865', idSource: 'PMIX_NAMESPACE', rank: 2, worldSize: 4, localRank: 2, localSize: 4, oneMachine: true });
  const a = rendezvousAddress(job, undefined, env);
  t.is(a?.kind, 'unix');
  // Every rank of the job computes the same path; another job another one.
  t.deepEqual(rendezvousAddress(jobFromEnv({ ...env, OMPI_COMM_WORLD_RANK: '0' }, FACTS), undefined, env), a);
  t.notDeepEqual(rendezvousAddress(jobFromEnv({ ...env, PMIX_NAMESPACE: '7' }, FACTS), undefined, env), a);
  const { PMIX_NAMESPACE: _, ...noNamespace } = env;
  t.like(jobFromEnv(noNamespace, FACTS), { id: 'ompi-2098724865', idSource: 'OMPI_MCA_ess_base_jobid' });
  // Two machines: no socket reaches them all, so no address without RANKLOG_RENDEZVOUS or MASTER_ADDR.
  const twoNodes = jobFromEnv({ ...env, OMPI_COMM_WORLD_LOCAL_RANK: '0', OMPI_COMM_WORLD_LOCAL_SIZE: '2' }, FACTS);
  t.false(twoNodes.oneMachine);
  t.is(rendezvousAddress(twoNodes, undefined, {}), undefined);
  t.deepEqual(rendezvousAddress(twoNodes, undefined, { RANKLOG_RENDEZVOUS: '10.0.0.1:29601' }), { kind: 'tcp', host: '10.0.0.1', port: 29601 });
});

test('MPICH/Hydra: PMI_RANK/PMI_SIZE, MPI_LOCALNRANKS; no job id in the environment: the parent pid on one machine, RANKLOG_JOB otherwise', (t) => {
  const env = { PMI_RANK: '1', PMI_SIZE: '3', MPI_LOCALRANKID: '1', MPI_LOCALNRANKS: '3' };
  t.like(jobFromEnv(env, FACTS), { launcher: 'mpich', rank: 1, worldSize: 3, oneMachine: true, id: 'hydra-node7-4242' });
  t.like(jobFromEnv({ ...env, MPI_LOCALNRANKS: '1', MPI_LOCALRANKID: '0' }, FACTS), { oneMachine: false, id: undefined });
  t.like(jobFromEnv({ ...env, RANKLOG_JOB: 'exp-17' }, FACTS), { id: 'exp-17', idSource: 'RANKLOG_JOB' });
});

test('torchrun: RANK/WORLD_SIZE/LOCAL_WORLD_SIZE; job from TORCHELASTIC_RUN_ID (not "none"), else MASTER_ADDR:MASTER_PORT; rendezvous on MASTER_PORT+1', (t) => {
  const env = { RANK: '3', WORLD_SIZE: '8', LOCAL_RANK: '3', LOCAL_WORLD_SIZE: '4', MASTER_ADDR: 'head', MASTER_PORT: '29500', TORCHELASTIC_RUN_ID: 'abc' };
  const job = jobFromEnv(env, FACTS);
  t.like(job, { launcher: 'torchrun', id: 'torch-abc', rank: 3, worldSize: 8, localSize: 4, oneMachine: false });
  t.deepEqual(rendezvousAddress(job, undefined, env), { kind: 'tcp', host: 'head', port: 29501 });
  t.like(jobFromEnv({ ...env, TORCHELASTIC_RUN_ID: 'none' }, FACTS), { id: 'torch-head:29500', idSource: 'MASTER_ADDR:MASTER_PORT' });
  t.throws(() => rendezvousAddress(job, undefined, { ...env, MASTER_PORT: '65535' }), {
    message: /MASTER_PORT is "65535".*MASTER_PORT\+1.*RANKLOG_RENDEZVOUS/,
  });
});

test('Slurm (environment only): SLURM_PROCID/NTASKS/LOCALID, job id with the step, one machine from SLURM_STEP_NUM_NODES', (t) => {
  const env = {
    SLURM_PROCID: '5',
    SLURM_NTASKS: '8',
    SLURM_LOCALID: '1',
    SLURM_JOB_ID: '991',
    SLURM_STEP_ID: '0',
    SLURM_STEP_NUM_NODES: '2',
    SLURM_JOB_NUM_NODES: '1',
  };
  t.like(jobFromEnv(env, FACTS), { launcher: 'slurm', id: 'slurm-991.0', rank: 5, worldSize: 8, localRank: 1, oneMachine: false });
  t.like(jobFromEnv({ ...env, SLURM_STEP_NUM_NODES: '1' }, FACTS), { oneMachine: true });
  // mpirun inside an allocation: the MPI rank, not the step's SLURM_PROCID (0 in every process mpirun starts).
  t.like(jobFromEnv({ ...env, SLURM_PROCID: '0', OMPI_COMM_WORLD_RANK: '6', OMPI_COMM_WORLD_SIZE: '8', PMIX_NAMESPACE: 'ns' }, FACTS), {
    launcher: 'openmpi',
    rank: 6,
    id: 'ompi-ns',
  });
});

test('node:cluster workers: rank and world size from RANK/WORLD_SIZE given to fork(), job from the primary pid, a Unix socket', (t) => {
  const job = jobFromEnv({ RANK: '1', WORLD_SIZE: '4' }, { ...FACTS, clusterWorker: true });
  t.like(job, { launcher: 'cluster', id: 'cluster-node7-4242', rank: 1, worldSize: 4, oneMachine: true });
  t.is(rendezvousAddress(job, undefined, {})?.kind, 'unix');
});

test('no launcher: rank 0, no job; RANKLOG_JOB alone names one', (t) => {
  t.like(jobFromEnv({}, FACTS), { launcher: 'none', id: undefined, rank: 0, worldSize: undefined, rankSource: 'default' });
  t.like(jobFromEnv({ RANKLOG_JOB: 'mine' }, FACTS), { id: 'mine' });
});

test('contradictions and malformed values are errors naming the variable, the value and the fix', (t) => {
  t.throws(() => jobFromEnv({ RANK: '1', WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '4' }, FACTS), {
    instanceOf: TypeError,
    message: /environment variable RANK is "1"; but OMPI_COMM_WORLD_RANK is "2".*Unset RANK/,
  });
  t.throws(() => jobFromEnv({ PMI_RANK: '3', PMI_SIZE: '3' }, FACTS), { message: /PMI_RANK is "3"; it must be below PMI_SIZE \(3\)/ });
  t.throws(() => jobFromEnv({ RANK: '0', WORLD_SIZE: '0' }, FACTS), { message: /WORLD_SIZE is "0"; it must be a positive integer/ });
  t.throws(() => jobFromEnv({ RANK: '0', WORLD_SIZE: '2', LOCAL_RANK: '2', LOCAL_WORLD_SIZE: '2' }, FACTS), {
    message: /LOCAL_RANK is "2"; it must be below LOCAL_WORLD_SIZE/,
  });
  t.throws(() => jobFromEnv({ RANK: '0', WORLD_SIZE: '2', LOCAL_WORLD_SIZE: '3' }, FACTS), {
    message: /LOCAL_WORLD_SIZE is "3"; it must not exceed WORLD_SIZE/,
  });
  t.throws(() => jobFromEnv({ RANKLOG_JOB: 'a b' }, FACTS), { message: /RANKLOG_JOB is "a b".*same value in every process/ });
  // Agreeing variables of two launchers are fine: the MPI launcher's win.
  t.like(jobFromEnv({ RANK: '2', WORLD_SIZE: '4', OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '4' }, FACTS), { launcher: 'openmpi', rank: 2 });
});

test('RANKLOG_RENDEZVOUS and the rendezvous option: host:port, [v6]:port, unix:path, off; anything else names the fix', (t) => {
  t.deepEqual(parseAddress('127.0.0.1:9', 'x'), { kind: 'tcp', host: '127.0.0.1', port: 9 });
  t.deepEqual(parseAddress('[fd00::2]:29501', 'x'), { kind: 'tcp', host: 'fd00::2', port: 29501 });
  t.deepEqual(parseAddress('unix:/run/r.sock', 'x'), { kind: 'unix', path: '/run/r.sock' });
  t.is(parseAddress('off', 'x'), null);
  for (const bad of ['host', 'host:0', 'host:70000', ':80', 'unix:', 'a b:1']) {
    t.throws(() => parseAddress(bad, 'environment variable RANKLOG_RENDEZVOUS'), { message: /RANKLOG_RENDEZVOUS is .*use host:port/ }, bad);
  }
  const job = jobFromEnv({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'a', MASTER_PORT: '5' }, FACTS);
  t.is(rendezvousAddress(job, false, { MASTER_ADDR: 'a', MASTER_PORT: '5' }), null, 'rendezvous: false wins');
  t.deepEqual(rendezvousAddress(job, 'b:7', { RANKLOG_RENDEZVOUS: 'c:8' }), { kind: 'tcp', host: 'b', port: 7 }, 'the option before the variable');
  t.is(rendezvousAddress(job, undefined, { RANKLOG_RENDEZVOUS: 'off', MASTER_ADDR: 'a', MASTER_PORT: '5' }), null, 'off: turned off, not unknown');
});

test('frames: split anywhere, joined whole; an oversized frame is refused', (t) => {
  const messages = [
    { t: 'hello', v: 1, rank: 3 },
    { t: 'end', rank: 3, status: 'finished' },
    { t: 'future', payload: 'x'.repeat(70_000) },
  ];
  const bytes = Buffer.concat(messages.map((m) => encodeFrame(m)));
  for (const piece of [1, 3, 4, 5, 1000, bytes.length]) {
    const r = new FrameReader();
    const got: unknown[] = [];
    for (let i = 0; i < bytes.length; i += piece) got.push(...r.push(bytes.subarray(i, i + piece)));
    t.deepEqual(got, messages, `pieces of ${piece}`);
  }
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(MAX_FRAME + 1, 0);
  t.throws(() => new FrameReader().push(huge), { message: /frame of \d+ bytes/ });
});

test("the job's end: FINISHED only when every rank finished; FAILED for a failed, vanished, absent or still running rank; else KILLED", (t) => {
  t.like(decideJobEnd({ 0: 'finished', 1: 'finished' }), { status: 'finished', summary: '' });
  t.like(decideJobEnd({ 0: 'finished', 1: 'killed' }), { status: 'killed', summary: 'rank 1 was killed' });
  t.like(decideJobEnd({ 0: 'killed', 1: 'failed' }), { status: 'failed' });
  const v = decideJobEnd({ 0: 'finished', 2: 'vanished', 3: 'absent' });
  t.is(v.status, 'failed');
  t.regex(v.summary, /^rank 2 vanished \(.*SIGKILL.*\); rank 3 never reached the rendezvous$/);
  t.like(decideJobEnd({ 0: 'finished', 1: 'running' }), { status: 'failed' });
});
