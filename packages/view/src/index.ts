/**
 * @ranklog/view: a local dashboard for ranklog runs written by LocalFileLogger (docs/view.md).
 * `startViewServer()` serves the page and the JSON API of docs/view-api.md on 127.0.0.1; the
 * `ranklog view` command (cli.ts) starts it from a shell.
 */
export { type Downsampled, downsample, type Window } from './metrics/downsample.js';
export { IdentifierMetrics, RunMetrics, type RunMetricsOptions } from './metrics/run-metrics.js';
export { type XKind, X_KINDS, Columns } from './metrics/columns.js';
export { Curve, DEFAULT_RAW_CAP, type Reread } from './metrics/curve.js';
export { BUCKETS, Summary } from './metrics/summary.js';
export { type ArtifactFile, type DatasetEntry, type MediaFile, type MediaKind, listArtifacts, listDatasets, listMedia } from './run/run-files.js';
export { listRuns, type RunDir, type RunEntry, type RunInfo, type RunStatus } from './run/run-list.js';
export { type RunProgress, RunState, type RunStateOptions } from './run/run-state.js';
export { FileTail, type FileTailOptions, type RecordCallback } from './tail/file-tail.js';
export { startViewServer, type ViewServer, type ViewServerOptions } from './http/server.js';
