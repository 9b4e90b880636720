/**
 * Ctrl-C and `kill` while the training loop keeps logging (fixtures/interrupt-child.ts): the main
 * thread logs batches and yields between them, two training workers log in tight loops, into local
 * files, TensorBoard and an MLflow file store. On SIGINT/SIGTERM every record the main thread logged
 * before the handler ran, and every record a worker logged before the drain began, must be in every
 * backend; runs end KILLED; the process ends by the same signal; a second Ctrl-C ends it at once;
 * a program with its own handler keeps its exit. See the README, "What ranklog guarantees".
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSeqCsv, csvRecords, tempDir } from './support/log-path.js';
import { EVENT_FILE_PATTERN, forEachEvent, scalarOf } from './support/tb-decode.js';
import { listFiles } from './support/list-files.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const CHILD = fileURLToPath(new URL('./fixtures/interrupt-child.js', import.meta.url));
/** Liveness bound: a child still alive this long after its (last) signal is SIGKILLed, and the signal check fails. */
const GRACE_MS = 120_000;
/** Progress the child must report before the test interrupts it: the loops are well under way. */
const MAIN_BEFORE = 20_000;
const WORKER_BEFORE = 100_000;

interface Progress {
  main: number;
  w1: number;
  w2: number;
}

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What the child had reported when the (first) signal was sent. */
  before: Progress;
  /** The last report of each loop before the process ended. */
  last: Progress;
  from: number;
}

function progressOf(stdout: string): Progress {
  const p: Progress = { main: 0, w1: 0, w2: 0 };
  for (const m of stdout.matchAll(/^(main|w1|w2) (\d+)$/gm)) p[m[1] as keyof Progress] = Number(m[2]);
  return p;
}

/**
 * Run the child, send `signal` once it has logged enough; `again`: send a second one when the
 * child says it is draining. Resolves when the child has ended.
 */
function interrupt(t: ExecutionContext, savedir: string, mode: string, signal: NodeJS.Signals, again = false): Promise<Interrupted> {
  const from = Date.now();
  const child = spawn(process.execPath, [CHILD, savedir, 'run', mode], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RANKLOG_DEBUG: '' } });
  let running = true;
  t.teardown(() => {
    if (running) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  let before: Progress | undefined;
  let secondSent = false;
  let guard: NodeJS.Timeout | undefined;
  const armGuard = () => {
    clearTimeout(guard);
    guard = setTimeout(() => child.kill('SIGKILL'), GRACE_MS);
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (before !== undefined) return;
    const p = progressOf(stdout);
    // Also wait until the writers have written something, so the files a second signal cuts short exist.
    if (p.main >= MAIN_BEFORE && p.w1 >= WORKER_BEFORE && p.w2 >= WORKER_BEFORE && hasRows(join(savedir, 'run', 'metrics.csv'))) {
      before = p;
      child.kill(signal);
      armGuard();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (again && !secondSent && /exit at once/.test(stderr)) {
      secondSent = true;
      child.kill(signal);
      armGuard();
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => {
      running = false;
      clearTimeout(guard);
      resolve({ code, signal: sig, stdout, stderr, before: before ?? { main: 0, w1: 0, w2: 0 }, last: progressOf(stdout), from });
    });
  });
}

/** metrics.csv exists and holds more than its header. */
function hasRows(file: string): boolean {
  try {
    return statSync(file).size > 100;
  } catch {
    return false;
  }
}

interface TbSeq {
  /** 'seq' scalars in the rank's event files. */
  count: number;
  /** Their steps are 0, 1, 2, … in file order, each value equal to its step. */
  inOrder: boolean;
  problems: string[];
}

/** The 'seq' scalars of one rank's TensorBoard run, read with the test's own decoder. */
function tbSeq(dir: string): TbSeq {
  const r: TbSeq = { count: 0, inOrder: true, problems: [] };
  // A process a second signal ended at once may not have made a rank's directory yet: nothing to read, nothing torn.
  const names = existsSync(dir) ? readdirSync(dir) : [];
  for (const name of names.filter((n) => EVENT_FILE_PATTERN.test(n)).sort()) {
    const framing = forEachEvent(new Uint8Array(readFileSync(join(dir, name))), name, (e) => {
      for (const v of e.summary?.values ?? []) {
        if (v.tag !== 'seq') continue;
        if (e.step !== r.count || scalarOf(v) !== e.step) {
          if (r.inOrder) r.problems.push(`${name}: scalar #${r.count} has step ${e.step}, value ${scalarOf(v)}`);
          r.inOrder = false;
        }
        r.count++;
      }
    });
    r.problems.push(...framing.errors);
    if (framing.truncatedTail) r.problems.push(`${name}: ${framing.tailBytes} bytes after the last whole record`);
  }
  return r;
}

/** The MLflow file store's runs under <savedir>/mlflow: status code and end_time from meta.yaml, 'seq' points. */
function mlflowRuns(savedir: string): { status: number; endTime: string; seqSteps: number[] }[] {
  const root = join(savedir, 'mlflow');
  return listFiles(root)
    .filter((f) => f.endsWith('/meta.yaml') && f.split('/').length === 3)
    .map((f) => {
      const meta = readFileSync(join(root, f), 'utf8');
      const runDir = join(root, f.slice(0, -'/meta.yaml'.length));
      let seqSteps: number[] = [];
      try {
        seqSteps = readFileSync(join(runDir, 'metrics', 'seq'), 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => {
            const [, value, step] = l.split(' ');
            return Number(value) === Number(step) ? Number(step) : -1;
          });
      } catch {
        // no metrics file: seqSteps stays empty and the count check fails
      }
      return { status: Number(/^status: (\d+)$/m.exec(meta)?.[1]), endTime: /^end_time: (.*)$/m.exec(meta)?.[1] ?? '', seqSteps };
    });
}

const MLFLOW_KILLED = 5;

function noMisleadingErrors(t: ExecutionContext, end: Interrupted): void {
  t.notRegex(end.stderr, /createLoggerContext|destroyLoggerContext|Error:/, `misleading output on stderr:\n${end.stderr}`);
}

/** Every backend holds the main thread's records exactly, and a gap-free prefix at least as long as each worker had reported. */
async function checkEveryBackend(t: ExecutionContext, savedir: string, end: Interrupted, workersAtLeast: Progress): Promise<void> {
  const n = end.last.main;
  const size = (k: number) => k + 1_000_000;
  const csv = await checkSeqCsv(
    join(savedir, 'run', 'metrics.csv'),
    new Map([
      [0, size(n)],
      [1, size(end.last.w1)],
      [2, size(end.last.w2)],
    ]),
    { from: end.from, to: Date.now() },
  );
  t.like(csv, { malformed: 0, duplicates: 0, notIncreasing: 0, outOfTime: 0 }, csv.firstProblems.join('\n'));
  t.is(csv.perRank.get(0), n, `metrics.csv: the main thread logged ${n} records before the handler ran`);
  t.is(csv.prefix.get(0), n);
  for (const [rank, key] of [
    [1, 'w1'],
    [2, 'w2'],
  ] as const) {
    const rows = csv.perRank.get(rank) ?? 0;
    t.is(csv.prefix.get(rank), rows, `metrics.csv rank ${rank}: rows beyond the gap-free prefix`);
    t.true(rows >= workersAtLeast[key], `metrics.csv rank ${rank}: ${rows} rows, but the worker had logged ${workersAtLeast[key]} before the signal`);
  }
  for (const [rank, atLeast] of [
    [0, n],
    [1, workersAtLeast.w1],
    [2, workersAtLeast.w2],
  ] as const) {
    const tb = tbSeq(join(savedir, 'run', `rank_${rank}`));
    t.deepEqual(tb.problems, [], `TensorBoard rank ${rank}`);
    t.true(tb.inOrder, `TensorBoard rank ${rank}: steps not 0, 1, 2, …`);
    if (rank === 0) t.is(tb.count, n, `TensorBoard rank 0: the main thread logged ${n} records before the handler ran`);
    else t.true(tb.count >= atLeast, `TensorBoard rank ${rank}: ${tb.count} scalars, but the worker had logged ${atLeast} before the signal`);
  }
  const runs = mlflowRuns(savedir);
  t.is(runs.length, 1, 'one MLflow run (rank 0 only)');
  for (const run of runs) {
    t.is(run.seqSteps.length, n, `MLflow: the main thread logged ${n} records before the handler ran`);
    t.true(
      run.seqSteps.every((s, i) => s === i),
      'MLflow points are 0, 1, 2, … with value = step',
    );
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test.serial(
    `${signal} while the loop and two workers keep logging: nothing logged before is lost in any backend, runs end KILLED, the process ends by ${signal}`,
    async (t) => {
      t.timeout(TEST_TIMEOUT_MS);
      const savedir = tempDir(t, `interrupt-${signal.toLowerCase()}`);
      const end = await interrupt(t, savedir, 'default', signal);
      t.log(`before the signal ${JSON.stringify(end.before)}; last reports ${JSON.stringify(end.last)}`);
      t.is(end.signal, signal, `ended by ${end.signal} (code ${end.code}); stderr:\n${end.stderr}`);
      noMisleadingErrors(t, end);
      await checkEveryBackend(t, savedir, end, end.before);
      for (const run of mlflowRuns(savedir)) {
        t.is(run.status, MLFLOW_KILLED, 'the MLflow run ends KILLED');
        t.regex(run.endTime, /^\d+$/, 'with an end_time');
      }
    },
  );
}

test.serial(
  'a program with its own SIGINT handler keeps its exit: ranklog flushes, the program logs on, destroys, and exits 0; the run still ends KILLED',
  async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const savedir = tempDir(t, 'interrupt-own');
    const end = await interrupt(t, savedir, 'own-handler', 'SIGINT');
    t.is(end.code, 0, `exit code ${end.code} (signal ${end.signal}); stderr:\n${end.stderr}`);
    t.regex(end.stdout, /^destroyed$/m);
    noMisleadingErrors(t, end);
    t.notRegex(end.stderr, /exit at once/, 'ranklog must not start its own exit');
    let after = 0;
    for await (const rec of csvRecords(join(savedir, 'run', 'metrics.csv'))) if (rec[2] === 'after') after++;
    t.is(after, 1, "the record the program's handler path logged after the signal is written");
    const n = end.last.main;
    const csv = await checkSeqCsv(
      join(savedir, 'run', 'metrics.csv'),
      new Map([
        [0, n + 1_000_000],
        [1, end.last.w1 + 1_000_000],
        [2, end.last.w2 + 1_000_000],
      ]),
    );
    t.is(csv.malformed, 1, "only the 'after' row is not a 'seq' row");
    t.is(csv.perRank.get(0), n);
    t.is(csv.prefix.get(0), n);
    for (const run of mlflowRuns(savedir)) t.is(run.status, MLFLOW_KILLED, 'an interrupted run ends KILLED, also when the program destroys the context itself');
  },
);

test.serial(
  'a second SIGINT during a drain that cannot finish ends the process at once, by SIGINT; the files stay valid up to their last whole record',
  async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const savedir = tempDir(t, 'interrupt-twice');
    const end = await interrupt(t, savedir, 'hang', 'SIGINT', true);
    t.is(end.signal, 'SIGINT', `ended by ${end.signal} (code ${end.code}); SIGKILL means the second SIGINT did not end it. stderr:\n${end.stderr}`);
    t.regex(end.stderr, /press Ctrl-C again to exit at once/);
    const n = end.last.main;
    const csv = await checkSeqCsv(
      join(savedir, 'run', 'metrics.csv'),
      new Map([
        [0, n + 1_000_000],
        [1, end.last.w1 + 1_000_000],
        [2, end.last.w2 + 1_000_000],
      ]),
    );
    t.like(csv, { malformed: 0, duplicates: 0, notIncreasing: 0 }, csv.firstProblems.join('\n'));
    for (const rank of [0, 1, 2]) t.is(csv.prefix.get(rank), csv.perRank.get(rank) ?? 0, `metrics.csv rank ${rank}: gap-free`);
    for (const rank of [0, 1, 2]) {
      const tb = tbSeq(join(savedir, 'run', `rank_${rank}`));
      t.true(tb.inOrder, `TensorBoard rank ${rank}: ${tb.problems.join('; ')}`);
    }
  },
);
