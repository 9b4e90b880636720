/**
 * The Logger half of a custom backend, as docs/backend-guide.md shows it: JSON lines of metrics
 * and params. Its writer-thread half is jsonl-sink.ts.
 */
import { Logger, checkOptionKeys, COMMON_OPTION_KEYS, pollMsFor, argError, type CommonLoggerOptions, type Kind, type OptionKeys } from '@ranklog/core';

export interface JsonlLoggerOptions extends CommonLoggerOptions {
  file?: string;
  /** Longest time, seconds, a record waits in memory before it is written. */
  flushSecs?: number;
}
const KEYS: OptionKeys<JsonlLoggerOptions> = { ...COMMON_OPTION_KEYS, file: true, flushSecs: true };

export class JsonlLogger extends Logger {
  readonly supportedKinds: readonly Kind[] = ['metric', 'param'];
  private readonly file: string;
  private readonly flushSecs: number;

  constructor(options: JsonlLoggerOptions = {}) {
    super(options); // logFreq, logOnWorkers: checked here
    checkOptionKeys(options, 'JsonlLogger', KEYS); // a misspelled option names the closest key
    this.file = options.file ?? 'metrics.jsonl';
    this.flushSecs = options.flushSecs ?? 1;
    if (!(this.flushSecs > 0)) throw argError('JsonlLogger option flushSecs', this.flushSecs, 'pass a number of seconds above 0.', RangeError);
  }

  sinkSpec() {
    return {
      sinkModule: new URL('./jsonl-sink.js', import.meta.url).href, // the compiled sink module
      sinkOptions: { file: this.file, multiRank: this.multiRank }, // structured-cloneable
      pollMs: pollMsFor(this.flushSecs), // records reach the file within flushSecs
    };
  }
}
