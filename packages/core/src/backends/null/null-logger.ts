import { Logger } from '../../api/logger.js';
import { KINDS, type Kind } from '../../vocab/kinds.js';
import { COMMON_OPTION_KEYS, type CommonLoggerOptions } from '../../vocab/options.js';
import { checkOptionKeys } from '../../vocab/option-keys.js';

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
