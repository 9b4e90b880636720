/**
 * The two GraphQL mutations an online run needs, with the operation names and variables of
 * wandb's core (core/api/graphql/mutation_run.graphql, mutation_create_run_files.graphql):
 * UpsertBucket creates or updates the run (its name is the run id; the config is a JSONString
 * of `{"key": {"value": v}}`), CreateRunFiles gives an upload URL per file and headers for them.
 */
import type { WandbHttp } from './wandb-http.js';
import { WandbHttpError } from './http-errors.js';

const UPSERT_BUCKET = `mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, $groupName: String, $displayName: String, $notes: String, $config: JSONString, $host: String, $program: String, $jobType: String, $tags: [String!]) {
  upsertBucket(input: {id: $id, name: $name, modelName: $project, entityName: $entity, groupName: $groupName, displayName: $displayName, notes: $notes, config: $config, host: $host, jobProgram: $program, jobType: $jobType, tags: $tags}) {
    bucket { id name displayName project { id name entity { id name } } }
    inserted
  }
}`;

const CREATE_RUN_FILES = `mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
    runID
    uploadHeaders
    files { name uploadUrl }
  }
}`;

export interface UpsertVariables {
  id?: string;
  name: string;
  project?: string;
  entity?: string;
  groupName?: string;
  displayName?: string;
  notes?: string;
  config?: string;
  host?: string;
  program?: string;
  jobType?: string;
  tags?: string[];
}

/** Where the server put the run: its storage id and the entity and project the file stream is addressed to. */
export interface Bucket {
  id: string;
  entity: string;
  project: string;
}

export interface RunFileUploads {
  /** "Name:Value" strings, as the service sends them. */
  headers: Record<string, string>;
  files: { name: string; uploadUrl: string }[];
}

async function mutate(http: WandbHttp, operation: string, query: string, variables: object): Promise<Record<string, unknown>> {
  const { body } = await http.postJson('graphql', { query, variables }, operation);
  const b = body as { data?: Record<string, unknown>; errors?: { message?: string }[] };
  if (b.errors !== undefined && b.errors.length > 0) {
    // The service's own words, which name what it refused (never the key: it is not in the request body).
    throw new WandbHttpError(`${operation}: ${b.errors.map((e) => e.message ?? '?').join('; ')}`, 200, false);
  }
  if (b.data === undefined || b.data === null) throw new WandbHttpError(`${operation}: an answer without data`, 200, false);
  return b.data;
}

export async function upsertBucket(http: WandbHttp, variables: UpsertVariables): Promise<Bucket> {
  const data = await mutate(http, 'UpsertBucket', UPSERT_BUCKET, variables);
  const bucket = (data.upsertBucket as { bucket?: { id?: string; project?: { name?: string; entity?: { name?: string } } } } | undefined)?.bucket;
  const project = bucket?.project?.name;
  const entity = bucket?.project?.entity?.name;
  if (bucket?.id === undefined || project === undefined || entity === undefined)
    throw new WandbHttpError('UpsertBucket: an answer without the run', 200, false);
  return { id: bucket.id, entity, project };
}

export async function createRunFiles(http: WandbHttp, bucket: Bucket, run: string, files: string[]): Promise<RunFileUploads> {
  const data = await mutate(http, 'CreateRunFiles', CREATE_RUN_FILES, { entity: bucket.entity, project: bucket.project, run, files });
  const r = data.createRunFiles as { uploadHeaders?: string[] | null; files?: { name: string; uploadUrl: string | null }[] } | undefined;
  const headers: Record<string, string> = {};
  for (const h of r?.uploadHeaders ?? []) {
    const at = h.indexOf(':');
    if (at > 0) headers[h.slice(0, at).trim()] = h.slice(at + 1).trim();
  }
  const out = (r?.files ?? []).filter((f): f is { name: string; uploadUrl: string } => typeof f.uploadUrl === 'string' && files.includes(f.name));
  if (out.length !== files.length) throw new WandbHttpError(`CreateRunFiles: upload URLs for ${out.length} of ${files.length} files`, 200, false);
  return { headers, files: out };
}
