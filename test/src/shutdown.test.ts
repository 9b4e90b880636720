/**
 * Child processes that log 100k metrics to a LocalFileLogger and never call
 * destroyLoggerContext(), then end by a signal, an uncaught exception, process.exit()
 * or by running dry: metrics.csv must hold all 100k rows (docs/shutdown.md).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSeqCsv, CSV_HEADER, tempDir } from './support/log-path.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const CHILD = fileURLToPath(new URL('./fixtures/shutdown-child.js', import.meta.url));
const WORKERS_CHILD = fileURLToPath(new URL('./fixtures/shutdown-workers-child.js', import.meta.url));
/**
 * Liveness bound for a signalled child (it normally ends within a second or two, draining its rings):
 * then SIGKILL, and the signal check fails. Broken is a child that never ends on the signal.
 */
const SIGNAL_GRACE_MS = 120_000;
const N = 100_000;

interface ChildEnd {
  /** Date.now() before the spawn. */
  from: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(t: import('ava').ExecutionContext, savedir: string, mode: string, lazy: boolean, signal?: NodeJS.Signals, blob = false): Promise<ChildEnd> {
  const from = Date.now();
  const child = spawn(process.execPath, [CHILD, savedir, 'run', mode, String(N), lazy ? 'lazy' : 'default', blob ? 'blob' : ''], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RANKLOG_DEBUG: '' },
  });
  let running = true;
  t.teardown(() => {
    if (running) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    // Signal only once the child is idle after logging.
    if (signal && stdout.includes('ready\n') && !child.killed) child.kill(signal);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => {
      running = false;
      resolve({ from, pid: child.pid!, code, signal: sig, stdout, stderr });
    });
  });
}

async function checkRun(t: import('ava').ExecutionContext, savedir: string, end: ChildEnd): Promise<void> {
  t.log(/metrics\.csv has \d+ bytes so far/.exec(end.stderr)?.[0] ?? 'the child did not log');
  const csvFile = join(savedir, 'run', 'metrics.csv');
  t.true(existsSync(csvFile), `no metrics.csv; child stderr:\n${end.stderr}`);
  if (!existsSync(csvFile)) return;
  const csv = await checkSeqCsv(csvFile, new Map([[0, N]]), { from: end.from, to: Date.now() });
  t.deepEqual(csv.header, CSV_HEADER);
  t.is(csv.rows, N, `metrics.csv has ${csv.rows} of ${N} rows; child stderr:\n${end.stderr}`);
  t.like(csv, { malformed: 0, outOfTime: 0, duplicates: 0, notIncreasing: 0 }, csv.firstProblems.join('\n'));
  t.is(csv.prefix.get(0), N);
}

/**
 * default: the default ring and poll interval (the writer may already have drained part of it);
 * lazy: the writer sleeps until an exit path wakes it, so nothing reaches the file without the hooks.
 */
for (const [cfg, lazy] of [
  ['default', false],
  ['lazy writer', true],
] as const) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${cfg}: ${signal} while idle: all rows are written and the process ends by the signal`, async (t) => {
      t.timeout(TEST_TIMEOUT_MS);
      const savedir = tempDir(t, `shutdown-${signal.toLowerCase()}`);
      const end = await runChild(t, savedir, signal.toLowerCase(), lazy, signal);
      t.is(end.stdout, 'ready\n');
      t.is(end.code, null, `exit code ${end.code}; stderr:\n${end.stderr}`);
      t.is(end.signal, signal);
      await checkRun(t, savedir, end);
    });
  }

  test(`${cfg}: an uncaught exception: all rows are written, the process exits non-zero and prints the error`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const savedir = tempDir(t, 'shutdown-throw');
    const end = await runChild(t, savedir, 'throw', lazy);
    t.is(end.signal, null);
    t.true(end.code !== null && end.code !== 0, `exit code ${end.code}`);
    t.regex(end.stderr, /Error: shutdown-child: deliberate uncaught exception/);
    await checkRun(t, savedir, end);
  });

  test(`${cfg}: an exception thrown from the module body (after top-level await): all rows are written, non-zero exit, error printed`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const savedir = tempDir(t, 'shutdown-throwmain');
    const end = await runChild(t, savedir, 'throw-main', lazy);
    t.is(end.signal, null);
    t.true(end.code !== null && end.code !== 0, `exit code ${end.code}`);
    t.regex(end.stderr, /Error: shutdown-child: deliberate exception from the module body/);
    await checkRun(t, savedir, end);
  });

  test(`${cfg}: an unhandled promise rejection: all rows are written, non-zero exit, error printed`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const savedir = tempDir(t, 'shutdown-reject');
    const end = await runChild(t, savedir, 'reject', lazy);
    t.is(end.signal, null);
    t.true(end.code !== null && end.code !== 0, `exit code ${end.code}`);
    t.regex(end.stderr, /Error: shutdown-child: deliberate unhandled rejection/);
    await checkRun(t, savedir, end);
  });

  test(`${cfg}: process.exit(0) without destroy: all rows are written, exit code 0`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const savedir = tempDir(t, 'shutdown-exit');
    const end = await runChild(t, savedir, 'exit', lazy);
    t.is(end.signal, null);
    t.is(end.code, 0, `stderr:\n${end.stderr}`);
    await checkRun(t, savedir, end);
  });

  test(`${cfg}: returning from main without destroy: all rows are written, exit code 0, with a warning`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const savedir = tempDir(t, 'shutdown-return');
    const end = await runChild(t, savedir, 'return', lazy);
    t.is(end.signal, null);
    t.is(end.code, 0, `stderr:\n${end.stderr}`);
    t.regex(end.stderr, /without destroyLoggerContext\(\)/);
    await checkRun(t, savedir, end);
  });
}

for (const [ringName, ring] of [
  ['default ring', 'default'],
  ['64 KiB ring', String(64 * 1024)],
] as const) {
  test(`${ringName}: SIGTERM while training worker_threads are still logging: the process ends by the signal, each rank holds a gap-free prefix`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const savedir = tempDir(t, 'shutdown-workers');
    const from = Date.now();
    const child = spawn(process.execPath, [WORKERS_CHILD, savedir, 'run', ring], { stdio: ['ignore', 'pipe', 'pipe'] });
    let running = true;
    t.teardown(() => {
      if (running) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    let reported: Record<string, number> | undefined;
    let killer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /^ready (.*)\n/.exec(stdout);
      if (m && reported === undefined) {
        reported = JSON.parse(m[1]!) as Record<string, number>;
        child.kill('SIGTERM');
        killer = setTimeout(() => child.kill('SIGKILL'), SIGNAL_GRACE_MS);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        running = false;
        clearTimeout(killer);
        resolve({ code, signal });
      });
    });
    t.truthy(reported, `the child never got ready; stderr:\n${stderr}`);
    t.is(end.signal, 'SIGTERM', `ended by ${end.signal} (code ${end.code}); SIGKILL means it was still running ${SIGNAL_GRACE_MS / 1000} s after SIGTERM`);
    const csv = await checkSeqCsv(
      join(savedir, 'run', 'metrics.csv'),
      new Map([
        [1, 100_000_000],
        [2, 100_000_000],
      ]),
      { from, to: Date.now() },
    );
    t.like(csv, { malformed: 0, outOfTime: 0, duplicates: 0, notIncreasing: 0 }, csv.firstProblems.join('\n'));
    for (const rank of [1, 2]) {
      const k = csv.prefix.get(rank)!;
      t.is(csv.perRank.get(rank), k, `rank ${rank}: rows beyond the gap-free prefix`);
      t.true(k >= (reported?.[rank] ?? Infinity), `rank ${rank}: ${k} rows, but the worker had reported ${reported?.[rank]}`);
    }
    t.log(`reported ${JSON.stringify(reported)}; rows ${JSON.stringify(Object.fromEntries(csv.perRank))}`);
  });
}

/** The context's spool directory is `<tmpdir>/ranklog-<pid>-<hex>` (context/log-context.ts). */
function spoolDirsOf(pid: number): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith(`ranklog-${pid}-`));
}

for (const [mode, signal] of [
  ['sigterm', 'SIGTERM'],
  ['throw', undefined],
  ['exit', undefined],
] as const) {
  test(`a payload spooled to a blob file arrives, and the spool directory does not outlive the process (${mode})`, async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const savedir = tempDir(t, `shutdown-spool-${mode}`);
    const end = await runChild(t, savedir, mode, false, signal, true);
    const left = spoolDirsOf(end.pid);
    t.teardown(() => {
      for (const d of left) rmSync(join(tmpdir(), d), { recursive: true, force: true });
    });
    t.is(readFileSync(join(savedir, 'run', 'text', 'big', 'rank0-step1.txt'), 'utf8'), 'spooled '.repeat(1 << 18));
    await checkRun(t, savedir, end);
    t.deepEqual(left, [], `spool directory left in ${tmpdir()} after the process ended (${mode})`);
  });
}
