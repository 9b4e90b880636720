/**
 * @ranklog/mlflow — MLflow from ranklog: a tracking-server client that never
 * blocks training and loses nothing, and offline runs in the mlruns/ file store.
 *   MLFlowLogger → sink (batches per run) → delivery (retries, spool, replay) → store (REST | file)
 */
export { MLFlowLogger, type MLFlowLoggerOptions } from './mlflow-logger.js';
export { FileStore } from './filestore/file-store.js';
export type { TrackingStore, Batch, Metric, Param, RunTag, RunStatus, DatasetInput } from './store.js';
