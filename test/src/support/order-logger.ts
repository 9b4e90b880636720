/** A backend for tests: metric, text and dict, checked for per-producer order by order-sink.ts. */
import { Logger, type CommonLoggerOptions, type Kind } from '@ranklog/core';

export class OrderLogger extends Logger {
  readonly supportedKinds: readonly Kind[] = ['metric', 'text', 'dict'];

  constructor(options: CommonLoggerOptions = {}) {
    super(options);
  }

  sinkSpec() {
    return { sinkModule: new URL('./order-sink.js', import.meta.url).href, sinkOptions: {} };
  }
}
