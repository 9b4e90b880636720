/**
 * The command the MLflow backend prints for replaying a spool. `npx ranklog-mlflow-replay` works
 * only where npm can find the bin: from a checkout of the repository (or any directory outside
 * the project) npx looks the name up in the registry and fails. `node <this package's cli.js>`
 * with absolute paths works wherever the message is read on this machine, installed or not.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's CLI, next to this module in dist/. */
export const CLI_PATH = fileURLToPath(new URL('./cli.js', import.meta.url));

/** A word for sh/bash/zsh: as it is when it is plainly safe, else single-quoted. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `node /…/cli.js /…/mlflow-spool/rank0`, ready to paste into a shell. */
export function replayCommand(spoolDir: string): string {
  return `node ${shellWord(CLI_PATH)} ${shellWord(path.resolve(spoolDir))}`;
}
