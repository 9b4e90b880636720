import { resolve } from 'node:path';
import {
  checkOptionKeys,
  COMMON_OPTION_KEYS,
  Logger,
  pollMsFor,
  rankFromEnv,
  type BackendLimits,
  type CommonLoggerOptions,
  type Kind,
  type OptionKeys,
} from '@ranklog/core';
import type { MlflowSinkOptions } from './mlflow-sink.js';
import { launchIdFromEnv } from './job-key.js';
import { MAX_PARAM_VALUE_LENGTH, NAME_RE } from './filestore/validation.js';
import { checkTrackingUri, redactCredentials, withoutCredentials } from './tracking-uri.js';

export interface MLFlowLoggerOptions extends CommonLoggerOptions {
  /** Default 'Default'. Several ranks or jobs racing to create it is safe. */
  experimentName?: string;
  /** The MLflow run's name (default: ranklog's run name). */
  runName?: string;
  /** Shown as the run's description (the mlflow.note.content tag). */
  runDescription?: string;
  /** http(s)://host:port, file:/path or a path; default MLFLOW_TRACKING_URI, else a file store in <savedir>/mlflow. */
  trackingUri?: string;
  /** Directory of ranklog run directories: the spool and the default file store live here (default 'mllogs'). */
  savedir?: string;
  /** Log into this existing run (default MLFLOW_RUN_ID). */
  runId?: string;
  /** Create the run(s) nested under this run. */
  parentRunId?: string;
  /** Seconds between batches to the server in steady state (default 1). */
  flushSecs?: number;
  /** At destroy, how long to keep trying a server that is away before leaving the rest in the spool (default 10). */
  closeTimeoutSecs?: number;
  /**
   * Inside a logged directory (kind artifact or model), upload what symbolic links that point
   * outside it lead to (default false: such links are skipped, with a warning naming them).
   */
  followExternalSymlinks?: boolean;
}

const OPTION_KEYS: OptionKeys<MLFlowLoggerOptions> = {
  ...COMMON_OPTION_KEYS,
  experimentName: true,
  runName: true,
  runDescription: true,
  trackingUri: true,
  savedir: true,
  runId: true,
  parentRunId: true,
  flushSecs: true,
  closeTimeoutSecs: true,
  followExternalSymlinks: true,
};

/** The options sinkSpec() needs later; the tracking URI is kept apart (#trackingUri), as it may hold a password. */
type KeptOptions = Pick<MLFlowLoggerOptions, 'runName' | 'runDescription' | 'runId' | 'parentRunId' | 'flushSecs' | 'closeTimeoutSecs'>;

/**
 * MLflow: a tracking-server client that never blocks training (batches leave
 * from the writer thread on an interval) and loses nothing (retries, then an
 * on-disk spool replayed in order), or offline runs in the mlruns/ file store.
 */
export class MLFlowLogger extends Logger {
  readonly supportedKinds: readonly Kind[] = ['metric', 'param', 'text', 'dict', 'image', 'figure', 'artifact', 'model', 'dataset'];
  /** The tracking URI with any password replaced by *** (the real one stays private to this object and the writer thread). */
  readonly trackingUri: string;
  readonly experimentName: string;
  readonly savedir: string;
  readonly followExternalSymlinks: boolean;
  private readonly opts: KeptOptions;
  /** A #private field: not a property, so util.inspect, JSON.stringify and Object.keys never see it. */
  readonly #trackingUri: string;

  constructor(options: MLFlowLoggerOptions = {}) {
    super(options);
    checkOptionKeys(options, 'MLFlowLogger', OPTION_KEYS);
    const o = options;
    this.opts = {
      runName: o.runName,
      runDescription: o.runDescription,
      runId: o.runId,
      parentRunId: o.parentRunId,
      flushSecs: o.flushSecs,
      closeTimeoutSecs: o.closeTimeoutSecs,
    };
    this.savedir = resolve(options.savedir ?? 'mllogs');
    this.#trackingUri =
      options.trackingUri !== undefined
        ? checkTrackingUri(options.trackingUri, 'MLFlowLogger option trackingUri')
        : process.env.MLFLOW_TRACKING_URI
          ? checkTrackingUri(process.env.MLFLOW_TRACKING_URI, 'MLFLOW_TRACKING_URI (from the environment)')
          : resolve(this.savedir, 'mlflow');
    this.trackingUri = redactCredentials(this.#trackingUri);
    const follow = options.followExternalSymlinks ?? false;
    if (typeof follow !== 'boolean')
      throw new TypeError(`ranklog: MLFlowLogger option followExternalSymlinks is ${String(follow)}; pass true or false (default false).`);
    this.followExternalSymlinks = follow;
    this.experimentName = options.experimentName ?? process.env.MLFLOW_EXPERIMENT_NAME ?? 'Default';
    if (typeof this.experimentName !== 'string' || this.experimentName.length === 0 || this.experimentName.length > 500) {
      throw new TypeError(`ranklog: MLFlowLogger option experimentName is ${JSON.stringify(this.experimentName)}; pass a name of 1 to 500 characters.`);
    }
    const flushSecs = options.flushSecs ?? 1;
    if (!(typeof flushSecs === 'number' && flushSecs > 0 && flushSecs <= 3600)) {
      throw new RangeError(`ranklog: MLFlowLogger option flushSecs is ${String(flushSecs)}; pass seconds above 0 and at most 3600 (default 1).`);
    }
    const cts = options.closeTimeoutSecs ?? 10;
    if (!(typeof cts === 'number' && cts >= 0 && cts <= 3600))
      throw new RangeError(`ranklog: MLFlowLogger option closeTimeoutSecs is ${String(cts)}; pass seconds from 0 to 3600 (default 10).`);
    for (const k of ['runId', 'parentRunId'] as const) {
      const v = options[k];
      if (v !== undefined && !/^[a-zA-Z0-9][\w-]{0,255}$/.test(v))
        throw new TypeError(`ranklog: MLFlowLogger option ${k} is ${JSON.stringify(v)}; pass an MLflow run id (32 hex characters).`);
    }
  }

  /** MLflow's rules, checked by log() at the call (also through a collection and in workers), not by the server later. */
  protected override limits(): BackendLimits {
    return { keyPattern: NAME_RE.source, keyRule: "letters, digits, '_', '-', '.', ' ', ':' and '/'", maxParamLength: MAX_PARAM_VALUE_LENGTH };
  }

  sinkSpec() {
    const w = this.logOnWorkers;
    const env = rankFromEnv();
    const sinkOptions: MlflowSinkOptions = {
      trackingUri: this.#trackingUri,
      displayUri: withoutCredentials(this.#trackingUri),
      experimentName: this.experimentName,
      runName: this.opts.runName,
      runDescription: this.opts.runDescription,
      runId: this.opts.runId ?? process.env.MLFLOW_RUN_ID,
      parentRunId: this.opts.parentRunId,
      multiRank: this.multiRank,
      multiProcess: env.source !== 'default' && (env.worldSize ?? 1) > 1,
      logOnWorkers: w === -1 ? -1 : typeof w === 'number' ? [w] : [...w],
      launchId: launchIdFromEnv(),
      savedir: this.savedir,
      flushSecs: this.opts.flushSecs ?? 1,
      sourceName: process.argv[1] ?? 'node',
      closeTimeoutSecs: this.opts.closeTimeoutSecs ?? 10,
      followExternalSymlinks: this.followExternalSymlinks,
    };
    // Deliveries go out every flushSecs: the idle writer looks twice per flushSecs (at most once a second).
    return {
      sinkModule: new URL('./mlflow-sink.js', import.meta.url).href,
      sinkOptions,
      pollMs: pollMsFor(sinkOptions.flushSecs),
      closeTimeoutMs: sinkOptions.closeTimeoutSecs * 1000,
      // Disk I/O in system metrics: the file store's device, else savedir's (the spool's).
      runDir: /^https?:/i.test(this.#trackingUri) ? this.savedir : this.#trackingUri.replace(/^file:(\/\/)?/i, ''),
    };
  }
}
