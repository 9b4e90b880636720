/**
 * Diagnostics: warnings go to stderr, debug lines only with RANKLOG_DEBUG=1.
 * Listeners (tests, embedding frameworks) see every message, debug included.
 */
export type DiagLevel = 'warn' | 'debug';
/** Receives ranklog's warnings (and debug messages) instead of stderr; see onDiagnostic(). */
export type DiagListener = (level: DiagLevel, message: string) => void;

const listeners = new Set<DiagListener>();

/** Subscribe to ranklog's warnings and debug messages; returns the unsubscribe function. */
export function onDiagnostic(listener: DiagListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Straight to stderr, not process.emitWarning: `node --no-warnings` must not hide that
 * records could not be delivered.
 */
export function warn(message: string): void {
  for (const l of listeners) l('warn', message);
  process.stderr.write(message.startsWith('[ranklog') || message.startsWith('ranklog:') ? `${message}\n` : `ranklog: ${message}\n`);
}

export function debug(message: string): void {
  for (const l of listeners) l('debug', message);
  if (process.env.RANKLOG_DEBUG === '1') process.stderr.write(`[ranklog debug] ${message}\n`);
}
