/**
 * Field numbers of the wandb_internal messages ranklog writes, from the public
 * wandb/proto/wandb_internal.proto (and google/protobuf/timestamp.proto). Records are
 * persistent: these numbers never change in wandb, and a new wandb reads old logs with them.
 */

/** Record: `num`, then exactly one member of the record_type oneof. */
export const RECORD = {
  num: 1,
  history: 2,
  summary: 3,
  config: 5,
  files: 6,
  stats: 7,
  metric: 12,
  run: 17,
  exit: 18,
  final: 20,
  header: 21,
  environment: 26,
} as const;

export type RecordType = Exclude<keyof typeof RECORD, 'num'>;

export const HEADER = { versionInfo: 1 } as const;
export const VERSION_INFO = { producer: 1 } as const;

export const RUN = {
  runId: 1,
  entity: 2,
  project: 3,
  config: 4,
  runGroup: 6,
  jobType: 7,
  displayName: 8,
  notes: 9,
  tags: 10,
  host: 13,
  startTime: 17,
} as const;

/** HistoryItem, SummaryItem and ConfigItem share this layout (StatsItem: key and value_json only). */
export const ITEM = { key: 1, nestedKey: 2, valueJson: 16 } as const;

export const HISTORY = { item: 1, step: 2 } as const;
export const HISTORY_STEP = { num: 1 } as const;

/** SummaryRecord and ConfigRecord. */
export const UPDATE = { update: 1, remove: 2 } as const;

export const FILES = { files: 1 } as const;
/** FilesItem; policy NOW is 0, proto3's default, so it is never written. */
export const FILES_ITEM = { path: 1, policy: 2 } as const;

export const STATS = { statsType: 1, timestamp: 2, item: 3 } as const;

export const EXIT = { exitCode: 1, runtime: 2 } as const;

export const METRIC = { name: 1, stepMetric: 4, options: 6 } as const;
export const METRIC_OPTIONS = { stepSync: 1, defined: 3 } as const;

export const ENVIRONMENT = { os: 1, startedAt: 3, program: 6, executable: 14, host: 12, cpuCountLogical: 17 } as const;

/** google.protobuf.Timestamp */
export const TIMESTAMP = { seconds: 1, nanos: 2 } as const;
