/**
 * @ranklog/view: a local dashboard for ranklog runs (issue 14). This first slice reads
 * local-files run directories and serves their runs and metric series as JSON on 127.0.0.1;
 * docs/view.md describes the rest (the UI, live updates, downsampling, browser tests).
 */
export { CsvTail, splitCsvRecord } from './csv-tail.js';
export { listRuns, type MetricsSnapshot, type RankSeries, type RunInfo, RunMetrics } from './run-dir.js';
export { startViewServer, type ViewServer, type ViewServerOptions } from './server.js';
