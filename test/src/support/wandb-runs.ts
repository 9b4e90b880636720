/**
 * The W&B tests' view of what a WandBLogger left on disk, read with the independent reader
 * (wandb-decode.ts): the offline-run directories under <savedir>/wandb and, per run, its records
 * decoded into what a test compares (run fields, history rows, config, files, exit).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  exitInfo,
  files,
  history,
  items,
  metric,
  rawItems,
  readWandbFile,
  runInfo,
  type DecodedRecord,
  type Framing,
  type RawItem,
  type RunInfo,
} from './wandb-decode.js';

export interface WandbRunRead {
  dir: string;
  /** The directory name's run id and the .wandb file's name agree with the Run record. */
  runIdFromName: string;
  framing: Framing;
  records: DecodedRecord[];
  errors: string[];
  types: string[];
  run: RunInfo | undefined;
  rows: { step: number | undefined; items: Map<string, unknown> }[];
  /** Config items of the ConfigRecords, in order. */
  config: RawItem[];
  summaries: Map<string, unknown>[];
  files: string[];
  metrics: ReturnType<typeof metric>[];
  exit: { exitCode: number; runtime: number } | undefined;
}

/** The offline-run directories under <savedir>/wandb, sorted. */
export function runDirs(savedir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(savedir, 'wandb'));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith('offline-run-'))
    .sort()
    .map((n) => join(savedir, 'wandb', n));
}

export function readRun(dir: string): WandbRunRead {
  const name = /^offline-run-\d{8}_\d{6}-(.+)$/.exec(dir.split('/').pop()!)?.[1] ?? '';
  const bytes = new Uint8Array(readFileSync(join(dir, `run-${name}.wandb`)));
  const { framing, records, errors } = readWandbFile(bytes);
  const out: WandbRunRead = {
    dir,
    runIdFromName: name,
    framing,
    records,
    errors,
    types: records.map((r) => r.type),
    run: undefined,
    rows: [],
    config: [],
    summaries: [],
    files: [],
    metrics: [],
    exit: undefined,
  };
  for (const r of records) {
    switch (r.type) {
      case 'run':
        out.run = runInfo(r.body);
        break;
      case 'history':
        out.rows.push(history(r.body));
        break;
      case 'config':
        out.config.push(...rawItems(r.body.messages(1)));
        break;
      case 'summary':
        out.summaries.push(items(r.body.messages(1)));
        break;
      case 'files':
        out.files.push(...files(r.body).map((f) => f.path));
        break;
      case 'metric':
        out.metrics.push(metric(r.body));
        break;
      case 'exit':
        out.exit = exitInfo(r.body);
        break;
    }
  }
  return out;
}
