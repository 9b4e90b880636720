/**
 * Jobs across processes (docs/jobs.md) under real launchers: Open MPI's mpirun, node:cluster, and a
 * torchrun-style environment the test sets. Each job writes one run per backend (local files,
 * TensorBoard, MLflow file store with exactly one parent), every record of every rank, and the
 * job's end status; a SIGKILLed rank makes the job FAILED with the rank named; an unreachable
 * rendezvous makes each rank log alone with one warning; rank 0 dying lets the others finish.
 */
import test, { type ExecutionContext } from 'ava';
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobRankConfig } from './fixtures/job-rank.js';
import { childEnv, dropAmbientEnv } from './support/child-process.js';
import { type Ended, rankLines, run } from './support/job-processes.js';
import { parseCsv } from './support/csv-parse.js';
import { tbJobEnd } from './support/job-end-check.js';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';
import { readRunDir, scalarOf, valuesOfTag } from './support/tb-decode.js';
import { TEST_TIMEOUT_MS, waitFor } from './support/wait-for.js';

const CHILD = fileURLToPath(new URL('./fixtures/job-rank.js', import.meta.url));
const N = 500;
/** The join and end waits as liveness bounds: on a loaded machine a rank may be slow to start or end; only a broken rendezvous waits this long. */
const LIVE = { RANKLOG_RENDEZVOUS_TIMEOUT_S: '300', RANKLOG_JOB_END_WAIT_S: '300' };
const WORLD = 4;
const HAS_MPIRUN = spawnSync('mpirun', ['--version']).status === 0;
/** A Slurm controller answers (scripts/slurm-single-node.sh starts one; .ci/run does, and sets RANKLOG_TEST_SLURM=1). */
const HAS_SLURM = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' }).stdout?.match(/idle|mixed|allocated/) != null;
const REQUIRE_SLURM = process.env.RANKLOG_TEST_SLURM === '1';
// After reading RANKLOG_TEST_SLURM: the children must not inherit this shell's launcher variables.
dropAmbientEnv();

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-jobs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A free TCP port on 127.0.0.1 (the kernel's pick, released at once; MASTER_PORT is one below it). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** torchrun-style processes: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; `ranks` of them started. */
function torchrunJob(
  t: ExecutionContext,
  cfg: JobRankConfig,
  masterPort: number,
  ranks: number[],
  extra: Record<string, string> = {},
  onOutput?: (rank: number, stdout: string, stderr: string, child: ChildProcess) => void,
): Promise<Ended>[] {
  return ranks.map((r) =>
    run(
      t,
      process.execPath,
      [CHILD, JSON.stringify(cfg)],
      childEnv({
        ...LIVE,
        RANK: String(r),
        WORLD_SIZE: String(WORLD),
        LOCAL_RANK: String(r),
        LOCAL_WORLD_SIZE: String(WORLD),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(masterPort),
        ...extra,
      }),
      onOutput && ((out, err, child) => onOutput(r, out, err, child)),
    ),
  );
}

/** What every backend holds for one job: one run each, `ranks`' records complete and in order; returns the run name. */
function checkBackends(t: ExecutionContext, savedir: string, ranks: number[], parentStatus: string): string {
  const runDirs = readdirSync(savedir).filter((d) => d !== 'tb' && d !== 'mlruns' && d !== 'gate');
  t.is(runDirs.length, 1, `one local run directory for the job, found ${runDirs.join(', ')}`);
  const runName = runDirs[0]!;
  // local files: every rank's N points, in step order per rank
  const rows = parseCsv(readFileSync(join(savedir, runName, 'metrics.csv'), 'utf8')).slice(1);
  for (const r of ranks) {
    const steps = rows.filter((row) => row[1] === String(r) && row[2] === 'loss').map((row) => Number(row[3]));
    t.deepEqual(
      steps,
      Array.from({ length: N }, (_, i) => i),
      `local files: rank ${r}'s steps`,
    );
  }
  // TensorBoard: one job directory, a run per rank inside it, and the job-level run holding the job's end
  const tb = readRunDir(join(savedir, 'tb'));
  t.deepEqual(
    [...tb.keys()].sort(),
    [...ranks.map((r) => `${runName}/rank_${r}`), `${runName}/job`].sort(),
    'TensorBoard: one job directory with a run per rank and the job run',
  );
  t.regex(tbJobEnd(join(savedir, 'tb'), runName) ?? '', new RegExp(`^\\*\\*${parentStatus}\\*\\*`), 'TensorBoard: the job end text');
  for (const r of ranks) {
    const values = valuesOfTag(tb.get(`${runName}/rank_${r}`)!.events, 'loss').map((v) => scalarOf(v.value));
    t.is(values.length, N, `TensorBoard: rank ${r}'s points`);
  }
  // MLflow: exactly one parent, a child per rank with its points
  const mlruns = join(savedir, 'mlruns');
  const [experimentId, ...more] = experimentIdsNamed(mlruns, 'jobs');
  t.is(more.length, 0, 'one experiment');
  const runs = runsIn(mlruns, experimentId!);
  const parents = runs.filter((r) => r.tags.has('ranklog.job'));
  t.is(parents.length, 1, `exactly one MLflow parent run, found ${parents.length}`);
  const parent = parents[0]!;
  t.is(parent.status, parentStatus, `MLflow parent status; its tags: ${JSON.stringify([...parent.tags])}`);
  for (const r of ranks) {
    const child = runs.find((x) => x.tags.get('ranklog.rank') === String(r));
    t.truthy(child, `MLflow: rank ${r}'s run`);
    t.is(child?.tags.get('mlflow.parentRunId'), parent.runId, `MLflow: rank ${r}'s run nests under the one parent`);
    t.is(child?.metrics.get('loss')?.length, N, `MLflow: rank ${r}'s points`);
  }
  return runName;
}

function runJson(savedir: string, runName: string): { job?: { status: string; rank_ends?: Record<string, string>; summary?: string } } {
  return JSON.parse(readFileSync(join(savedir, runName, 'run.json'), 'utf8')) as ReturnType<typeof runJson>;
}

test('a 4-rank job under Open MPI mpirun: one run per backend, every record, FINISHED', async (t) => {
  if (!HAS_MPIRUN) return t.fail('mpirun not found: install Open MPI (apt-get install -y openmpi-bin; .ci/run does)');
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const cfg: JobRankConfig = { savedir, n: N };
  const e = await run(
    t,
    'mpirun',
    ['--allow-run-as-root', '--oversubscribe', '-np', String(WORLD), process.execPath, CHILD, JSON.stringify(cfg)],
    childEnv(LIVE),
  );
  t.is(e.code, 0, e.stderr);
  const lines = rankLines(e.stdout);
  t.deepEqual(
    lines.map((l) => l.rank),
    [0, 1, 2, 3],
    e.stderr,
  );
  t.is(new Set(lines.map((l) => l.runName)).size, 1, 'every rank got the agreed run name');
  t.is(lines[0]!.job?.status, 'finished');
  const runName = checkBackends(t, savedir, [0, 1, 2, 3], 'FINISHED');
  t.is(runName, lines[0]!.runName);
  t.is(runJson(savedir, runName).job?.status, 'finished');
  t.notRegex(e.stderr, /rendezvous/, 'no rendezvous warning');
});

(HAS_SLURM || REQUIRE_SLURM ? test : test.skip)('a 4-rank job under Slurm srun -n 4: one run per backend, every record, FINISHED', async (t) => {
  if (!HAS_SLURM) return t.fail('no Slurm controller answers: run scripts/slurm-single-node.sh as root (.ci/run does)');
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const cfg: JobRankConfig = { savedir, n: N };
  // -O (overcommit): 4 tasks on a 2-CPU node.
  const e = await run(t, 'srun', ['-O', '-n', String(WORLD), process.execPath, CHILD, JSON.stringify(cfg)], childEnv(LIVE));
  t.is(e.code, 0, e.stderr);
  const lines = rankLines(e.stdout);
  t.deepEqual(
    lines.map((l) => l.rank),
    [0, 1, 2, 3],
    e.stderr,
  );
  t.is(new Set(lines.map((l) => l.runName)).size, 1);
  t.regex(lines[0]!.runName, /^slurm-\d+\.\d+$/, 'the run is named by the Slurm job and step');
  t.is(lines[0]!.job?.status, 'finished');
  const runName = checkBackends(t, savedir, [0, 1, 2, 3], 'FINISHED');
  t.is(runJson(savedir, runName).job?.status, 'finished');
});

test('a 4-rank job under node:cluster: one run per backend, FINISHED', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const e = await run(t, process.execPath, [CHILD, JSON.stringify({ savedir, n: N, cluster: { worldSize: WORLD } } satisfies JobRankConfig)], childEnv(LIVE));
  t.is(e.code, 0, e.stderr);
  const lines = rankLines(e.stdout);
  t.deepEqual(
    lines.map((l) => l.rank),
    [0, 1, 2, 3],
    e.stderr,
  );
  t.is(lines[0]!.job?.status, 'finished', e.stderr);
  const runName = checkBackends(t, savedir, [0, 1, 2, 3], 'FINISHED');
  t.is(runJson(savedir, runName).job?.status, 'finished');
});

test('a torchrun-style job (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; no run id): the ranks agree on one run name over TCP', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const port = await freePort();
  const ends = await Promise.all(torchrunJob(t, { savedir, n: N }, port - 1, [0, 1, 2, 3]));
  for (const [r, e] of ends.entries()) t.is(e.code, 0, `rank ${r}: ${e.stderr}`);
  const lines = ends.flatMap((e) => rankLines(e.stdout));
  // Without the rendezvous each process would name its run after its own pid: four runs.
  t.is(new Set(lines.map((l) => l.runName)).size, 1);
  t.is(lines.find((l) => l.rank === 0)?.job?.status, 'finished');
  checkBackends(t, savedir, [0, 1, 2, 3], 'FINISHED');
});

test('a SIGKILLed rank: rank 0 names it, and the job ends FAILED in every job-level record', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const port = await freePort();
  const ends = await Promise.all(torchrunJob(t, { savedir, n: N, kill: 2 }, port - 1, [0, 1, 2, 3]));
  t.is(ends[2]!.signal, 'SIGKILL');
  for (const r of [0, 1, 3]) t.is(ends[r]!.code, 0, `rank ${r}: ${ends[r]!.stderr}`);
  const host = rankLines(ends[0]!.stdout)[0]!;
  t.is(host.job?.status, 'failed');
  t.is(host.job?.ranks['2'], 'vanished');
  t.deepEqual([host.job?.ranks['0'], host.job?.ranks['1'], host.job?.ranks['3']], ['finished', 'finished', 'finished']);
  t.regex(ends[0]!.stderr, /rank 2 vanished/);
  t.regex(ends[0]!.stderr, /the job ended FAILED: rank 2 vanished/);
  // Rank 2 flushed before it died: its records are there too.
  const runName = checkBackends(t, savedir, [0, 1, 2, 3], 'FAILED');
  const rj = runJson(savedir, runName);
  t.is(rj.job?.status, 'failed');
  t.is(rj.job?.rank_ends?.['2'], 'vanished');
  t.regex(rj.job?.summary ?? '', /rank 2 vanished/);
  const mlruns = join(savedir, 'mlruns');
  const parent = runsIn(mlruns, experimentIdsNamed(mlruns, 'jobs')[0]!).find((r) => r.tags.has('ranklog.job'))!;
  t.is(parent.tags.get('ranklog.end.rank2'), 'failed', 'rank 0 wrote the vanished rank its end');
  t.regex(parent.tags.get('ranklog.job.end') ?? '', /^rank 2 vanished/);
});

test('rendezvous unreachable (rank 0 never starts): each rank logs on its own, with one warning naming the address and the fix', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const port = await freePort();
  const ends = await Promise.all(torchrunJob(t, { savedir, n: N }, port - 1, [1, 2, 3], { RANKLOG_RENDEZVOUS_TIMEOUT_S: '1', RANKLOG_RUN_NAME: 'alone' }));
  for (const e of ends) {
    t.is(e.code, 0, e.stderr);
    const warnings = e.stderr.split('\n').filter((l) => l.includes('did not join the job'));
    t.is(warnings.length, 1, e.stderr);
    t.true(warnings[0]!.includes(`127.0.0.1:${port}`), warnings[0]);
    t.true(warnings[0]!.includes('RANKLOG_RENDEZVOUS=host:port'), warnings[0]);
  }
  const rows = parseCsv(readFileSync(join(savedir, 'alone', 'metrics.csv'), 'utf8')).slice(1);
  for (const r of [1, 2, 3]) t.is(rows.filter((row) => row[1] === String(r)).length, N, `rank ${r} logged alone`);
  t.false('job' in (JSON.parse(readFileSync(join(savedir, 'alone', 'run.json'), 'utf8')) as object), 'no job recorded: no rank hosted it');
});

test('rank 0 dies mid-job: the other ranks finish their own runs and say the host went away', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const port = await freePort();
  const gate = join(savedir, 'gate');
  const told = new Set<number>();
  const ends = torchrunJob(t, { savedir, n: N, kill: 0, gate: { file: gate, ranks: [1, 2, 3] } }, port - 1, [0, 1, 2, 3], {}, (r, out, err) => {
    if (out.includes(`rank ${r} waits for the gate`) && err.includes('went away')) told.add(r);
  });
  const host = await ends[0]!;
  t.is(host.signal, 'SIGKILL');
  // The others learn of it from their connection (a warning each), then the gate lets them end.
  t.true(await waitFor(() => told.size === 3), 'ranks 1-3 reached the gate and were told that rank 0 went away');
  writeFileSync(gate, '');
  const others = await Promise.all(ends.slice(1));
  for (const [i, e] of others.entries()) {
    t.is(e.code, 0, `rank ${i + 1}: ${e.stderr}`);
    t.regex(e.stderr, /rendezvous host \(rank 0, 127\.0\.0\.1:\d+\) went away/);
  }
  const runDirs = readdirSync(savedir).filter((d) => d !== 'tb' && d !== 'mlruns' && d !== 'gate');
  t.is(runDirs.length, 1);
  const rows = parseCsv(readFileSync(join(savedir, runDirs[0]!, 'metrics.csv'), 'utf8')).slice(1);
  for (const r of [0, 1, 2, 3]) t.is(rows.filter((row) => row[1] === String(r)).length, N, `rank ${r}'s records`);
  // The members record what they know: rank 0 vanished; the last of them to end ends the MLflow parent FAILED.
  const mlruns = join(savedir, 'mlruns');
  const parents = runsIn(mlruns, experimentIdsNamed(mlruns, 'jobs')[0]!).filter((r) => r.tags.has('ranklog.job'));
  t.is(parents.length, 1);
  t.is(parents[0]!.status, 'FAILED', JSON.stringify([...parents[0]!.tags]));
  t.is(parents[0]!.tags.get('ranklog.end.rank0'), 'failed');
  t.regex(parents[0]!.tags.get('ranklog.job.end') ?? '', /^rank 0 vanished/);
});

test('a rank interrupted (SIGTERM) while the others finish: the job ends KILLED, that rank named', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const port = await freePort();
  const gate = join(savedir, 'gate');
  let signalled = false;
  const ends = torchrunJob(t, { savedir, n: N, gate: { file: gate, ranks: [0, 1, 2, 3] } }, port - 1, [0, 1, 2, 3], {}, (r, out, _err, child) => {
    if (r === 1 && !signalled && out.includes('rank 1 waits for the gate')) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  // Rank 1 ends by the signal (its exit path hands its end to rank 0); then the others may end.
  const killed = await ends[1]!;
  t.is(killed.signal, 'SIGTERM', killed.stderr);
  writeFileSync(gate, '');
  const rest = await Promise.all([ends[0]!, ends[2]!, ends[3]!]);
  for (const e of rest) t.is(e.code, 0, e.stderr);
  const host = rankLines(rest[0]!.stdout)[0]!;
  t.is(host.job?.status, 'killed', rest[0]!.stderr);
  t.deepEqual(host.job?.ranks, { 0: 'finished', 1: 'killed', 2: 'finished', 3: 'finished' });
  const runName = checkBackends(t, savedir, [0, 1, 2, 3], 'KILLED');
  t.is(runJson(savedir, runName).job?.status, 'killed');
});

test('a process of another job at the address is refused and named; it logs alone, and the job ends FAILED with that rank absent', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t);
  const port = await freePort();
  // Rank 0 waits only 2 s for ends, so it may close only once ranks 1 and 2 have ended: the gate orders that.
  const gate = join(savedir, 'gate');
  const env = { RANKLOG_JOB: 'job-a', RANKLOG_JOB_END_WAIT_S: '2' };
  const ends = [
    ...torchrunJob(t, { savedir, n: N, gate: { file: gate, ranks: [0] } }, port - 1, [0, 1, 2], env),
    ...torchrunJob(t, { savedir, n: N }, port - 1, [3], { ...env, RANKLOG_JOB: 'job-b', RANKLOG_RUN_NAME: 'stray' }),
  ];
  for (const e of await Promise.all([ends[1]!, ends[2]!])) t.is(e.code, 0, e.stderr);
  writeFileSync(gate, '');
  const [host, stray] = await Promise.all([ends[0]!, ends[3]!]);
  t.is(stray!.code, 0, stray!.stderr);
  t.regex(stray!.stderr, /rank 0 refused this rank: rank 3 \(pid \d+ on [^)]+\) belongs to job job-b, not job-a/);
  t.regex(host!.stderr, /refused a connection to the rendezvous: rank 3 .* belongs to job job-b/);
  const h = rankLines(host!.stdout)[0]!;
  t.is(h.job?.status, 'failed');
  t.deepEqual(h.job?.ranks, { 0: 'finished', 1: 'finished', 2: 'finished', 3: 'absent' });
  t.regex(host!.stderr, /the job ended FAILED: rank 3 never reached the rendezvous/);
  const strayRows = parseCsv(readFileSync(join(savedir, 'stray', 'metrics.csv'), 'utf8')).slice(1);
  t.is(strayRows.length, N, 'the refused rank logged on its own');
});
