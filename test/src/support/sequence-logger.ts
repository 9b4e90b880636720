/** A backend for tests: metrics only, checked by sequence-sink.ts in its writer thread. */
import { Logger, type BackendStats, type CommonLoggerOptions, type Kind, type LogStats } from '@ranklog/core';
import type { SequenceSinkOptions } from './sequence-sink.js';

export interface SequenceLoggerOptions extends CommonLoggerOptions, SequenceSinkOptions {}

export class SequenceLogger extends Logger {
  readonly supportedKinds: readonly Kind[] = ['metric'];
  private readonly sinkOptions: SequenceSinkOptions;

  constructor(options: SequenceLoggerOptions = {}) {
    const { identifier, gate, ...common } = options;
    super(common);
    this.sinkOptions = { ...(identifier === undefined ? {} : { identifier }), ...(gate === undefined ? {} : { gate }) };
  }

  sinkSpec() {
    return { sinkModule: new URL('./sequence-sink.js', import.meta.url).href, sinkOptions: this.sinkOptions };
  }
}

/** The counters of sequence-sink.ts as numbers. */
export interface SequenceStats extends BackendStats {
  received: number;
  outOfOrder: number;
  duplicates: number;
  gaps: number;
  stepMismatch: number;
  foreign: number;
}

/** The stats of the backend called `name` in a LogStats; throws if it is missing. */
export function backendStats<T extends BackendStats = BackendStats>(stats: LogStats, name: string): T {
  const b = stats.backends.find((x) => x.name === name);
  if (b === undefined) throw new Error(`no backend ${name} in ${JSON.stringify(stats)}`);
  return b as T;
}

/** Per-rank next expected value (= length of the gap-free prefix) from SequenceSink stats. */
export function nextOf(stats: BackendStats, rank: number): number {
  const v = stats[`next_r${rank}`];
  return typeof v === 'number' ? v : 0;
}
