/**
 * @ranklog/core — one logging API for many experiment trackers, cheap and
 * safe under multi-worker data-parallel training.
 *
 *   log() → dispatcher (rank, logFreq, kind) → ring (SharedArrayBuffer)
 *         → one writer worker_thread per backend → the backend's sink
 */
export { KINDS, type Kind } from './vocab/kinds.js';
export { LoggerBase, Logger, type LogOptions, type KindLogOptions, type MetricsOptions } from './api/logger.js';
export { LoggersCollection } from './api/collection.js';
export { EmptyLogger } from './api/empty-logger.js';
export { startLogging } from './api/scoped.js';
export { attachLogger, AttachedLogger } from './api/attach.js';
export { rankFromEnv, type RankInfo } from './api/rank.js';
export { COMMON_OPTION_KEYS, type CommonLoggerOptions, type LogFreq, type LogOnWorkers } from './vocab/options.js';
export type { AggregateOption } from './vocab/aggregate-option.js';
export { AGGREGATE_STATS, type AggregateStat } from './aggregate/partial.js';
export { checkOptionKeys, type OptionKeys } from './vocab/option-keys.js';
export { argError, describe } from './vocab/errors.js';
export { isMultiRank, pollMsFor } from './api/backend-helpers.js';
export type { ContextOptions, LogStats } from './context/log-context.js';
export type { WorkerHandle } from './context/worker-handle.js';
export type { BackendStats } from './writer/protocol.js';
export type { MetricHandle } from './dispatch/metric-handle.js';
export type { MetricsHandle } from './dispatch/metrics-handle.js';
export type { KindItems, ImagePixels, DatasetInput, SavableModel } from './vocab/kind-items.js';
export type { FullRingPolicy } from './ring/producer.js';
export type { BackendLimits } from './dispatch/route.js';
export { onDiagnostic, type DiagLevel, type DiagListener } from './util/diag.js';
export { ConsoleLogger, type ConsoleLoggerOptions } from './backends/console/console-logger.js';
export { LocalFileLogger, type LocalFileLoggerOptions } from './backends/local/local-logger.js';
export { NullLogger } from './backends/null/null-logger.js';
