/**
 * A tf.Callback for model.fit() / model.fitDataset() that logs through ranklog: the
 * hyperparameters at onTrainBegin, every entry of each batch's and epoch's logs as a metric,
 * optional weight histograms per epoch, and the trained model as a `model` artifact at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argError, checkOptionKeys, type OptionKeys } from '@ranklog/core';
import { Callback } from '@tensorflow/tfjs-layers';
import { fitHyperparameters, modelHyperparameters } from './hyperparameters.js';
import type { TfjsLogger } from './logger-like.js';
import { LogsRow } from './logs-row.js';
import { saveModelFiles } from './save-model.js';
import type { Params } from './tfjs-types.js';

/** Options of ranklogCallback(). */
export interface RanklogCallbackOptions {
  /** Prefix of the batch-level metrics (`batch/loss`); default 'batch/'. */
  batchPrefix?: string;
  /** Prefix of the epoch-level metrics (`epoch/loss`, `epoch/val_loss`); default 'epoch/'. */
  epochPrefix?: string;
  /** A histogram of every weight (`weights/<name>`) at the end of each epoch; default false. */
  histograms?: boolean;
  /** Log the model's layer summary as text (`model_summary`) at onTrainBegin; default true. */
  summary?: boolean;
  /** Save the trained model (model.json + weights.bin) and log it as a `model` at onTrainEnd; default true. */
  saveModel?: boolean;
  /** The identifier of the saved model; default 'model'. */
  modelIdentifier?: string;
  /** Where to save the model; default a temporary directory, removed once the backends have copied it. */
  modelDir?: string;
  /** More hyperparameters, logged with the model's and the fit's at onTrainBegin. */
  hyperparameters?: Record<string, unknown>;
}

const OPTION_KEYS: OptionKeys<RanklogCallbackOptions> = {
  batchPrefix: true,
  epochPrefix: true,
  histograms: true,
  summary: true,
  saveModel: true,
  modelIdentifier: true,
  modelDir: true,
  hyperparameters: true,
};

/** The callback; make it with ranklogCallback(logger, options) and pass it in `callbacks` of fit() or fitDataset(). */
export class RanklogCallback extends Callback {
  private readonly batchRow: LogsRow;
  private readonly epochRow: LogsRow;
  /** Batches since the first fit() with this callback: the step of batch-level metrics. */
  private step = 0;

  /** Use ranklogCallback(logger, options), which checks the options. */
  constructor(
    private readonly logger: TfjsLogger,
    private readonly options: RanklogCallbackOptions = {},
  ) {
    super();
    this.batchRow = new LogsRow(logger, options.batchPrefix ?? 'batch/');
    this.epochRow = new LogsRow(logger, options.epochPrefix ?? 'epoch/');
  }

  /** Logs the hyperparameters of the fit and the model, and the layer summary. */
  override async onTrainBegin(): Promise<void> {
    const params = this.params as Params;
    // Resumed with initialEpoch: batch steps continue where that epoch starts.
    const { initialEpoch, steps } = params;
    if (typeof initialEpoch === 'number' && typeof steps === 'number') this.step = Math.max(this.step, initialEpoch * steps);
    this.logger.saveHyperparameters({ ...this.options.hyperparameters, fit: fitHyperparameters(params), model: modelHyperparameters(this.model) });
    if (this.options.summary !== false) {
      const lines: string[] = [];
      this.model.summary(undefined, undefined, (line?: unknown) => lines.push(String(line)));
      this.logger.log(lines.join('\n'), 'model_summary', { kind: 'text' });
    }
  }

  /** Logs every entry of the batch's logs at the next batch step, with batchIdx = `batch`. */
  override async onBatchEnd(batch: number, logs?: Record<string, unknown>): Promise<void> {
    this.batchRow.log(logs as Parameters<LogsRow['log']>[0], this.step++, batch);
  }

  /** Logs every entry of the epoch's logs at step = `epoch`, and the weight histograms if asked. */
  override async onEpochEnd(epoch: number, logs?: Record<string, unknown>): Promise<void> {
    this.epochRow.log(logs as Parameters<LogsRow['log']>[0], epoch);
    if (this.options.histograms === true) {
      for (const w of this.model.weights) this.logger.log(w.read().dataSync(), `weights/${w.name}`, { kind: 'histogram', step: epoch });
    }
  }

  /** Saves the model and logs it as a `model` artifact (unless saveModel is false). */
  override async onTrainEnd(): Promise<void> {
    if (this.options.saveModel === false) return;
    // A temporary directory's model/ sub-directory: backends name the copy after the logged directory.
    const tmp = this.options.modelDir === undefined ? mkdtempSync(join(tmpdir(), 'ranklog-tfjs-')) : undefined;
    const dir = tmp === undefined ? this.options.modelDir! : join(tmp, 'model');
    try {
      await saveModelFiles(this.model, dir);
      this.logger.log(dir, this.options.modelIdentifier ?? 'model', { kind: 'model' });
      await this.logger.flush(); // every backend has copied the directory before it goes
    } finally {
      if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    }
  }
}

/**
 * Callbacks for model.fit() / model.fitDataset() that log to `logger` (a collection, a backend
 * logger, or a worker_thread's attached logger), e.g.
 * `await model.fit(xs, ys, { epochs: 20, callbacks: [ranklogCallback(logger)] })`.
 */
export function ranklogCallback(logger: TfjsLogger, options: RanklogCallbackOptions = {}): RanklogCallback {
  if (typeof logger !== 'object' || logger === null || typeof logger.logMetrics !== 'function' || typeof logger.metricsHandle !== 'function') {
    throw argError('logger', logger, 'pass a ranklog logger (a LoggersCollection, a backend logger or attachLogger(…)) whose context is created.');
  }
  if (typeof options !== 'object' || options === null) throw argError('options', options, 'pass an object such as { histograms: true } or nothing.');
  checkOptionKeys(options, 'ranklogCallback()', OPTION_KEYS);
  for (const key of ['batchPrefix', 'epochPrefix', 'modelIdentifier', 'modelDir'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'string') throw argError(`ranklogCallback() option ${key}`, v, 'pass a string or leave it out.');
  }
  for (const key of ['histograms', 'summary', 'saveModel'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'boolean') throw argError(`ranklogCallback() option ${key}`, v, 'pass true or false, or leave it out.');
  }
  return new RanklogCallback(logger, options);
}
