/**
 * The online side reads the same record messages the transaction log stores and turns them into
 * what W&B's service takes: history and system-stats lines (JSON objects, one per line, NaN and
 * ±Infinity left as the bare tokens wandb writes), summary and config updates, file paths, the
 * run's fields for UpsertBucket and the exit code. Values stay the JSON text they were written as:
 * nothing is parsed on the per-row path.
 */
import { ENVIRONMENT, EXIT, FILES, FILES_ITEM, ITEM, RUN, STATS, TIMESTAMP } from '../records/fields.js';
import { fields } from '../records/proto-fields.js';

const utf8 = new TextDecoder();

/** An item's key path (one part for a plain key) and its JSON text. */
export interface JsonItem {
  path: string[];
  json: string;
}

/** The items of a HistoryRecord (field 1), a Summary/ConfigRecord's updates (field 1) or a StatsRecord (field 3). */
export function itemsOf(message: Uint8Array, itemField: number): JsonItem[] {
  const out: JsonItem[] = [];
  for (const f of fields(message)) {
    if (f.field !== itemField || f.wire !== 2) continue;
    let key: string | undefined;
    const nested: string[] = [];
    let json = '';
    for (const part of fields(f.bytes)) {
      if (part.field === ITEM.key) key = utf8.decode(part.bytes);
      else if (part.field === ITEM.nestedKey) nested.push(utf8.decode(part.bytes));
      else if (part.field === ITEM.valueJson) json = utf8.decode(part.bytes);
    }
    out.push({ path: key !== undefined ? [key] : nested, json });
  }
  return out;
}

/** A tree of JSON texts under key paths, serialised without parsing the leaves. */
export class JsonTree {
  private readonly root = new Map<string, JsonNode>();

  set(path: readonly string[], json: string): void {
    let node = this.root;
    for (let i = 0; i < path.length - 1; i++) {
      let child = node.get(path[i]!);
      if (!(child instanceof Map)) {
        child = new Map();
        node.set(path[i]!, child);
      }
      node = child;
    }
    node.set(path[path.length - 1]!, json);
  }

  get size(): number {
    return this.root.size;
  }

  /** `{"k": v, …}`; with `wrap`, each top-level value as `{"value": v}` (the config's shape). */
  toJson(wrap = false): string {
    const parts: string[] = [];
    for (const [k, v] of this.root) {
      const value = serialise(v);
      parts.push(`${JSON.stringify(k)}:${wrap ? `{"value":${value}}` : value}`);
    }
    return `{${parts.join(',')}}`;
  }
}
type JsonNode = string | Map<string, JsonNode>;

function serialise(node: JsonNode): string {
  if (typeof node === 'string') return node;
  const parts: string[] = [];
  for (const [k, v] of node) parts.push(`${JSON.stringify(k)}:${serialise(v)}`);
  return `{${parts.join(',')}}`;
}

/** One history line: the row's items as a JSON object (a row's keys are plain names). */
export function historyLine(message: Uint8Array): string {
  const tree = new JsonTree();
  for (const it of itemsOf(message, 1)) tree.set(it.path, it.json);
  return tree.toJson();
}

function timestampMs(b: Uint8Array): number {
  let seconds = 0;
  let nanos = 0;
  for (const f of fields(b)) {
    if (f.field === TIMESTAMP.seconds) seconds = f.value;
    else if (f.field === TIMESTAMP.nanos) nanos = f.value;
  }
  return seconds * 1000 + nanos / 1e6;
}

/** One wandb-events.jsonl line, as wandb's core writes a StatsRecord: `system.<key>`, `_wandb`, `_timestamp`, `_runtime`. */
export function statsLine(message: Uint8Array, startTimeMs: number): string {
  let timeMs = 0;
  for (const f of fields(message)) if (f.field === STATS.timestamp) timeMs = timestampMs(f.bytes);
  const parts = itemsOf(message, STATS.item).map((it) => `${JSON.stringify(`system.${it.path.join('.')}`)}:${it.json}`);
  parts.push('"_wandb":true', `"_timestamp":${timeMs / 1000}`, `"_runtime":${Math.max(0, (timeMs - startTimeMs) / 1000)}`);
  return `{${parts.join(',')}}`;
}

export function filePaths(message: Uint8Array): string[] {
  const out: string[] = [];
  for (const f of fields(message)) {
    if (f.field !== FILES.files) continue;
    for (const part of fields(f.bytes)) if (part.field === FILES_ITEM.path) out.push(utf8.decode(part.bytes));
  }
  return out;
}

/** The RunRecord's fields UpsertBucket takes. */
export interface RunInfo {
  runId: string;
  entity: string;
  project: string;
  group: string;
  jobType: string;
  displayName: string;
  notes: string;
  tags: string[];
  host: string;
  startTimeMs: number;
  config: JsonItem[];
}

export function runInfo(message: Uint8Array): RunInfo {
  const r: RunInfo = { runId: '', entity: '', project: '', group: '', jobType: '', displayName: '', notes: '', tags: [], host: '', startTimeMs: 0, config: [] };
  for (const f of fields(message)) {
    if (f.wire !== 2) continue;
    const s = () => utf8.decode(f.bytes);
    if (f.field === RUN.runId) r.runId = s();
    else if (f.field === RUN.entity) r.entity = s();
    else if (f.field === RUN.project) r.project = s();
    else if (f.field === RUN.runGroup) r.group = s();
    else if (f.field === RUN.jobType) r.jobType = s();
    else if (f.field === RUN.displayName) r.displayName = s();
    else if (f.field === RUN.notes) r.notes = s();
    else if (f.field === RUN.tags) r.tags.push(s());
    else if (f.field === RUN.host) r.host = s();
    else if (f.field === RUN.startTime) r.startTimeMs = timestampMs(f.bytes);
    else if (f.field === RUN.config) r.config = itemsOf(f.bytes, 1);
  }
  return r;
}

export function programOf(environment: Uint8Array): string {
  for (const f of fields(environment)) if (f.field === ENVIRONMENT.program && f.wire === 2) return utf8.decode(f.bytes);
  return '';
}

/** An int64 varint as the walker reads it (a negative one is 2^64 + v). */
const signed = (v: number) => (v >= 2 ** 63 ? v - 2 ** 64 : v);

export function exitCodeOf(message: Uint8Array): number {
  for (const f of fields(message)) if (f.field === EXIT.exitCode && f.wire === 0) return signed(f.value);
  return 0;
}
