/**
 * MLflow's file store (`mlruns/`), written directly, so that
 * `mlflow server --backend-store-uri <rootDir>` (and anything else that reads
 * the file store through MLflow's own `FileStore`) shows runs logged offline.
 *
 * The layout, file formats and YAML follow mlflow/store/tracking/file_store.py
 * (`FileStore`) and the helpers it writes with (mlflow/utils/file_utils.py).
 * What this store adds is race safety: every directory that readers discover
 * by listing (an experiment, a run, a dataset, an input) is built in a staging
 * directory and moved into place with one rename(2), so neither MLflow nor a
 * concurrent rank ever sees it half-written; files that are rewritten
 * (meta.yaml, tags) are replaced by rename too; metric lines are appended with
 * O_APPEND, all lines of one key in one batch in one write.
 *
 * Experiment ids: MLflow draws a random 18-digit id (name_utils
 * `_generate_unique_integer_id`). Several ranks creating the same experiment
 * at once must agree on one id, so an experiment created here gets an 18-digit
 * id derived from its name (SHA-256 of the name and a probe number k = 0, 1, …;
 * first digit 1–9). Every racer proposes the same directory; exactly one
 * rename wins and the others read the winner's meta.yaml and return its id. An
 * id whose directory already holds another experiment (a name clash or a
 * renamed experiment) moves every racer on to the same next probe. Existing
 * experiments, whatever their id, are found by name first.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, openSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendWhole, isDiskError, listTree, skippedLinksMessage, WriteFailure } from '@ranklog/core/sink';
import type { ArtifactTreeOptions, Batch, DatasetInput, Metric, RunStatus, RunTag, TrackingStore } from '../store.js';
import { dumpYaml, readYamlMapping, type ReadValue, type YamlMapping } from './yaml.js';
import {
  checkLength,
  FileStoreError,
  FileStoreWriteError,
  limitValue,
  MAX_DATASET_DIGEST_SIZE,
  MAX_DATASET_NAME_SIZE,
  MAX_DATASET_SCHEMA_SIZE,
  MAX_DATASET_SOURCE_SIZE,
  MAX_INPUT_TAG_KEY_SIZE,
  MAX_INPUT_TAG_VALUE_SIZE,
  pathNotUnique,
  pyFloatRepr,
  pyInt,
  pyNormpath,
  validateExperimentId,
  validateExperimentName,
  validateKey,
  validateRunId,
} from './validation.js';

export { FileStoreError } from './validation.js';

/** FileStore.META_DATA_FILE_NAME */
const META = 'meta.yaml';
/** FileStore.TRASH_FOLDER_NAME: deleted experiments. */
const TRASH = '.trash';
/**
 * Where directories are built before they are renamed into place. MLflow skips
 * every root entry whose name ends in ".trash" when it lists experiments
 * (`FileStore._get_active_experiments`), so a half-built directory here is never
 * taken for an experiment.
 */
const STAGING = '.ranklog-staging.trash';
/** Prefix of temporary files inside a run directory (MLflow reads only meta.yaml and the sub-folders there). */
const TMP_PREFIX = '.ranklog-tmp-';
/** ModelRegistryFileStore.MODELS_FOLDER_NAME, also skipped when listing experiments. */
const MODELS = 'models';
const DEFAULT_EXPERIMENT_ID = '0';
const DEFAULT_EXPERIMENT_NAME = 'Default';
/** mlflow_tags.MLFLOW_RUN_NAME */
const RUN_NAME_TAG = 'mlflow.runName';
/** mlflow_tags.MLFLOW_USER */
const USER_TAG = 'mlflow.user';
/** RunStatus as the int enum of meta.yaml (service.proto RunStatus). */
const STATUS_CODE: Readonly<Record<RunStatus, number>> = { RUNNING: 1, FINISHED: 3, FAILED: 4, KILLED: 5 };
/** SourceType.LOCAL, which `_make_persisted_run_info_dict` always writes. */
const SOURCE_TYPE_LOCAL = 4;
/** How many derived ids getOrCreateExperiment tries before it gives up. */
const MAX_ID_PROBES = 64;

interface RunLoc {
  experimentId: string;
  runDir: string;
}

/** The run metadata that meta.yaml carries (RunInfo). */
interface RunFields {
  artifact_uri: string;
  end_time: number | null;
  experiment_id: string;
  lifecycle_stage: string;
  run_id: string;
  run_name: string;
  start_time: number;
  status: number;
  user_id: string;
}

interface ExperimentFields {
  id: string;
  name: string;
  lifecycleStage: string;
  artifactLocation: string;
  creationTime: number;
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function q(s: string): string {
  return JSON.stringify(s);
}

/** pathlib.Path(path).as_uri(): `file://` and the UTF-8 bytes percent-quoted except `A–Z a–z 0–9 _ . - ~ /`. */
export function pathToPyFileUri(absPath: string): string {
  let out = 'file://';
  for (const b of Buffer.from(absPath, 'utf8')) {
    const ch = String.fromCharCode(b);
    out += /[A-Za-z0-9_.\-~/]/.test(ch) ? ch : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** mlflow.utils.uri.append_to_uri_path for the URIs a file store holds. */
function appendToUriPath(uri: string, ...parts: string[]): string {
  const suffix = parts.map((p) => p.replace(/^\/+/, '')).join('/');
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri)) return uri === '' ? suffix : path.posix.join(uri, suffix);
  const cut = uri.search(/[?#]/);
  const head = cut < 0 ? uri : uri.slice(0, cut);
  const tail = cut < 0 ? '' : uri.slice(cut);
  return (head.endsWith('/') ? head : head + '/') + suffix + tail;
}

/** The local directory of a `file:` URI or of a scheme-less absolute path, else null (a remote artifact store). */
function localPathOfUri(uri: string): string | null {
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  if (path.isAbsolute(uri)) return uri;
  return null;
}

/** An 18-digit experiment id (first digit 1–9) derived from the name, for probe k. */
export function derivedExperimentId(name: string, k: number): string {
  const h = createHash('sha256').update(`ranklog.mlflow.experiment\0${k}\0${name}`, 'utf8').digest('hex');
  return ((BigInt('0x' + h) % 900_000_000_000_000_000n) + 100_000_000_000_000_000n).toString();
}

/** FileStore._get_dataset_id: md5 of the name then the digest (UTF-8). */
function datasetId(name: string, digest: string): string {
  return createHash('md5').update(name, 'utf8').update(digest, 'utf8').digest('hex');
}

/** FileStore._get_input_id: md5 of the dataset id then the run id. */
function inputId(dsId: string, runId: string): string {
  return createHash('md5').update(dsId, 'utf8').update(runId, 'utf8').digest('hex');
}

function str(v: ReadValue | undefined, dflt = ''): string {
  if (v === undefined || v === null) return dflt;
  return typeof v === 'object' ? dflt : String(v);
}

function int(v: ReadValue | undefined): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return null;
}

function checkInt(what: string, v: unknown, min?: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || (min !== undefined && v < min)) {
    throw new FileStoreError(`${what} must be ${min === 0 ? 'a non-negative' : 'an'} integer, got ${String(v)}`);
  }
  return v;
}

/** The meta.yaml of a run, keys and values as `_make_persisted_run_info_dict` leaves them. `deletedTime` undefined: no key. */
function runMetaYaml(f: RunFields, deletedTime?: number | null): string {
  const m: Record<string, YamlMapping[string]> = {
    artifact_uri: f.artifact_uri,
    end_time: f.end_time,
    entry_point_name: '',
    experiment_id: f.experiment_id,
    lifecycle_stage: f.lifecycle_stage,
    run_id: f.run_id,
    run_name: f.run_name,
    run_uuid: f.run_id,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: f.start_time,
    status: f.status,
    tags: [],
    user_id: f.user_id,
  };
  if (deletedTime !== undefined) m.deleted_time = deletedTime;
  return dumpYaml(m);
}

/** MLflow's file-store layout (mlruns/), written directly: what `mlflow server --backend-store-uri <dir>` reads. */
export class FileStore implements TrackingStore {
  readonly onDisk = true;
  /** The `mlruns` directory (absolute, normalised). */
  readonly rootDir: string;
  /** The experiments' default artifact root, as MLflow's FileStore derives it from the root. */
  readonly artifactRootUri: string;
  private ready: Promise<void> | undefined;
  private readonly experimentsByName = new Map<string, string>();
  private readonly runs = new Map<string, RunLoc>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly madeDirs = new Set<string>();
  private closed = false;

  constructor(
    rootDir: string,
    private readonly artifacts: ArtifactTreeOptions = {},
  ) {
    if (typeof rootDir !== 'string' || !path.isAbsolute(rootDir)) {
      throw new FileStoreError(`FileStore: rootDir must be an absolute path, got ${q(String(rootDir))}`);
    }
    this.rootDir = path.resolve(rootDir);
    this.artifactRootUri = pathToPyFileUri(this.rootDir);
  }

  // ---- TrackingStore -------------------------------------------------------

  async getOrCreateExperiment(name: string): Promise<string> {
    validateExperimentName(name);
    await this.init();
    const cached = this.experimentsByName.get(name);
    if (cached !== undefined && (await this.readExperiment(cached))?.name === name) return cached;

    const found = await this.findExperimentByName(name);
    if (found?.lifecycleStage === 'active') return this.remember(name, found.id);
    if (found) {
      throw new FileStoreError(
        `Experiment ${q(name)} already exists in deleted state (${path.join(this.rootDir, TRASH, found.id)}): restore it, or delete it from the .trash folder, to use this name again.`,
        'RESOURCE_ALREADY_EXISTS',
      );
    }
    for (let k = 0; k < MAX_ID_PROBES; k++) {
      const id = derivedExperimentId(name, k);
      if (await this.publishExperiment(id, name)) return this.remember(name, id);
      const winner = await this.readExperiment(id, true);
      if (winner && winner.name === name && winner.lifecycleStage === 'active') return this.remember(name, id);
    }
    throw new FileStoreError(`Could not find a free experiment id for ${q(name)} after ${MAX_ID_PROBES} probes`, 'INVALID_STATE');
  }

  async createRun(experimentId: string, opts: { runName: string; startTime: number; tags: RunTag[] }): Promise<string> {
    const runId = randomUUID().replace(/-/g, '');
    await this.publishRun(experimentId, runId, opts);
    return runId;
  }

  /**
   * Creates the run `runId` unless a run directory of that id exists already, with one
   * rename(2): of several processes racing, exactly one creates it ('created'); the others
   * get 'joined', after checking that the existing run carries the `identity` tag (the
   * same job), so an unrelated run at that id is never written into.
   */
  async createOrJoinRun(
    experimentId: string,
    runId: string,
    opts: { runName: string; startTime: number; tags: RunTag[] },
    identity: RunTag,
  ): Promise<'created' | 'joined'> {
    validateRunId(runId);
    if (await this.publishRun(experimentId, runId, opts)) return 'created';
    const loc = { experimentId, runDir: path.join(this.rootDir, experimentId, runId) };
    const fix = `choose another run name, or set RANKLOG_JOB to tell this launch apart`;
    const found = await this.readIfExists(path.join(loc.runDir, 'tags', identity.key), 'tag', identity.key);
    if (found !== identity.value) {
      throw new FileStoreError(
        `Run ${runId} (${loc.runDir}) is not the run this job shares: its ${identity.key} tag is ${found === null ? 'missing' : q(found)}, expected ${q(identity.value)}; ${fix}.`,
        'INVALID_STATE',
      );
    }
    const f = await this.readRun(loc);
    if (f.lifecycle_stage !== 'active') {
      throw new FileStoreError(
        `Run ${runId} (${loc.runDir}), the run this job shares, is deleted: restore it (mlflow runs restore --run-id ${runId}), or ${fix}.`,
        'INVALID_STATE',
      );
    }
    this.runs.set(runId, loc);
    return 'joined';
  }

  /** Builds the run in the staging area and renames it into place; false when a run of that id exists. */
  private async publishRun(experimentId: string, runId: string, opts: { runName: string; startTime: number; tags: RunTag[] }): Promise<boolean> {
    validateExperimentId(experimentId);
    this.checkOpen();
    await this.init();
    const exp = await this.readExperiment(experimentId);
    if (!exp) {
      throw new FileStoreError(`Could not create run under experiment with ID ${experimentId} - no such experiment exists.`, 'RESOURCE_DOES_NOT_EXIST');
    }
    if (exp.lifecycleStage !== 'active') {
      throw new FileStoreError(`Could not create run under non-active experiment with ID ${experimentId}.`, 'INVALID_STATE');
    }
    const startTime = checkInt('startTime', opts.startTime, 0);
    const tags = this.checkTags(opts.tags ?? []);
    const runNameTag = tags.get(RUN_NAME_TAG);
    if (opts.runName && runNameTag !== undefined && opts.runName !== runNameTag) {
      throw new FileStoreError(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name=${q(opts.runName)}, mlflow.runName=${q(runNameTag)}).`,
      );
    }
    const runName = opts.runName || runNameTag || `run-${randomBytes(3).toString('hex')}`;
    if (runNameTag === undefined) tags.set(RUN_NAME_TAG, limitValue('tag', RUN_NAME_TAG, runName));

    const fields: RunFields = {
      artifact_uri: appendToUriPath(exp.artifactLocation, runId, 'artifacts'),
      end_time: null,
      experiment_id: experimentId,
      lifecycle_stage: 'active',
      run_id: runId,
      run_name: runName,
      start_time: startTime,
      status: STATUS_CODE.RUNNING,
      user_id: tags.get(USER_TAG) ?? 'unknown',
    };
    const runDir = path.join(this.rootDir, experimentId, runId);
    const staged = await this.stagingDir();
    try {
      await fsp.writeFile(path.join(staged, META), runMetaYaml(fields, null));
      for (const sub of ['metrics', 'params', 'artifacts', 'tags']) await fsp.mkdir(path.join(staged, sub));
      for (const [key, value] of tags) {
        const file = path.join(staged, 'tags', key);
        await fsp.mkdir(path.dirname(file), { recursive: true });
        await fsp.writeFile(file, value);
      }
      // A run directory is never empty, so rename(2) onto an existing one fails: exactly one creator wins.
      await fsp.rename(staged, runDir);
    } catch (e) {
      await fsp.rm(staged, { recursive: true, force: true });
      const code = errnoCode(e);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw this.wrapFsError(e, `creating run ${runId} in experiment ${experimentId}`);
    }
    this.runs.set(runId, { experimentId, runDir });
    return true;
  }

  async logBatch(runId: string, batch: Batch): Promise<void> {
    const metrics = (batch.metrics ?? []).map((m) => this.checkMetric(m));
    const params = this.checkParams(batch.params ?? []);
    const tags = this.checkTags(batch.tags ?? []);
    const loc = await this.locateRun(runId);
    await this.serial(runId, async () => {
      // Params first (all checked before any is written), then metrics, then tags, as FileStore.log_batch.
      const paramsDir = path.join(loc.runDir, 'params');
      const fresh: [string, string][] = [];
      for (const [key, value] of params) {
        const existing = await this.readIfExists(path.join(paramsDir, key), 'param', key);
        if (existing === null) fresh.push([key, value]);
        else if (existing !== value) throw paramChanged(key, existing, value, runId);
      }
      // Items that reached the store, for a disk that refuses a write part-way (the caller counts the rest as lost).
      let written = params.size - fresh.length;
      try {
        for (const [key, value] of fresh) {
          await this.writeParam(paramsDir, key, value, runId);
          written++;
        }
        const byKey = new Map<string, string[]>();
        for (const m of metrics) {
          let lines = byKey.get(m.key);
          if (!lines) byKey.set(m.key, (lines = []));
          lines.push(`${pyInt(m.timestamp)} ${pyFloatRepr(m.value)} ${pyInt(m.step)}\n`);
        }
        for (const [key, lines] of byKey) {
          await this.appendMetric(loc.runDir, key, lines.join(''));
          written += lines.length;
        }
        for (const [key, value] of tags) {
          if (key === RUN_NAME_TAG) await this.rewriteRunMeta(loc, (f) => void (f.run_name = value));
          await this.replaceFile(loc.runDir, path.join(loc.runDir, 'tags', key), value, 'tag', key);
          written++;
        }
      } catch (e) {
        if (e instanceof FileStoreWriteError) e.written = written;
        throw e;
      }
    });
  }

  /** Record dataset inputs of a run (as runs/log-inputs). */
  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    const checked = (datasets ?? []).map((d) => checkDataset(d));
    const loc = await this.locateRun(runId);
    await this.serial(runId, async () => {
      const expDir = path.join(this.rootDir, loc.experimentId);
      for (const d of checked) {
        const dsId = datasetId(d.name, d.digest);
        const dsDir = path.join(expDir, 'datasets', dsId);
        if (!(await exists(dsDir))) {
          const meta = dumpYaml({
            digest: d.digest,
            name: d.name,
            profile: null,
            schema: d.schema ?? null,
            source: d.source,
            source_type: d.sourceType,
          });
          await this.publishDir(dsDir, { [META]: meta });
        }
        const inDir = path.join(loc.runDir, 'inputs', inputId(dsId, runId));
        if (!(await exists(inDir))) {
          const meta = dumpYaml({
            // FileStore._FileStoreInput.write_yaml stores source_id under destination_id too;
            // MLflow never reads that field back, and the layout is kept as MLflow writes it.
            destination_id: dsId,
            destination_type: 'RUN',
            source_id: dsId,
            source_type: 'DATASET',
            tags: Object.fromEntries(d.tags),
          });
          await this.publishDir(inDir, { [META]: meta });
        }
      }
    });
  }

  async logArtifact(runId: string, localPath: string, artifactPath: string): Promise<void> {
    if (typeof localPath !== 'string' || localPath === '')
      throw new FileStoreError(`logArtifact: localPath must be a non-empty path, got ${q(String(localPath))}`);
    const rel = artifactPath ?? '';
    if (typeof rel !== 'string') throw new FileStoreError(`Invalid artifact path: ${String(rel)}`);
    if (rel !== '' && (pathNotUnique(rel) || rel.includes('\\'))) {
      throw new FileStoreError(
        `Invalid artifact path ${q(rel)}: it must be relative, without "." or ".." parts, empty parts or a trailing "/" (it would resolve to ${q(pyNormpath(rel))}).`,
      );
    }
    const loc = await this.locateRun(runId);
    await this.serial(runId, async () => {
      const fields = await this.readRun(loc);
      const root = localPathOfUri(fields.artifact_uri);
      if (root === null) {
        throw new FileStoreError(
          `Run ${runId} keeps its artifacts at ${q(fields.artifact_uri)}, which is not a local directory; the file store copies only to file: URIs.`,
        );
      }
      const dest = rel === '' ? root : path.join(root, rel);
      let st: Awaited<ReturnType<typeof fsp.stat>>;
      try {
        st = await fsp.stat(localPath);
      } catch (e) {
        throw this.wrapFsError(e, `reading artifact ${localPath}`);
      }
      const tmpDir = isInside(dest, loc.runDir) ? loc.runDir : undefined;
      if (st.isDirectory()) {
        const realSrc = await fsp.realpath(localPath);
        if (isInside(path.resolve(dest), realSrc) || isInside(path.resolve(dest), path.resolve(localPath))) {
          throw new FileStoreError(`Cannot log the directory ${localPath} into ${dest}, which is inside it.`);
        }
        // LocalArtifactRepository.log_artifacts: the directory's contents go under artifactPath.
        await this.copyTree(localPath, dest, tmpDir);
      } else {
        // LocalArtifactRepository.log_artifact: the file goes under artifactPath with its own name.
        await fsp.mkdir(dest, { recursive: true });
        await this.copyFile(localPath, path.join(dest, path.basename(localPath)), tmpDir);
      }
    });
  }

  async updateRun(runId: string, status: RunStatus, endTime: number): Promise<void> {
    const code = STATUS_CODE[status];
    if (code === undefined) throw new FileStoreError(`Invalid run status ${q(String(status))}: expected one of ${Object.keys(STATUS_CODE).join(', ')}`);
    const end = checkInt('endTime', endTime, 0);
    const loc = await this.locateRun(runId);
    await this.serial(runId, () =>
      // RunInfo._copy_with_overrides(status, end_time): a zero end_time leaves the old one.
      this.rewriteRunMeta(loc, (f) => {
        f.status = code;
        if (end) f.end_time = end;
      }),
    );
  }

  async getRunTags(runId: string): Promise<Record<string, string>> {
    const loc = await this.locateRun(runId);
    const out: Record<string, string> = {};
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
        // Keys with '/' are sub-directories (FileStore.set_tag writes tags/<key> as a path).
        if (e.isDirectory()) await walk(path.join(dir, e.name), `${prefix}${e.name}/`);
        else out[`${prefix}${e.name}`] = await fsp.readFile(path.join(dir, e.name), 'utf8');
      }
    };
    try {
      await walk(path.join(loc.runDir, 'tags'), '');
    } catch (e) {
      throw this.wrapFsError(e, `reading the tags of run ${runId}`);
    }
    return out;
  }

  /** Release what the store holds open. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.queues.values()]);
    // The staging parent, if empty (fails harmlessly while another store uses it).
    await fsp.rmdir(path.join(this.rootDir, STAGING)).catch(() => undefined);
  }

  // ---- experiments ---------------------------------------------------------

  private init(): Promise<void> {
    this.checkOpen();
    if (!this.ready) {
      this.ready = this.doInit().catch((e: unknown) => {
        this.ready = undefined;
        throw e;
      });
    }
    return this.ready;
  }

  /** FileStore.__init__: a new root gets the Default experiment "0" and the .trash folder. */
  private async doInit(): Promise<void> {
    await fsp.mkdir(path.dirname(this.rootDir), { recursive: true });
    let fresh = false;
    try {
      await fsp.mkdir(this.rootDir);
      fresh = true;
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw this.wrapFsError(e, `creating ${this.rootDir}`);
      if (!(await fsp.stat(this.rootDir)).isDirectory()) throw new FileStoreError(`${this.rootDir} is not a directory`);
    }
    if (fresh || (await this.activeExperimentIds()).length === 0) {
      await this.publishExperiment(DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME);
    }
    await fsp.mkdir(path.join(this.rootDir, TRASH), { recursive: true });
  }

  private remember(name: string, id: string): string {
    this.experimentsByName.set(name, id);
    return id;
  }

  /** FileStore._get_active_experiments: root sub-directories except *.trash and models. */
  private async activeExperimentIds(): Promise<string[]> {
    const entries = await fsp.readdir(this.rootDir, { withFileTypes: true });
    return entries.filter((d) => d.isDirectory() && !d.name.endsWith(TRASH) && d.name !== MODELS).map((d) => d.name);
  }

  private async deletedExperimentIds(): Promise<string[]> {
    try {
      const entries = await fsp.readdir(path.join(this.rootDir, TRASH), { withFileTypes: true });
      return entries.filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return [];
      throw e;
    }
  }

  /**
   * The experiment of that name, as FileStore.get_experiment_by_name finds it:
   * active ones first (the newest, then the smallest id), then deleted ones.
   */
  private async findExperimentByName(name: string): Promise<ExperimentFields | null> {
    for (const [ids, parent] of [
      [await this.activeExperimentIds(), this.rootDir],
      [await this.deletedExperimentIds(), path.join(this.rootDir, TRASH)],
    ] as const) {
      const hits: ExperimentFields[] = [];
      for (const id of ids) {
        const exp = await this.readExperimentAt(parent, id, false);
        if (exp && exp.name === name) hits.push(exp);
      }
      if (hits.length > 0) {
        hits.sort((a, b) => b.creationTime - a.creationTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        return hits[0]!;
      }
    }
    return null;
  }

  private readExperiment(id: string, waitForWriter = false): Promise<ExperimentFields | null> {
    return this.readExperimentAt(this.rootDir, id, waitForWriter);
  }

  /**
   * An experiment's meta.yaml, or null when missing or malformed. `waitForWriter`:
   * retry for a moment, for a directory that MLflow itself may be filling
   * (it creates the directory before it writes meta.yaml).
   */
  private async readExperimentAt(parent: string, id: string, waitForWriter: boolean): Promise<ExperimentFields | null> {
    const file = path.join(parent, id, META);
    for (let attempt = 0; ; attempt++) {
      try {
        const m = readYamlMapping(await fsp.readFile(file, 'utf8'));
        const expId = str(m.experiment_id);
        const name = m.name;
        if (expId !== id || name === undefined || name === null) return null;
        return {
          id,
          name: String(name),
          lifecycleStage: str(m.lifecycle_stage, 'active'),
          artifactLocation: str(m.artifact_location, appendToUriPath(this.artifactRootUri, id)),
          creationTime: int(m.creation_time) ?? 0,
        };
      } catch (e) {
        const code = errnoCode(e);
        if (code !== undefined && code !== 'ENOENT') throw this.wrapFsError(e, `reading ${file}`);
        if (!waitForWriter || attempt >= 10) return null;
        await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      }
    }
  }

  /** Creates experiment `id` atomically; false when that directory already exists. */
  private async publishExperiment(id: string, name: string): Promise<boolean> {
    const now = Date.now();
    const meta = dumpYaml({
      artifact_location: appendToUriPath(this.artifactRootUri, id),
      creation_time: now,
      experiment_id: id,
      last_update_time: now,
      lifecycle_stage: 'active',
      name,
    });
    return this.publishDir(path.join(this.rootDir, id), { [META]: meta });
  }

  // ---- runs ----------------------------------------------------------------

  private async locateRun(runId: string): Promise<RunLoc> {
    validateRunId(runId);
    await this.init();
    const cached = this.runs.get(runId);
    if (cached) return cached;
    for (const exp of await this.activeExperimentIds()) {
      const runDir = path.join(this.rootDir, exp, runId);
      if (!(await exists(path.join(runDir, META)))) continue;
      const loc = { experimentId: exp, runDir };
      const f = await this.readRun(loc);
      if (f.experiment_id !== exp) throw new FileStoreError(`Run '${runId}' metadata is in invalid state.`, 'INVALID_STATE');
      if (f.lifecycle_stage !== 'active') throw new FileStoreError(`The run ${runId} must be in 'active' lifecycle_stage.`);
      this.runs.set(runId, loc);
      return loc;
    }
    throw new FileStoreError(`Run '${runId}' not found`, 'RESOURCE_DOES_NOT_EXIST');
  }

  private async readRun(loc: RunLoc): Promise<RunFields> {
    const file = path.join(loc.runDir, META);
    let m: ReturnType<typeof readYamlMapping>;
    try {
      m = readYamlMapping(await fsp.readFile(file, 'utf8'));
    } catch (e) {
      throw errnoCode(e) ? this.wrapFsError(e, `reading ${file}`) : new FileStoreError(`Malformed ${file}: ${(e as Error).message}`, 'INVALID_STATE');
    }
    const runId = str(m.run_id) || str(m.run_uuid);
    return {
      artifact_uri: str(m.artifact_uri),
      end_time: int(m.end_time),
      experiment_id: str(m.experiment_id),
      lifecycle_stage: str(m.lifecycle_stage, 'active'),
      run_id: runId,
      run_name: str(m.run_name),
      start_time: int(m.start_time) ?? 0,
      status: int(m.status) ?? STATUS_CODE.RUNNING,
      user_id: str(m.user_id),
    };
  }

  /** FileStore._overwrite_run_info: meta.yaml rewritten (without deleted_time), atomically. */
  private async rewriteRunMeta(loc: RunLoc, change: (f: RunFields) => void): Promise<void> {
    const f = await this.readRun(loc);
    if (f.lifecycle_stage !== 'active') throw new FileStoreError(`The run ${f.run_id} must be in 'active' lifecycle_stage.`);
    change(f);
    await this.replaceFile(loc.runDir, path.join(loc.runDir, META), runMetaYaml(f), 'meta', META);
  }

  // ---- checks --------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new FileStoreError('FileStore is closed', 'INVALID_STATE');
  }

  private checkMetric(m: Metric): Metric {
    const key = validateKey('metric', m?.key);
    if (typeof m.value !== 'number')
      throw new FileStoreError(`Invalid value ${String(m.value)} for metric ${q(key)}: expected a number (NaN and ±Infinity are allowed).`);
    checkInt(`Timestamp of metric ${q(key)}`, m.timestamp, 0);
    checkInt(`Step of metric ${q(key)}`, m.step);
    return m;
  }

  /** Validated params, by key; a key given twice with different values is an error (duplicates of one value are written once). */
  private checkParams(params: readonly { key: string; value: string }[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const p of params) {
      const key = validateKey('param', p?.key);
      const value = limitValue('param', key, p.value);
      const prev = out.get(key);
      if (prev !== undefined && prev !== value) {
        throw new FileStoreError(`Duplicate parameter key ${q(key)} in one batch with different values (${q(prev)} and ${q(value)}).`);
      }
      out.set(key, value);
    }
    return out;
  }

  /** Validated tags, by key (the last value of a key wins). */
  private checkTags(tags: readonly RunTag[]): Map<string, string> {
    const out = new Map<string, string>();
    for (const t of tags) {
      const key = validateKey('tag', t?.key);
      out.set(key, limitValue('tag', key, t.value));
    }
    return out;
  }

  // ---- files ---------------------------------------------------------------

  /** Runs `fn` after every earlier operation on that run (one writer per run file within this process). */
  private serial<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    this.checkOpen();
    const prev = this.queues.get(runId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(runId, settled);
    void settled.then(() => {
      if (this.queues.get(runId) === settled) this.queues.delete(runId);
    });
    return next;
  }

  private async stagingDir(): Promise<string> {
    const parent = path.join(this.rootDir, STAGING);
    const dir = path.join(parent, `${process.pid}-${randomBytes(8).toString('hex')}`);
    for (let attempt = 0; ; attempt++) {
      try {
        await fsp.mkdir(parent, { recursive: true });
        await fsp.mkdir(dir);
        return dir;
      } catch (e) {
        // Another store's close() may remove the (then empty) staging parent at any moment,
        // even in the middle of the recursive mkdir: try again.
        if (errnoCode(e) !== 'ENOENT' || attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 1 + attempt));
      }
    }
  }

  /**
   * Builds a directory holding `files` in the staging area and renames it to
   * `target`. False (and nothing changed) when `target` already exists.
   */
  private async publishDir(target: string, files: Record<string, string>): Promise<boolean> {
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const staged = await this.stagingDir();
    try {
      for (const [name, content] of Object.entries(files)) await fsp.writeFile(path.join(staged, name), content);
      await fsp.rename(staged, target);
      return true;
    } catch (e) {
      await fsp.rm(staged, { recursive: true, force: true });
      const code = errnoCode(e);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw this.wrapFsError(e, `creating ${target}`);
    }
  }

  /** Writes `content` to a temporary file in `tmpDir` (same file system) and renames it over `file`. */
  private async replaceFile(tmpDir: string, file: string, content: string, kind: string, key: string): Promise<void> {
    const tmp = path.join(tmpDir, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await this.mkdirOnce(path.dirname(file));
      await fsp.writeFile(tmp, content);
      await fsp.rename(tmp, file);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw this.wrapFsError(e, `writing ${kind} ${q(key)} (${file})`, file);
    }
  }

  private async readIfExists(file: string, kind: string, key: string): Promise<string | null> {
    try {
      return await fsp.readFile(file, 'utf8');
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOENT') return null;
      throw this.wrapFsError(e, `reading ${kind} ${q(key)} (${file})`);
    }
  }

  /** A new param file, created exclusively: a concurrent writer's different value is an error too. */
  private async writeParam(paramsDir: string, key: string, value: string, runId: string): Promise<void> {
    const file = path.join(paramsDir, key);
    try {
      await this.mkdirOnce(path.dirname(file));
      await fsp.writeFile(file, value, { flag: 'wx' });
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw this.wrapFsError(e, `writing param ${q(key)} (${file})`, file);
      const existing = await this.readIfExists(file, 'param', key);
      if (existing !== value) throw paramChanged(key, existing ?? '', value, runId);
    }
  }

  /** Appends whole lines in one write (O_APPEND); a write the disk refuses part-way is cut back, so no line is torn. */
  private async appendMetric(runDir: string, key: string, text: string): Promise<void> {
    const file = path.join(runDir, 'metrics', key);
    try {
      await this.mkdirOnce(path.dirname(file));
      const fd = openSync(file, 'a');
      try {
        appendWhole(fd, Buffer.from(text, 'utf8'), file);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      throw this.wrapFsError(e instanceof WriteFailure ? e.cause : e, `appending to metric ${q(key)} (${file})`, file);
    }
  }

  private async mkdirOnce(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await fsp.mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  /** shutil.copy2: content and modification time; written under a temporary name first. */
  private async copyFile(src: string, dest: string, tmpDir: string | undefined): Promise<void> {
    const tmp = path.join(tmpDir ?? path.dirname(dest), `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await fsp.copyFile(src, tmp);
      const st = await fsp.stat(src);
      await fsp.utimes(tmp, st.atimeMs / 1000, st.mtimeMs / 1000);
      await fsp.rename(tmp, dest);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw this.wrapFsError(e, `copying artifact ${src} to ${dest}`);
    }
  }

  /**
   * shutil.copytree(src, dest, dirs_exist_ok=True), but links are followed only as core's
   * listTree decides (inside the directory; outside ones with followExternalSymlinks).
   */
  private async copyTree(src: string, dest: string, tmpDir: string | undefined): Promise<void> {
    let listing: ReturnType<typeof listTree>;
    try {
      listing = listTree(src, { followExternalSymlinks: this.artifacts.followExternalSymlinks === true });
    } catch (e) {
      throw this.wrapFsError(e, `reading artifact directory ${src}`);
    }
    const why = skippedLinksMessage(src, listing.skipped);
    if (why !== undefined) this.artifacts.warn?.(why);
    await fsp.mkdir(dest, { recursive: true });
    for (const e of listing.entries) {
      const to = path.join(dest, ...e.relative.split('/'));
      if (e.isDirectory) await fsp.mkdir(to, { recursive: true });
      else await this.copyFile(e.source, to, tmpDir);
    }
  }

  private wrapFsError(e: unknown, what: string, file?: string): Error {
    if (e instanceof FileStoreError) return e;
    if (isDiskError(e)) return new FileStoreWriteError(`${what}: ${(e as Error).message}`, file ?? what, e);
    const code = errnoCode(e);
    const err = new FileStoreError(`${what}: ${(e as Error)?.message ?? String(e)}`, code === 'ENOENT' ? 'RESOURCE_DOES_NOT_EXIST' : 'INVALID_STATE');
    (err as { cause?: unknown }).cause = e;
    return err;
  }
}

function paramChanged(key: string, current: string, value: string, runId: string): FileStoreError {
  return new FileStoreError(
    `Changing param values is not allowed. Param with key=${q(key)} was already logged with value=${q(current)} for run ID=${q(runId)}. Attempted logging new value ${q(value)}.`,
  );
}

interface CheckedDataset {
  name: string;
  digest: string;
  source: string;
  sourceType: string;
  schema: string | undefined;
  tags: Map<string, string>;
}

function checkDataset(d: DatasetInput): CheckedDataset {
  for (const f of ['name', 'digest', 'source', 'sourceType'] as const) {
    if (typeof d?.[f] !== 'string') throw new FileStoreError(`Dataset ${f} must be a string, got ${String(d?.[f])}`);
  }
  checkLength(`Dataset name ${q(d.name)}`, d.name, MAX_DATASET_NAME_SIZE);
  checkLength(`Digest of dataset ${q(d.name)}`, d.digest, MAX_DATASET_DIGEST_SIZE);
  checkLength(`Source of dataset ${q(d.name)}`, d.source, MAX_DATASET_SOURCE_SIZE);
  if (d.schema !== undefined) {
    if (typeof d.schema !== 'string') throw new FileStoreError(`Schema of dataset ${q(d.name)} must be a string`);
    checkLength(`Schema of dataset ${q(d.name)}`, d.schema, MAX_DATASET_SCHEMA_SIZE);
  }
  const tags = new Map<string, string>();
  for (const t of d.tags ?? []) {
    if (typeof t?.key !== 'string' || t.key === '' || typeof t.value !== 'string') {
      throw new FileStoreError(`Input tags of dataset ${q(d.name)} need a non-empty string key and a string value`);
    }
    checkLength(`Input tag key ${q(t.key)}`, t.key, MAX_INPUT_TAG_KEY_SIZE);
    checkLength(`Value of input tag ${q(t.key)}`, t.value, MAX_INPUT_TAG_VALUE_SIZE);
    tags.set(t.key, t.value);
  }
  return { name: d.name, digest: d.digest, source: d.source, sourceType: d.sourceType, schema: d.schema, tags };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
