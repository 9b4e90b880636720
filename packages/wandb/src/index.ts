/**
 * @ranklog/wandb — Weights & Biases from ranklog: offline runs in wandb's own transaction-log
 * format, for `wandb sync`. Layers, top to bottom:
 *   WandBLogger (options, environment) → sink (a run per rank) → run/ (rows, summaries, files)
 *   → delivery (offline/: run directory + transaction log) → records/ (messages, LevelDB-log framing)
 */
export { WandBLogger, type WandBLoggerOptions } from './wandb-logger.js';
export { repairRun, type Repair } from './offline/replay.js';
