/**
 * Input checks of MLflow's tracking stores (mlflow/utils/validation.py), with
 * errors that name the offending key, and Python's `repr(float)`, which is how
 * the file store writes metric values (`f"{metric.timestamp} {metric.value} {metric.step}\n"`).
 */

/** MLflow's error codes (databricks_pb2) carried by FileStoreError. */
export type MlflowErrorCode = 'INVALID_PARAMETER_VALUE' | 'RESOURCE_DOES_NOT_EXIST' | 'RESOURCE_ALREADY_EXISTS' | 'INVALID_STATE';

export class FileStoreError extends Error {
  readonly errorCode: MlflowErrorCode;
  constructor(message: string, errorCode: MlflowErrorCode = 'INVALID_PARAMETER_VALUE') {
    super(message);
    this.name = 'FileStoreError';
    this.errorCode = errorCode;
  }
}

/**
 * The disk refused a write (full, over quota, read-only, failing): not the data's fault. `written`
 * says how many items (metrics, params, tags) of the call had already reached the store.
 */
export class FileStoreWriteError extends FileStoreError {
  written = 0;
  constructor(
    message: string,
    /** The file or directory the disk refused. */
    readonly path: string,
    cause: unknown,
  ) {
    super(message, 'INVALID_STATE');
    this.name = 'FileStoreWriteError';
    (this as { cause?: unknown }).cause = cause;
  }
}

/** MAX_ENTITY_KEY_LENGTH */
export const MAX_KEY_LENGTH = 250;
/** MAX_PARAM_VAL_LENGTH */
export const MAX_PARAM_VALUE_LENGTH = 6000;
/** MAX_TAG_VAL_LENGTH */
export const MAX_TAG_VALUE_LENGTH = 8000;
/** MAX_EXPERIMENT_NAME_LENGTH */
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_DATASET_NAME_SIZE = 500;
export const MAX_DATASET_DIGEST_SIZE = 36;
export const MAX_DATASET_SCHEMA_SIZE = 1048575;
export const MAX_DATASET_SOURCE_SIZE = 65535;
export const MAX_INPUT_TAG_KEY_SIZE = 255;
export const MAX_INPUT_TAG_VALUE_SIZE = 500;

// Python's `\w` on str: Unicode letters and digits, and '_'. MLflow allows ':' except on Windows.
export const NAME_RE = process.platform === 'win32' ? /^[/\p{L}\p{N}_.\- ]*$/u : /^[/\p{L}\p{N}_.\- :]*$/u;
const BAD_CHARACTERS =
  process.platform === 'win32'
    ? 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ) and slashes (/).'
    : 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';
const RUN_ID_RE = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID_RE = /^[a-zA-Z0-9][\w-]{0,63}$/;

/** Python's len(): code points. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Python's s[:n] on code points. */
export function pySlice(s: string, n: number): string {
  return Array.from(s).slice(0, n).join('');
}

/** posixpath.normpath */
export function pyNormpath(p: string): string {
  if (p === '') return '.';
  let initial = p.startsWith('/') ? 1 : 0;
  if (initial && p.startsWith('//') && !p.startsWith('///')) initial = 2;
  const comps: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c !== '..' || (!initial && comps.length === 0) || (comps.length > 0 && comps[comps.length - 1] === '..')) comps.push(c);
    else if (comps.length > 0) comps.pop();
  }
  const out = '/'.repeat(initial) + comps.join('/');
  return out === '' ? '.' : out;
}

/** validation.path_not_unique: the name, used as a relative path, names something else. */
export function pathNotUnique(name: string): boolean {
  const norm = pyNormpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

function quote(s: string): string {
  return JSON.stringify(s);
}

export type KeyKind = 'metric' | 'param' | 'tag';

/** _validate_metric_name / _validate_param_name / _validate_tag_name plus the 250-character limit. */
export function validateKey(kind: KeyKind, key: unknown): string {
  if (typeof key !== 'string') throw new FileStoreError(`Invalid ${kind} name: ${String(key)} is not a string.`);
  if (!NAME_RE.test(key)) throw new FileStoreError(`Invalid ${kind} name ${quote(key)}: ${BAD_CHARACTERS}`);
  if (pathNotUnique(key)) {
    throw new FileStoreError(
      `Invalid ${kind} name ${quote(key)}: names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${quote(pyNormpath(key))}.`,
    );
  }
  const n = pyLen(key);
  if (n > MAX_KEY_LENGTH)
    throw new FileStoreError(`Invalid ${kind} name ${quote(pySlice(key, 50))}…: ${n} characters exceeds the maximum length of ${MAX_KEY_LENGTH}.`);
  return key;
}

/** validation._validate_run_id */
export function validateRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !RUN_ID_RE.test(runId)) throw new FileStoreError(`Invalid run ID: ${quote(String(runId))}`);
  return runId;
}

/** validation._validate_experiment_id */
export function validateExperimentId(id: unknown): string {
  if (typeof id !== 'string' || !EXPERIMENT_ID_RE.test(id)) throw new FileStoreError(`Invalid experiment ID: ${quote(String(id))}`);
  return id;
}

/** validation._validate_experiment_name */
export function validateExperimentName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new FileStoreError(`Invalid experiment name: ${quote(String(name))}`);
  if (pyLen(name) > MAX_EXPERIMENT_NAME_LENGTH) {
    throw new FileStoreError(`Experiment name exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters`);
  }
  return name;
}

/** MLFLOW_TRUNCATE_LONG_VALUES (default true): long param and tag values are cut, else an error. */
function truncateLongValues(): boolean {
  const v = process.env.MLFLOW_TRUNCATE_LONG_VALUES;
  if (v === undefined || v === '') return true;
  const l = v.toLowerCase();
  if (l === 'true' || l === '1') return true;
  if (l === 'false' || l === '0') return false;
  throw new FileStoreError(`MLFLOW_TRUNCATE_LONG_VALUES should be true/false/1/0, got ${quote(v)}`);
}

/** _validate_length_limit(…, truncate=True) for a param or tag value. */
export function limitValue(kind: 'param' | 'tag', key: string, value: unknown): string {
  if (typeof value !== 'string') throw new FileStoreError(`Invalid value for ${kind} ${quote(key)}: expected a string, got ${typeof value}.`);
  const limit = kind === 'param' ? MAX_PARAM_VALUE_LENGTH : MAX_TAG_VALUE_LENGTH;
  const n = pyLen(value);
  if (n <= limit) return value;
  if (truncateLongValues()) return pySlice(value, limit);
  throw new FileStoreError(`Value of ${kind} ${quote(key)} has ${n} characters, which exceeds the maximum length of ${limit}.`);
}

/** A length limit that MLflow enforces without truncation. */
export function checkLength(what: string, value: string, limit: number): void {
  const n = pyLen(value);
  if (n > limit) throw new FileStoreError(`${what} has ${n} characters, which exceeds the maximum length of ${limit}.`);
}

/** An integer as Python prints it (no exponent, whatever its size). */
export function pyInt(n: number): string {
  return BigInt(n).toString();
}

/**
 * Python's repr() of a float: the shortest round-trip digits, fixed notation
 * for decimal exponents -4..15 (always with a fractional part, `3.0`),
 * scientific otherwise with at least two exponent digits (`1e-05`, `1e+16`);
 * `nan`, `inf`, `-inf`.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() with no argument gives the shortest digits that round-trip.
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential())!;
  const digits = m[1]! + (m[2] ?? '');
  const exp = Number(m[3]);
  if (exp < -4 || exp >= 16) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
