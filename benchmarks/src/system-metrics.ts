/**
 * The cost of system metrics (the systemMetrics option), per sample, in CPU time:
 * - sys.readings: what the sampler thread spends on one sample (process, machine, /proc/diskstats);
 * - sys.gpu.spawn: running an nvidia-smi (here a fake one, a shell script printing the CSV): the
 *   sampler thread's CPU for the spawn; the child's own CPU is not counted;
 * - sys.probe.tick: the training thread's probe (heap, event-loop utilisation), once per interval;
 * - sys.reader.next: a writer thread copying a new sample out of the block (seqlock);
 * - sys.baseline.cpuUsage: one process.cpuUsage() call, the cheapest reading, measured in the same run.
 * Figures are CPU ns per sample (process.cpuUsage around a batch, all on this thread); medians of batches.
 * The training thread's cost with sampling on vs off is hot.metric.burst.system-metrics in hot-path.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SystemReadings } from '../../packages/core/dist/system/readings.js';
import { ThreadProbe } from '../../packages/core/dist/system/thread-probe.js';
import { SampleReader } from '../../packages/core/dist/system/sample-reader.js';
import { newSystemBlock, SYS } from '../../packages/core/dist/system/block-layout.js';
import { blockDeviceOf } from '../../packages/core/dist/system/disk-device.js';
import { queryGpus } from '../../packages/core/dist/system/gpu-query.js';
import { nsResult, type Config, type Result } from './harness.js';

/** CPU ns (user + system, this process) per call of each batch. */
function cpuBatches(body: () => void, perBatch: number, batches: number, warmup = 2): number[] {
  const out: number[] = [];
  for (let b = -warmup; b < batches; b++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < perBatch; i++) body();
    const c = process.cpuUsage(c0);
    if (b >= 0) out.push(((c.user + c.system) * 1000) / perBatch);
  }
  return out;
}

export async function systemMetrics(cfg: Config): Promise<Result[]> {
  const batches = cfg.quick ? 10 : 40;
  const out: Result[] = [];
  out.push(
    nsResult(
      'sys.baseline.cpuUsage',
      'baseline: one process.cpuUsage() (CPU ns)',
      cpuBatches(() => process.cpuUsage(), 2000, batches),
    ),
  );
  const disk = blockDeviceOf(cfg.tmp);
  const readings = new SystemReadings(disk ? [disk] : []);
  out.push(
    nsResult(
      'sys.readings',
      `sampler thread: one sample's readings (process, machine${disk ? `, /proc/diskstats for ${disk}` : ''}) (CPU ns)`,
      cpuBatches(() => readings.read(), 200, batches),
      'sys.baseline.cpuUsage',
    ),
  );
  const block = newSystemBlock();
  const probe = new ThreadProbe(block);
  out.push(
    nsResult(
      'sys.probe.tick',
      'training thread: one probe tick (heap, event-loop utilisation) (CPU ns)',
      cpuBatches(() => probe.tick(), 2000, batches),
      'sys.baseline.cpuUsage',
    ),
  );
  const seq = new Int32Array(block);
  const reader = new SampleReader({ block, every: 1, intervalSecs: 1, diskSlot: -1, diskName: '' }, 0);
  out.push(
    nsResult(
      'sys.reader.next',
      'writer thread: copy a new sample out of the block (CPU ns)',
      cpuBatches(
        () => {
          Atomics.add(seq, SYS.SEQ, 2);
          new Float64Array(block)[4] = seq[0]!; // a new sample index each time
          reader.next();
        },
        2000,
        batches,
      ),
      'sys.baseline.cpuUsage',
    ),
  );
  const fake = join(cfg.tmp, 'nvidia-smi');
  writeFileSync(fake, "#!/bin/sh\nprintf '0, 37, 12, 1024, 16384, 55\\n'\n");
  chmodSync(fake, 0o755);
  const spawns: number[] = [];
  for (let i = -2; i < (cfg.quick ? 10 : 30); i++) {
    const c0 = process.cpuUsage();
    const a = await queryGpus(fake, 5000, {});
    const c = process.cpuUsage(c0);
    if (!('gpus' in a)) throw new Error(`the fake nvidia-smi did not answer: ${JSON.stringify(a)}`);
    if (i >= 0) spawns.push((c.user + c.system) * 1000);
  }
  out.push(nsResult('sys.gpu.spawn', 'sampler thread: one nvidia-smi run (a fake shell script; spawn and parse, CPU ns)', spawns, 'sys.baseline.cpuUsage'));
  return out;
}
