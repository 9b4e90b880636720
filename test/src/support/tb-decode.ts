/**
 * An independent reader of TensorBoard event files, for tests. Written from the public
 * specifications only — TFRecord framing and the .proto files of TensorFlow/TensorBoard
 * (event.proto, summary.proto, tensor.proto, tensor_shape.proto, types.proto, the hparams
 * plugin's plugin_data.proto and api.proto, google/protobuf/struct.proto) — and sharing no
 * code with packages/tensorboard, so that it is an oracle that cannot repeat the writer's
 * mistakes.
 *
 * TFRecord framing, per record:
 *   uint64 LE  length
 *   uint32 LE  masked CRC-32C of the 8 length bytes
 *   bytes      payload (one serialised Event)
 *   uint32 LE  masked CRC-32C of the payload
 * Both CRCs are checked (bit-by-bit CRC in crc32c-ref.ts). Like TensorBoard's loader, reading
 * stops at the first bad CRC (an error) or at an incomplete final record (`truncatedTail`).
 *
 * The typed decoders are strict: a singular field that appears twice, a wrong wire type,
 * two members of one oneof, or invalid UTF-8 is an error; a field number the schema does
 * not know is listed in `unknownFields`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { maskedCrc32c } from './crc32c-ref.js';
import { decodeMessage, ProtoError, type ProtoMessage } from './proto-decode.js';

// ------------------------------------------------------------------ schema facts (from the .proto files)

/** tensorflow.DataType (types.proto), the values tests need. */
export const DT = {
  INVALID: 0,
  FLOAT: 1,
  DOUBLE: 2,
  INT32: 3,
  UINT8: 4,
  STRING: 7,
  INT64: 9,
  BOOL: 10,
} as const;

/** tensorboard SummaryMetadata DataClass (summary.proto). */
export const DATA_CLASS = { UNKNOWN: 0, SCALAR: 1, TENSOR: 2, BLOB_SEQUENCE: 3 } as const;

/** tensorboard.hparams.DataType (api.proto) — not the tensor DataType. */
export const HPARAM_TYPE = { UNSET: 0, STRING: 1, BOOL: 2, FLOAT64: 3 } as const;

/** tensorboard.hparams.Status (api.proto). */
export const HPARAM_STATUS = { UNKNOWN: 0, SUCCESS: 1, FAILURE: 2, RUNNING: 3 } as const;

/** Names of Event's `what` oneof members by field number (event.proto). */
const EVENT_WHAT: Record<number, EventWhat> = {
  3: 'file_version',
  4: 'graph_def',
  5: 'summary',
  6: 'log_message',
  7: 'session_log',
  8: 'tagged_run_metadata',
  9: 'meta_graph_def',
};
export type EventWhat = 'file_version' | 'graph_def' | 'summary' | 'log_message' | 'session_log' | 'tagged_run_metadata' | 'meta_graph_def';

/** Names of Summary.Value's `value` oneof members by field number (summary.proto). */
const VALUE_KIND: Record<number, ValueKind> = {
  2: 'simple_value',
  3: 'obsolete_old_style_histogram',
  4: 'image',
  5: 'histo',
  6: 'audio',
  8: 'tensor',
};
export type ValueKind = 'simple_value' | 'obsolete_old_style_histogram' | 'image' | 'histo' | 'audio' | 'tensor';

// ------------------------------------------------------------------ decoded types

export interface DecodedImage {
  height: number;
  width: number;
  colorspace: number;
  encodedImageString: Uint8Array;
  fieldNumbers: number[];
}

export interface DecodedHisto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
  /** Whether bucket_limit / bucket were written packed. */
  packed: { bucketLimit: boolean; bucket: boolean };
  fieldNumbers: number[];
}

export interface DecodedTensor {
  dtype: number;
  /** The dims' sizes; [] for a scalar (rank 0); undefined when tensor_shape is absent. */
  shape: number[] | undefined;
  unknownRank: boolean;
  versionNumber: number;
  tensorContent: Uint8Array | undefined;
  stringVal: Uint8Array[];
  floatVal: number[];
  doubleVal: number[];
  intVal: number[];
  int64Val: bigint[];
  boolVal: boolean[];
  fieldNumbers: number[];
}

export interface DecodedMetadata {
  /** undefined when plugin_data is absent. */
  pluginName: string | undefined;
  /** plugin_data.content; an empty array when plugin_data is present without content. */
  pluginContent: Uint8Array | undefined;
  displayName: string;
  summaryDescription: string;
  dataClass: number;
  fieldNumbers: number[];
  pluginDataFieldNumbers: number[];
}

export interface DecodedValue {
  tag: string;
  nodeName: string;
  metadata: DecodedMetadata | undefined;
  /** Which member of the `value` oneof is set (undefined: none). */
  kind: ValueKind | undefined;
  simpleValue?: number;
  image?: DecodedImage;
  histo?: DecodedHisto;
  tensor?: DecodedTensor;
  /** Field numbers present in the Summary.Value. */
  fieldNumbers: number[];
}

export interface DecodedEvent {
  wallTime: number;
  /** int64 step as a number (exact up to 2^53). */
  step: number;
  stepBig: bigint;
  what: EventWhat | undefined;
  fileVersion?: string;
  summary?: { values: DecodedValue[] };
  /** Field numbers present in the Event. */
  fieldNumbers: number[];
  /** Where the record is in its file and how many bytes it takes with framing (8 + 4 + payload + 4). */
  record: { offset: number; payloadLength: number; totalBytes: number };
}

export interface EventFile {
  path: string;
  fileBytes: number;
  events: DecodedEvent[];
  /** The file ends inside a record (fewer bytes than its header or its length announce). */
  truncatedTail: boolean;
  /** Bytes after the last complete record (0 unless truncatedTail). */
  tailBytes: number;
  /** Bad CRCs (reading stops there), undecodable payloads, schema violations. */
  errors: string[];
  /** Field numbers the schema does not define, as "Message.field N at record R". */
  unknownFields: string[];
}

// ------------------------------------------------------------------ google.protobuf.Value

export type PValue =
  | { kind: 'unset' }
  | { kind: 'null' }
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'struct'; fields: Record<string, PValue> }
  | { kind: 'list'; values: PValue[] };

/** A protobuf Value as plain JavaScript (undefined for an unset Value). */
export function pvalueToJs(v: PValue): unknown {
  switch (v.kind) {
    case 'unset':
      return undefined;
    case 'null':
      return null;
    case 'number':
    case 'string':
    case 'bool':
      return v.value;
    case 'struct':
      return Object.fromEntries(Object.entries(v.fields).map(([k, x]) => [k, pvalueToJs(x)]));
    case 'list':
      return v.values.map(pvalueToJs);
  }
}

// ------------------------------------------------------------------ hparams plugin

export interface HParamInfo {
  name: string;
  displayName: string;
  description: string;
  type: number;
  domainDiscrete?: PValue[];
  domainInterval?: { minValue: number; maxValue: number };
  fieldNumbers: number[];
}

export interface MetricInfo {
  name: { group: string; tag: string } | undefined;
  displayName: string;
  description: string;
  datasetType: number;
  fieldNumbers: number[];
}

export interface Experiment {
  name: string;
  description: string;
  user: string;
  timeCreatedSecs: number;
  hparamInfos: HParamInfo[];
  metricInfos: MetricInfo[];
  fieldNumbers: number[];
}

export interface SessionStartInfo {
  /** In wire order. */
  hparams: [name: string, value: PValue][];
  modelUri: string;
  monitorUrl: string;
  groupName: string;
  startTimeSecs: number;
  fieldNumbers: number[];
}

export interface SessionEndInfo {
  status: number;
  endTimeSecs: number;
  fieldNumbers: number[];
}

export interface HParamsPluginData {
  version: number;
  data: 'experiment' | 'session_start_info' | 'session_end_info' | undefined;
  experiment?: Experiment;
  sessionStartInfo?: SessionStartInfo;
  sessionEndInfo?: SessionEndInfo;
  fieldNumbers: number[];
}

// ------------------------------------------------------------------ strict typed decoding

/** Collects unknown fields and schema errors while decoding one record. */
class Checker {
  constructor(
    readonly where: string,
    readonly unknown: string[],
  ) {}

  known(msg: ProtoMessage, type: string, numbers: readonly number[]): number[] {
    const present = msg.numbers();
    for (const n of present) if (!numbers.includes(n)) this.unknown.push(`${type}.field ${n} ${this.where}`);
    return present;
  }

  /** The member of a oneof that is set; throws when more than one is. */
  oneof<T extends string>(msg: ProtoMessage, type: string, members: Record<number, T>): T | undefined {
    const set = Object.keys(members)
      .map(Number)
      .filter((n) => msg.has(n));
    if (set.length > 1) throw new ProtoError(`${type}: oneof has ${set.length} members set (fields ${set.join(', ')})`, 0);
    return set.length === 1 ? members[set[0]!] : undefined;
  }
}

function decodePValue(msg: ProtoMessage, c: Checker): PValue {
  c.known(msg, 'google.protobuf.Value', [1, 2, 3, 4, 5, 6]);
  const kind = c.oneof(msg, 'google.protobuf.Value', { 1: 'null', 2: 'number', 3: 'string', 4: 'bool', 5: 'struct', 6: 'list' } as const);
  switch (kind) {
    case undefined:
      return { kind: 'unset' };
    case 'null':
      msg.int32(1);
      return { kind: 'null' };
    case 'number':
      return { kind: 'number', value: msg.double(2) };
    case 'string':
      return { kind: 'string', value: msg.string(3) };
    case 'bool':
      return { kind: 'bool', value: msg.bool(4) };
    case 'struct': {
      const s = msg.message(5)!;
      c.known(s, 'google.protobuf.Struct', [1]);
      const fields: Record<string, PValue> = {};
      for (const [k, v] of decodeMapEntries(s, 1, c)) fields[k] = v;
      return { kind: 'struct', fields };
    }
    case 'list': {
      const l = msg.message(6)!;
      c.known(l, 'google.protobuf.ListValue', [1]);
      return { kind: 'list', values: l.messages(1).map((m) => decodePValue(m, c)) };
    }
  }
}

/** A map<string, google.protobuf.Value> field: repeated entries { key = 1; value = 2 }. */
function decodeMapEntries(msg: ProtoMessage, n: number, c: Checker): [string, PValue][] {
  return msg.messages(n).map((entry) => {
    c.known(entry, 'MapEntry', [1, 2]);
    const value = entry.message(2);
    return [entry.string(1), value ? decodePValue(value, c) : { kind: 'unset' }];
  });
}

function decodeHParamInfo(m: ProtoMessage, c: Checker): HParamInfo {
  const fieldNumbers = c.known(m, 'HParamInfo', [1, 2, 3, 4, 5, 6]);
  const domain = c.oneof(m, 'HParamInfo.domain', { 5: 'discrete', 6: 'interval' } as const);
  const info: HParamInfo = { name: m.string(1), displayName: m.string(2), description: m.string(3), type: m.int32(4), fieldNumbers };
  if (domain === 'discrete') {
    const l = m.message(5)!;
    c.known(l, 'google.protobuf.ListValue', [1]);
    info.domainDiscrete = l.messages(1).map((v) => decodePValue(v, c));
  } else if (domain === 'interval') {
    const iv = m.message(6)!;
    c.known(iv, 'Interval', [1, 2]);
    info.domainInterval = { minValue: iv.double(1), maxValue: iv.double(2) };
  }
  return info;
}

function decodeMetricInfo(m: ProtoMessage, c: Checker): MetricInfo {
  const fieldNumbers = c.known(m, 'MetricInfo', [1, 3, 4, 5]);
  const name = m.message(1);
  if (name) c.known(name, 'MetricName', [1, 2]);
  return {
    name: name ? { group: name.string(1), tag: name.string(2) } : undefined,
    displayName: m.string(3),
    description: m.string(4),
    datasetType: m.int32(5),
    fieldNumbers,
  };
}

function decodeHParamsWith(content: Uint8Array, c: Checker): HParamsPluginData {
  const m = decodeMessage(content);
  const fieldNumbers = c.known(m, 'HParamsPluginData', [1, 2, 3, 4]);
  const data = c.oneof(m, 'HParamsPluginData.data', { 2: 'experiment', 3: 'session_start_info', 4: 'session_end_info' } as const);
  const out: HParamsPluginData = { version: m.int32(1), data, fieldNumbers };
  if (data === 'experiment') {
    const e = m.message(2)!;
    out.experiment = {
      name: e.string(6),
      description: e.string(1),
      user: e.string(2),
      timeCreatedSecs: e.double(3),
      hparamInfos: e.messages(4).map((x) => decodeHParamInfo(x, c)),
      metricInfos: e.messages(5).map((x) => decodeMetricInfo(x, c)),
      fieldNumbers: c.known(e, 'Experiment', [1, 2, 3, 4, 5, 6]),
    };
  } else if (data === 'session_start_info') {
    const s = m.message(3)!;
    out.sessionStartInfo = {
      hparams: decodeMapEntries(s, 1, c),
      modelUri: s.string(2),
      monitorUrl: s.string(3),
      groupName: s.string(4),
      startTimeSecs: s.double(5),
      fieldNumbers: c.known(s, 'SessionStartInfo', [1, 2, 3, 4, 5]),
    };
  } else if (data === 'session_end_info') {
    const s = m.message(4)!;
    out.sessionEndInfo = { status: s.int32(1), endTimeSecs: s.double(2), fieldNumbers: c.known(s, 'SessionEndInfo', [1, 2]) };
  }
  return out;
}

/** Decode the content bytes of an `hparams` plugin_data (a serialised HParamsPluginData). Throws on malformed input. */
export function decodeHParamsPluginData(content: Uint8Array, unknownFields: string[] = []): HParamsPluginData {
  return decodeHParamsWith(content, new Checker('in hparams plugin content', unknownFields));
}

function decodeTensor(m: ProtoMessage, c: Checker): DecodedTensor {
  const fieldNumbers = c.known(m, 'TensorProto', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
  const shapeMsg = m.message(2);
  let shape: number[] | undefined;
  let unknownRank = false;
  if (shapeMsg) {
    c.known(shapeMsg, 'TensorShapeProto', [2, 3]);
    shape = shapeMsg.messages(2).map((d) => {
      c.known(d, 'TensorShapeProto.Dim', [1, 2]);
      return Number(d.int64(1));
    });
    unknownRank = shapeMsg.bool(3);
  }
  return {
    dtype: m.int32(1),
    shape,
    unknownRank,
    versionNumber: m.int32(3),
    tensorContent: m.bytes(4),
    floatVal: m.packedFloats(5),
    doubleVal: m.packedDoubles(6),
    intVal: m.packedVarints(7).map((v) => Number(BigInt.asIntN(32, v))),
    stringVal: m.bytesList(8),
    int64Val: m.packedVarints(10),
    boolVal: m.packedVarints(11).map((v) => v !== 0n),
    fieldNumbers,
  };
}

function decodeMetadata(m: ProtoMessage, c: Checker): DecodedMetadata {
  const fieldNumbers = c.known(m, 'SummaryMetadata', [1, 2, 3, 4]);
  const pd = m.message(1);
  let pluginDataFieldNumbers: number[] = [];
  if (pd) pluginDataFieldNumbers = c.known(pd, 'SummaryMetadata.PluginData', [1, 2]);
  return {
    pluginName: pd ? pd.string(1) : undefined,
    pluginContent: pd ? (pd.bytes(2) ?? new Uint8Array(0)) : undefined,
    displayName: m.string(2),
    summaryDescription: m.string(3),
    dataClass: m.int32(4),
    fieldNumbers,
    pluginDataFieldNumbers,
  };
}

function decodeValue(m: ProtoMessage, c: Checker): DecodedValue {
  const fieldNumbers = c.known(m, 'Summary.Value', [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const kind = c.oneof(m, 'Summary.Value.value', VALUE_KIND);
  const meta = m.message(9);
  const v: DecodedValue = { tag: m.string(1), nodeName: m.string(7), metadata: meta ? decodeMetadata(meta, c) : undefined, kind, fieldNumbers };
  switch (kind) {
    case 'simple_value':
      v.simpleValue = m.float(2);
      break;
    case 'image': {
      const im = m.message(4)!;
      v.image = {
        height: im.int32(1),
        width: im.int32(2),
        colorspace: im.int32(3),
        encodedImageString: im.bytes(4) ?? new Uint8Array(0),
        fieldNumbers: c.known(im, 'Summary.Image', [1, 2, 3, 4]),
      };
      break;
    }
    case 'histo': {
      const h = m.message(5)!;
      v.histo = {
        min: h.double(1),
        max: h.double(2),
        num: h.double(3),
        sum: h.double(4),
        sumSquares: h.double(5),
        bucketLimit: h.packedDoubles(6),
        bucket: h.packedDoubles(7),
        packed: { bucketLimit: h.isPacked(6), bucket: h.isPacked(7) },
        fieldNumbers: c.known(h, 'HistogramProto', [1, 2, 3, 4, 5, 6, 7]),
      };
      break;
    }
    case 'tensor':
      v.tensor = decodeTensor(m.message(8)!, c);
      break;
    default:
      break;
  }
  return v;
}

/** Decode one serialised Event (a record's payload). Throws ProtoError on malformed input. */
export function decodeEvent(payload: Uint8Array, unknownFields: string[] = [], where = ''): Omit<DecodedEvent, 'record'> {
  const c = new Checker(where, unknownFields);
  const m = decodeMessage(payload);
  const fieldNumbers = c.known(m, 'Event', [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const what = c.oneof(m, 'Event.what', EVENT_WHAT);
  const stepBig = m.int64(2);
  const ev: Omit<DecodedEvent, 'record'> = { wallTime: m.double(1), step: Number(stepBig), stepBig, what, fieldNumbers };
  if (what === 'file_version') ev.fileVersion = m.string(3);
  if (what === 'summary') {
    const s = m.message(5)!;
    c.known(s, 'Summary', [1]);
    ev.summary = { values: s.messages(1).map((v) => decodeValue(v, c)) };
  }
  return ev;
}

// ------------------------------------------------------------------ TFRecord framing

/** Decode TFRecord-framed events from bytes (the contents of one event file). */
export function decodeEventBytes(bytes: Uint8Array, path = '<bytes>'): EventFile {
  const out: EventFile = { path, fileBytes: bytes.length, events: [], truncatedTail: false, tailBytes: 0, errors: [], unknownFields: [] };
  const framing = forEachEvent(bytes, path, (event) => out.events.push(event), out.unknownFields);
  return { ...out, truncatedTail: framing.truncatedTail, tailBytes: framing.tailBytes, errors: framing.errors };
}

/** What reading the framing of a file found, besides its events. */
export interface Framing {
  records: number;
  truncatedTail: boolean;
  tailBytes: number;
  errors: string[];
}

/**
 * Walk the TFRecord framing of `bytes` and hand each decoded event to `visit` without keeping
 * it (for files of millions of events). Reading stops at the first bad CRC, as TensorBoard's does.
 */
export function forEachEvent(bytes: Uint8Array, path: string, visit: (event: DecodedEvent) => void, unknownFields: string[] = []): Framing {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Framing = { records: 0, truncatedTail: false, tailBytes: 0, errors: [] };
  let pos = 0;
  let index = 0;
  while (pos < bytes.length) {
    const left = bytes.length - pos;
    if (left < 12) {
      out.truncatedTail = true;
      out.tailBytes = left;
      break;
    }
    const lengthBytes = bytes.subarray(pos, pos + 8);
    const length = view.getBigUint64(pos, true);
    const lengthCrc = view.getUint32(pos + 8, true);
    const expectLengthCrc = maskedCrc32c(lengthBytes);
    if (lengthCrc !== expectLengthCrc) {
      out.errors.push(`record ${index} at byte ${pos}: length CRC is 0x${hex(lengthCrc)}, expected 0x${hex(expectLengthCrc)}; reading stops here`);
      break;
    }
    if (length > BigInt(left - 16)) {
      out.truncatedTail = true;
      out.tailBytes = left;
      break;
    }
    const n = Number(length);
    const payload = bytes.subarray(pos + 12, pos + 12 + n);
    const dataCrc = view.getUint32(pos + 12 + n, true);
    const expectDataCrc = maskedCrc32c(payload);
    if (dataCrc !== expectDataCrc) {
      out.errors.push(`record ${index} at byte ${pos}: payload CRC is 0x${hex(dataCrc)}, expected 0x${hex(expectDataCrc)}; reading stops here`);
      break;
    }
    const where = `at record ${index} (byte ${pos}) of ${path}`;
    try {
      visit({ ...decodeEvent(payload, unknownFields, where), record: { offset: pos, payloadLength: n, totalBytes: 16 + n } });
    } catch (e) {
      out.errors.push(`record ${index} at byte ${pos}: ${(e as Error).message}`);
    }
    pos += 16 + n;
    index++;
    out.records++;
  }
  return out;
}

/** Read and decode one event file. */
export function readEventFile(path: string): EventFile {
  return decodeEventBytes(new Uint8Array(readFileSync(path)), path);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

// ------------------------------------------------------------------ runs

export const EVENT_FILE_PATTERN = /^events\.out\.tfevents\./;

export interface RunData {
  /** Directory of the run relative to the root given to readRunDir ('.' for the root itself), with '/' separators. */
  run: string;
  dir: string;
  /** Its event files in name order (TensorBoard reads a run's files in that order). */
  files: EventFile[];
  /** The events of all its files, in that order. */
  events: DecodedEvent[];
}

/** Every event file below `root`, recursively, grouped by directory — TensorBoard's notion of a run. */
export function readRunDir(root: string): Map<string, RunData> {
  const runs = new Map<string, RunData>();
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files = entries.filter((e) => e.isFile() && EVENT_FILE_PATTERN.test(e.name));
    if (files.length > 0) {
      const rel = relative(root, dir).split(sep).join('/') || '.';
      const decoded = files.map((f) => readEventFile(join(dir, f.name)));
      runs.set(rel, { run: rel, dir, files: decoded, events: decoded.flatMap((f) => f.events) });
    }
    for (const e of entries) if (e.isDirectory() || (e.isSymbolicLink() && statSync(join(dir, e.name)).isDirectory())) walk(join(dir, e.name));
  };
  walk(root);
  return runs;
}

// ------------------------------------------------------------------ conveniences for tests

export interface TaggedValue {
  event: DecodedEvent;
  value: DecodedValue;
}

/** Every Summary.Value of the events, with its event. */
export function summaryValues(events: readonly DecodedEvent[]): TaggedValue[] {
  const out: TaggedValue[] = [];
  for (const event of events) for (const value of event.summary?.values ?? []) out.push({ event, value });
  return out;
}

/** The values of one tag. */
export function valuesOfTag(events: readonly DecodedEvent[], tag: string): TaggedValue[] {
  return summaryValues(events).filter((v) => v.value.tag === tag);
}

/** A scalar as TensorBoard would read it: simple_value, or a rank-0 DT_FLOAT/DT_DOUBLE tensor. */
export function scalarOf(v: DecodedValue): number | undefined {
  if (v.kind === 'simple_value') return v.simpleValue;
  const t = v.tensor;
  if (t && t.shape !== undefined && t.shape.length === 0) {
    if (t.dtype === DT.FLOAT)
      return (
        t.floatVal[0] ??
        (t.tensorContent && t.tensorContent.length === 4 ? new DataView(t.tensorContent.buffer, t.tensorContent.byteOffset, 4).getFloat32(0, true) : undefined)
      );
    if (t.dtype === DT.DOUBLE)
      return (
        t.doubleVal[0] ??
        (t.tensorContent && t.tensorContent.length === 8 ? new DataView(t.tensorContent.buffer, t.tensorContent.byteOffset, 8).getFloat64(0, true) : undefined)
      );
  }
  return undefined;
}

/** The strings of a DT_STRING tensor (UTF-8). */
export function tensorStrings(t: DecodedTensor): string[] {
  const dec = new TextDecoder('utf-8', { fatal: true });
  return t.stringVal.map((b) => dec.decode(b));
}

/** What a Value looks like, without its bytes: for comparing two writers' output for the same input. */
export interface ValueStructure {
  tag: string;
  kind: ValueKind | undefined;
  metadata: boolean;
  pluginName: string | undefined;
  dataClass: number | undefined;
  dtype: number | undefined;
  shape: number[] | undefined;
  colorspace: number | undefined;
  /** For plugin hparams: which member of HParamsPluginData.data is set. */
  hparamsData: string | undefined;
}

export function structureOf(v: DecodedValue): ValueStructure {
  let hparamsData: string | undefined;
  if (v.metadata?.pluginName === 'hparams' && v.metadata.pluginContent) {
    try {
      hparamsData = decodeHParamsPluginData(v.metadata.pluginContent).data ?? 'none';
    } catch (e) {
      hparamsData = `undecodable: ${(e as Error).message}`;
    }
  }
  return {
    tag: v.tag,
    kind: v.kind,
    metadata: v.metadata !== undefined,
    pluginName: v.metadata?.pluginName,
    dataClass: v.metadata?.dataClass,
    dtype: v.tensor?.dtype,
    shape: v.tensor?.shape,
    colorspace: v.image?.colorspace,
    hparamsData,
  };
}

/** The structure of the first value of every tag, in order of first appearance. */
export function firstStructures(events: readonly DecodedEvent[]): Map<string, ValueStructure> {
  const out = new Map<string, ValueStructure>();
  for (const { value } of summaryValues(events)) if (!out.has(value.tag)) out.set(value.tag, structureOf(value));
  return out;
}
