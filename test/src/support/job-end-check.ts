/**
 * The job's end as TensorBoard and W&B hold it (docs/jobs.md "The job's end"), read with the
 * independent decoders: the text summary `job/end` of TensorBoard's <run>/job/ run, and the W&B
 * job run <run>-job of the group (its history, summary and exit).
 */
import { readRunDir, tensorStrings, valuesOfTag } from './tb-decode.js';
import { readRun, runDirs, type WandbRunRead } from './wandb-runs.js';

/** The markdown of TensorBoard's job/end text in <tbdir>/<runName>/job/, or undefined. */
export function tbJobEnd(tbdir: string, runName: string): string | undefined {
  const tagged = valuesOfTag(readRunDir(tbdir).get(`${runName}/job`)?.events ?? [], 'job/end');
  const tensor = tagged[0]?.value.tensor;
  return tensor && tensorStrings(tensor)[0];
}

/** The W&B runs under <wbdir> named <runName>-job. */
export function wandbJobRuns(wbdir: string, runName: string): WandbRunRead[] {
  return runDirs(wbdir)
    .map(readRun)
    .filter((r) => r.run?.displayName === `${runName}-job`);
}

/** The last value of a summary key across a run's summary records. */
export function lastSummary(run: WandbRunRead, key: string): unknown {
  let v: unknown;
  for (const s of run.summaries) if (s.has(key)) v = s.get(key);
  return v;
}
