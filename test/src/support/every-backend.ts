/**
 * One run in every file-writing backend (local files, TensorBoard, MLflow's file store, W&B
 * offline), and readers that return what each wrote, for tests of conventions every backend
 * must follow the same way (steps, run tags).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalFileLogger, type LogFreq, type Logger } from '@ranklog/core';
import { MLFlowLogger } from '@ranklog/mlflow';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { WandBLogger } from '@ranklog/wandb';
import { parseCsv } from './csv-parse.js';
import { readRun as readMlflowRun, runsIn, experimentIdsNamed, type MlrunsRun } from './mlruns-reader.js';
import { readRunDir, scalarOf, summaryValues } from './tb-decode.js';
import { readRun as readWandbRun, runDirs } from './wandb-runs.js';

export const EXPERIMENT = 'conventions';

/** The four file backends on `savedir`, each with its own logFreq. */
export function everyBackend(savedir: string, freq: { local?: LogFreq; tb?: LogFreq; mlflow?: LogFreq; wandb?: LogFreq } = {}): Logger[] {
  return [
    new LocalFileLogger({ savedir: join(savedir, 'local'), logFreq: freq.local ?? 'batch' }),
    new TensorBoardLogger({ savedir: join(savedir, 'tb'), logFreq: freq.tb ?? 'batch' }),
    new MLFlowLogger({ savedir, trackingUri: join(savedir, 'mlflow'), experimentName: EXPERIMENT, logFreq: freq.mlflow ?? 'batch' }),
    new WandBLogger({ savedir: join(savedir, 'wb'), offlineMode: true, projectName: 'p', logFreq: freq.wandb ?? 'batch' }),
  ];
}

/** identifier → steps in file order. */
export type Steps = Record<string, (number | null)[]>;

function push(out: Steps, id: string, step: number | null): void {
  (out[id] ??= []).push(step);
}

/** metrics.csv's step column (null when empty). */
export function localSteps(savedir: string, runName: string): Steps {
  const rows = parseCsv(readFileSync(join(savedir, 'local', runName, 'metrics.csv'), 'utf8'));
  const header = rows[0]!;
  const id = header.indexOf('identifier');
  const step = header.indexOf('step');
  const out: Steps = {};
  for (const r of rows.slice(1)) push(out, r[id]!, r[step] === '' ? null : Number(r[step]));
  return out;
}

/** The scalars' steps in the run's event files. */
export function tensorboardSteps(savedir: string, runName: string): Steps {
  const out: Steps = {};
  for (const run of readRunDir(join(savedir, 'tb', runName)).values()) {
    for (const { event, value } of summaryValues(run.events)) if (scalarOf(value) !== undefined) push(out, value.tag, event.step ?? 0);
  }
  return out;
}

/** The experiment's only run in MLflow's file store. */
export function mlflowRun(savedir: string): MlrunsRun {
  const root = join(savedir, 'mlflow');
  const [id] = experimentIdsNamed(root, EXPERIMENT);
  const runs = runsIn(root, id!);
  if (runs.length !== 1) throw new Error(`expected one MLflow run, found ${runs.length}`);
  return readMlflowRun(join(root, id!, runs[0]!.runId));
}

export function mlflowSteps(savedir: string): Steps {
  const out: Steps = {};
  for (const [key, lines] of mlflowRun(savedir).metrics) for (const l of lines) push(out, key, l.step);
  return out;
}

/** The W&B run's rows: each key's value with the row's `step` (batch-level) or `epoch` (epoch-level). */
export function wandbSteps(savedir: string): Steps {
  const dirs = runDirs(join(savedir, 'wb'));
  if (dirs.length !== 1) throw new Error(`expected one W&B run, found ${dirs.length}`);
  const out: Steps = {};
  for (const row of readWandbRun(dirs[0]!).rows) {
    const scale = (row.items.get('step') ?? row.items.get('epoch')) as number | undefined;
    for (const key of row.items.keys()) if (!key.startsWith('_') && key !== 'step' && key !== 'epoch') push(out, key, scale ?? null);
  }
  return out;
}

/** The W&B offline run directory's decoded run. */
export function wandbRun(savedir: string) {
  return readWandbRun(runDirs(join(savedir, 'wb'))[0]!);
}

/** Every event file of the TensorBoard run. */
export function tensorboardEvents(savedir: string, runName: string) {
  return [...readRunDir(join(savedir, 'tb', runName)).values()].flatMap((r) => r.events);
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function listDir(path: string): string[] {
  return readdirSync(path).sort();
}
