/**
 * Options and environment for opening a W&B sink directly in a test (without a logger): an
 * offline run with plain defaults, each test overriding what it is about.
 */
import type { SinkEnv } from '@ranklog/core/sink';
import type { WandbSinkOptions } from '../../../packages/wandb/dist/wandb-sink.js';

export function offlineSinkOptions(dir: string, overrides: Partial<WandbSinkOptions> = {}): WandbSinkOptions {
  return {
    mode: 'offline',
    dir,
    project: 'p',
    entity: '',
    displayName: undefined,
    group: undefined,
    jobType: '',
    notes: '',
    tags: [],
    runId: undefined,
    multiRank: false,
    followExternalSymlinks: false,
    program: 'x',
    ...overrides,
  };
}

/** A one-rank environment whose warnings go to `warnings`; images are refused unless `encodePng` is given. */
export function sinkEnv(warnings: string[], overrides: Partial<SinkEnv> = {}): SinkEnv {
  return {
    runName: 'run',
    coordinatorRank: 0,
    worldSize: 1,
    encodePng: () => Promise.reject(new Error('no images in this test')),
    warn: (m) => warnings.push(m),
    debug: () => {},
    ...overrides,
  };
}
