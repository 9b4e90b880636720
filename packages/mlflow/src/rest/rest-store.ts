/**
 * TrackingStore over a tracking server's REST API (/api/2.0/mlflow/...).
 * Every call retries transient failures with backoff; a TransientError that
 * outlives the retries means "the server is unreachable" and the caller spools.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { listTree, skippedLinksMessage } from '@ranklog/core/sink';
import type { ArtifactTreeOptions, Batch, DatasetInput, RunStatus, RunTag, TrackingStore } from '../store.js';
import { MlflowApiError, TransientError } from './errors.js';
import type { HttpClient } from './http-client.js';
import { splitBatch } from './limits.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';

const API = '/api/2.0/mlflow';
const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts';

/** JSON with NaN and ±Infinity as the strings the server parses ("NaN", "Infinity", "-Infinity"); bare tokens would be stored as 0. */
function metricJson(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

export class RestStore implements TrackingStore {
  private readonly artifactRoots = new Map<string, string | undefined>();
  retries = 0;

  constructor(
    readonly client: HttpClient,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly artifacts: ArtifactTreeOptions = {},
  ) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    const r = await withRetry(
      () => this.client.request(method, API + path, json),
      this.retry,
      () => this.retries++,
    );
    return r.body as T;
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    const get = async (): Promise<string | undefined> => {
      try {
        const r = await this.call<{ experiment: { experiment_id: string } }>('GET', `/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`);
        return r.experiment.experiment_id;
      } catch (e) {
        if (e instanceof MlflowApiError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
        throw e;
      }
    };
    const found = await get();
    if (found !== undefined) return found;
    try {
      const r = await this.call<{ experiment_id: string }>('POST', '/experiments/create', { name });
      return r.experiment_id;
    } catch (e) {
      // Another rank created it between our get and our create: take theirs.
      if (e instanceof MlflowApiError && e.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const again = await get();
        if (again !== undefined) return again;
      }
      throw e;
    }
  }

  async createRun(experimentId: string, opts: { runName: string; startTime: number; tags: RunTag[] }): Promise<string> {
    const user = opts.tags.find((t) => t.key === 'mlflow.user')?.value;
    const r = await this.call<{ run: { info: { run_id: string; artifact_uri?: string } } }>('POST', '/runs/create', {
      experiment_id: experimentId,
      run_name: opts.runName,
      start_time: opts.startTime,
      tags: opts.tags,
      ...(user ? { user_id: user } : {}),
    });
    this.artifactRoots.set(r.run.info.run_id, r.run.info.artifact_uri);
    return r.run.info.run_id;
  }

  /** The oldest active run of the experiment with that tag: every process that looks picks the same one, even if a duplicate appears later. */
  async findRun(experimentId: string, tag: RunTag): Promise<string | undefined> {
    const r = await this.call<{ runs?: { info: { run_id: string; artifact_uri?: string } }[] }>('POST', '/runs/search', {
      experiment_ids: [experimentId],
      filter: `tags.\`${tag.key}\` = '${tag.value.replace(/'/g, "\\'")}'`,
      max_results: 1,
      order_by: ['attributes.start_time ASC'],
    });
    const run = r.runs?.[0];
    if (run) this.artifactRoots.set(run.info.run_id, run.info.artifact_uri);
    return run?.info.run_id;
  }

  async getRunTags(runId: string): Promise<Record<string, string>> {
    const r = await this.call<{ run: { info: { artifact_uri?: string }; data?: { tags?: RunTag[] } } }>('GET', `/runs/get?run_id=${encodeURIComponent(runId)}`);
    this.artifactRoots.set(runId, r.run.info.artifact_uri);
    return Object.fromEntries((r.run.data?.tags ?? []).map((t) => [t.key, t.value]));
  }

  async logBatch(runId: string, batch: Batch): Promise<void> {
    for (const part of splitBatch(batch)) {
      await this.call('POST', '/runs/log-batch', {
        run_id: runId,
        metrics: part.metrics.map((m) => ({ key: m.key, value: metricJson(m.value), timestamp: m.timestamp, step: m.step })),
        params: part.params,
        tags: part.tags,
      });
    }
  }

  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    await this.call('POST', '/runs/log-inputs', {
      run_id: runId,
      datasets: datasets.map((d) => ({
        tags: d.tags ?? [],
        dataset: { name: d.name, digest: d.digest, source_type: d.sourceType, source: d.source, ...(d.schema ? { schema: d.schema } : {}) },
      })),
    });
  }

  private async artifactRoot(runId: string): Promise<string | undefined> {
    if (!this.artifactRoots.has(runId)) {
      const r = await this.call<{ run: { info: { artifact_uri?: string } } }>('GET', `/runs/get?run_id=${encodeURIComponent(runId)}`);
      this.artifactRoots.set(runId, r.run.info.artifact_uri);
    }
    return this.artifactRoots.get(runId);
  }

  /** Uploads through the server's artifact proxy; a server that does not serve artifacts cannot take them. */
  async logArtifact(runId: string, localPath: string, artifactPath: string): Promise<void> {
    const root = await this.artifactRoot(runId);
    if (!root?.startsWith('mlflow-artifacts:')) {
      throw new MlflowApiError(
        0,
        'ARTIFACTS_NOT_PROXIED',
        `the run's artifact_uri is ${root ?? 'unknown'}; only a server started with --serve-artifacts (artifact_uri mlflow-artifacts:/…) accepts uploads from ranklog`,
        'artifact upload',
      );
    }
    const base = root.replace(/^mlflow-artifacts:\/*/, '').replace(/\/$/, '');
    // A directory's files, its links followed as core's listTree decides; a single file under its own name.
    let files: { source: string; relative: string }[];
    if (statSync(localPath).isDirectory()) {
      const listing = listTree(localPath, { followExternalSymlinks: this.artifacts.followExternalSymlinks === true });
      const why = skippedLinksMessage(localPath, listing.skipped);
      if (why !== undefined) this.artifacts.warn?.(why);
      files = listing.entries.filter((e) => !e.isDirectory);
    } else {
      files = [{ source: localPath, relative: basename(localPath) }];
    }
    for (const file of files) {
      const dest = [base, artifactPath, file.relative]
        .filter((s) => s !== '')
        .map((s) => s.split('/').map(encodeURIComponent).join('/'))
        .join('/');
      const bytes = readFileSync(file.source);
      await withRetry(
        () => this.client.request('PUT', `${ARTIFACTS}/${dest}`, bytes, 'application/octet-stream'),
        this.retry,
        () => this.retries++,
      );
    }
  }

  async updateRun(runId: string, status: RunStatus, endTime: number): Promise<void> {
    // No end_time for a run made RUNNING again (resume): the server keeps what it has, as the file store does.
    await this.call('POST', '/runs/update', { run_id: runId, status, ...(endTime ? { end_time: endTime } : {}) });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

export { TransientError, MlflowApiError };
