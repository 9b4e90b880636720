import { Logger } from '../../api/logger.js';
import { KINDS, type Kind } from '../../api/kinds.js';
import { COMMON_OPTION_KEYS, type CommonLoggerOptions } from '../../api/options.js';
import { checkOptionKeys } from '../../api/option-keys.js';

/** Takes every record and writes nothing: the baseline for measuring the log path itself. stats() counts records per kind. */
export class NullLogger extends Logger {
  readonly supportedKinds: readonly Kind[] = KINDS;
  constructor(options: CommonLoggerOptions = {}) {
    super(options);
    checkOptionKeys(options, 'NullLogger', COMMON_OPTION_KEYS);
  }
  sinkSpec() {
    return { sinkModule: new URL('./null-sink.js', import.meta.url).href, sinkOptions: {} };
  }
}
