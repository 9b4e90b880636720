/**
 * Processes of a multi-process job for the aggregate and two-machine tests: run a command (SIGKILLed
 * in teardown if still running), read the one JSON line each rank of fixtures/job-rank.js prints.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ExecutionContext } from 'ava';

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RankLine {
  rank: number;
  runName: string;
  job?: { status: string; ranks: Record<string, string>; summary: string };
  recordsIn: number;
  aggregate?: Record<string, number>;
}

/** Run a command; `onOutput` sees stdout and stderr as they grow. */
export function run(
  t: ExecutionContext,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onOutput?: (stdout: string, stderr: string, child: ChildProcess) => void,
): Promise<Ended> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let running = true;
  t.teardown(() => {
    if (running) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    onOutput?.(stdout, stderr, child);
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    onOutput?.(stdout, stderr, child);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running = false;
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function rankLines(stdout: string): RankLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RankLine)
    .sort((a, b) => a.rank - b.rank);
}
