/**
 * Shutdown hooks, installed once per process while a context is open:
 * - SIGINT/SIGTERM: close every context (run ends 'killed'), then re-raise the signal;
 * - an uncaught exception: block until the writers committed what was logged and closed
 *   their sinks (the process is about to die and cannot await), ending runs as 'failed';
 * - the event loop running dry without destroyLoggerContext(): close, with a warning;
 * - process.exit(): a last synchronous drain.
 */
import type { LogContext } from './log-context.js';
import { warn } from '../util/diag.js';

const live = new Set<LogContext>();
/** How long exit paths wait for the writers. */
const EXIT_DRAIN_MS = 10_000;

function onSignal(signal: NodeJS.Signals): void {
  const contexts = [...live];
  void Promise.allSettled(contexts.map((c) => c.close('killed'))).then(() => {
    process.removeListener(signal, onSignal);
    // Anyone else listening decides what happens next; otherwise end as the signal would have.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function onUncaught(): void {
  for (const c of [...live]) c.endSync('failed', EXIT_DRAIN_MS);
}

function onBeforeExit(): void {
  for (const c of live) {
    warn('ranklog: the program ended without destroyLoggerContext(); closing the loggers now. Call destroyLoggerContext() (or use startLogging()) to be sure everything is written.');
    void c.close('finished');
  }
}

function onExit(): void {
  for (const c of [...live]) c.endSync('finished', EXIT_DRAIN_MS);
}

export function registerContext(c: LogContext): void {
  if (live.size === 0) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('uncaughtExceptionMonitor', onUncaught);
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
  }
  live.add(c);
}

export function unregisterContext(c: LogContext): void {
  if (!live.delete(c) || live.size > 0) return;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('uncaughtExceptionMonitor', onUncaught);
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('exit', onExit);
}
