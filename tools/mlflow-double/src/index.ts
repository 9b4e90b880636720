/**
 * An in-process double of an MLflow 2.17 tracking server (REST API + artifact proxy), for the
 * tests and the benchmarks (@ranklog/mlflow-double, a private workspace package).
 *
 * It answers on 127.0.0.1 only, keeps everything in memory, and follows what the real server
 * does rather than what would be convenient: request bodies are read the way Flask + MLflow read
 * them (Python's json module, so bare NaN/Infinity tokens parse; protobuf's JSON parser, which
 * stops at the first bad field and keeps what it parsed before it; then the handler's schema
 * checks; then the tracking store's validation), error bodies are `{"error_code", "message"}`
 * with MLflow's own HTTP status mapping, and response bodies omit empty repeated fields like
 * protobuf's MessageToJson does.
 *
 * Whatever a real server would have accepted but silently mangled (a bare NaN token stored as 0
 * and the rest of the batch dropped, a long param value truncated, an unknown field ignored, an
 * invalid JSON body read as `{}`) is appended to `double.violations`, so a test can assert that
 * the client never relies on it.
 *
 * Sources (mlflow/mlflow): mlflow/server/handlers.py (_get_request_message, _get_request_json,
 * _validate_param_against_schema, _assert_*, the per-endpoint schemas, catch_mlflow_exception,
 * the mlflow-artifacts handlers), mlflow/server/validation.py (_validate_content_type),
 * mlflow/utils/validation.py (names, lengths, batch limits), mlflow/exceptions.py
 * (ERROR_CODE_TO_HTTP_STATUS), mlflow/store/tracking/{sqlalchemy_store,file_store}.py,
 * mlflow/entities/run_info.py (check_run_is_active), mlflow/utils/proto_json_utils.py
 * (parse_dict, message_to_json), mlflow/server/auth (basic-auth app), mlflow/protos/service.proto.
 */
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { randomInt, randomUUID } from 'node:crypto';

// ───────────────────────────── public types ─────────────────────────────

/** A 64-bit integer as the double stores it: a number when it is a safe integer, else a bigint. */
export type Int64 = number | bigint;

export interface MetricPoint {
  /** NaN / ±Infinity when sent as the strings "NaN" / "Infinity" / "-Infinity". */
  value: number;
  timestamp: Int64;
  step: Int64;
}

export type RunStatusName = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface DoubleRunInfo {
  run_id: string;
  run_uuid: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatusName;
  start_time: Int64;
  end_time?: Int64;
  artifact_uri: string;
  lifecycle_stage: 'active' | 'deleted';
}

export interface DoubleDataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DoubleDatasetInput {
  tags: { key: string; value: string }[];
  dataset: DoubleDataset;
}

export interface DoubleExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: 'active' | 'deleted';
  creation_time: number;
  last_update_time: number;
  tags: Map<string, string>;
}

export class DoubleRun {
  /** Tags (including `mlflow.runName`), params: last accepted state. */
  readonly tags = new Map<string, string>();
  readonly params = new Map<string, string>();
  /**
   * Every metric point the server accepted, per key, in arrival order, including exact
   * duplicates (same key, value, timestamp, step) that a SQL-backed server would have dropped;
   * `duplicatePoints` counts those. `double.metricHistory()` returns what the server would answer.
   */
  readonly metrics = new Map<string, MetricPoint[]>();
  readonly inputs: DoubleDatasetInput[] = [];
  duplicatePoints = 0;
  /** @internal (key, timestamp, step, value) of every point, so a duplicate is found in O(1), not by a scan. */
  readonly pointKeys = new Set<string>();
  /** @internal latest point per key, ordered by (step, timestamp, value) as both stores do. */
  readonly latest = new Map<string, MetricPoint>();

  constructor(
    readonly info: DoubleRunInfo,
    private readonly artifactStore: Map<string, Buffer>,
  ) {}

  /** The artifacts under this run's artifact root, keyed by their path relative to it. */
  get artifacts(): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const root = proxiedRoot(this.info.artifact_uri);
    if (root === undefined) return out;
    const prefix = root === '' ? '' : `${root}/`;
    for (const [path, bytes] of this.artifactStore) if (path.startsWith(prefix)) out.set(path.slice(prefix.length), bytes);
    return out;
  }

  /** Plain-object view (handy for deepEqual): params, tags, metric histories. */
  get data(): { params: Record<string, string>; tags: Record<string, string>; metrics: Record<string, MetricPoint[]> } {
    return {
      params: Object.fromEntries(this.params),
      tags: Object.fromEntries(this.tags),
      metrics: Object.fromEntries([...this.metrics].map(([k, v]) => [k, v.map((p) => ({ ...p }))])),
    };
  }
}

export interface RecordedRequest {
  seq: number;
  time: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  /** e.g. 'runs/log-batch', 'mlflow-artifacts/upload', 'health', 'unknown'. */
  endpoint: string;
  bodyBytes: number;
  /** The body as text (JSON endpoints only, when `recordBodies` is on). */
  body?: string;
  /** Request headers, lower-cased, without `authorization`. */
  headers: Record<string, string | string[] | undefined>;
  auth: { present: boolean; scheme?: string };
  /** Ordinal of the TCP connection (1-based) that carried the request. */
  connection: number;
  status?: number;
  /** What the double did: 'answered', 'injected-status', 'injected-reset', 'lost' (server stopped mid-request). */
  outcome?: 'answered' | 'injected-status' | 'injected-reset' | 'lost';
  /** True when the handler ran (the request had its effect), whatever the client then saw. */
  applied: boolean;
}

export interface RecordedError {
  seq: number;
  endpoint: string;
  status: number;
  error_code?: string;
  message: string;
}

export interface FaultOptions {
  /** Only requests for which this returns true are affected (default: all). */
  match?: (request: { method: string; path: string; endpoint: string }) => boolean;
  /** Apply the request first (the data changes), then fail / reset / delay the answer. */
  afterApply?: boolean;
}

export interface FailOptions extends FaultOptions {
  /** Sent as the Retry-After header. */
  retryAfter?: number | string;
  /** Body to send instead of the default MLflow-style JSON error. */
  body?: string;
  contentType?: string;
}

export interface MlflowDoubleOptions {
  /** Require credentials. Basic follows MLflow's basic-auth app; bearer is what a proxy in front would check. */
  auth?: { basic?: { user: string; password: string }; bearer?: string };
  /**
   * Which tracking store to imitate where the two differ (default 'sqlalchemy'):
   * - 'sqlalchemy': a param re-logged with another value in log-batch → 400 INVALID_PARAMETER_VALUE and no
   *   param of that batch is written; exact duplicate metric points are dropped; get-history is ordered by
   *   (timestamp, step, value); ±Infinity reads back as ±1.7976931348623157e308; experiment ids "1", "2", …
   * - 'file': the same re-log → 500 INTERNAL_ERROR (file_store.log_batch wraps it) after the params before it
   *   were written; duplicates kept; get-history in arrival order; ids of 18 digits.
   */
  backend?: 'sqlalchemy' | 'file';
  /**
   * Param values over 6000 and tag values over 8000 characters (default 'reject'):
   * 'reject' answers 400 INVALID_PARAMETER_VALUE (a server with MLFLOW_TRUNCATE_LONG_VALUES=false);
   * 'truncate' stores the first 6000/8000 characters (a default server). Either way a violation is recorded,
   * since a default server would have truncated silently.
   */
  longValues?: 'reject' | 'truncate';
  /**
   * Enforce the documented 1 MB limit on a log-batch body (default true). The published API reference states
   * it; the 2.17 server code does not actually enforce it (it measures len() of the parsed dict).
   */
  enforceBatchBytes?: boolean;
  /** HTTP keep-alive (default true). false: every answer carries `Connection: close`, as gunicorn's sync workers do. */
  keepAlive?: boolean;
  /**
   * How long an idle keep-alive connection stays open, ms (default 5000, Node's default; the
   * `Keep-Alive: timeout` hint tells Node clients to close theirs a second sooner). A test that
   * counts connections sets it far above any pause a loaded machine can cause, so that only the
   * client's reuse of connections decides the count.
   */
  keepAliveTimeoutMs?: number;
  /** Keep JSON request bodies in `requests[].body` (default true). */
  recordBodies?: boolean;
}

// ───────────────────────────── errors and replies ─────────────────────────────

/** mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS */
const ERROR_CODE_TO_HTTP_STATUS: Record<string, number> = {
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  REQUEST_LIMIT_EXCEEDED: 429,
  CANCELLED: 499,
  RESOURCE_EXHAUSTED: 429,
  ABORTED: 409,
  RESOURCE_CONFLICT: 409,
  ALREADY_EXISTS: 409,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  PERMISSION_DENIED: 403,
  CUSTOMER_UNAUTHORIZED: 401,
  UNAUTHENTICATED: 401,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
};

class MlflowError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return ERROR_CODE_TO_HTTP_STATUS[this.code] ?? 500;
  }
}

/** An exception the real server does not catch: Flask answers a bare 500 HTML page. */
class Crash extends Error {}

interface Reply {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string>;
}

const INTERNAL_SERVER_ERROR_HTML =
  '<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n' +
  '<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n';

function htmlReply(status: number, title: string, text: string, headers?: Record<string, string>): Reply {
  return {
    status,
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html>\n<html lang=en>\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${text}</p>\n`,
    headers,
  };
}

function jsonReply(obj: unknown, status = 200): Reply {
  return { status, contentType: 'application/json', body: toJson(obj) };
}

// ───────────────────────────── Python's json.loads ─────────────────────────────

/**
 * A JSON value as Python's json module produces it: integers are bigint (exact, any size), floats are number
 * (NaN/±Infinity from the bare tokens NaN, Infinity, -Infinity, or from a literal that overflows).
 */
type PyValue = null | boolean | bigint | number | string | PyValue[] | PyObject;
interface PyObject {
  [key: string]: PyValue;
}

class PyJsonError extends Error {}

function isObj(v: unknown): v is PyObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

function parsePythonJson(text: string): PyValue {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new PyJsonError(`${what}: char ${i}`);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= n) fail('Unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === undefined) fail('Unterminated string');
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            fail('Invalid \\escape');
        }
        continue;
      }
      if (c < 0x20) fail('Invalid control character');
      let j = i;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x22 || d === 0x5c || d < 0x20) break;
        j++;
      }
      out += text.slice(i, j);
      i = j;
    }
  };
  const value = (depth: number): PyValue => {
    if (depth > 1000) fail('Too deeply nested');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: PyObject = Object.create(null);
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expecting property name enclosed in double quotes');
        const k = str();
        ws();
        if (text[i] !== ':') fail("Expecting ':' delimiter");
        i++;
        obj[k] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("Expecting ',' delimiter");
      }
    }
    if (c === '[') {
      i++;
      const arr: PyValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("Expecting ',' delimiter");
      }
    }
    if (c === '"') return str();
    for (const [tok, v] of [
      ['null', null],
      ['true', true],
      ['false', false],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      if (text.startsWith(tok, i)) {
        i += tok.length;
        return v;
      }
    }
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (m) {
      i += m[0].length;
      return m[1] === undefined && m[2] === undefined ? BigInt(m[0]) : Number(m[0]);
    }
    return fail('Expecting value');
  };
  const v = value(0);
  ws();
  if (i !== n) fail('Extra data');
  return v;
}

/** Flask's request.get_json(force=True, silent=True): the parsed body, or undefined (None) when it does not parse. */
function decodeJsonBody(body: Buffer): PyValue | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body); // json.loads(bytes) strips a UTF-8 BOM too
  } catch {
    return undefined;
  }
  try {
    return parsePythonJson(text);
  } catch {
    return undefined;
  }
}

// ───────────────────────────── Python-ish helpers ─────────────────────────────

/** Python's len() of a str: code points, not UTF-16 units. */
function pyLen(s: string): number {
  let k = 0;
  for (const _ of s) k++;
  return k;
}

function pyTruncate(s: string, limit: number): string {
  return Array.from(s).slice(0, limit).join('');
}

function pyRepr(v: PyValue | undefined): string {
  if (v === undefined || v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v);
  }
  if (typeof v === 'string') return v;
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
}

function pyTypeName(v: PyValue | undefined): string {
  if (v === undefined || v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'str';
  return Array.isArray(v) ? 'list' : 'dict';
}

/** str(v) */
function pyStr(v: PyValue | undefined): string {
  return pyRepr(v);
}

/** int(s) for a str (Python also accepts underscores between digits and surrounding whitespace). */
function pyIntOfString(s: string): bigint | undefined {
  const t = s.replace(/^\s+|\s+$/g, '');
  if (!/^[+-]?\d+(?:_\d+)*$/.test(t)) return undefined;
  return BigInt(t.replace(/_/g, '').replace(/^\+/, ''));
}

/** float(s) for a str. */
function pyFloatOfString(s: string): number | undefined {
  const t = s.replace(/^\s+|\s+$/g, '');
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  const digits = String.raw`\d(?:_?\d)*`;
  const re = new RegExp(`^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`);
  if (!re.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

/** posixpath.normpath */
function posixNormpath(path: string): string {
  if (path === '') return '.';
  let initialSlashes = path.startsWith('/') ? 1 : 0;
  if (initialSlashes && path.startsWith('//') && !path.startsWith('///')) initialSlashes = 2;
  const out: string[] = [];
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initialSlashes && out.length === 0) || (out.length > 0 && out[out.length - 1] === '..')) out.push(comp);
    else if (out.length > 0) out.pop();
  }
  const joined = '/'.repeat(initialSlashes) + out.join('/');
  return joined === '' ? '.' : joined;
}

function toPublicInt(b: bigint): Int64 {
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

function big(v: Int64): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

/** JSON text; bigint as exact digits; non-finite numbers as MessageToJson writes them ("NaN", "Infinity"). */
function toJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '"NaN"';
    if (!Number.isFinite(v)) return v > 0 ? '"Infinity"' : '"-Infinity"';
    return JSON.stringify(v);
  }
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toJson).join(', ')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) parts.push(`${JSON.stringify(k)}: ${toJson(x)}`);
  return `{${parts.join(', ')}}`;
}

// ───────────────────────────── protobuf JSON parsing (json_format.ParseDict) ─────────────────────────────

type ScalarType = 'string' | 'int64' | 'int32' | 'double' | 'bool';
interface EnumType {
  kind: 'enum';
  name: string;
  values: Record<string, number>;
}
interface MessageType {
  kind: 'message';
  name: string;
  fields: Record<string, FieldDef>;
}
interface FieldDef {
  type: ScalarType | EnumType | MessageType;
  repeated?: boolean;
}
// biome-ignore lint/suspicious/noExplicitAny: a parsed message of any proto type, checked against its descriptor
type ProtoMsg = Record<string, any>;

const msgType = (name: string, fields: Record<string, FieldDef>): MessageType => ({ kind: 'message', name, fields });
const S: FieldDef = { type: 'string' };
const I64: FieldDef = { type: 'int64' };
const I32: FieldDef = { type: 'int32' };
const D: FieldDef = { type: 'double' };

const RUN_STATUS: EnumType = { kind: 'enum', name: 'mlflow.RunStatus', values: { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } };
const VIEW_TYPE: EnumType = { kind: 'enum', name: 'mlflow.ViewType', values: { ACTIVE_ONLY: 1, DELETED_ONLY: 2, ALL: 3 } };
const STATUS_NAME: Record<number, RunStatusName> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };

const KeyValue = (name: string) => msgType(name, { key: S, value: S });
const T = {
  CreateExperiment: msgType('mlflow.CreateExperiment', { name: S, artifact_location: S, tags: { type: KeyValue('mlflow.ExperimentTag'), repeated: true } }),
  GetExperiment: msgType('mlflow.GetExperiment', { experiment_id: S }),
  GetExperimentByName: msgType('mlflow.GetExperimentByName', { experiment_name: S }),
  CreateRun: msgType('mlflow.CreateRun', {
    experiment_id: S,
    user_id: S,
    run_name: S,
    start_time: I64,
    tags: { type: KeyValue('mlflow.RunTag'), repeated: true },
  }),
  UpdateRun: msgType('mlflow.UpdateRun', { run_id: S, run_uuid: S, status: { type: RUN_STATUS }, end_time: I64, run_name: S }),
  GetRun: msgType('mlflow.GetRun', { run_id: S, run_uuid: S }),
  DeleteRun: msgType('mlflow.DeleteRun', { run_id: S }),
  LogBatch: msgType('mlflow.LogBatch', {
    run_id: S,
    metrics: {
      type: msgType('mlflow.Metric', { key: S, value: D, timestamp: I64, step: I64, model_id: S, dataset_name: S, dataset_digest: S, run_id: S }),
      repeated: true,
    },
    params: { type: KeyValue('mlflow.Param'), repeated: true },
    tags: { type: KeyValue('mlflow.RunTag'), repeated: true },
  }),
  LogMetric: msgType('mlflow.LogMetric', { run_id: S, run_uuid: S, key: S, value: D, timestamp: I64, step: I64 }),
  LogParam: msgType('mlflow.LogParam', { run_id: S, run_uuid: S, key: S, value: S }),
  SetTag: msgType('mlflow.SetTag', { run_id: S, run_uuid: S, key: S, value: S }),
  LogInputs: msgType('mlflow.LogInputs', {
    run_id: S,
    datasets: {
      type: msgType('mlflow.DatasetInput', {
        tags: { type: KeyValue('mlflow.InputTag'), repeated: true },
        dataset: { type: msgType('mlflow.Dataset', { name: S, digest: S, source_type: S, source: S, schema: S, profile: S }) },
      }),
      repeated: true,
    },
  }),
  SearchRuns: msgType('mlflow.SearchRuns', {
    experiment_ids: { type: 'string', repeated: true },
    filter: S,
    run_view_type: { type: VIEW_TYPE },
    max_results: I32,
    order_by: { type: 'string', repeated: true },
    page_token: S,
  }),
  GetMetricHistory: msgType('mlflow.GetMetricHistory', { run_id: S, run_uuid: S, metric_key: S, page_token: S, max_results: I32 }),
  ListArtifacts: msgType('mlflow.ListArtifacts', { run_id: S, run_uuid: S, path: S, page_token: S }),
  ListArtifactsProxy: msgType('mlflow.artifacts.ListArtifacts', { path: S }),
};

class ProtoParseError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

const INT_RANGE = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
} as const;

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface ParseNotes {
  unknown: string[];
  nulls: string[];
  coerced: string[];
}

function convertScalar(v: PyValue, type: ScalarType | EnumType, path: string, notes: ParseNotes): unknown {
  if (typeof type === 'object') {
    // enum: by name, else int(value) by number; proto2 enums are closed
    if (typeof v === 'string' && v in type.values) return type.values[v];
    let num: bigint | undefined;
    if (typeof v === 'bigint') num = v;
    else if (typeof v === 'boolean') num = v ? 1n : 0n;
    else if (typeof v === 'number' && Number.isFinite(v)) num = BigInt(Math.trunc(v));
    else if (typeof v === 'string') num = pyIntOfString(v);
    const hit = num === undefined ? undefined : Object.values(type.values).find((x) => BigInt(x) === num);
    if (hit === undefined) throw new ProtoParseError(`Invalid enum value ${pyRepr(v)} for enum type ${type.name}`, path);
    return hit;
  }
  switch (type) {
    case 'string':
      if (typeof v !== 'string') throw new ProtoParseError(`expected string or bytes-like object, got '${pyTypeName(v)}'`, path);
      if (UNPAIRED_SURROGATE.test(v)) throw new ProtoParseError('Unpaired surrogate', path);
      return v;
    case 'int64':
    case 'int32': {
      let out: bigint;
      if (typeof v === 'boolean') throw new ProtoParseError(`Bool value ${pyRepr(v)} is not acceptable for integer field`, path);
      if (typeof v === 'bigint') out = v;
      else if (typeof v === 'number') {
        if (!Number.isInteger(v)) throw new ProtoParseError(`Couldn't parse integer: ${pyRepr(v)}`, path);
        out = BigInt(v);
      } else if (typeof v === 'string') {
        if (v.includes(' ')) throw new ProtoParseError(`Couldn't parse integer: "${v}"`, path);
        const p = pyIntOfString(v);
        if (p === undefined) throw new ProtoParseError(`invalid literal for int() with base 10: '${v}'`, path);
        out = p;
      } else throw new ProtoParseError(`int() argument must be a string or a number, not '${pyTypeName(v)}'`, path);
      const [lo, hi] = INT_RANGE[type];
      if (out < lo || out > hi) throw new ProtoParseError(`Value out of range: ${out}`, path);
      return out;
    }
    case 'double': {
      if (typeof v === 'number') {
        if (Number.isNaN(v)) throw new ProtoParseError(`Couldn't parse NaN, use quoted "NaN" instead`, path);
        if (!Number.isFinite(v)) throw new ProtoParseError(`Couldn't parse Infinity or value too large, use quoted "Infinity" instead`, path);
        return v;
      }
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'boolean') {
        notes.coerced.push(`${path}: boolean ${pyRepr(v)} accepted as ${v ? '1.0' : '0.0'} (float(bool))`);
        return v ? 1 : 0;
      }
      if (typeof v === 'string') {
        if (v === 'nan') throw new ProtoParseError(`Couldn't parse float "nan", use "NaN" instead`, path);
        const f = pyFloatOfString(v);
        if (f === undefined) throw new ProtoParseError(`Couldn't parse float: ${v}`, path);
        if (!['NaN', 'Infinity', '-Infinity'].includes(v) && Number.isFinite(f) === false) {
          notes.coerced.push(`${path}: string "${v}" accepted as ${pyRepr(f)}; MLflow clients send "NaN", "Infinity", "-Infinity"`);
        }
        return f;
      }
      throw new ProtoParseError(`float() argument must be a string or a number, not '${pyTypeName(v)}'`, path);
    }
    case 'bool':
      if (typeof v === 'boolean') return v;
      throw new ProtoParseError(`Expected true or false without quotes`, path);
  }
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** json_format.ParseDict(js, message, ignore_unknown_fields=True): fills `out` in JSON key order, throws at the first error. */
function parseInto(js: PyValue, type: MessageType, out: ProtoMsg, path: string, notes: ParseNotes): void {
  if (typeof js === 'string') {
    // iterating a str yields one-character "field names", all unknown and ignored
    notes.unknown.push(`${path || type.name} (a string where a ${type.name} object was expected)`);
    return;
  }
  if (!isObj(js)) throw new ProtoParseError(`'${pyTypeName(js)}' where a ${type.name} object was expected`, path || type.name);
  const seen = new Set<string>();
  for (const key of Object.keys(js)) {
    const fname = key in type.fields ? key : Object.keys(type.fields).find((f) => camel(f) === key);
    const p = path ? `${path}.${key}` : key;
    if (fname === undefined) {
      notes.unknown.push(p);
      continue;
    }
    if (seen.has(fname)) throw new ProtoParseError(`Message type "${type.name}" should not have multiple "${fname}" fields.`, p);
    seen.add(fname);
    const def = type.fields[fname]!;
    const v = js[key]!;
    if (v === null) {
      delete out[fname];
      notes.nulls.push(p);
      continue;
    }
    if (def.repeated) {
      if (!Array.isArray(v)) throw new ProtoParseError(`repeated field ${fname} must be in [] which is ${pyRepr(v)}`, p);
      const arr: unknown[] = [];
      out[fname] = arr;
      v.forEach((item, idx) => {
        const ip = `${p}[${idx}]`;
        if (item === null) throw new ProtoParseError('null is not allowed to be used as an element in a repeated field', ip);
        if (typeof def.type === 'object' && def.type.kind === 'message') {
          const sub: ProtoMsg = Object.create(null);
          arr.push(sub);
          parseInto(item, def.type, sub, ip, notes);
        } else arr.push(convertScalar(item, def.type, ip, notes));
      });
    } else if (typeof def.type === 'object' && def.type.kind === 'message') {
      const sub: ProtoMsg = Object.create(null);
      out[fname] = sub;
      parseInto(v, def.type, sub, p, notes);
    } else out[fname] = convertScalar(v, def.type, p, notes);
  }
}

// ───────────────────────────── handler schemas (_validate_param_against_schema) ─────────────────────────────

class AssertFail extends Error {}

interface Check {
  /** Type validators are skipped when protobuf parsing succeeded. */
  type?: boolean;
  run(v: PyValue | undefined): void;
}

const REQUIRED: Check = {
  run: (v) => {
    if (v === undefined || v === null || v === '') throw new AssertFail();
  },
};
const STRING: Check = {
  type: true,
  run: (v) => {
    if (typeof v !== 'string') throw new AssertFail();
  },
};
const ARRAY: Check = {
  type: true,
  run: (v) => {
    if (!Array.isArray(v)) throw new AssertFail();
  },
};
/** _assert_intlike: int(x) then isinstance(x, int); int(None) / int([]) raise TypeError (uncaught → 500). */
const INTLIKE: Check = {
  type: true,
  run: (v) => {
    if (typeof v === 'bigint' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (Number.isNaN(v)) throw new AssertFail();
      if (!Number.isFinite(v)) throw new Crash('OverflowError: cannot convert float infinity to integer');
      return;
    }
    if (typeof v === 'string') {
      if (pyIntOfString(v) === undefined) throw new AssertFail();
      return;
    }
    throw new Crash(`TypeError: int() argument must be a string or a number, not '${pyTypeName(v)}'`);
  },
};
/** _assert_floatlike: float(x) then isinstance(x, float). */
const FLOATLIKE: Check = {
  type: true,
  run: (v) => {
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return;
    if (typeof v === 'string') {
      if (pyFloatOfString(v) === undefined) throw new AssertFail();
      return;
    }
    throw new Crash(`TypeError: float() argument must be a string or a real number, not '${pyTypeName(v)}'`);
  },
};
const ITEMS_STRING: Check = {
  type: true,
  run: (v) => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new AssertFail();
  },
};
function maxInt(limit: number): Check {
  return {
    run: (v) => {
      let n: bigint | undefined;
      if (typeof v === 'bigint') n = v;
      else if (typeof v === 'number' && Number.isFinite(v)) n = BigInt(Math.trunc(v));
      else if (typeof v === 'string') n = pyIntOfString(v);
      if (n === undefined) throw new Crash('ValueError in int(max_results)');
      if (n > BigInt(limit)) throw new AssertFail();
    },
  };
}
/** _log_batch's _assert_{metrics,params,tags}_fields_present */
function fieldsPresent(name: string, keys: string[]): Check {
  return {
    run: (v) => {
      if (!Array.isArray(v)) throw new Crash(`TypeError: '${pyTypeName(v)}' object is not iterable`);
      v.forEach((item, idx) => {
        if (!isObj(item)) throw new Crash(`AttributeError: '${pyTypeName(item)}' object has no attribute 'get'`);
        for (const k of keys) {
          const x = item[k];
          if (x === undefined || x === null || x === '') throw new AssertFail(`Missing value for required parameter '${name}[${idx}].${k}'.`);
        }
      });
    },
  };
}

type Schema = [string, Check[]][];

function validateSchema(json: PyObject, schema: Schema, parsedOk: boolean): void {
  for (const [key, checks] of schema) {
    if (!(key in json) && !checks.includes(REQUIRED)) continue;
    let value = json[key];
    if (key === 'run_id' && (value === undefined || value === null) && 'run_uuid' in json) value = json.run_uuid;
    for (const check of checks) {
      if (check.type && parsedOk) continue;
      try {
        check.run(value);
      } catch (e) {
        if (!(e instanceof AssertFail)) throw e;
        const message = e.message
          ? e.message
          : check === REQUIRED
            ? `Missing value for required parameter '${key}'.`
            : `Invalid value ${pyRepr(value)} for parameter '${key}' supplied. Hint: Value was of type '${pyTypeName(value)}'.`;
        throw new MlflowError('INVALID_PARAMETER_VALUE', `${message} See the API docs for more information about request parameters.`);
      }
    }
  }
}

// ───────────────────────────── mlflow/utils/validation.py ─────────────────────────────

const MAX_PARAMS_TAGS_PER_BATCH = 100;
const MAX_METRICS_PER_BATCH = 1000;
const MAX_ENTITIES_PER_BATCH = 1000;
const MAX_BATCH_LOG_REQUEST_SIZE = 1_000_000;
const MAX_PARAM_VAL_LENGTH = 6000;
const MAX_TAG_VAL_LENGTH = 8000;
const MAX_EXPERIMENT_NAME_LENGTH = 500;
const MAX_EXPERIMENT_TAG_KEY_LENGTH = 250;
const MAX_EXPERIMENT_TAG_VAL_LENGTH = 5000;
const MAX_ENTITY_KEY_LENGTH = 250;
const MAX_DATASET_NAME_SIZE = 500;
const MAX_DATASET_DIGEST_SIZE = 36;
const MAX_DATASET_SCHEMA_SIZE = 1048575;
const MAX_DATASET_SOURCE_SIZE = 65535;
const MAX_DATASET_PROFILE_SIZE = 16777215;
const MAX_INPUT_TAG_KEY_SIZE = 255;
const MAX_INPUT_TAG_VALUE_SIZE = 500;
const SEARCH_MAX_RESULTS_THRESHOLD = 50000;

/**
 * re.match(r"^[/\w.\- :]*$", name) on a non-Windows server. Python's \w on str is Unicode-aware
 * (letters and numbers of any script, and _); its `$` also matches before one trailing newline.
 */
const NAME_RE = /^[/\p{L}\p{N}_.\- :]*\n?$/u;
/** _RUN_ID_REGEX / _EXPERIMENT_ID_REGEX */
const RUN_ID_RE = /^[a-zA-Z0-9][\p{L}\p{N}_-]{0,255}\n?$/u;
const EXPERIMENT_ID_RE = /^[a-zA-Z0-9][\p{L}\p{N}_-]{0,63}\n?$/u;

const BAD_CHARACTERS = 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';

function invalidValue(path: string, value: unknown, message?: string): string {
  const formatted = toJson(value);
  return message ? `Invalid value ${formatted} for parameter '${path}' supplied: ${message}` : `Invalid value ${formatted} for parameter '${path}' supplied.`;
}

function pathNotUnique(name: string): boolean {
  const norm = posixNormpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

function validateName(name: string, path: string): void {
  if (!NAME_RE.test(name)) throw new MlflowError('INVALID_PARAMETER_VALUE', invalidValue(path, name, BAD_CHARACTERS));
  if (pathNotUnique(name)) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      invalidValue(
        path,
        name,
        `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${posixNormpath(name)}'`,
      ),
    );
  }
}

function exceedsMaximumLength(path: string, limit: number): string {
  return `'${path}' exceeds the maximum length of ${limit} characters`;
}

function validateRunId(runId: string): void {
  if (!RUN_ID_RE.test(runId)) throw new MlflowError('INVALID_PARAMETER_VALUE', invalidValue('run_id', runId));
}

function validateBatchLimit(entity: string, limit: number, length: number): void {
  if (length > limit) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `A batch logging request can contain at most ${limit} ${entity}. Got ${length} ${entity}. Please split up ${entity} across multiple requests and try again.`,
    );
  }
}

interface MetricIn {
  key: string;
  value: number;
  timestamp: bigint;
  step: bigint;
}
interface KV {
  key: string;
  value: string;
}

function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** (step, timestamp, value) strictly greater; NaN compares as 0, as the SQL store stores it (value 0, is_nan). */
function moreRecent(a: MetricPoint, b: MetricPoint): boolean {
  const as = big(a.step),
    bs = big(b.step);
  if (as !== bs) return as > bs;
  const at = big(a.timestamp),
    bt = big(b.timestamp);
  if (at !== bt) return at > bt;
  const av = Number.isNaN(a.value) ? 0 : a.value;
  const bv = Number.isNaN(b.value) ? 0 : b.value;
  return av > bv;
}

const ADJECTIVES = ['brave', 'calm', 'clever', 'eager', 'gentle', 'honest', 'jolly', 'lucky', 'polite', 'silent', 'sly', 'wise'];
const NOUNS = ['ant', 'bass', 'cat', 'doe', 'eel', 'finch', 'gnu', 'hare', 'ibis', 'jay', 'koi', 'lark'];

function randomRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}

/** The path inside the artifact proxy that a `mlflow-artifacts:` URI designates, or undefined for other schemes. */
function proxiedRoot(uri: string): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/.exec(uri);
  if (!m) return undefined;
  return (m[1] ?? '').replace(/^\/+/, '').replace(/\/+$/, '');
}

/** urllib.parse.unquote (invalid escapes left as they are; bad UTF-8 replaced). */
function pyUnquote(s: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return new TextDecoder('utf-8').decode(bytes);
  });
}

/** mlflow.utils.uri.validate_path_is_safe (POSIX server). */
function validatePathIsSafe(path: string): string {
  let p = path;
  for (;;) {
    const next = pyUnquote(p);
    if (next === p) break;
    p = next;
  }
  const bad = () => new MlflowError('INVALID_PARAMETER_VALUE', 'Invalid path');
  if (p.includes('#')) throw bad();
  if (
    p.split('/').includes('..') ||
    p.startsWith('/') ||
    /^[a-zA-Z]:[\\/]/.test(p) || // PureWindowsPath(p).is_absolute()
    /^[\\/]{2}[^\\/]+[\\/][^\\/]+/.test(p)
  ) {
    throw bad();
  }
  return p;
}

function guessMime(path: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  const table: Record<string, string> = {
    txt: 'text/plain',
    json: 'application/json',
    csv: 'text/csv',
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    svg: 'image/svg+xml',
    html: 'text/html',
    yaml: 'text/plain',
    yml: 'text/plain',
    md: 'text/plain',
    log: 'text/plain',
  };
  return (ext && table[ext]) || 'application/octet-stream';
}

// ───────────────────────────── search filter (subset) ─────────────────────────────

interface Clause {
  entity: 'tag' | 'param' | 'attribute';
  key: string;
  op: '=' | '!=';
  value: string;
}

function splitAnd(filter: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c;
      continue;
    }
    const m = /^\s+and\s+/i.exec(filter.slice(i));
    if (m && /\s/.test(c)) {
      parts.push(filter.slice(start, i));
      i += m[0].length - 1;
      start = i + 1;
    }
  }
  parts.push(filter.slice(start));
  return parts.map((s) => s.trim()).filter((s) => s !== '');
}

/** Returns the clauses, or a string saying what the double does not support. */
function parseFilter(filter: string): Clause[] | string {
  const clauses: Clause[] = [];
  for (const part of splitAnd(filter)) {
    const m = /^(tags|tag|params|param|parameters|parameter|attributes|attribute|attr|run)\.(`[^`]+`|"[^"]+"|[\w.\-:/]+)\s*(=|!=)\s*('[^']*'|"[^"]*")$/i.exec(
      part,
    );
    if (!m) return `clause ${JSON.stringify(part)}`;
    const prefix = m[1]!.toLowerCase();
    let key = m[2]!;
    if (/^[`"]/.test(key)) key = key.slice(1, -1);
    const value = m[4]!.slice(1, -1);
    const entity = prefix.startsWith('tag') ? 'tag' : prefix.startsWith('param') ? 'param' : 'attribute';
    if (entity === 'attribute' && !['run_name', 'status', 'run_id', 'user_id'].includes(key)) return `attribute ${JSON.stringify(key)}`;
    clauses.push({ entity, key, op: m[3] as '=' | '!=', value });
  }
  return clauses;
}

// ───────────────────────────── the double ─────────────────────────────

interface Ctx {
  method: string;
  path: string;
  endpoint: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  rec: RecordedRequest;
  parsed?: { value: PyValue | undefined };
}

type Handler = (ctx: Ctx) => Reply;

interface Fault {
  kind: 'fail' | 'reset';
  status: number;
  remaining: number;
  opts: FailOptions;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const FAULT_ERROR_CODE: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'ENDPOINT_NOT_FOUND',
  409: 'ABORTED',
  429: 'REQUEST_LIMIT_EXCEEDED',
  500: 'INTERNAL_ERROR',
  501: 'NOT_IMPLEMENTED',
  503: 'TEMPORARILY_UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export class MlflowDouble {
  readonly experiments = new Map<string, DoubleExperiment>();
  readonly runs = new Map<string, DoubleRun>();
  /** Artifact proxy storage: path relative to the artifact root (e.g. '1/<run_id>/artifacts/model/x.bin') → bytes. */
  readonly artifacts = new Map<string, Buffer>();
  readonly requests: RecordedRequest[] = [];
  /** Things a real (default-configured) server would have accepted but silently mangled or ignored. */
  readonly violations: string[] = [];
  /** Lossy storage the client cannot avoid (e.g. ±Infinity on a SQL store). Informational. */
  readonly notes: string[] = [];
  /** Every error answer produced by the emulated server (not injected faults, not 401s). */
  readonly errors: RecordedError[] = [];
  /** Requests received per endpoint, plus 'unauthorized', 'injected' and 'resets' (connections reset by a fault or by reset mode). */
  readonly counts: Record<string, number> = {};
  /** TCP connections accepted so far (over all restarts). */
  connections = 0;

  readonly backend: 'sqlalchemy' | 'file';
  private readonly opts: Required<Omit<MlflowDoubleOptions, 'auth'>> & Pick<MlflowDoubleOptions, 'auth'>;
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly socketIds = new WeakMap<Socket, number>();
  private generation = 0;
  private resetIncoming = false;
  private closed = false;
  private seq = 0;
  private nextSqlExperimentId = 1;
  private faults: Fault[] = [];
  private delays: { ms: number; opts: FaultOptions }[] = [];
  /** Requests waiting out a delay right now: delay(0), clearFaults() and close() end their wait. */
  private readonly delayed = new Set<() => void>();
  private holds: { gate: Promise<void>; open: () => void; opts: FaultOptions; held: number }[] = [];
  private _port = 0;
  private readonly routes: Record<string, Partial<Record<string, Handler>>>;

  constructor(opts: MlflowDoubleOptions = {}) {
    this.opts = {
      auth: opts.auth,
      backend: opts.backend ?? 'sqlalchemy',
      longValues: opts.longValues ?? 'reject',
      enforceBatchBytes: opts.enforceBatchBytes ?? true,
      keepAlive: opts.keepAlive ?? true,
      keepAliveTimeoutMs: opts.keepAliveTimeoutMs ?? 5000,
      recordBodies: opts.recordBodies ?? true,
    };
    this.backend = this.opts.backend;
    const now = Date.now();
    this.experiments.set('0', {
      experiment_id: '0',
      name: 'Default',
      artifact_location: 'mlflow-artifacts:/0',
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
      tags: new Map(),
    });
    this.routes = {
      'experiments/create': { POST: (c) => this.createExperiment(c) },
      'experiments/get': { GET: (c) => this.getExperiment(c) },
      'experiments/get-by-name': { GET: (c) => this.getExperimentByName(c) },
      'runs/create': { POST: (c) => this.createRun(c) },
      'runs/update': { POST: (c) => this.updateRun(c) },
      'runs/get': { GET: (c) => this.getRun(c) },
      'runs/delete': { POST: (c) => this.setLifecycle(c, 'deleted') },
      'runs/restore': { POST: (c) => this.setLifecycle(c, 'active') },
      'runs/log-batch': { POST: (c) => this.logBatch(c) },
      'runs/log-metric': { POST: (c) => this.logMetric(c) },
      'runs/log-parameter': { POST: (c) => this.logParam(c) },
      'runs/set-tag': { POST: (c) => this.setTag(c) },
      'runs/log-inputs': { POST: (c) => this.logInputs(c) },
      'runs/search': { POST: (c) => this.searchRuns(c) },
      'metrics/get-history': { GET: (c) => this.getMetricHistory(c) },
      'artifacts/list': { GET: (c) => this.listRunArtifacts(c) },
    };
  }

  get port(): number {
    return this._port;
  }

  /** http://127.0.0.1:<port> — the tracking URI. */
  get url(): string {
    return `http://127.0.0.1:${this._port}`;
  }

  /** Is the listening socket open? */
  get listening(): boolean {
    return this.server !== undefined;
  }

  // ───────── test helpers ─────────

  run(runId: string): DoubleRun {
    const r = this.runs.get(runId);
    if (!r) throw new Error(`the MLflow double has no run ${runId}`);
    return r;
  }

  experimentByName(name: string): DoubleExperiment | undefined {
    for (const e of this.experiments.values()) if (e.name === name) return e;
    return undefined;
  }

  /** What GET metrics/get-history would answer for this run and key. */
  metricHistory(runId: string, key: string): MetricPoint[] {
    const raw = this.runs.get(runId)?.metrics.get(key) ?? [];
    if (this.backend === 'file') return raw.map((p) => ({ ...p }));
    const out: MetricPoint[] = [];
    for (const p of raw)
      if (!out.some((q) => sameValue(q.value, p.value) && big(q.timestamp) === big(p.timestamp) && big(q.step) === big(p.step))) out.push({ ...p });
    const sortKey = (p: MetricPoint) => [big(p.timestamp), big(p.step)] as const;
    return out.sort((a, b) => {
      const [at, as] = sortKey(a),
        [bt, bs] = sortKey(b);
      if (at !== bt) return at < bt ? -1 : 1;
      if (as !== bs) return as < bs ? -1 : 1;
      const av = Number.isNaN(a.value) ? 0 : a.value,
        bv = Number.isNaN(b.value) ? 0 : b.value;
      return av - bv;
    });
  }

  /** Requests whose endpoint is `endpoint`. */
  requestsTo(endpoint: string): RecordedRequest[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  // ───────── fault injection ─────────

  /**
   * Answer the next `count` matching requests with `status` (JSON error body with the matching MLflow error code,
   * unless `body` is given). `count` may be Infinity; `clearFaults()` removes it.
   */
  failWith(status: number, count = 1, opts: FailOptions = {}): void {
    this.faults.push({ kind: 'fail', status, remaining: count, opts });
  }

  /** Close the connection of the next `count` matching requests without answering (the client sees a reset / hang-up). */
  resetNext(count = 1, opts: FaultOptions = {}): void {
    this.faults.push({ kind: 'reset', status: 0, remaining: count, opts });
  }

  /**
   * Answer every matching request `ms` later. Applied before the handler unless `afterApply`.
   * `delay(0)` removes every delay, and the requests waiting out one go on at once: a test can
   * hold an answer back with a long delay and let it go when it has seen what it waited for.
   */
  delay(ms: number, opts: FaultOptions = {}): void {
    if (ms <= 0) {
      this.delays = [];
      this.endDelays();
    } else this.delays.push({ ms, opts });
  }

  /** Requests waiting out a delay (see `delay`). */
  get delayedRequests(): number {
    return this.delayed.size;
  }

  private endDelays(): void {
    for (const go of [...this.delayed]) go();
  }

  /** Wait `ms`, or less if the delays are removed meanwhile. */
  private waitOut(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const go = () => {
        clearTimeout(timer);
        this.delayed.delete(go);
        resolve();
      };
      const timer = setTimeout(go, ms);
      this.delayed.add(go);
    });
  }

  /**
   * Keep every matching request waiting before the handler (a server stuck on a lock) until
   * `release()`: the request has not had its effect while held. `held` counts the requests
   * that reached the hold, so a test can wait for the moment instead of sleeping.
   */
  hold(opts: FaultOptions = {}): { release(): void; readonly held: number } {
    let open!: () => void;
    const h = { gate: new Promise<void>((r) => (open = r)), open: () => open(), opts, held: 0 };
    this.holds.push(h);
    return {
      release: () => {
        this.holds = this.holds.filter((x) => x !== h);
        h.open();
      },
      get held() {
        return h.held;
      },
    };
  }

  clearFaults(): void {
    this.faults = [];
    this.delays = [];
    this.endDelays();
    for (const h of this.holds) h.open();
    this.holds = [];
  }

  /**
   * Simulate a server that is down, at any time while running.
   * 'refuse' (default): close the listening socket and every open connection, so new connections get ECONNREFUSED.
   * 'reset': keep listening but reset every incoming connection at once (ECONNRESET), and existing ones too.
   * `refuseConnections(false)` listens again on the same port / stops resetting.
   */
  async refuseConnections(on: boolean, how: 'refuse' | 'reset' = 'refuse'): Promise<void> {
    if (!on) {
      this.resetIncoming = false;
      if (!this.server && !this.closed) await this.listen(this._port);
      return;
    }
    if (how === 'reset') {
      this.resetIncoming = true;
      this.generation++;
      for (const s of this.sockets) this.resetSocket(s);
      return;
    }
    await this.closeServer();
  }

  /** Stop the server (listening socket and all connections; in-flight requests are lost). Data is kept. */
  async stop(): Promise<void> {
    await this.closeServer();
  }

  /** Listen again, on the same port, with the same data. */
  async restart(): Promise<void> {
    if (this.closed) throw new Error('the MLflow double was closed');
    this.resetIncoming = false;
    if (!this.server) await this.listen(this._port);
  }

  /** Stop for good (use in t.teardown). */
  async close(): Promise<void> {
    this.closed = true;
    this.clearFaults();
    await this.closeServer();
  }

  /** @internal */
  async start(): Promise<void> {
    await this.listen(0);
  }

  // ───────── HTTP plumbing ─────────

  private async listen(port: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const server = http.createServer((req, res) => this.onRequest(req, res));
      server.keepAliveTimeout = this.opts.keepAliveTimeoutMs;
      server.on('connection', (sock: Socket) => {
        this.connections++;
        this.socketIds.set(sock, this.connections);
        if (this.resetIncoming) {
          this.count('resets');
          this.resetSocket(sock);
          return;
        }
        this.sockets.add(sock);
        sock.on('close', () => this.sockets.delete(sock));
      });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        this.server = server;
        const addr = server.address();
        if (addr && typeof addr === 'object') this._port = addr.port;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && port !== 0 && attempt < 40) {
          await sleep(50);
          continue;
        }
        throw err;
      }
    }
  }

  private async closeServer(): Promise<void> {
    this.generation++;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    server.closeAllConnections();
    await closed;
  }

  private resetSocket(sock: Socket): void {
    const s = sock as Socket & { resetAndDestroy?: () => void };
    if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
    else sock.destroy();
  }

  private count(key: string): void {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const gen = this.generation;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      this.process(req, res, Buffer.concat(chunks), gen).catch((err: unknown) => {
        this.violations.push(`DOUBLE BUG: ${(err as Error)?.stack ?? String(err)}`);
        if (!res.headersSent && !res.destroyed) {
          res.statusCode = 500;
          res.end('MLflow double internal error');
        }
      });
    });
  }

  private classify(method: string, pathname: string): { endpoint: string; handler?: Handler; reply?: Reply; json: boolean } {
    if (pathname === '/health') return { endpoint: 'health', reply: { status: 200, contentType: 'text/html; charset=utf-8', body: 'OK' }, json: false };
    if (pathname === '/version') return { endpoint: 'version', reply: { status: 200, contentType: 'text/html; charset=utf-8', body: '2.17.2' }, json: false };
    for (const prefix of ['/api/2.0/mlflow-artifacts/artifacts', '/ajax-api/2.0/mlflow-artifacts/artifacts']) {
      if (pathname === prefix) {
        if (method === 'GET') return { endpoint: 'mlflow-artifacts/list', handler: (c) => this.proxyList(c), json: false };
        return {
          endpoint: 'mlflow-artifacts/list',
          reply: htmlReply(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.', { Allow: 'GET, HEAD, OPTIONS' }),
          json: false,
        };
      }
      if (pathname.startsWith(`${prefix}/`) && pathname.length > prefix.length + 1) {
        let rel = pathname.slice(prefix.length + 1);
        try {
          rel = decodeURIComponent(rel);
        } catch {
          /* werkzeug leaves bad escapes alone */
        }
        if (method === 'PUT') return { endpoint: 'mlflow-artifacts/upload', handler: (c) => this.proxyUpload(c, rel), json: false };
        if (method === 'GET') return { endpoint: 'mlflow-artifacts/download', handler: (c) => this.proxyDownload(c, rel), json: false };
        if (method === 'DELETE') return { endpoint: 'mlflow-artifacts/delete', handler: (c) => this.proxyDelete(c, rel), json: false };
        return {
          endpoint: 'mlflow-artifacts/other',
          reply: htmlReply(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.', { Allow: 'DELETE, GET, HEAD, OPTIONS, PUT' }),
          json: false,
        };
      }
    }
    for (const prefix of ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/']) {
      if (!pathname.startsWith(prefix)) continue;
      const name = pathname.slice(prefix.length);
      const route = this.routes[name];
      if (!route) break;
      const handler = route[method];
      if (!handler) {
        const allow = [...Object.keys(route), 'OPTIONS'].join(', ');
        return {
          endpoint: name,
          reply: htmlReply(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.', { Allow: allow }),
          json: true,
        };
      }
      return { endpoint: name, handler, json: true };
    }
    return {
      endpoint: 'unknown',
      reply: htmlReply(
        404,
        'Not Found',
        'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
      ),
      json: false,
    };
  }

  private takeFault(r: { method: string; path: string; endpoint: string }): Fault | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      if (f.opts.match && !f.opts.match(r)) continue;
      f.remaining--;
      return f;
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return undefined;
  }

  private delayFor(r: { method: string; path: string; endpoint: string }, afterApply: boolean): number {
    let ms = 0;
    for (const d of this.delays) if (Boolean(d.opts.afterApply) === afterApply && (!d.opts.match || d.opts.match(r))) ms = Math.max(ms, d.ms);
    return ms;
  }

  private async process(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, gen: number): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const route = this.classify(method, url.pathname);
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    delete headers.authorization;
    const authz = req.headers.authorization;
    const rec: RecordedRequest = {
      seq: ++this.seq,
      time: Date.now(),
      method,
      path: url.pathname,
      query: url.search,
      endpoint: route.endpoint,
      bodyBytes: body.length,
      body: route.json && this.opts.recordBodies ? body.toString('utf8') : undefined,
      headers,
      auth: { present: authz !== undefined, scheme: authz?.split(' ')[0] },
      connection: this.socketIds.get(req.socket) ?? 0,
      applied: false,
    };
    this.requests.push(rec);
    this.count(route.endpoint);
    if (!this.opts.keepAlive) res.setHeader('Connection', 'close');

    const info = { method, path: url.pathname, endpoint: route.endpoint };
    const fault = this.takeFault(info);
    const before = this.delayFor(info, false);
    if (before > 0) await this.waitOut(before);
    for (const h of this.holds) {
      if (h.opts.match && !h.opts.match(info)) continue;
      h.held++;
      await h.gate;
    }
    if (gen !== this.generation) {
      rec.outcome = 'lost';
      return;
    }
    if (fault && !fault.opts.afterApply) {
      this.injectFault(fault, rec, res);
      return;
    }

    let reply = this.authorize(req, url.pathname);
    if (reply) this.count('unauthorized');
    else {
      const ctx: Ctx = { method, path: url.pathname, endpoint: route.endpoint, query: url.searchParams, headers: req.headers, body, rec };
      reply = route.reply ?? this.invoke(route.handler!, ctx);
      rec.applied = route.handler !== undefined;
    }

    if (fault) {
      this.injectFault(fault, rec, res);
      return;
    }
    const after = this.delayFor(info, true);
    if (after > 0) await this.waitOut(after);
    if (gen !== this.generation) {
      rec.outcome = 'lost';
      return;
    }
    this.send(res, reply, rec);
  }

  private injectFault(fault: Fault, rec: RecordedRequest, res: http.ServerResponse): void {
    this.count('injected');
    if (fault.kind === 'reset') {
      rec.outcome = 'injected-reset';
      this.count('resets');
      if (res.socket) this.resetSocket(res.socket);
      else res.destroy();
      return;
    }
    const code = FAULT_ERROR_CODE[fault.status] ?? (fault.status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
    const reply: Reply = {
      status: fault.status,
      contentType: fault.opts.contentType ?? (fault.opts.body !== undefined ? 'text/html; charset=utf-8' : 'application/json'),
      body: fault.opts.body ?? toJson({ error_code: code, message: `Injected fault: HTTP ${fault.status}` }),
      headers: fault.opts.retryAfter !== undefined ? { 'Retry-After': String(fault.opts.retryAfter) } : undefined,
    };
    this.send(res, reply, rec, 'injected-status');
  }

  private send(res: http.ServerResponse, reply: Reply, rec: RecordedRequest, outcome: RecordedRequest['outcome'] = 'answered'): void {
    rec.status = reply.status;
    rec.outcome = outcome;
    if (res.destroyed || res.writableEnded) return;
    res.statusCode = reply.status;
    res.setHeader('Content-Type', reply.contentType);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    res.end(reply.body);
  }

  private authorize(req: http.IncomingMessage, pathname: string): Reply | undefined {
    const auth = this.opts.auth;
    if (!auth || (!auth.basic && auth.bearer === undefined)) return undefined;
    // mlflow/server/auth: is_unprotected_route
    if (pathname === '/health' || pathname.startsWith('/static') || pathname.startsWith('/favicon.ico')) return undefined;
    const h = req.headers.authorization ?? '';
    const m = /^(\S+)\s+(.*)$/.exec(h);
    if (m && auth.basic && m[1]!.toLowerCase() === 'basic') {
      const decoded = Buffer.from(m[2]!.trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0 && decoded.slice(0, colon) === auth.basic.user && decoded.slice(colon + 1) === auth.basic.password) return undefined;
    }
    if (m && auth.bearer !== undefined && m[1]!.toLowerCase() === 'bearer' && m[2]!.trim() === auth.bearer) return undefined;
    if (auth.basic) {
      return {
        status: 401,
        contentType: 'text/html; charset=utf-8',
        body: 'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
        headers: { 'WWW-Authenticate': 'Basic realm="mlflow"' },
      };
    }
    return {
      status: 401,
      contentType: 'application/json',
      body: toJson({ error_code: 'UNAUTHENTICATED', message: 'Credential was not sent or was of an unsupported type for this API.' }),
      headers: { 'WWW-Authenticate': 'Bearer' },
    };
  }

  private invoke(handler: Handler, ctx: Ctx): Reply {
    try {
      return handler(ctx);
    } catch (e) {
      if (e instanceof MlflowError) {
        this.errors.push({ seq: ctx.rec.seq, endpoint: ctx.endpoint, status: e.status, error_code: e.code, message: e.message });
        return jsonReply({ error_code: e.code, message: e.message }, e.status);
      }
      if (e instanceof Crash) {
        this.errors.push({ seq: ctx.rec.seq, endpoint: ctx.endpoint, status: 500, message: e.message || 'unhandled exception in the server' });
        return { status: 500, contentType: 'text/html; charset=utf-8', body: INTERNAL_SERVER_ERROR_HTML };
      }
      throw e;
    }
  }

  private violation(ctx: Ctx, text: string): void {
    this.violations.push(`${ctx.endpoint} (request #${ctx.rec.seq}): ${text}`);
  }

  // ───────── request reading (handlers.py) ─────────

  /** _get_request_json: Content-Type check on POST/PUT, then get_json(force=True, silent=True). */
  private requestJson(ctx: Ctx): PyValue | undefined {
    if (ctx.method === 'POST' || ctx.method === 'PUT') {
      const ct = ctx.headers['content-type'];
      if (ct === undefined) throw new MlflowError('INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing.');
      if (ct.split(';')[0] !== 'application/json')
        throw new MlflowError('INVALID_PARAMETER_VALUE', "Bad Request. Content-Type must be one of ['application/json'].");
    }
    if (!ctx.parsed) {
      const value = decodeJsonBody(ctx.body);
      ctx.parsed = { value };
      if (value === undefined && ctx.body.some((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)) {
        this.violation(ctx, 'the body is not valid JSON; the real server reads it as None');
      }
    }
    return ctx.parsed.value;
  }

  /** _get_request_message(request_message, schema=...) */
  private requestMessage(ctx: Ctx, type: MessageType, schema: Schema): ProtoMsg {
    let json: PyValue | undefined;
    const queryKeys = [...ctx.query.keys()];
    if (ctx.method === 'GET' && queryKeys.length > 0) {
      const obj: PyObject = Object.create(null);
      for (const [fname, def] of Object.entries(type.fields)) {
        if (!ctx.query.has(fname)) continue;
        obj[fname] = def.repeated ? ctx.query.getAll(fname) : ctx.query.get(fname)!;
      }
      json = obj;
    } else {
      json = this.requestJson(ctx);
      if (typeof json === 'string') {
        // "Older clients may post their JSON double-encoded as strings"
        try {
          json = parsePythonJson(json);
        } catch {
          throw new Crash('JSONDecodeError on a double-encoded body');
        }
      }
      if (json === undefined || json === null) json = Object.create(null) as PyObject;
    }
    if (!isObj(json)) {
      this.violation(ctx, `the body is a JSON ${pyTypeName(json)}, not an object`);
      throw new Crash(`parse_dict of a ${pyTypeName(json)}`);
    }
    // proto_json_utils._stringify_all_experiment_ids
    if ('experiment_id' in json) json.experiment_id = pyStr(json.experiment_id);
    if ('experiment_ids' in json) {
      const ids = json.experiment_ids;
      if (Array.isArray(ids)) json.experiment_ids = ids.map((x) => pyStr(x));
      else if (typeof ids === 'string') {
        this.violation(ctx, `experiment_ids is the string ${JSON.stringify(ids)}; the real server iterates it character by character`);
        json.experiment_ids = Array.from(ids);
      } else throw new Crash(`TypeError: '${pyTypeName(ids)}' object is not iterable`);
    }
    const msg: ProtoMsg = Object.create(null);
    const notes: ParseNotes = { unknown: [], nulls: [], coerced: [] };
    let parsedOk = true;
    try {
      parseInto(json, type, msg, '', notes);
    } catch (e) {
      if (!(e instanceof ProtoParseError)) throw e;
      parsedOk = false;
      this.violation(
        ctx,
        `protobuf JSON parsing failed at ${e.path}: ${e.message}. The real server does not report this: it keeps only what was parsed before this field ` +
          `(unset fields read as 0 / ""), silently dropping the rest of the request`,
      );
    }
    for (const p of notes.unknown) this.violation(ctx, `unknown field ${p} is silently ignored by the real server`);
    for (const p of notes.nulls) this.violation(ctx, `null at ${p} is read as "field not set"`);
    for (const p of notes.coerced) this.violation(ctx, p);
    validateSchema(json, schema, parsedOk);
    return msg;
  }

  // ───────── store helpers ─────────

  private lookupRun(runId: string): DoubleRun {
    if (this.backend === 'file') validateRunId(runId);
    const run = this.runs.get(runId);
    if (!run) {
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', this.backend === 'file' ? `Run '${runId}' not found` : `Run with id=${runId} not found`);
    }
    return run;
  }

  /** check_run_is_active: only the lifecycle stage matters; FINISHED/FAILED/KILLED runs accept writes. */
  private checkActive(run: DoubleRun): void {
    if (run.info.lifecycle_stage !== 'active') {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        this.backend === 'file'
          ? `The run ${run.info.run_id} must be in 'active' lifecycle_stage.`
          : `The run ${run.info.run_id} must be in the 'active' state. Current state is ${run.info.lifecycle_stage}.`,
      );
    }
  }

  private lookupExperiment(id: string): DoubleExperiment {
    if (this.backend === 'file' && !EXPERIMENT_ID_RE.test(id)) throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid experiment ID: '${id}'`);
    const e = this.experiments.get(id);
    if (!e)
      throw new MlflowError(
        'RESOURCE_DOES_NOT_EXIST',
        this.backend === 'file' ? `Could not find experiment with ID ${id}` : `No Experiment with id=${id} exists`,
      );
    return e;
  }

  /** _validate_param / _validate_tag: name, key length, value length (truncate or reject). */
  private validateKV(ctx: Ctx, kv: KV, path: string, what: 'param' | 'tag'): KV {
    validateName(kv.key, `${path}.key`);
    const limit = what === 'param' ? MAX_PARAM_VAL_LENGTH : MAX_TAG_VAL_LENGTH;
    if (pyLen(kv.key) > MAX_ENTITY_KEY_LENGTH) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', exceedsMaximumLength(what === 'param' ? 'Param key' : `${path}.key`, MAX_ENTITY_KEY_LENGTH));
    }
    const len = pyLen(kv.value);
    if (len <= limit) return kv;
    this.violation(
      ctx,
      `${path}.value of ${what} '${kv.key}' has ${len} characters; a default MLflow server silently truncates it to ${limit}` +
        (this.opts.longValues === 'reject' ? ' (the double rejects it)' : ' (the double truncates it too)'),
    );
    if (this.opts.longValues === 'truncate') return { key: kv.key, value: pyTruncate(kv.value, limit) };
    throw new MlflowError('INVALID_PARAMETER_VALUE', exceedsMaximumLength(what === 'param' ? 'Param value' : `${path}.value`, limit));
  }

  private validateMetric(m: MetricIn, path: string): void {
    validateName(m.key, `${path ? `${path}.` : ''}name`);
    if (m.timestamp < 0n) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        invalidValue(
          `${path ? `${path}.` : ''}timestamp`,
          m.timestamp,
          `metric '${m.key}' (value=${pyRepr(m.value)}). Timestamp must be a nonnegative long (64-bit integer) `,
        ),
      );
    }
    if (pyLen(m.key) > MAX_ENTITY_KEY_LENGTH) throw new MlflowError('INVALID_PARAMETER_VALUE', exceedsMaximumLength('Metric name', MAX_ENTITY_KEY_LENGTH));
  }

  private appendMetric(run: DoubleRun, m: MetricIn): void {
    const point: MetricPoint = { value: m.value, timestamp: toPublicInt(m.timestamp), step: toPublicInt(m.step) };
    let history = run.metrics.get(m.key);
    if (!history) run.metrics.set(m.key, (history = []));
    // NaN is one value here (as sameValue says); -0 and 0 are the same point too.
    const sig = `${m.key}\u0000${m.timestamp}\u0000${m.step}\u0000${Number.isNaN(point.value) ? 'NaN' : point.value === 0 ? '0' : String(point.value)}`;
    if (run.pointKeys.has(sig)) run.duplicatePoints++;
    else run.pointKeys.add(sig);
    history.push(point);
    const latest = run.latest.get(m.key);
    if (!latest || moreRecent(point, latest)) run.latest.set(m.key, point);
    if (this.backend === 'sqlalchemy' && !Number.isNaN(m.value) && !Number.isFinite(m.value)) {
      this.notes.push(`run ${run.info.run_id} metric '${m.key}': a SQL store keeps ${m.value} as ${m.value > 0 ? '' : '-'}1.7976931348623157e308`);
    }
  }

  private setRunTag(run: DoubleRun, kv: KV): void {
    run.tags.set(kv.key, kv.value);
    if (kv.key === 'mlflow.runName') run.info.run_name = kv.value;
  }

  /** The value a GET would read back for this double. */
  private readValue(v: number): number {
    if (this.backend === 'sqlalchemy' && !Number.isNaN(v) && !Number.isFinite(v)) return v > 0 ? 1.7976931348623157e308 : -1.7976931348623157e308;
    return v;
  }

  private metricJson(key: string, p: MetricPoint): Record<string, unknown> {
    return { key, value: this.readValue(p.value), timestamp: p.timestamp, step: p.step };
  }

  private runInfoJson(info: DoubleRunInfo): Record<string, unknown> {
    return {
      run_id: info.run_id,
      run_uuid: info.run_uuid,
      run_name: info.run_name,
      experiment_id: info.experiment_id,
      user_id: info.user_id,
      status: info.status,
      start_time: info.start_time,
      end_time: info.end_time,
      artifact_uri: info.artifact_uri,
      lifecycle_stage: info.lifecycle_stage,
    };
  }

  private runJson(run: DoubleRun): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    if (run.latest.size) data.metrics = [...run.latest].map(([k, p]) => this.metricJson(k, p));
    if (run.params.size) data.params = [...run.params].map(([key, value]) => ({ key, value }));
    if (run.tags.size) data.tags = [...run.tags].map(([key, value]) => ({ key, value }));
    const inputs: Record<string, unknown> = {};
    if (run.inputs.length) {
      inputs.dataset_inputs = run.inputs.map((i) => {
        const o: Record<string, unknown> = { dataset: { ...i.dataset } };
        if (i.tags.length) o.tags = i.tags.map((t) => ({ ...t }));
        return o;
      });
    }
    return { info: this.runInfoJson(run.info), data, inputs };
  }

  private experimentJson(e: DoubleExperiment): Record<string, unknown> {
    const o: Record<string, unknown> = {
      experiment_id: e.experiment_id,
      name: e.name,
      artifact_location: e.artifact_location,
      lifecycle_stage: e.lifecycle_stage,
      last_update_time: e.last_update_time,
      creation_time: e.creation_time,
    };
    if (e.tags.size) o.tags = [...e.tags].map(([key, value]) => ({ key, value }));
    return o;
  }

  // ───────── tracking endpoints ─────────

  private createExperiment(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.CreateExperiment, [
      ['name', [REQUIRED, STRING]],
      ['artifact_location', [STRING]],
      ['tags', [ARRAY]],
    ]);
    const name: string = msg.name ?? '';
    const location: string = msg.artifact_location ?? '';
    const tags: KV[] = (msg.tags ?? []).map((t: ProtoMsg) => ({ key: t.key ?? '', value: t.value ?? '' }));
    if (/[#;]/.test(location.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, ''))) {
      // urlparse(...).fragment or .params
      throw new MlflowError('INVALID_PARAMETER_VALUE', "'artifact_location' URL can't include fragments or params.");
    }
    if (name === '') throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid experiment name: '${name}'`);
    if (pyLen(name) > MAX_EXPERIMENT_NAME_LENGTH) throw new MlflowError('INVALID_PARAMETER_VALUE', exceedsMaximumLength('name', MAX_EXPERIMENT_NAME_LENGTH));
    if (location.startsWith('runs:')) throw new MlflowError('INVALID_PARAMETER_VALUE', `Artifact location cannot be a runs:/ URI. Given: '${location}'`);
    for (const t of tags) {
      validateName(t.key, 'key');
      if (pyLen(t.key) > MAX_EXPERIMENT_TAG_KEY_LENGTH)
        throw new MlflowError('INVALID_PARAMETER_VALUE', exceedsMaximumLength('key', MAX_EXPERIMENT_TAG_KEY_LENGTH));
      if (pyLen(t.value) > MAX_EXPERIMENT_TAG_VAL_LENGTH)
        throw new MlflowError('INVALID_PARAMETER_VALUE', exceedsMaximumLength('value', MAX_EXPERIMENT_TAG_VAL_LENGTH));
    }
    const existing = this.experimentByName(name);
    if (existing) {
      throw new MlflowError(
        'RESOURCE_ALREADY_EXISTS',
        this.backend === 'file'
          ? existing.lifecycle_stage === 'deleted'
            ? `Experiment '${name}' already exists in deleted state. You can restore the experiment, or permanently delete the experiment from the .trash folder (under tracking server's root folder) in order to use this experiment name again.`
            : `Experiment '${name}' already exists.`
          : `Experiment(name=${name}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.name`,
      );
    }
    let id: string;
    if (this.backend === 'file') {
      do id = String(randomInt(1, 10)) + Array.from({ length: 17 }, () => randomInt(10)).join('');
      while (this.experiments.has(id));
    } else id = String(this.nextSqlExperimentId++);
    const now = Date.now();
    this.experiments.set(id, {
      experiment_id: id,
      name,
      artifact_location: location || `mlflow-artifacts:/${id}`,
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
      tags: new Map(tags.map((t) => [t.key, t.value])),
    });
    return jsonReply({ experiment_id: id });
  }

  private getExperiment(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.GetExperiment, [['experiment_id', [REQUIRED, STRING]]]);
    return jsonReply({ experiment: this.experimentJson(this.lookupExperiment(msg.experiment_id ?? '')) });
  }

  private getExperimentByName(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.GetExperimentByName, [['experiment_name', [REQUIRED, STRING]]]);
    const name: string = msg.experiment_name ?? '';
    const e = this.experimentByName(name);
    if (!e) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
    return jsonReply({ experiment: this.experimentJson(e) });
  }

  private createRun(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.CreateRun, [
      ['experiment_id', [STRING]],
      ['start_time', [INTLIKE]],
      ['run_name', [STRING]],
    ]);
    let experimentId: string = msg.experiment_id ?? '';
    if (experimentId === '' && this.backend === 'sqlalchemy') experimentId = '0';
    const experiment = this.lookupExperiment(experimentId);
    if (experiment.lifecycle_stage !== 'active') {
      throw new MlflowError(
        this.backend === 'file' ? 'INVALID_STATE' : 'INVALID_PARAMETER_VALUE',
        `Could not create run under non-active experiment with ID ${experimentId}.`,
      );
    }
    const tags: KV[] = (msg.tags ?? []).map((t: ProtoMsg) => ({ key: t.key ?? '', value: t.value ?? '' }));
    tags.forEach((t, idx) => this.validateKV(ctx, t, `tags[${idx}]`, 'tag'));
    const tagName = [...tags].reverse().find((t) => t.key === 'mlflow.runName')?.value;
    const runNameArg: string = msg.run_name ?? '';
    if (runNameArg && tagName && runNameArg !== tagName) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${runNameArg}', mlflow.runName='${tagName}').`,
      );
    }
    const runName = runNameArg || tagName || randomRunName();
    if (!tagName) tags.push({ key: 'mlflow.runName', value: runName });
    const runId = randomUUID().replace(/-/g, '');
    const info: DoubleRunInfo = {
      run_id: runId,
      run_uuid: runId,
      run_name: runName,
      experiment_id: experimentId,
      user_id: msg.user_id ?? '',
      status: 'RUNNING',
      start_time: toPublicInt(msg.start_time ?? 0n),
      artifact_uri: `${experiment.artifact_location.replace(/\/+$/, '')}/${runId}/artifacts`,
      lifecycle_stage: 'active',
    };
    const run = new DoubleRun(info, this.artifacts);
    for (const t of tags) this.setRunTag(run, t);
    this.runs.set(runId, run);
    return jsonReply({ run: this.runJson(run) });
  }

  private updateRun(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.UpdateRun, [
      ['run_id', [REQUIRED, STRING]],
      ['end_time', [INTLIKE]],
      ['status', [STRING]],
      ['run_name', [STRING]],
    ]);
    const run = this.lookupRun(msg.run_id || msg.run_uuid || '');
    this.checkActive(run);
    if ('status' in msg) run.info.status = STATUS_NAME[msg.status as number]!;
    if ('end_time' in msg) run.info.end_time = toPublicInt(msg.end_time as bigint);
    if (msg.run_name) this.setRunTag(run, { key: 'mlflow.runName', value: msg.run_name });
    return jsonReply({ run_info: this.runInfoJson(run.info) });
  }

  private getRun(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.GetRun, [['run_id', [REQUIRED, STRING]]]);
    return jsonReply({ run: this.runJson(this.lookupRun(msg.run_id || msg.run_uuid || '')) });
  }

  private setLifecycle(ctx: Ctx, stage: 'active' | 'deleted'): Reply {
    const msg = this.requestMessage(ctx, T.DeleteRun, [['run_id', [REQUIRED, STRING]]]);
    this.lookupRun(msg.run_id ?? '').info.lifecycle_stage = stage;
    return jsonReply({});
  }

  private logBatch(ctx: Ctx): Reply {
    // _validate_batch_log_api_req(_get_request_json())
    const raw = this.requestJson(ctx);
    if (raw === undefined || raw === null || typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean') {
      this.violation(ctx, 'log-batch body is not a JSON object/array/string; the real server fails with an uncaught TypeError (HTTP 500)');
      throw new Crash("TypeError: object of type 'NoneType' has no len()");
    }
    if (this.opts.enforceBatchBytes && ctx.body.length > MAX_BATCH_LOG_REQUEST_SIZE) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Batched logging API requests must be at most ${MAX_BATCH_LOG_REQUEST_SIZE} bytes, got a request of size ${ctx.body.length}.`,
      );
    }
    const msg = this.requestMessage(ctx, T.LogBatch, [
      ['run_id', [STRING, REQUIRED]],
      ['metrics', [ARRAY, fieldsPresent('metrics', ['key', 'value', 'timestamp'])]],
      ['params', [ARRAY, fieldsPresent('params', ['key'])]],
      ['tags', [ARRAY, fieldsPresent('tags', ['key'])]],
    ]);
    const metrics: MetricIn[] = (msg.metrics ?? []).map((m: ProtoMsg) => ({
      key: m.key ?? '',
      value: m.value ?? 0,
      timestamp: m.timestamp ?? 0n,
      step: m.step ?? 0n,
    }));
    const params: KV[] = (msg.params ?? []).map((p: ProtoMsg) => ({ key: p.key ?? '', value: p.value ?? '' }));
    const tags: KV[] = (msg.tags ?? []).map((t: ProtoMsg) => ({ key: t.key ?? '', value: t.value ?? '' }));
    const runId: string = msg.run_id ?? '';

    // store.log_batch
    validateRunId(runId);
    metrics.forEach((m, idx) => this.validateMetric(m, `metrics[${idx}]`));
    const ps = params.map((p, idx) => this.validateKV(ctx, p, `params[${idx}]`, 'param'));
    const ts = tags.map((t, idx) => this.validateKV(ctx, t, `tags[${idx}]`, 'tag'));
    validateBatchLimit('metrics', MAX_METRICS_PER_BATCH, metrics.length);
    validateBatchLimit('params', MAX_PARAMS_TAGS_PER_BATCH, ps.length);
    validateBatchLimit('tags', MAX_PARAMS_TAGS_PER_BATCH, ts.length);
    validateBatchLimit('metrics, params, and tags', MAX_ENTITIES_PER_BATCH, metrics.length + ps.length + ts.length);
    const seen = new Set<string>();
    const dupes: string[] = [];
    for (const p of ps) {
      if (seen.has(p.key)) dupes.push(p.key);
      seen.add(p.key);
    }
    if (dupes.length) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Duplicate parameter keys have been submitted: [${dupes.map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
      );
    }
    const run = this.lookupRun(runId);
    this.checkActive(run);
    if (this.backend === 'sqlalchemy') {
      const conflicts = ps.filter((p) => run.params.has(p.key) && run.params.get(p.key) !== p.value);
      if (conflicts.length) {
        const listed = conflicts.map((p) => `{'key': '${p.key}', 'old_value': '${run.params.get(p.key)}', 'new_value': '${p.value}'}`).join(', ');
        throw new MlflowError(
          'INVALID_PARAMETER_VALUE',
          `Changing param values is not allowed. Params were already logged='[${listed}]' for run ID='${runId}'.`,
        );
      }
      for (const p of ps) run.params.set(p.key, p.value);
    } else {
      for (const p of ps) {
        const old = run.params.get(p.key);
        if (old !== undefined && old !== p.value) {
          throw new MlflowError(
            'INTERNAL_ERROR',
            `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
          );
        }
        run.params.set(p.key, p.value);
      }
    }
    for (const m of metrics) this.appendMetric(run, m);
    for (const t of ts) this.setRunTag(run, t);
    return jsonReply({});
  }

  private logMetric(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.LogMetric, [
      ['run_id', [REQUIRED, STRING]],
      ['key', [REQUIRED, STRING]],
      ['value', [REQUIRED, FLOATLIKE]],
      ['timestamp', [INTLIKE, REQUIRED]],
      ['step', [INTLIKE]],
    ]);
    const m: MetricIn = { key: msg.key ?? '', value: msg.value ?? 0, timestamp: msg.timestamp ?? 0n, step: msg.step ?? 0n };
    const runId: string = msg.run_id || msg.run_uuid || '';
    if (this.backend === 'file') validateRunId(runId);
    this.validateMetric(m, '');
    const run = this.lookupRun(runId);
    this.checkActive(run);
    this.appendMetric(run, m);
    return jsonReply({});
  }

  private logParam(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.LogParam, [
      ['run_id', [REQUIRED, STRING]],
      ['key', [REQUIRED, STRING]],
      ['value', [STRING]],
    ]);
    const runId: string = msg.run_id || msg.run_uuid || '';
    const p = this.validateKV(ctx, { key: msg.key ?? '', value: msg.value ?? '' }, 'params[0]', 'param');
    const run = this.lookupRun(runId);
    this.checkActive(run);
    const old = run.params.get(p.key);
    if (old !== undefined && old !== p.value) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
      );
    }
    run.params.set(p.key, p.value);
    return jsonReply({});
  }

  private setTag(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.SetTag, [
      ['run_id', [REQUIRED, STRING]],
      ['key', [REQUIRED, STRING]],
      ['value', [STRING]],
    ]);
    const t = this.validateKV(ctx, { key: msg.key ?? '', value: msg.value ?? '' }, 'tags[0]', 'tag');
    const run = this.lookupRun(msg.run_id || msg.run_uuid || '');
    this.checkActive(run);
    this.setRunTag(run, t);
    return jsonReply({});
  }

  private logInputs(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.LogInputs, [
      ['run_id', [REQUIRED, STRING]],
      ['datasets', [ARRAY]],
    ]);
    const inputs: DoubleDatasetInput[] = (msg.datasets ?? []).map((di: ProtoMsg, idx: number) => {
      const d: ProtoMsg = di.dataset ?? {};
      for (const f of ['name', 'digest', 'source_type', 'source']) {
        if (!(f in d)) this.violation(ctx, `datasets[${idx}].dataset.${f} is missing; the real server stores an empty string`);
      }
      const dataset: DoubleDataset = { name: d.name ?? '', digest: d.digest ?? '', source_type: d.source_type ?? '', source: d.source ?? '' };
      if ('schema' in d) dataset.schema = d.schema;
      if ('profile' in d) dataset.profile = d.profile;
      return { dataset, tags: (di.tags ?? []).map((t: ProtoMsg) => ({ key: t.key ?? '', value: t.value ?? '' })) };
    });
    // _validate_dataset_inputs
    for (const { dataset: d, tags } of inputs) {
      const checks: [string, string | undefined, number][] = [
        ['name', d.name, MAX_DATASET_NAME_SIZE],
        ['digest', d.digest, MAX_DATASET_DIGEST_SIZE],
        ['source', d.source, MAX_DATASET_SOURCE_SIZE],
        ['schema', d.schema, MAX_DATASET_SCHEMA_SIZE],
        ['profile', d.profile, MAX_DATASET_PROFILE_SIZE],
      ];
      for (const [field, value, limit] of checks) {
        if (value !== undefined && pyLen(value) > limit) throw new MlflowError('INVALID_PARAMETER_VALUE', exceedsMaximumLength(field, limit));
      }
      for (const t of tags) {
        if (pyLen(t.key) > MAX_INPUT_TAG_KEY_SIZE) throw new MlflowError('INVALID_PARAMETER_VALUE', exceedsMaximumLength('key', MAX_INPUT_TAG_KEY_SIZE));
        if (pyLen(t.value) > MAX_INPUT_TAG_VALUE_SIZE)
          throw new MlflowError('INVALID_PARAMETER_VALUE', exceedsMaximumLength('value', MAX_INPUT_TAG_VALUE_SIZE));
      }
    }
    const runId: string = msg.run_id ?? '';
    validateRunId(runId);
    const run = this.lookupRun(runId);
    this.checkActive(run);
    for (const input of inputs) {
      // one dataset per (experiment, name, digest); one input per (dataset, run): repeats are ignored
      const exists = run.inputs.some((i) => i.dataset.name === input.dataset.name && i.dataset.digest === input.dataset.digest);
      if (!exists) run.inputs.push(input);
    }
    return jsonReply({});
  }

  private searchRuns(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.SearchRuns, [
      ['experiment_ids', [ARRAY]],
      ['filter', [STRING]],
      ['max_results', [INTLIKE, maxInt(SEARCH_MAX_RESULTS_THRESHOLD)]],
      ['order_by', [ARRAY, ITEMS_STRING]],
    ]);
    const ids: string[] = msg.experiment_ids ?? [];
    const view: number = msg.run_view_type ?? 1;
    const maxResults = Number(msg.max_results ?? 1000n);
    const filter: string = msg.filter ?? '';
    const clauses = filter.trim() === '' ? [] : parseFilter(filter);
    if (typeof clauses === 'string') {
      this.violations.push(`runs/search (request #${ctx.rec.seq}): DOUBLE LIMITATION: unsupported filter ${clauses} in ${JSON.stringify(filter)}`);
      throw new MlflowError('INVALID_PARAMETER_VALUE', `The MLflow test double does not support this filter: ${clauses}`);
    }
    const orderBy: string[] = msg.order_by ?? [];
    let direction = -1;
    for (const o of orderBy) {
      const m = /^\s*(?:attributes?\.|attr\.)?start_time(?:\s+(ASC|DESC))?\s*$/i.exec(o);
      if (!m) {
        this.violations.push(`runs/search (request #${ctx.rec.seq}): DOUBLE LIMITATION: unsupported order_by ${JSON.stringify(o)}`);
        throw new MlflowError('INVALID_PARAMETER_VALUE', `The MLflow test double does not support order_by ${JSON.stringify(o)}`);
      }
      direction = m[1]?.toUpperCase() === 'ASC' ? 1 : -1;
    }
    let offset = 0;
    if (msg.page_token) {
      try {
        const parsed = JSON.parse(Buffer.from(msg.page_token, 'base64').toString('utf8')) as { offset?: unknown };
        if (typeof parsed.offset !== 'number' || parsed.offset < 0) throw new Error('bad offset');
        offset = parsed.offset;
      } catch {
        throw new MlflowError('INVALID_PARAMETER_VALUE', 'Invalid page token, could not base64-decode');
      }
    }
    const matches = (run: DoubleRun, c: Clause): boolean => {
      let actual: string | undefined;
      if (c.entity === 'tag') actual = run.tags.get(c.key);
      else if (c.entity === 'param') actual = run.params.get(c.key);
      else actual = c.key === 'run_name' ? run.info.run_name : c.key === 'status' ? run.info.status : c.key === 'run_id' ? run.info.run_id : run.info.user_id;
      if (actual === undefined) return false;
      return c.op === '=' ? actual === c.value : actual !== c.value;
    };
    const selected = [...this.runs.values()]
      .filter((r) => ids.includes(r.info.experiment_id))
      .filter((r) => view === 3 || (view === 1 ? r.info.lifecycle_stage === 'active' : r.info.lifecycle_stage === 'deleted'))
      .filter((r) => clauses.every((c) => matches(r, c)))
      .sort((a, b) => {
        const d = big(a.info.start_time) === big(b.info.start_time) ? 0 : big(a.info.start_time) < big(b.info.start_time) ? -1 : 1;
        return d !== 0 ? d * direction : a.info.run_id < b.info.run_id ? -1 : a.info.run_id > b.info.run_id ? 1 : 0;
      });
    const page = selected.slice(offset, offset + maxResults);
    const out: Record<string, unknown> = {};
    if (page.length) out.runs = page.map((r) => this.runJson(r));
    if (offset + maxResults < selected.length) out.next_page_token = Buffer.from(JSON.stringify({ offset: offset + maxResults })).toString('base64');
    return jsonReply(out);
  }

  private getMetricHistory(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.GetMetricHistory, [
      ['run_id', [STRING, REQUIRED]],
      ['metric_key', [STRING, REQUIRED]],
      ['page_token', [STRING]],
    ]);
    const runId: string = msg.run_id || msg.run_uuid || '';
    const key: string = msg.metric_key ?? '';
    if (this.backend === 'file') {
      validateRunId(runId);
      validateName(key, 'name');
    }
    this.lookupRun(runId);
    const points = this.metricHistory(runId, key);
    return jsonReply(points.length ? { metrics: points.map((p) => this.metricJson(key, p)) } : {});
  }

  private listRunArtifacts(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.ListArtifacts, [
      ['run_id', [STRING, REQUIRED]],
      ['path', [STRING]],
      ['page_token', [STRING]],
    ]);
    const rel = 'path' in msg ? validatePathIsSafe(msg.path) : undefined;
    const run = this.lookupRun(msg.run_id || msg.run_uuid || '');
    const root = proxiedRoot(run.info.artifact_uri);
    const out: Record<string, unknown> = { root_uri: run.info.artifact_uri };
    if (root !== undefined) {
      const base = rel ? (root ? `${root}/${rel}` : rel) : root;
      const files = this.listUnder(base).map((f) => ({ ...f, path: rel ? `${rel}/${f.path}` : f.path }));
      if (files.length) out.files = files;
    }
    return jsonReply(out);
  }

  // ───────── artifact proxy (mlflow-artifacts) ─────────

  private listUnder(dir: string): { path: string; is_dir: boolean; file_size?: number }[] {
    const prefix = dir === '' ? '' : `${dir}/`;
    const entries = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
    for (const [path, bytes] of this.artifacts) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) entries.set(rest, { path: rest, is_dir: false, file_size: bytes.length });
      else entries.set(rest.slice(0, slash), { path: rest.slice(0, slash), is_dir: true });
    }
    return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private proxyUpload(ctx: Ctx, rel: string): Reply {
    const path = validatePathIsSafe(rel);
    this.artifacts.set(path, Buffer.from(ctx.body));
    return jsonReply({});
  }

  private proxyDownload(_ctx: Ctx, rel: string): Reply {
    const path = validatePathIsSafe(rel);
    const bytes = this.artifacts.get(path);
    if (!bytes) {
      // ArtifactRepository.download_artifacts collects the failure and raises MlflowException (INTERNAL_ERROR)
      throw new MlflowError(
        'INTERNAL_ERROR',
        `The following failures occurred while downloading one or more artifacts from mlflow-artifacts:/: {'${path}': 'FileNotFoundError'}`,
      );
    }
    const name = path.split('/').pop() ?? path;
    return {
      status: 200,
      contentType: guessMime(path),
      body: bytes,
      headers: { 'Content-Disposition': `attachment; filename=${name}`, 'X-Content-Type-Options': 'nosniff' },
    };
  }

  private proxyList(ctx: Ctx): Reply {
    const msg = this.requestMessage(ctx, T.ListArtifactsProxy, []);
    const path = 'path' in msg ? validatePathIsSafe(msg.path) : '';
    const files = this.listUnder(path);
    return jsonReply(files.length ? { files } : {});
  }

  private proxyDelete(_ctx: Ctx, rel: string): Reply {
    const path = validatePathIsSafe(rel);
    for (const k of [...this.artifacts.keys()]) if (k === path || k.startsWith(`${path}/`)) this.artifacts.delete(k);
    return jsonReply({});
  }
}

/** Start a double on 127.0.0.1 and an ephemeral port. Close it with `await double.close()`. */
export async function startMlflowDouble(opts: MlflowDoubleOptions = {}): Promise<MlflowDouble> {
  const double = new MlflowDouble(opts);
  await double.start();
  return double;
}
