/**
 * The run-time checks of log() are for JavaScript callers and values typed `any`; the typed
 * overloads reject those items at compile time. Tests of the run-time checks call log() through
 * this untyped view.
 */
export interface UntypedLog {
  log(item: unknown, identifier: string, options?: unknown): void;
}

export function untyped(logger: object): UntypedLog {
  return logger as UntypedLog;
}
