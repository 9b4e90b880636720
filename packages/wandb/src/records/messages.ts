/**
 * The record-type messages of a W&B transaction log (HistoryRecord, SummaryRecord, RunRecord, …),
 * each encoded into a reused ProtoWriter. The Record around them — `num` and the oneof field —
 * is added by the transaction log when it writes, so that `num` counts stored records only.
 */
import { ProtoWriter, varintLength } from '@ranklog/core/sink';
import {
  ENVIRONMENT,
  EXIT,
  FILES,
  FILES_ITEM,
  HEADER,
  HISTORY,
  HISTORY_STEP,
  ITEM,
  METRIC,
  METRIC_OPTIONS,
  RUN,
  STATS,
  TIMESTAMP,
  UPDATE,
  VERSION_INFO,
} from './fields.js';

const utf8 = new TextEncoder();

/** A key of a history, summary, config or stats item: one name, or a path into nested objects. */
export type ItemKey = string | readonly string[];

export interface Item {
  key: ItemKey;
  /** JSON as wandb writes it (NaN, Infinity and -Infinity allowed as numbers). */
  json: string;
}

/**
 * The key field(s) of an item, encoded once per key: a run uses few keys, millions of times.
 * `key` (1) for a name, one `nested_key` (2) per part for a path.
 */
const keyFields = new Map<string, Uint8Array>();
function keyField(key: ItemKey): Uint8Array {
  const id = typeof key === 'string' ? key : '\0' + key.join('\0');
  let b = keyFields.get(id);
  if (b === undefined) {
    const w = new ProtoWriter(32);
    if (typeof key === 'string') w.string(ITEM.key, key);
    else for (const part of key) w.string(ITEM.nestedKey, part);
    b = w.buf.slice(0, w.pos);
    if (keyFields.size < 100_000) keyFields.set(id, b);
  }
  return b;
}

/** One item message as field `field` of w, written in place (no child writer, no allocation: this is the per-row path). */
export function writeItem(w: ProtoWriter, field: number, key: ItemKey, json: string): void {
  const k = keyField(key);
  const n = json.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (json.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  const value = ascii ? n : Buffer.byteLength(json);
  w.varint(field * 8 + 2).varint(k.length + 2 + varintLength(value) + value);
  w.reserve(k.length);
  w.buf.set(k, w.pos);
  w.pos += k.length;
  w.varint(ITEM.valueJson * 8 + 2).varint(value);
  w.reserve(value);
  if (ascii) {
    const buf = w.buf;
    let p = w.pos;
    for (let i = 0; i < n; i++) buf[p++] = json.charCodeAt(i);
  } else utf8.encodeInto(json, w.buf.subarray(w.pos, w.pos + value));
  w.pos += value;
}

function timestamp(w: ProtoWriter, field: number, timeMs: number): void {
  const seconds = Math.floor(timeMs / 1000);
  const nanos = Math.round((timeMs - seconds * 1000) * 1e6);
  w.message(field, (t) => {
    if (seconds !== 0) t.int64(TIMESTAMP.seconds, seconds);
    if (nanos !== 0) t.int64(TIMESTAMP.nanos, nanos);
  });
}

/** Start a message in a reused writer. */
function begin(w: ProtoWriter): ProtoWriter {
  w.pos = 0;
  return w;
}

export function headerMessage(w: ProtoWriter, producer: string): Uint8Array {
  return begin(w)
    .message(HEADER.versionInfo, (v) => v.string(VERSION_INFO.producer, producer))
    .finish();
}

export interface RunFields {
  runId: string;
  entity: string;
  project: string;
  group: string;
  jobType: string;
  displayName: string;
  notes: string;
  tags: readonly string[];
  host: string;
  startTimeMs: number;
}

/** The RunRecord: who the run is. Its config holds `_wandb` only, as wandb.init leaves it; params follow as ConfigRecords. */
export function runMessage(w: ProtoWriter, run: RunFields): Uint8Array {
  begin(w).string(RUN.runId, run.runId);
  if (run.entity) w.string(RUN.entity, run.entity);
  if (run.project) w.string(RUN.project, run.project);
  w.message(RUN.config, (c) => writeItem(c, UPDATE.update, '_wandb', '{}'));
  if (run.group) w.string(RUN.runGroup, run.group);
  if (run.jobType) w.string(RUN.jobType, run.jobType);
  if (run.displayName) w.string(RUN.displayName, run.displayName);
  if (run.notes) w.string(RUN.notes, run.notes);
  for (const tag of run.tags) w.string(RUN.tags, tag);
  if (run.host) w.string(RUN.host, run.host);
  timestamp(w, RUN.startTime, run.startTimeMs);
  return w.finish();
}

export interface EnvironmentFields {
  os: string;
  program: string;
  executable: string;
  host: string;
  cpuCountLogical: number;
  startedAtMs: number;
}

export function environmentMessage(w: ProtoWriter, env: EnvironmentFields): Uint8Array {
  begin(w).string(ENVIRONMENT.os, env.os);
  timestamp(w, ENVIRONMENT.startedAt, env.startedAtMs);
  if (env.program) w.string(ENVIRONMENT.program, env.program);
  if (env.host) w.string(ENVIRONMENT.host, env.host);
  if (env.executable) w.string(ENVIRONMENT.executable, env.executable);
  if (env.cpuCountLogical > 0) w.varint(ENVIRONMENT.cpuCountLogical * 8).varint(env.cpuCountLogical);
  return w.finish();
}

/** A SummaryRecord or ConfigRecord holding updates. */
export function updateMessage(w: ProtoWriter, items: readonly Item[]): Uint8Array {
  begin(w);
  for (const it of items) writeItem(w, UPDATE.update, it.key, it.json);
  return w.finish();
}

/** The start of a row's SummaryRecord or HistoryRecord: its items, already encoded. */
export function beginRowMessage(w: ProtoWriter, items: ProtoWriter): ProtoWriter {
  begin(w).reserve(items.pos);
  w.buf.set(items.buf.subarray(0, items.pos), 0);
  w.pos = items.pos;
  return w;
}

/** A SummaryRecord of a history row: its items, `_step` and `_timestamp`. */
export function rowSummaryMessage(w: ProtoWriter, items: ProtoWriter, step: string, timestamp: string): Uint8Array {
  beginRowMessage(w, items);
  writeItem(w, UPDATE.update, '_step', step);
  writeItem(w, UPDATE.update, '_timestamp', timestamp);
  return w.finish();
}

/** A HistoryRecord: the row's items, `_timestamp`, `_runtime`, `_step`, and `step { num }` (written even for step 0, as wandb does). */
export function rowHistoryMessage(w: ProtoWriter, items: ProtoWriter, wandbStep: number, step: string, timestamp: string, runtime: string): Uint8Array {
  beginRowMessage(w, items);
  writeItem(w, HISTORY.item, '_timestamp', timestamp);
  writeItem(w, HISTORY.item, '_runtime', runtime);
  writeItem(w, HISTORY.item, '_step', step);
  w.varint(HISTORY.step * 8 + 2);
  if (wandbStep === 0) return w.varint(0).finish();
  return w
    .varint(1 + varintLength(wandbStep))
    .varint(HISTORY_STEP.num * 8)
    .varint(wandbStep)
    .finish();
}

/** A FilesRecord: paths relative to the run's files/ directory, policy NOW (the default, so not written). */
export function filesMessage(w: ProtoWriter, paths: readonly string[]): Uint8Array {
  begin(w);
  for (const p of paths) w.message(FILES.files, (f) => f.string(FILES_ITEM.path, p));
  return w.finish();
}

/** A StatsRecord of system metrics (stats_type SYSTEM is 0, the default). */
export function statsMessage(w: ProtoWriter, timeMs: number, items: readonly Item[]): Uint8Array {
  begin(w);
  timestamp(w, STATS.timestamp, timeMs);
  for (const it of items) writeItem(w, STATS.item, it.key, it.json);
  return w.finish();
}

/** A MetricRecord as define_metric(name, step_metric=…) writes it: defined, and step_sync when it has a step metric. */
export function metricMessage(w: ProtoWriter, name: string, stepMetric: string | undefined): Uint8Array {
  begin(w).string(METRIC.name, name);
  if (stepMetric !== undefined) w.string(METRIC.stepMetric, stepMetric);
  w.message(METRIC.options, (o) => {
    if (stepMetric !== undefined) o.bool(METRIC_OPTIONS.stepSync, true);
    o.bool(METRIC_OPTIONS.defined, true);
  });
  return w.finish();
}

export function exitMessage(w: ProtoWriter, exitCode: number, runtimeSecs: number): Uint8Array {
  begin(w);
  if (exitCode !== 0) w.int64(EXIT.exitCode, exitCode);
  if (runtimeSecs !== 0) w.int64(EXIT.runtime, runtimeSecs);
  return w.finish();
}

export const EMPTY_MESSAGE = new Uint8Array(0);
