/**
 * npm run bench [-- --quick] [-- --only=hot-path,baselines] [-- --out=name]
 * Runs every scenario group, then writes results/latest.{json,md} (quick.* with --quick,
 * <name>.* with --out=name: figures kept beside the last full run's) and
 * prints the table. To add scenarios: a new file exporting a Group, and
 * one line in `groups` below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, Group, Result } from './harness.js';
import { hotPath } from './hot-path.js';
import { threads } from './threads.js';
import { baselines } from './baselines.js';
import { baselinesTensorboard } from './baselines-tensorboard.js';
import { endToEnd } from './end-to-end.js';
import { memory } from './memory.js';
import { backgroundCpu } from './background-cpu.js';
import { cpuPerRecord } from './cpu-per-record.js';
import { aggregateCost } from './aggregate-cost.js';
import { trainingOverhead } from './training-overhead.js';
import { systemMetrics } from './system-metrics.js';
import { wandbOnline } from './wandb-online.js';
import { tfjs } from './tfjs.js';
import { view } from './view.js';
import { buildReport, writeReport } from './report.js';

const groups: [name: string, run: Group][] = [
  ['hot-path', hotPath],
  ['threads', threads],
  ['baselines', baselines],
  ['baselines-tensorboard', baselinesTensorboard],
  ['end-to-end', endToEnd],
  ['memory', memory],
  ['background-cpu', backgroundCpu],
  ['cpu-per-record', cpuPerRecord],
  ['aggregate-cost', aggregateCost],
  ['training', trainingOverhead],
  ['system-metrics', systemMetrics],
  ['wandb-online', wandbOnline],
  ['tfjs', tfjs],
  ['view', view],
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
// Quick (smoke) runs must not overwrite the figures of the last full run.
const outName = args.find((a) => a.startsWith('--out='))?.slice('--out='.length) || (quick ? 'quick' : 'latest');
if (!/^[\w.-]+$/.test(outName)) throw new Error(`--out=${outName}: a file name without a directory, please`);
const cfg: Config = { quick, tmp: mkdtempSync(join(tmpdir(), 'ranklog-bench-')) };
const load = loadavg()[0]!;
const started = Date.now();
const results: Result[] = [];
try {
  for (const [name, run] of groups) {
    if (only && !only.includes(name)) continue;
    const t = Date.now();
    process.stderr.write(`[bench] ${name} …`);
    results.push(...(await run(cfg)));
    process.stderr.write(` ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
} finally {
  rmSync(cfg.tmp, { recursive: true, force: true });
}
const rep = buildReport(results, quick, load);
console.log(writeReport(rep, new URL('../results/', import.meta.url), outName));
console.error(`[bench] done in ${((Date.now() - started) / 1000).toFixed(1)} s; wrote benchmarks/results/${outName}.{json,md}`);
if (rep.problems.length) process.exitCode = 1;
