/**
 * Shutdown hooks, installed once per process while a context is open:
 * - SIGINT/SIGTERM: drain synchronously what every thread logged, close the sinks as 'killed',
 *   then end the process by the same signal (see docs in the README, "What ranklog guarantees").
 *   If the program listens for that signal itself, only flush: the program owns its exit.
 * - an uncaught exception: block until the writers committed what was logged and closed
 *   their sinks (the process is about to die and cannot await), ending runs as 'failed';
 * - the event loop running dry without destroyLoggerContext(): close, with a warning;
 * - process.exit(): a last synchronous drain.
 */
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import type { RunEndReason } from '../sink/index.js';
import { warn } from '../util/diag.js';

/** What the exit paths need of an open logging context (LogContext). */
export interface ExitHooks {
  /** The signal that interrupted the process, once one has. */
  interrupted: NodeJS.Signals | undefined;
  /** Block until the writers have written what was logged; close nothing. */
  flushSync(): boolean;
  /** Block until the writers have drained and closed their sinks with `reason`. */
  endSync(reason: RunEndReason): boolean;
  close(reason: RunEndReason): Promise<unknown>;
}

const live = new Set<ExitHooks>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** How long the main thread waits for its own signal to end the process before it exits by hand. */
const SELF_KILL_GRACE_MS = 2_000;

function stderr(line: string): void {
  try {
    writeSync(2, line + '\n');
  } catch {
    // stderr closed: nothing better to do
  }
}

/** Blocks the calling thread for ms (Atomics.wait on a private word nobody notifies). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function onSignal(signal: NodeJS.Signals): void {
  const contexts = [...live];
  for (const c of contexts) c.interrupted = signal;
  if (process.listeners(signal).some((l) => l !== onSignal)) {
    // The program handles this signal itself: write what was logged, and leave the exit to it.
    for (const c of contexts) c.flushSync();
    return;
  }
  // From here a second Ctrl-C gets the default action: the process ends at once. Every file is
  // still valid up to its last whole record (each commit writes whole records).
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  const again = signal === 'SIGINT' ? 'press Ctrl-C again' : `send ${signal} again`;
  stderr(`ranklog: ${signal}: writing what was logged, then exiting (${again} to exit at once)`);
  for (const c of contexts) c.endSync('killed');
  // End as the signal would have, so shells and launchers see 128+n. The main thread must not run
  // the training loop again meanwhile: wait here for the signal to take effect.
  process.kill(process.pid, signal);
  sleepSync(SELF_KILL_GRACE_MS);
  process.exit(128 + (constants.signals[signal] ?? 0));
}

function onUncaught(): void {
  for (const c of [...live]) c.endSync('failed');
}

function onBeforeExit(): void {
  for (const c of live) {
    warn(
      'ranklog: the program ended without destroyLoggerContext(); closing the loggers now. Call destroyLoggerContext() (or use startLogging()) to be sure everything is written.',
    );
    void c.close('finished');
  }
}

function onExit(): void {
  for (const c of [...live]) c.endSync(c.interrupted ? 'killed' : 'finished');
}

export function registerContext(c: ExitHooks): void {
  if (live.size === 0) {
    for (const s of SIGNALS) process.on(s, onSignal);
    process.on('uncaughtExceptionMonitor', onUncaught);
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
  }
  live.add(c);
}

export function unregisterContext(c: ExitHooks): void {
  if (!live.delete(c) || live.size > 0) return;
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.removeListener('uncaughtExceptionMonitor', onUncaught);
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('exit', onExit);
}
