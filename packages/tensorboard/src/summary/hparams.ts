/**
 * The HPARAMS plugin's three summaries, each one `Summary.Value` carrying only
 * `metadata.plugin_data` {plugin_name "hparams", content = HParamsPluginData}.
 *
 * What tensorboardX 2.6.5 writes (decoded from the reference run
 * `tensorboardx-2.6.5/hparams/`, and its `summary.hparams()` source):
 * - Summary.Value {tag = "_hparams_/experiment" | "_hparams_/session_start_info" |
 *   "_hparams_/session_end_info", metadata {plugin_data {plugin_name "hparams",
 *   content}}} — no tensor, no simple_value, no data_class, no display_name;
 * - content = HParamsPluginData with version 0 (so field 1 absent) and exactly one
 *   of experiment / session_start_info / session_end_info;
 * - experiment: hparam_infos {name, type} in dict order (STRING 1, BOOL 2,
 *   FLOAT64 3; ints are FLOAT64), metric_infos {name {tag}} (group empty), no
 *   time_created_secs, no domains;
 * - session_start_info: hparams map entries {key, value: google.protobuf.Value}
 *   with number_value (2) / string_value (3) / bool_value (4); no group_name,
 *   no start_time_secs; None values are skipped in both the map and the
 *   experiment;
 * - session_end_info: {status = STATUS_SUCCESS}, no end_time_secs;
 * - the three records plus one scalar per metric go into ONE run directory of
 *   their own (`<logdir>/<name or time.time()>/`), events at step 0 (no step field).
 * These functions write the same bytes (checked in the tests) and, in addition,
 * time_created_secs / start_time_secs / end_time_secs / group_name when given
 * non-zero / non-empty (TensorBoard's own summary_v2 writes them; proto3 omits
 * zero values, so passing 0 reproduces tensorboardX exactly). TensorBoard's own
 * summary_v2 also attaches an empty DT_FLOAT tensor; TensorBoard adds that itself
 * when missing (dataclass_compat `_migrate_hparams_value`, and the Rust data
 * server likewise), so metadata-only is fine.
 *
 * How the HPARAMS dashboard finds things (tensorboard/plugins/hparams:
 * backend_context.py, list_session_groups.py, metrics.py):
 * 1. Session = a run (directory) that has a `_hparams_/session_start_info` tag.
 *    Session name = run name (the logdir root itself is the run ".").
 *    Its status / end time come from `_hparams_/session_end_info` in the SAME run;
 *    without one the status is STATUS_UNKNOWN (shown; the dashboard allows all
 *    statuses by default).
 * 2. Only the FIRST metadata of a (run, tag) counts (event accumulator and Rust
 *    data server both keep the initial SummaryMetadata). Re-writing
 *    session_end_info later (running -> success) in the same run is ignored:
 *    write it once, at the end.
 * 3. Experiment: the `_hparams_/experiment` of ANY run; if several runs have one,
 *    the first found is taken (arbitrary) and the others are ignored. It is
 *    authoritative: its hparam_infos are the hparam columns and its metric_infos
 *    the only metrics looked up.
 * 4. No experiment anywhere: one is inferred — hparam_infos from all
 *    session_start_infos (per name, the type shared by all values, else STRING;
 *    numbers get an interval domain, strings/bools a discrete one), metric_infos
 *    from every scalar tag of every run that is a session run or below one,
 *    with group = the run's path relative to the (longest) enclosing session run.
 * 5. Metric value of a session: for MetricName {group, tag}, the LAST scalar
 *    (latest step) of tag `tag` in run `os.path.join(session, group)` (trailing
 *    "/" stripped). group "" = the session's own run. Caveat: a session at the
 *    logdir root (run ".") maps group "rank_0" to "./rank_0", which is not a run
 *    name ("rank_0" is), so root sessions can only use group "" metrics; the
 *    inference of (4) does not attach child runs to "." either.
 * 6. Sessions sharing a non-empty group_name form one session group (one row,
 *    metrics aggregated: avg by default, or min/max/median); empty group_name =
 *    a group of its own, named after the session. The group's hparams are copied
 *    from its first session.
 * 7. Values: a NaN/±Infinity number_value is dropped from the group's hparams
 *    (treated as unset). A null_value is ignored when inferring types and kept
 *    otherwise; TensorBoard's summary_v2 refuses None (TypeError) and tensorboardX
 *    skips it. We skip null like tensorboardX: the hparam is absent from both the
 *    experiment and the session.
 */
import { ProtoWriter } from '@ranklog/core/sink';
import { METADATA, PLUGIN_DATA, VALUE } from '../proto/fields.js';

export type HParamValue = string | number | boolean | null;
/** A metric column: a scalar `tag` read from run `<session run>/<group>` (group "" = the session run). */
export interface MetricName {
  tag: string;
  group?: string;
}

export const HPARAMS_PLUGIN_NAME = 'hparams';
export const EXPERIMENT_TAG = '_hparams_/experiment';
export const SESSION_START_INFO_TAG = '_hparams_/session_start_info';
export const SESSION_END_INFO_TAG = '_hparams_/session_end_info';

/** tensorboard/plugins/hparams/plugin_data.proto — HParamsPluginData (version 0 is omitted). */
const PLUGIN_DATA_FIELDS = { version: 1, experiment: 2, sessionStartInfo: 3, sessionEndInfo: 4 } as const;
/** plugin_data.proto — SessionStartInfo */
const SESSION_START = { hparams: 1, modelUri: 2, monitorUrl: 3, groupName: 4, startTimeSecs: 5 } as const;
/** plugin_data.proto — SessionEndInfo */
const SESSION_END = { status: 1, endTimeSecs: 2 } as const;
/** tensorboard/plugins/hparams/api.proto — Experiment */
const EXPERIMENT = { description: 1, user: 2, timeCreatedSecs: 3, hparamInfos: 4, metricInfos: 5, name: 6 } as const;
/** api.proto — HParamInfo */
const HPARAM_INFO = { name: 1, displayName: 2, description: 3, type: 4 } as const;
/** api.proto — MetricInfo, MetricName */
const METRIC_INFO = { name: 1 } as const;
const METRIC_NAME = { group: 1, tag: 2 } as const;
/** api.proto — DataType */
const DATA_TYPE = { unset: 0, string: 1, bool: 2, float64: 3 } as const;
/** api.proto — Status */
const STATUS = { unknown: 0, success: 1, failure: 2, running: 3 } as const;
/** Map entries are messages {key = 1, value = 2}. */
const MAP_ENTRY = { key: 1, value: 2 } as const;
/** google/protobuf/struct.proto — Value (kind oneof; members are written even at 0/false/""). */
const STRUCT_VALUE = { nullValue: 1, numberValue: 2, stringValue: 3, boolValue: 4 } as const;

function dataType(v: string | number | boolean): number {
  return typeof v === 'string' ? DATA_TYPE.string : typeof v === 'boolean' ? DATA_TYPE.bool : DATA_TYPE.float64;
}

/** Summary.Value {tag, metadata {plugin_data {plugin_name "hparams", content}}}. */
function pluginValue(tag: string, oneofField: number, fill: (w: ProtoWriter) => void): Uint8Array {
  const content = new ProtoWriter(128).message(oneofField, fill).finish();
  const w = new ProtoWriter(content.length + tag.length * 3 + 32);
  w.string(VALUE.tag, tag);
  w.message(VALUE.metadata, (md) =>
    md.message(METADATA.pluginData, (pd) => {
      pd.string(PLUGIN_DATA.pluginName, HPARAMS_PLUGIN_NAME);
      pd.bytes(PLUGIN_DATA.content, content);
    }),
  );
  return w.finish();
}

/** `_hparams_/experiment`: hparam columns typed from the values (nulls skipped) and one metric per tag. */
export function experimentValue(opts: {
  hparams: ReadonlyMap<string, HParamValue>;
  metricTags: ReadonlyArray<string | MetricName>;
  timeCreatedSecs: number;
}): Uint8Array {
  return pluginValue(EXPERIMENT_TAG, PLUGIN_DATA_FIELDS.experiment, (e) => {
    if (opts.timeCreatedSecs !== 0) e.double(EXPERIMENT.timeCreatedSecs, opts.timeCreatedSecs);
    for (const [name, v] of opts.hparams) {
      if (v === null) continue;
      e.message(EXPERIMENT.hparamInfos, (h) => {
        h.string(HPARAM_INFO.name, name);
        h.int64(HPARAM_INFO.type, dataType(v));
      });
    }
    for (const m of opts.metricTags) {
      const { tag, group = '' } = typeof m === 'string' ? { tag: m } : m;
      e.message(EXPERIMENT.metricInfos, (mi) =>
        mi.message(METRIC_INFO.name, (mn) => {
          if (group !== '') mn.string(METRIC_NAME.group, group);
          mn.string(METRIC_NAME.tag, tag);
        }),
      );
    }
  });
}

/** `_hparams_/session_start_info`: the values of this session (run); nulls skipped. */
export function sessionStartValue(opts: { hparams: ReadonlyMap<string, HParamValue>; startTimeSecs: number; groupName?: string }): Uint8Array {
  return pluginValue(SESSION_START_INFO_TAG, PLUGIN_DATA_FIELDS.sessionStartInfo, (s) => {
    for (const [name, v] of opts.hparams) {
      if (v === null) continue;
      s.message(SESSION_START.hparams, (entry) => {
        entry.string(MAP_ENTRY.key, name);
        entry.message(MAP_ENTRY.value, (val) => {
          if (typeof v === 'string') val.string(STRUCT_VALUE.stringValue, v);
          else if (typeof v === 'boolean') val.bool(STRUCT_VALUE.boolValue, v);
          else val.double(STRUCT_VALUE.numberValue, v);
        });
      });
    }
    if (opts.groupName) s.string(SESSION_START.groupName, opts.groupName);
    if (opts.startTimeSecs !== 0) s.double(SESSION_START.startTimeSecs, opts.startTimeSecs);
  });
}

/** `_hparams_/session_end_info`. TensorBoard keeps the first one per run: write it once, at the end. */
export function sessionEndValue(opts: { status: 'success' | 'failure' | 'running' | 'unknown'; endTimeSecs: number }): Uint8Array {
  return pluginValue(SESSION_END_INFO_TAG, PLUGIN_DATA_FIELDS.sessionEndInfo, (s) => {
    const status = STATUS[opts.status];
    if (status !== STATUS.unknown) s.int64(SESSION_END.status, status);
    if (opts.endTimeSecs !== 0) s.double(SESSION_END.endTimeSecs, opts.endTimeSecs);
  });
}
