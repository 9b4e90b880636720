import { join, resolve } from 'node:path';
import {
  argError,
  checkOptionKeys,
  COMMON_OPTION_KEYS,
  Logger,
  pollMsFor,
  type BackendLimits,
  type CommonLoggerOptions,
  type Kind,
  type OptionKeys,
} from '@ranklog/core';
import { FINISH_TIMEOUT_MS, resolveSettings, type Mode } from './settings.js';
import type { WandbOnlineOptions, WandbSinkOptions } from './wandb-sink.js';

export interface WandBLoggerOptions extends CommonLoggerOptions {
  /** The W&B project (default WANDB_PROJECT; empty: your default project when you sync). */
  projectName?: string;
  /** true: an offline run for `wandb sync` (WANDB_MODE=offline does the same); false: online. Default: WANDB_MODE, else online, as wandb. */
  offlineMode?: boolean;
  /** The W&B user or team (default WANDB_ENTITY; empty: your default entity). */
  entity?: string;
  /** The W&B run name (default WANDB_NAME, else ranklog's run name); several ranks: <name>-rank<r>. */
  runName?: string;
  /** The run id (default WANDB_RUN_ID, else 8 random characters); several ranks: <runId>-rank<r>. */
  runId?: string;
  /** The W&B group (default WANDB_RUN_GROUP; several ranks: ranklog's run name). */
  group?: string;
  /** Default WANDB_JOB_TYPE. */
  jobType?: string;
  /** Default WANDB_TAGS (comma-separated). */
  tags?: string[];
  /** Default WANDB_NOTES. */
  notes?: string;
  /** Where the wandb/ directory of runs goes (default WANDB_DIR, else 'mllogs'). */
  savedir?: string;
  /** Longest time, seconds, a record waits in memory before it is written (default 2). */
  flushSecs?: number;
  /** Inside a logged directory (kind artifact or model), copy what symbolic links out of it point to (default false: skipped, with a warning). */
  followExternalSymlinks?: boolean;
  /** Online: how often, seconds, waiting history and system metrics are sent (default 15, as wandb's file stream). */
  fileStreamSecs?: number;
}

const OPTION_KEYS: OptionKeys<WandBLoggerOptions> = {
  ...COMMON_OPTION_KEYS,
  projectName: true,
  offlineMode: true,
  entity: true,
  runName: true,
  runId: true,
  group: true,
  jobType: true,
  tags: true,
  notes: true,
  savedir: true,
  flushSecs: true,
  followExternalSymlinks: true,
  fileStreamSecs: true,
};

/** Keys ranklog writes into every history row or W&B keeps for itself: a record under one of them would be lost or break the run's x-axis. */
const RESERVED_KEYS = ['step', 'epoch', '_step', '_runtime', '_timestamp', '_wandb'];

/**
 * Weights & Biases: runs written as wandb's own transaction log (run-<id>.wandb) with their media
 * and files. Offline, `wandb sync` uploads them later (the HPC case, where compute nodes have no
 * network); online, the run is also sent to the W&B server as it goes, and the log is the spool
 * when the server is away. All kinds are taken (README "Weights & Biases" says what each becomes).
 */
export class WandBLogger extends Logger {
  readonly supportedKinds: readonly Kind[];
  readonly mode: Mode;
  /** Absolute directory holding wandb/ (where `wandb sync` finds the runs). */
  readonly savedir: string;
  readonly projectName: string;
  readonly entity: string;
  readonly flushSecs: number;
  readonly fileStreamSecs: number;
  readonly followExternalSymlinks: boolean;
  /** W&B's server for the online mode, without credentials. */
  readonly baseUrl: string;
  private readonly sinkOptions: WandbSinkOptions;
  /** WANDB_API_KEY, for the online mode: a #private field, so util.inspect, JSON.stringify and Object.keys never see it. */
  readonly #apiKey: string | undefined;

  constructor(options: WandBLoggerOptions = {}) {
    super(options);
    checkOptionKeys(options, 'WandBLogger', OPTION_KEYS);
    const { settings, apiKey } = resolveSettings(options, process.env);
    this.#apiKey = apiKey;
    if (settings.mode === 'online' && apiKey === undefined) {
      throw argError(
        'WANDB_API_KEY (from the environment)',
        '(not set)',
        'set WANDB_API_KEY to your W&B API key for the online mode (wandb.ai/authorize), or write an offline run: offlineMode: true or WANDB_MODE=offline.',
      );
    }
    const flushSecs = options.flushSecs ?? 2;
    if (typeof flushSecs !== 'number' || !(flushSecs > 0 && flushSecs <= 3600)) {
      throw argError('WandBLogger option flushSecs', flushSecs, 'pass a number of seconds above 0 and at most 3600 (default 2).', RangeError);
    }
    const fileStreamSecs = options.fileStreamSecs ?? 15;
    if (typeof fileStreamSecs !== 'number' || !(fileStreamSecs > 0 && fileStreamSecs <= 3600)) {
      throw argError('WandBLogger option fileStreamSecs', fileStreamSecs, 'pass a number of seconds above 0 and at most 3600 (default 15).', RangeError);
    }
    this.fileStreamSecs = fileStreamSecs;
    const follow = options.followExternalSymlinks ?? false;
    if (typeof follow !== 'boolean') throw argError('WandBLogger option followExternalSymlinks', follow, 'pass true or false (default false).');
    this.mode = settings.mode;
    // WANDB_MODE=disabled: a logger that takes nothing (as wandb's disabled run), so no record reaches a writer.
    this.supportedKinds =
      settings.mode === 'disabled' ? [] : ['metric', 'param', 'text', 'dict', 'image', 'figure', 'histogram', 'artifact', 'model', 'dataset'];
    this.savedir = resolve(settings.dir);
    this.projectName = settings.project;
    this.entity = settings.entity;
    this.flushSecs = flushSecs;
    this.followExternalSymlinks = follow;
    this.baseUrl = settings.baseUrl;
    this.sinkOptions = {
      mode: settings.mode,
      dir: this.savedir,
      project: settings.project,
      entity: settings.entity,
      displayName: settings.displayName,
      group: settings.group,
      jobType: settings.jobType,
      notes: settings.notes,
      tags: settings.tags,
      runId: settings.runId,
      multiRank: this.multiRank,
      followExternalSymlinks: follow,
      program: process.argv[1] ?? '',
    };
  }

  /** Whether an API key was found (WANDB_API_KEY); the key itself is never shown. */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  /** The directory `wandb sync` reads: <savedir>/wandb, holding one offline-run-… directory per run. */
  get syncDirectory(): string {
    return join(this.savedir, 'wandb');
  }

  /** W&B keeps `_step`, `_runtime`, `_timestamp` and `_wandb`; ranklog writes every record's step under `step` or `epoch`. */
  protected override limits(): BackendLimits {
    return {
      keyPattern: `^(?!(?:${RESERVED_KEYS.join('|')})$)`,
      keyRule: `identifiers other than ${RESERVED_KEYS.map((k) => `'${k}'`).join(', ')} (each history row carries the record's step under 'step' for batch-level records and 'epoch' for epoch-level ones, as the x-axis; the others are W&B's own)`,
    };
  }

  sinkSpec(): ReturnType<Logger['sinkSpec']> {
    // Records reach the file within flushSecs: the idle writer looks twice per flushSecs (at most once a second).
    // Online, the key goes to the writer thread in the structured clone only, never into a property or a file.
    const online: WandbOnlineOptions | undefined =
      this.mode === 'online' && this.#apiKey !== undefined
        ? { baseUrl: this.baseUrl, apiKey: this.#apiKey, timing: { transmitMs: this.fileStreamSecs * 1000 }, finishTimeoutMs: FINISH_TIMEOUT_MS }
        : undefined;
    const spec: ReturnType<Logger['sinkSpec']> = {
      sinkModule: new URL('./wandb-sink.js', import.meta.url).href,
      sinkOptions: { ...this.sinkOptions, multiRank: this.multiRank, online },
      pollMs: pollMsFor(this.flushSecs),
      runDir: this.savedir,
    };
    // Online, close() waits for the server before it leaves the rest to `wandb sync`.
    if (this.mode === 'online') spec.closeTimeoutMs = FINISH_TIMEOUT_MS + 5000;
    return spec;
  }
}
