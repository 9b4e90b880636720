import { Logger } from '../../api/logger.js';
import { KINDS, type Kind } from '../../vocab/kinds.js';
import { argError } from '../../vocab/errors.js';
import { COMMON_OPTION_KEYS, type CommonLoggerOptions } from '../../vocab/options.js';
import { checkOptionKeys, type OptionKeys } from '../../vocab/option-keys.js';
import type { ConsoleSinkOptions } from './console-sink.js';

export interface ConsoleLoggerOptions extends CommonLoggerOptions {
  /** Draw a bar over epochs when stdout is a TTY. */
  totalEpochs?: number;
  batchesPerEpoch?: number;
  /** File descriptor to write to (default 1, stdout). */
  fd?: number;
}

const OPTION_KEYS: OptionKeys<ConsoleLoggerOptions> = { ...COMMON_OPTION_KEYS, totalEpochs: true, batchesPerEpoch: true, fd: true };

/** One readable line per item with rank and step; a progress line over epochs and batches on a TTY. */
export class ConsoleLogger extends Logger {
  readonly supportedKinds: readonly Kind[] = KINDS;
  private readonly sinkOptions: ConsoleSinkOptions;

  constructor(options: ConsoleLoggerOptions = {}) {
    super(options);
    checkOptionKeys(options, 'ConsoleLogger', OPTION_KEYS);
    for (const k of ['totalEpochs', 'batchesPerEpoch'] as const) {
      const v = options[k];
      if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) throw argError(`ConsoleLogger option ${k}`, v, 'pass a positive integer or leave it out.');
    }
    const fd = options.fd ?? 1;
    this.sinkOptions = {
      isTTY: fd === 1 ? process.stdout.isTTY === true : false,
      columns: fd === 1 ? (process.stdout.columns ?? 80) : 80,
      totalEpochs: options.totalEpochs,
      batchesPerEpoch: options.batchesPerEpoch,
      fd,
    };
  }

  sinkSpec() {
    // A person watches the console: lines within 100 ms of the call.
    return { sinkModule: new URL('./console-sink.js', import.meta.url).href, sinkOptions: this.sinkOptions, pollMs: 100 };
  }
}
