/**
 * A backend whose sink never finishes closing (a tracking server that never answers, made
 * deterministic): an exit path's drain then waits for its close timeout, which a test sets long.
 */
import { Logger, type Kind } from '@ranklog/core';

export class HangingCloseLogger extends Logger {
  readonly supportedKinds: readonly Kind[] = ['metric'];

  constructor(private readonly closeTimeoutMs: number) {
    super({ logFreq: 'batch', logOnWorkers: -1 });
  }

  sinkSpec() {
    return { sinkModule: new URL('./hanging-sink.js', import.meta.url).href, sinkOptions: {}, closeTimeoutMs: this.closeTimeoutMs };
  }
}
