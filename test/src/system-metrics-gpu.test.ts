/**
 * GPU readings come from nvidia-smi on PATH, run by the sampler thread. Here a fake nvidia-smi
 * (a shell script first on PATH) answers as the real one does, fails, or hangs: the first gives
 * gpu keys to every backend; the others never fail the run, and samples go on without GPUs.
 * Serial: PATH is the process's, and the sampler thread takes its copy when the context starts.
 */
import test, { type ExecutionContext } from 'ava';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalFileLogger, LoggersCollection } from '@ranklog/core';
import { WandBLogger } from '@ranklog/wandb';
import { parseCsv } from './support/csv-parse.js';
import { tempDir } from './support/log-path.js';
import { uniqueRunName } from './support/recording-logger.js';
import { waitFor } from './support/wait-for.js';
import { runDirs, readRun } from './support/wandb-runs.js';
import { items } from './support/wandb-decode.js';

/** Puts an executable `nvidia-smi` with this shell body first on PATH for the contexts `start` creates. */
function fakeNvidiaSmi(t: ExecutionContext, body: string): { dir: string; start: (f: () => Promise<void>) => Promise<void> } {
  const dir = tempDir(t, 'fake-nvidia-smi');
  const file = join(dir, 'nvidia-smi');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return {
    dir,
    async start(f) {
      const path = process.env.PATH;
      process.env.PATH = `${dir}:${path}`;
      // The sampler thread copies the environment when the context is created (synchronously, in this call).
      const started = f();
      process.env.PATH = path;
      await started;
    },
  };
}

/** identifier → value of the first sample's system/… rows. */
function firstSample(csv: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(csv)) return out;
  for (const [, , identifier, step, , value] of parseCsv(readFileSync(csv, 'utf8')).slice(1)) {
    if (identifier?.startsWith('system/') && step === '0') out.set(identifier, Number(value));
  }
  return out;
}

function samplesIn(csv: string): number {
  if (!existsSync(csv)) return 0;
  return parseCsv(readFileSync(csv, 'utf8')).filter((r) => r[2] === 'system/process_rss_mb').length;
}

function wandbStats(savedir: string): Map<string, unknown>[] {
  const out: Map<string, unknown>[] = [];
  for (const dir of runDirs(savedir)) {
    try {
      for (const r of readRun(dir).records) if (r.type === 'stats') out.push(items(r.body.messages(3)));
    } catch {
      // being written: read it again
    }
  }
  return out;
}

// The answer to --query-gpu=index,utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu
// --format=csv,noheader,nounits for two GPUs; the second cannot read its temperature.
const TWO_GPUS = `case "$*" in
  *--query-gpu=index,utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu*--format=csv,noheader,nounits*)
    printf '0, 37, 12, 1024, 16384, 55\\n1, 99, 80, 8192, 16384, [N/A]\\n' ;;
  *) echo "unexpected arguments: $*" >&2; exit 2 ;;
esac`;

test.serial('a fake nvidia-smi on PATH: every backend gets the GPUs, local files as system/gpu<i>_…, W&B as gpu.<i>.…', async (t) => {
  const fake = fakeNvidiaSmi(t, TWO_GPUS);
  const savedir = tempDir(t, 'sysmet-gpu');
  const local = new LocalFileLogger({ savedir, systemMetrics: 1 });
  const wandb = new WandBLogger({ savedir, offlineMode: true, projectName: 'gpu', systemMetrics: 1, flushSecs: 1 });
  const both = new LoggersCollection([local, wandb]);
  await fake.start(() => both.createLoggerContext({ runName: uniqueRunName('sysmet-gpu') }));
  const csv = join(savedir, local.runName!, 'metrics.csv');
  t.true(await waitFor(() => firstSample(csv).has('system/process_rss_mb') && wandbStats(savedir).length > 0));
  await both.destroyLoggerContext();

  const s = firstSample(csv);
  t.is(s.get('system/gpu0_utilization_percent'), 37);
  t.is(s.get('system/gpu0_memory_busy_percent'), 12);
  t.is(s.get('system/gpu0_memory_used_mb'), 1024);
  t.is(s.get('system/gpu0_memory_total_mb'), 16384);
  t.is(s.get('system/gpu0_temperature_c'), 55);
  t.is(s.get('system/gpu1_utilization_percent'), 99);
  t.false(s.has('system/gpu1_temperature_c'), 'a reading nvidia-smi has not is left out');

  const w = wandbStats(savedir)[0]!;
  t.is(w.get('gpu.0.gpu'), 37);
  t.is(w.get('gpu.0.memory'), 12);
  t.is(w.get('gpu.0.memoryAllocated'), 6.25);
  t.is(w.get('gpu.0.memoryAllocatedBytes'), 1024 * 2 ** 20);
  t.is(w.get('gpu.0.temp'), 55);
  t.is(w.get('gpu.1.memoryAllocated'), 50);
  t.false(w.has('gpu.1.temp'));
});

for (const [what, body] of [
  ['fails (exit 9, garbage on stdout)', 'echo "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver"; exit 9'],
  ['answers something else than the query', 'echo "hello"'],
] as const) {
  test.serial(`an nvidia-smi that ${what} never fails the run: samples go on without GPU readings`, async (t) => {
    const fake = fakeNvidiaSmi(t, body);
    const savedir = tempDir(t, 'sysmet-gpu-bad');
    const logger = new LocalFileLogger({ savedir, systemMetrics: 1 });
    await fake.start(() => logger.createLoggerContext({ runName: uniqueRunName('sysmet-gpu-bad') }));
    logger.log(1, 'loss', { step: 0 });
    const csv = join(savedir, logger.runName!, 'metrics.csv');
    // Past the point where the sampler gives nvidia-smi up (3 failures in a row).
    t.true(await waitFor(() => samplesIn(csv) >= 4));
    const stats = await logger.destroyLoggerContext();
    t.is(stats.backends[0]!.failed, 0);
    const s = firstSample(csv);
    t.true(s.has('system/process_rss_mb'));
    t.false([...s.keys()].some((k) => k.includes('gpu')));
  });
}

test.serial('a hanging nvidia-smi never fails or holds the run: it is killed, samples go on, destroy ends', async (t) => {
  const pids = join(tempDir(t, 'sysmet-gpu-pids'), 'pids');
  // exec: the script becomes the sleep, so killing its pid kills what hangs.
  const fake = fakeNvidiaSmi(t, `echo $$ >> ${pids}\nexec sleep 1000`);
  const savedir = tempDir(t, 'sysmet-gpu-hang');
  const logger = new LocalFileLogger({ savedir, systemMetrics: 1 });
  await fake.start(() => logger.createLoggerContext({ runName: uniqueRunName('sysmet-gpu-hang') }));
  logger.log(1, 'loss', { step: 0 });
  const csv = join(savedir, logger.runName!, 'metrics.csv');
  t.true(await waitFor(() => samplesIn(csv) >= 2), 'samples arrive although nvidia-smi never answers');
  const stats = await logger.destroyLoggerContext();
  t.is(stats.backends[0]!.failed, 0);
  t.false([...firstSample(csv).keys()].some((k) => k.includes('gpu')));
  const started = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
  t.true(started.length >= 1);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  t.true(await waitFor(() => started.every((pid) => !alive(pid))), 'no nvidia-smi outlives the run');
});
