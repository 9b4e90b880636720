/**
 * @ranklog/view: a local dashboard for ranklog runs written by LocalFileLogger (docs/view.md).
 * `startViewServer()` serves the page and the JSON API of docs/view-api.md on 127.0.0.1; the
 * `ranklog view` command (cli.ts) starts it from a shell.
 */
export type { RunInfo, RunStatus } from './run/run-list.js';
export type { RunStateOptions } from './run/run-state.js';
export { startViewServer, type ViewServer, type ViewServerOptions } from './http/server.js';
