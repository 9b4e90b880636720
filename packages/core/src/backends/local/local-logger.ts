import { resolve, join } from 'node:path';
import { Logger } from '../../api/logger.js';
import { KINDS, type Kind } from '../../vocab/kinds.js';
import { argError } from '../../vocab/errors.js';
import { COMMON_OPTION_KEYS, type CommonLoggerOptions } from '../../vocab/options.js';
import { checkOptionKeys, type OptionKeys } from '../../vocab/option-keys.js';
import type { LocalSinkOptions } from './local-sink.js';

export interface LocalFileLoggerOptions extends CommonLoggerOptions {
  /** Directory that holds one sub-directory per run (default 'logs'). */
  savedir?: string;
  /**
   * Inside a logged directory (kind artifact or model), copy what symbolic links that point
   * outside it lead to (default false: such links are skipped, with a warning naming them).
   */
  followExternalSymlinks?: boolean;
  /**
   * Write metrics.jsonl, the JSON twin of metrics.csv (default true). false writes metrics.csv
   * alone: about half the writer's CPU per metric record, and half the bytes.
   */
  jsonl?: boolean;
}

const OPTION_KEYS: OptionKeys<LocalFileLoggerOptions> = { ...COMMON_OPTION_KEYS, savedir: true, followExternalSymlinks: true, jsonl: true };

/** The embedded default: a run directory of CSV, JSONL, JSON, PNG and copied artifacts that standard tools read without ranklog. */
export class LocalFileLogger extends Logger {
  readonly supportedKinds: readonly Kind[] = KINDS;
  readonly savedir: string;
  readonly followExternalSymlinks: boolean;
  readonly jsonl: boolean;

  constructor(options: LocalFileLoggerOptions = {}) {
    super(options);
    checkOptionKeys(options, 'LocalFileLogger', OPTION_KEYS);
    const follow = options.followExternalSymlinks ?? false;
    if (typeof follow !== 'boolean') throw argError('LocalFileLogger option followExternalSymlinks', follow, 'pass true or false (default false).');
    this.followExternalSymlinks = follow;
    const jsonl = options.jsonl ?? true;
    if (typeof jsonl !== 'boolean') throw argError('LocalFileLogger option jsonl', jsonl, 'pass true or false (default true).');
    this.jsonl = jsonl;
    const savedir = options.savedir ?? 'logs';
    if (typeof savedir !== 'string' || savedir.length === 0) throw argError('LocalFileLogger option savedir', savedir, "pass a directory path such as 'logs'.");
    this.savedir = resolve(savedir);
  }

  /** Where this run's files are (known once the context exists). */
  get runDirectory(): string | undefined {
    return this.runName === undefined ? undefined : join(this.savedir, this.runName);
  }

  sinkSpec() {
    const sinkOptions: LocalSinkOptions = { savedir: this.savedir, followExternalSymlinks: this.followExternalSymlinks, jsonl: this.jsonl };
    return { sinkModule: new URL('./local-sink.js', import.meta.url).href, sinkOptions, runDir: this.savedir };
  }
}
