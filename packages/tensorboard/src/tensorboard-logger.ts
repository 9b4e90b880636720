import { resolve } from 'node:path';
import { checkOptionKeys, COMMON_OPTION_KEYS, Logger, pollMsFor, type CommonLoggerOptions, type Kind, type OptionKeys } from '@ranklog/core';
import type { TensorBoardSinkOptions } from './tensorboard-sink.js';

export interface TensorBoardLoggerOptions extends CommonLoggerOptions {
  /** Directory holding one sub-directory per run (default 'mllogs'). Point `tensorboard --logdir` at it. */
  savedir?: string;
  /** Longest time, seconds, an event waits in memory before it is written (default 2). */
  flushSecs?: number;
}

const OPTION_KEYS: OptionKeys<TensorBoardLoggerOptions> = { ...COMMON_OPTION_KEYS, savedir: true, flushSecs: true };

/**
 * TensorBoard event files written directly (no TensorFlow): scalars, text,
 * images, figures (as images), histograms, dicts (as text) and hparams.
 * Artifacts, models and datasets have no place in TensorBoard and are skipped.
 */
export class TensorBoardLogger extends Logger {
  readonly supportedKinds: readonly Kind[] = ['metric', 'param', 'text', 'dict', 'image', 'figure', 'histogram'];
  readonly savedir: string;
  readonly flushSecs: number;

  constructor(options: TensorBoardLoggerOptions = {}) {
    super(options);
    checkOptionKeys(options, 'TensorBoardLogger', OPTION_KEYS);
    const savedir = options.savedir ?? 'mllogs';
    if (typeof savedir !== 'string' || savedir.length === 0) {
      throw new TypeError(`ranklog: TensorBoardLogger option savedir is ${JSON.stringify(savedir)}; pass a directory path such as 'mllogs'.`);
    }
    const flushSecs = options.flushSecs ?? 2;
    if (typeof flushSecs !== 'number' || !(flushSecs > 0 && flushSecs <= 3600)) {
      throw new RangeError(
        `ranklog: TensorBoardLogger option flushSecs is ${String(flushSecs)}; pass a number of seconds above 0 and at most 3600 (default 2).`,
      );
    }
    this.savedir = resolve(savedir);
    this.flushSecs = flushSecs;
  }

  /** Where this run's event files are (known once the context exists). */
  get runDirectory(): string | undefined {
    return this.runName === undefined ? undefined : resolve(this.savedir, this.runName);
  }

  sinkSpec() {
    const sinkOptions: TensorBoardSinkOptions = {
      savedir: this.savedir,
      multiRank: this.multiRank,
    };
    // Events reach the file within flushSecs: the idle writer looks twice per flushSecs (at most once a second).
    return { sinkModule: new URL('./tensorboard-sink.js', import.meta.url).href, sinkOptions, pollMs: pollMsFor(this.flushSecs), runDir: this.savedir };
  }
}
