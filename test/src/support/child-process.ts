/**
 * Training processes for the MLflow tests: fixtures/mlflow-child.js run with an environment
 * built here (the user's shell and the CI job never reach it), SIGKILLed in teardown if still
 * running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import type { ChildConfig } from '../fixtures/mlflow-child.js';
import { GO_LINE, WAITING_LINE } from './stdin-lines.js';

const CHILD = fileURLToPath(new URL('../fixtures/mlflow-child.js', import.meta.url));

/** Variables of the user's shell or the CI job that would change what the backend does (tracking URI, ranks, job identity). */
const AMBIENT = /^(MLFLOW_|RANKLOG_|SLURM_|OMPI_|PMI_|PMIX_)|^(RANK|WORLD_SIZE|LOCAL_RANK|TORCHELASTIC_RUN_ID)$/;

/** Remove the ambient variables from this process (call at load: in-process loggers read them too). */
export function dropAmbientEnv(): void {
  for (const k of Object.keys(process.env)) if (AMBIENT.test(k)) delete process.env[k];
}

/** A child's environment: this one without anything ambient, plus `extra`. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!AMBIENT.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a node script; SIGKILLed in teardown if still running. `onStdout` sees stdout as it grows (and the child, to signal it or write to its stdin). */
export function runNode(t: ExecutionContext, args: string[], env: NodeJS.ProcessEnv, onStdout?: (all: string, child: ChildProcess) => void): Promise<ChildEnd> {
  const from = Date.now();
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  let running = true;
  t.teardown(() => {
    if (running) child.kill('SIGKILL');
  });
  // A child that exits without reading its stdin must not fail a later write with EPIPE.
  child.stdin!.on('error', () => undefined);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    onStdout?.(stdout, child);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running = false;
      resolve({ code, signal, stdout, stderr, ms: Date.now() - from });
    });
  });
}

/** fixtures/mlflow-child.js with `cfg`, in childEnv(env). */
export function runChild(
  t: ExecutionContext,
  cfg: ChildConfig,
  env: Record<string, string>,
  onStdout?: (all: string, child: ChildProcess) => void,
): Promise<ChildEnd> {
  return runNode(t, [CHILD, JSON.stringify(cfg)], childEnv(env), onStdout);
}

/** Has `all` (a child's stdout so far) a line equal to `line`? */
export function hasLine(all: string, line: string): boolean {
  return all.split('\n').includes(line);
}

/**
 * The parent side of the start barrier (support/stdin-lines.ts startBarrier): `count` children
 * each print WAITING_LINE and wait; once all have, each gets GO_LINE, one right after the other,
 * so they race for real (instead of all sleeping until an agreed instant, which a loaded machine
 * may have passed before a child is even up). Pass `watch` as runNode's onStdout (or call it from
 * yours); `released` resolves when the children were let go.
 */
export function startGate(count: number): { watch: (all: string, child: ChildProcess) => void; released: Promise<void> } {
  const ready = new Set<ChildProcess>();
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let done = false;
  return {
    watch(all, child) {
      if (done || ready.has(child) || !hasLine(all, WAITING_LINE)) return;
      ready.add(child);
      if (ready.size < count) return;
      done = true;
      for (const c of ready) c.stdin!.write(`${GO_LINE}\n`);
      release();
    },
    released,
  };
}
