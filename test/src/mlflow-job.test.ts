/**
 * The parent run of a job whose ranks are separate processes (mpirun/srun/cluster), with real
 * processes racing: 4 training processes (fixtures/mlflow-child.js, RANK/WORLD_SIZE like a
 * launcher) start at one shared instant and log into (a) a file store in a temp directory, read
 * back with the independent reader (support/mlruns-reader.ts), and (b) the tracking-server
 * double on 127.0.0.1. Every test runs against both.
 *
 * What must hold: one parent run per job (job key = run name + the launcher's job id), each
 * rank's run nested under it with every point, and the parent's status FINISHED only after every
 * logging process finished, FAILED if one failed, KILLED if one was killed. Moments ("ranks 0, 2
 * and 3 are done, rank 1 is not") are waited for as events (a process's exit, a line it
 * prints), never by sleeping.
 */
import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { launchIdFromEnv, jobKey } from '../../packages/mlflow/dist/job-key.js';
import { startMlflowDouble, type MlflowDouble } from '@ranklog/mlflow-double';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';
import { tempDir } from './support/log-path.js';
import { dropAmbientEnv, runChild, startGate, type ChildEnd } from './support/child-process.js';
import type { ChildConfig } from './fixtures/mlflow-child.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

dropAmbientEnv();

// ───────────────────────────── both stores, one view ─────────────────────────────

type Kind = 'file' | 'server';

interface RunView {
  id: string;
  name: string;
  status: string;
  tags: Map<string, string>;
  loss: { step: number; value: number }[];
}

interface Store {
  kind: Kind;
  /** What each child needs to log into this store (trackingUri option / environment). */
  cfg: Partial<ChildConfig>;
  env: Record<string, string>;
  /** Every run of the experiment (throws unless exactly one experiment has that name). */
  runs(experimentName: string): RunView[];
  /** Requests a real server would have mangled (server only). */
  violations(): string[];
  double?: MlflowDouble;
}

async function openStore(t: ExecutionContext, kind: Kind): Promise<Store> {
  if (kind === 'file') {
    const root = join(tempDir(t, 'mlflow-job-fs'), 'mlruns');
    return {
      kind,
      cfg: { trackingUri: root },
      env: {},
      runs(experimentName) {
        const ids = experimentIdsNamed(root, experimentName);
        if (ids.length !== 1) throw new Error(`${ids.length} experiments named ${experimentName} in ${root}`);
        return runsIn(root, ids[0]!).map((r) => ({
          id: r.runId,
          name: String(r.meta.run_name),
          status: r.status,
          tags: r.tags,
          loss: (r.metrics.get('loss') ?? []).map((p) => ({ step: p.step, value: p.value })),
        }));
      },
      violations: () => [],
    };
  }
  const d = await startMlflowDouble();
  t.teardown(() => d.close());
  return {
    kind,
    cfg: {},
    env: { MLFLOW_TRACKING_URI: d.url },
    runs(experimentName) {
      const e = d.experimentByName(experimentName);
      if (!e) throw new Error(`no experiment ${experimentName} on the double`);
      return [...d.runs.values()]
        .filter((r) => r.info.experiment_id === e.experiment_id)
        .map((r) => ({
          id: r.info.run_id,
          name: r.info.run_name,
          status: r.info.status,
          tags: r.tags,
          loss: (r.metrics.get('loss') ?? []).map((p) => ({ step: Number(p.step), value: p.value })),
        }));
    },
    violations: () => d.violations,
    double: d,
  };
}

const parentsOf = (runs: RunView[]) => runs.filter((r) => !r.tags.has('mlflow.parentRunId'));

/** Steps 0..n-1 each exactly once with value = step; a description of what is wrong, or ''. */
function pointProblems(run: RunView | undefined, n: number): string {
  if (!run) return 'no run';
  const seen = new Uint8Array(n);
  let bad = 0;
  for (const p of run.loss) {
    if (!Number.isInteger(p.step) || p.step < 0 || p.step >= n || p.value !== p.step || seen[p.step]) bad++;
    else seen[p.step] = 1;
  }
  const missing = seen.reduce((m, v) => m + (v ? 0 : 1), 0);
  return bad || missing ? `${missing} of ${n} steps missing, ${bad} bad or duplicate points` : '';
}

// ───────────────────────────── launching ranks ─────────────────────────────

let seq = 0;
function uniq(tag: string): string {
  return `job-${tag}-${process.pid}-${++seq}`;
}

interface Launch {
  /** Each rank's end, by rank. */
  ends: Map<number, Promise<ChildEnd>>;
  /** Each rank's child process once spawned (to signal it or write to its stdin). */
  children: Map<number, ChildProcess>;
  /** Resolves when rank r has printed `line` (a line of its stdout). */
  printed(rank: number, line: string): Promise<void>;
}

/**
 * Start one process per rank of `ranks` as a launcher would (RANK, WORLD_SIZE, one run name), all
 * creating their context at one instant: each waits at the start barrier until all are up.
 * `each(rank)` adds to that rank's config.
 */
function launch(
  t: ExecutionContext,
  store: Store,
  o: {
    runName: string;
    experimentName: string;
    savedir: string;
    ranks: number[];
    worldSize?: number;
    env?: Record<string, string>;
    n?: number;
    logOnWorkers?: number | number[];
  },
  each: (rank: number) => Partial<ChildConfig> = () => ({}),
): Launch {
  const gate = startGate(o.ranks.length);
  const children = new Map<number, ChildProcess>();
  const waiters: { rank: number; line: string; resolve: () => void }[] = [];
  const out = new Map<number, string>();
  const check = () => {
    for (const w of [...waiters]) {
      if ((out.get(w.rank) ?? '').split('\n').includes(w.line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const ends = new Map<number, Promise<ChildEnd>>();
  for (const rank of o.ranks) {
    const cfg: ChildConfig = {
      mode: 'finish',
      savedir: o.savedir,
      runName: o.runName,
      experimentName: o.experimentName,
      logOnWorkers: o.logOnWorkers ?? -1,
      n: o.n ?? 300,
      startTogether: true,
      ...store.cfg,
      ...each(rank),
    };
    const env = { RANK: String(rank), WORLD_SIZE: String(o.worldSize ?? o.ranks.length), ...store.env, ...o.env };
    ends.set(
      rank,
      runChild(t, cfg, env, (all, child) => {
        children.set(rank, child);
        out.set(rank, all);
        gate.watch(all, child);
        check();
      }),
    );
  }
  return {
    ends,
    children,
    printed: (rank, line) =>
      new Promise((resolve) => {
        waiters.push({ rank, line, resolve });
        check();
      }),
  };
}

/** Every rank's end; a rank that did not end as expected fails the test with its stderr. */
async function ended(t: ExecutionContext, l: Launch, expect: (rank: number, e: ChildEnd) => boolean = (_r, e) => e.code === 0): Promise<void> {
  for (const [rank, p] of l.ends) {
    const e = await p;
    t.true(expect(rank, e), `rank ${rank} ended with code ${e.code}, signal ${e.signal}; stderr:\n${e.stderr}`);
  }
}

/** Poll a condition on the store (reading it has no effect on the processes); a liveness bound, not a timing assertion. */
async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}

/** One parent tagged with the job key, and a run nested under it per rank with every point; returns the parent. */
function assertJob(t: ExecutionContext, runs: RunView[], runName: string, key: string, ranks: number[], n: number): RunView | undefined {
  t.log(runs.map((r) => `${r.name} ${r.id} ${r.status} parent=${r.tags.get('mlflow.parentRunId') ?? '-'}`).join('\n'));
  const parents = parentsOf(runs).filter((r) => r.tags.get('ranklog.job') === key);
  t.is(parents.length, 1, `one parent run for job ${key}`);
  const parent = parents[0];
  t.is(parent?.name, runName);
  for (const r of ranks) {
    const nested = runs.filter((x) => x.name === `${runName}-rank${r}` && x.tags.get('mlflow.parentRunId') === parent?.id);
    t.is(nested.length, 1, `one run ${runName}-rank${r} nested under the parent`);
    t.is(nested[0]?.tags.get('ranklog.rank'), String(r));
    t.is(pointProblems(nested[0], n), '', `rank ${r}'s points`);
  }
  return parent;
}

// ───────────────────────────── the tests, on both stores ─────────────────────────────

for (const kind of ['file', 'server'] as const) {
  test.serial(
    `${kind}: 4 processes racing (logOnWorkers -1) → one parent run, 4 nested under it with every point, the parent FINISHED after all four`,
    async (t) => {
      t.timeout(TEST_TIMEOUT_MS);
      const store = await openStore(t, kind);
      const runName = uniq('race');
      const experimentName = uniq('exp');
      const l = launch(t, store, { runName, experimentName, savedir: tempDir(t, 'mlflow-job'), ranks: [0, 1, 2, 3] });
      await ended(t, l);
      const runs = store.runs(experimentName);
      const parent = assertJob(t, runs, runName, runName, [0, 1, 2, 3], 300);
      t.is(runs.length, 5, 'the parent and 4 nested runs, nothing else');
      t.is(parent?.status, 'FINISHED');
      for (let r = 0; r < 4; r++) t.is(parent?.tags.get(`ranklog.end.rank${r}`), 'finished', `rank ${r}'s end tag`);
      if (kind === 'file') {
        // The documented id: the first 32 hex digits of SHA-256 over "ranklog.mlflow.job\0<experiment id>\0<job key>".
        const exp = experimentIdsNamed(store.cfg.trackingUri!, experimentName)[0]!;
        t.is(parent?.id, createHash('sha256').update(`ranklog.mlflow.job\0${exp}\0${runName}`).digest('hex').slice(0, 32));
      }
      t.deepEqual(store.violations(), []);
    },
  );

  test.serial(`${kind}: the parent stays RUNNING while one rank still runs (the others done), and ends FINISHED when it ends`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const store = await openStore(t, kind);
    const runName = uniq('slow');
    const experimentName = uniq('exp');
    // Rank 1 logs, then holds until released; ranks 0, 2 and 3 finish and exit.
    const l = launch(t, store, { runName, experimentName, savedir: tempDir(t, 'mlflow-job'), ranks: [0, 1, 2, 3] }, (r) => (r === 1 ? { hold: true } : {}));
    await l.printed(1, 'holding');
    for (const r of [0, 2, 3]) {
      const e = await l.ends.get(r)!;
      t.is(e.code, 0, `rank ${r}: ${e.stderr}`);
    }
    // Ranks 0, 2 and 3 have exited: everything they do to the parent is done.
    const mid = parentsOf(store.runs(experimentName));
    t.is(mid.length, 1, 'one parent while the job runs');
    t.is(mid[0]?.status, 'RUNNING', 'the parent must not end while rank 1 still runs');
    for (const r of [0, 2, 3]) t.is(mid[0]?.tags.get(`ranklog.end.rank${r}`), 'finished');
    t.not(mid[0]?.tags.get('ranklog.end.rank1'), 'finished');
    l.children.get(1)!.stdin!.end('go\n');
    await ended(t, l);
    const runs = store.runs(experimentName);
    const parent = assertJob(t, runs, runName, runName, [0, 1, 2, 3], 300);
    t.is(parent?.status, 'FINISHED');
    t.deepEqual(store.violations(), []);
  });

  test.serial(`${kind}: one process throws an uncaught exception → the parent ends FAILED (the other three finished)`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const store = await openStore(t, kind);
    const runName = uniq('crash');
    const experimentName = uniq('exp');
    const l = launch(t, store, { runName, experimentName, savedir: tempDir(t, 'mlflow-job'), ranks: [0, 1, 2, 3] }, (r) => (r === 2 ? { mode: 'throw' } : {}));
    await ended(t, l, (r, e) => (r === 2 ? e.code !== 0 && e.stderr.includes('deliberate uncaught exception') : e.code === 0));
    const runs = store.runs(experimentName);
    const parent = assertJob(t, runs, runName, runName, [0, 1, 2, 3], 300);
    t.is(parent?.status, 'FAILED');
    t.is(runs.find((r) => r.name === `${runName}-rank2`)?.status, 'FAILED');
    t.is(parent?.tags.get('ranklog.end.rank2'), 'failed');
    t.deepEqual(store.violations(), []);
  });

  test.serial(`${kind}: one process gets SIGTERM → the parent ends KILLED (the other three finished)`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const store = await openStore(t, kind);
    const runName = uniq('term');
    const experimentName = uniq('exp');
    const l = launch(t, store, { runName, experimentName, savedir: tempDir(t, 'mlflow-job'), ranks: [0, 1, 2, 3] }, (r) =>
      r === 3 ? { mode: 'sigterm' } : {},
    );
    await l.printed(3, 'ready');
    l.children.get(3)!.kill('SIGTERM');
    await ended(t, l, (r, e) => (r === 3 ? e.signal === 'SIGTERM' : e.code === 0));
    const runs = store.runs(experimentName);
    const parent = assertJob(t, runs, runName, runName, [0, 1, 2, 3], 300);
    t.is(parent?.status, 'KILLED');
    t.is(runs.find((r) => r.name === `${runName}-rank3`)?.status, 'KILLED');
    t.deepEqual(store.violations(), []);
  });

  test.serial(`${kind}: logOnWorkers [1, 2] in a world of 4 (rank 0 does not log) → one parent, ended when ranks 1 and 2 have`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const store = await openStore(t, kind);
    const runName = uniq('some');
    const experimentName = uniq('exp');
    const l = launch(t, store, { runName, experimentName, savedir: tempDir(t, 'mlflow-job'), ranks: [0, 1, 2, 3], logOnWorkers: [1, 2] });
    await ended(t, l);
    for (const [r, p] of l.ends) t.false((await p).stderr.includes('appeared within'), `rank ${r} did not wait for a parent that nobody creates`);
    const runs = store.runs(experimentName);
    const parent = assertJob(t, runs, runName, runName, [1, 2], 300);
    t.is(runs.length, 3, 'the parent and the runs of ranks 1 and 2');
    t.is(parent?.status, 'FINISHED');
    t.deepEqual(store.violations(), []);
  });

  test.serial(
    `${kind}: job key — a relaunch with the same run name and another SLURM_JOB_ID gets its own parent; without a launcher id it joins the earlier parent`,
    async (t) => {
      t.timeout(TEST_TIMEOUT_MS);
      const store = await openStore(t, kind);
      const runName = uniq('again');
      const experimentName = uniq('exp');
      const savedir = tempDir(t, 'mlflow-job');
      const run = async (env: Record<string, string>) => ended(t, launch(t, store, { runName, experimentName, savedir, ranks: [0, 1], env, n: 100 }));
      await run({ SLURM_JOB_ID: '101', SLURM_STEP_ID: '0' });
      await run({ SLURM_JOB_ID: '102', SLURM_STEP_ID: '0' });
      await run({});
      await run({});
      const runs = store.runs(experimentName);
      const a = assertJob(t, runs, runName, `${runName}@SLURM_JOB_ID=101,SLURM_STEP_ID=0`, [0, 1], 100);
      const b = assertJob(t, runs, runName, `${runName}@SLURM_JOB_ID=102,SLURM_STEP_ID=0`, [0, 1], 100);
      const plain = parentsOf(runs).filter((r) => r.tags.get('ranklog.job') === runName);
      t.is(plain.length, 1, 'the two launches without a launcher id share one parent');
      t.is(runs.filter((r) => r.tags.get('mlflow.parentRunId') === plain[0]?.id).length, 4, 'both launches nest their 2 ranks under it');
      t.is(parentsOf(runs).length, 3);
      for (const p of [a, b, plain[0]]) t.is(p?.status, 'FINISHED');
      t.deepEqual(store.violations(), []);
    },
  );
}

// ───────────────────────────── tracking server only ─────────────────────────────

test.serial('server: ranks that do not create the parent wait for it — its creation held at the server while they search — then nest under it', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const store = await openStore(t, 'server');
  const d = store.double!;
  const runName = uniq('wait');
  const experimentName = uniq('exp');
  // Rank 0 does not log: rank 1 creates the parent; ranks 2 and 3 must find it.
  const hold = d.hold({ match: (r) => r.endpoint === 'runs/create' });
  const l = launch(t, store, { runName, experimentName, savedir: tempDir(t, 'mlflow-job'), ranks: [0, 1, 2, 3], logOnWorkers: [1, 2, 3] });
  await until(() => hold.held >= 1, 'the parent run creation reaches the server');
  const searches = d.requestsTo('runs/search').length;
  // The creator searched once before it created; the two others keep searching while the creation is held.
  await until(() => d.requestsTo('runs/search').length >= searches + 4, 'ranks 2 and 3 search again while the parent does not exist');
  t.is(parentsOf(store.runs(experimentName)).length, 0, 'no parent exists while its creation is held');
  hold.release();
  await ended(t, l);
  for (const [r, p] of l.ends) t.false((await p).stderr.includes('appeared within'), `rank ${r} gave up waiting`);
  const runs = store.runs(experimentName);
  const parent = assertJob(t, runs, runName, runName, [1, 2, 3], 300);
  t.is(runs.length, 4);
  t.is(parent?.status, 'FINISHED');
  t.deepEqual(d.violations, []);
});

// ───────────────────────────── the job key from the environment ─────────────────────────────

test('job key: the run name, then @ and the first launcher identity found (RANKLOG_JOB, PMIX_NAMESPACE, OMPI_MCA_ess_base_jobid, TORCHELASTIC_RUN_ID, SLURM_JOB_ID[,SLURM_STEP_ID])', (t) => {
  t.is(launchIdFromEnv({}), undefined);
  t.is(jobKey('train', undefined), 'train');
  t.is(launchIdFromEnv({ SLURM_JOB_ID: '42' }), 'SLURM_JOB_ID=42');
  t.is(launchIdFromEnv({ SLURM_JOB_ID: '42', SLURM_STEP_ID: '3' }), 'SLURM_JOB_ID=42,SLURM_STEP_ID=3');
  t.is(launchIdFromEnv({ SLURM_JOB_ID: '42', TORCHELASTIC_RUN_ID: 'none' }), 'SLURM_JOB_ID=42', "torchrun's default id says nothing about the launch");
  t.is(launchIdFromEnv({ SLURM_JOB_ID: '42', TORCHELASTIC_RUN_ID: 'abc' }), 'TORCHELASTIC_RUN_ID=abc');
  t.is(
    launchIdFromEnv({ SLURM_JOB_ID: '42', SLURM_STEP_ID: '0', OMPI_MCA_ess_base_jobid: '123456' }),
    'OMPI_MCA_ess_base_jobid=123456',
    'mpirun inside an allocation: the MPI job, not the Slurm step',
  );
  t.is(launchIdFromEnv({ OMPI_MCA_ess_base_jobid: '1', PMIX_NAMESPACE: 'prterun-node1-123@1' }), 'PMIX_NAMESPACE=prterun-node1-123@1');
  t.is(launchIdFromEnv({ PMIX_NAMESPACE: 'ns', RANKLOG_JOB: 'sweep-7' }), 'RANKLOG_JOB=sweep-7');
  t.is(launchIdFromEnv({ TORCHELASTIC_RUN_ID: 'it\'s a "run"' }), 'TORCHELASTIC_RUN_ID=it_s_a__run_', 'quotes never reach a search filter');
  t.is(jobKey('train', 'SLURM_JOB_ID=42'), 'train@SLURM_JOB_ID=42');
  const e = t.throws(() => launchIdFromEnv({ RANKLOG_JOB: "a'b" }));
  t.regex(e?.message ?? '', /RANKLOG_JOB is "a'b".*letters, digits.*unset it/);
});
