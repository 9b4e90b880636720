/**
 * What the MLflow sink needs from a tracking store. Two implementations:
 * the REST client of a tracking server (rest/) and the file store (filestore/,
 * the `mlruns/` layout that `mlflow server --backend-store-uri <dir>` reads).
 * Shapes follow MLflow's REST API (entities as in its protos).
 */

export interface Metric {
  key: string;
  /** NaN and ±Infinity are legal. */
  value: number;
  /** ms since the epoch: when it was logged, not when it was sent. */
  timestamp: number;
  step: number;
}

/** An MLflow param: a key and its value as text. */
export interface Param {
  key: string;
  value: string;
}

/** An MLflow run tag. */
export interface RunTag {
  key: string;
  value: string;
}

/** One runs/log-batch request: metrics, params and tags of one run. */
export interface Batch {
  metrics: Metric[];
  params: Param[];
  tags: RunTag[];
}

/** An MLflow run's status. */
export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

/** A dataset input of a run (runs/log-inputs), with its context. */
export interface DatasetInput {
  name: string;
  digest: string;
  source: string;
  /** MLflow's source_type, e.g. 'local', 'http', 'code'. */
  sourceType: string;
  schema?: string;
  /** Dataset input tags, e.g. mlflow.data.context = 'training'. */
  tags?: RunTag[];
}

/** How a store copies a logged directory: which symbolic links it follows (core's listTree), and where it says what it skipped. */
export interface ArtifactTreeOptions {
  /** Also follow links out of the logged directory (default false). */
  followExternalSymlinks?: boolean;
  /** Told once per directory what was not copied (default: nowhere). */
  warn?: (message: string) => void;
}

/** What the MLflow backend needs of a tracking store: the REST client and the file store both provide it. */
export interface TrackingStore {
  /** True for the file store: its writes can meet a full disk (FileStoreWriteError). */
  readonly onDisk?: boolean;
  /** The experiment's id, creating it if it does not exist (safe when several ranks race). */
  getOrCreateExperiment(name: string): Promise<string>;
  /** A new run; returns its id. */
  createRun(experimentId: string, opts: { runName: string; startTime: number; tags: RunTag[] }): Promise<string>;
  /** Metrics, params and tags of one run; the store splits it within its limits. */
  logBatch(runId: string, batch: Batch): Promise<void>;
  /** Record dataset inputs of a run (as runs/log-inputs). */
  logInputs(runId: string, datasets: DatasetInput[]): Promise<void>;
  /** Copy a file or a directory (recursively, links as ArtifactTreeOptions say) under the run's artifacts at `artifactPath` (relative, may be ''). */
  logArtifact(runId: string, localPath: string, artifactPath: string): Promise<void>;
  /** End the run. */
  updateRun(runId: string, status: RunStatus, endTime: number): Promise<void>;
  /** A run's tags as the store has them now (the end protocol of a job's parent reads them: job-run.ts). */
  getRunTags(runId: string): Promise<Record<string, string>>;
  /** Release connections or files. */
  close(): Promise<void>;
}
