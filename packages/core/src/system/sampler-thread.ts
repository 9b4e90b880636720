/**
 * The sampler: one small worker_thread per process with system metrics on. Once per interval it
 * reads the process and the machine (readings.ts), asks nvidia-smi (gpu-query.ts, a child process
 * with a timeout), copies the training thread's probe, publishes the sample in the system block
 * under its sequence number and wakes the writers, which hand it to their sinks. Nothing of it
 * runs on the training thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SHARED } from '../ring/layout.js';
import type { GpuSample } from '../sink/system-sample.js';
import { DISK_FIELDS, GPU_FIELDS, MAX_DISKS, MAX_GPUS, SYS, SYS_F64 } from './block-layout.js';
import { queryGpus } from './gpu-query.js';
import { SystemReadings } from './readings.js';

export interface SamplerInit {
  block: SharedArrayBuffer;
  /** The context's shared block: its WRITER_WAKE futex wakes the writers. */
  sharedSab: SharedArrayBuffer;
  intervalMs: number;
  /** Block devices to read I/O of, in disk-slot order. */
  disks: string[];
  /** nvidia-smi, or what RANKLOG_NVIDIA_SMI names. */
  gpuCommand: string;
}

/** nvidia-smi failures in a row (a timeout, a crash, garbage) after which it is not asked again. */
const GPU_GIVE_UP_AFTER = 3;
/** The longest nvidia-smi may take: a sample waits for it. */
const GPU_TIMEOUT_MS = 5000;

const init = workerData as SamplerInit;
const i32 = new Int32Array(init.block);
const f64 = new Float64Array(init.block);
const shared = new Int32Array(init.sharedSab);
const readings = new SystemReadings(init.disks.slice(0, MAX_DISKS));
const gpuTimeoutMs = Math.min(GPU_TIMEOUT_MS, init.intervalMs * 0.8);
const running: { kill?: () => void } = {};
let gpuOn = true;
let gpuFailures = 0;
let index = 0;
let stopped = false;
let timer: NodeJS.Timeout | undefined;
const start = performance.now();

function debug(message: string): void {
  if (process.env.RANKLOG_DEBUG === '1') process.stderr.write(`[ranklog debug system metrics] ${message}\n`);
}

async function gpus(): Promise<GpuSample[]> {
  if (!gpuOn) return [];
  const answer = await queryGpus(init.gpuCommand, gpuTimeoutMs, running);
  if ('gpus' in answer && answer.gpus.length > 0) {
    gpuFailures = 0;
    return answer.gpus;
  }
  if ('missing' in answer) {
    gpuOn = false;
    debug(`no ${init.gpuCommand}: no GPU readings`);
  } else if (++gpuFailures >= GPU_GIVE_UP_AFTER) {
    gpuOn = false;
    debug(
      `${init.gpuCommand} failed ${GPU_GIVE_UP_AFTER} times in a row (${'failed' in answer ? answer.failed : 'no GPU in its answer'}): no more GPU readings`,
    );
  }
  return [];
}

/** The training thread's heap and event-loop share, if its probe ran within two intervals. */
function probe(now: number): [number, number] {
  const at = f64[SYS_F64.PROBE_TIME_MS]!;
  if (!(now - at <= 2 * init.intervalMs)) {
    // Its event loop has not turned for that long: busy all along (or not started), heap unknown.
    return [NaN, at === at ? 100 : NaN];
  }
  return [f64[SYS_F64.PROBE_HEAP_MB]!, f64[SYS_F64.PROBE_ELU_PERCENT]!];
}

function publish(g: GpuSample[]): void {
  const r = readings.read();
  const now = Date.now();
  const [heap, elu] = probe(now);
  Atomics.add(i32, SYS.SEQ, 1); // odd: a reader that sees it retries
  f64[SYS_F64.SAMPLE_INDEX] = index++;
  f64[SYS_F64.TIME_MS] = now;
  f64[SYS_F64.PROCESS_CPU_PERCENT] = r.processCpuPercent;
  f64[SYS_F64.PROCESS_RSS_MB] = r.processRssMb;
  f64[SYS_F64.PROCESS_THREADS] = r.processThreads;
  f64[SYS_F64.HEAP_USED_MB] = heap;
  f64[SYS_F64.ELU_PERCENT] = elu;
  f64[SYS_F64.HOST_CPU_PERCENT] = r.hostCpuPercent;
  f64[SYS_F64.HOST_MEMORY_USED_PERCENT] = r.hostMemoryUsedPercent;
  f64[SYS_F64.HOST_MEMORY_AVAILABLE_MB] = r.hostMemoryAvailableMb;
  f64[SYS_F64.HOST_MEMORY_TOTAL_MB] = r.hostMemoryTotalMb;
  r.disks.forEach((d, i) => {
    f64[SYS_F64.DISKS + i * DISK_FIELDS] = d.readMb;
    f64[SYS_F64.DISKS + i * DISK_FIELDS + 1] = d.writtenMb;
  });
  const n = Math.min(g.length, MAX_GPUS);
  f64[SYS_F64.GPU_COUNT] = n;
  for (let i = 0; i < n; i++) {
    const x = g[i]!;
    const at = SYS_F64.GPUS + i * GPU_FIELDS;
    f64[at] = x.index;
    f64[at + 1] = x.utilizationPercent ?? NaN;
    f64[at + 2] = x.memoryBusyPercent ?? NaN;
    f64[at + 3] = x.memoryUsedMb ?? NaN;
    f64[at + 4] = x.memoryTotalMb ?? NaN;
    f64[at + 5] = x.temperatureC ?? NaN;
  }
  Atomics.add(i32, SYS.SEQ, 1); // even: whole
  Atomics.add(shared, SHARED.WRITER_WAKE, 1);
  Atomics.notify(shared, SHARED.WRITER_WAKE);
}

async function tick(): Promise<void> {
  // nvidia-smi first (it may take a while), then the CPU readings, so they end together.
  const g = await gpus();
  if (stopped) return;
  publish(g);
  schedule();
}

/** On the interval's grid (no drift); a late sample skips the ticks it missed. */
function schedule(): void {
  const elapsed = performance.now() - start;
  const next = (Math.floor(elapsed / init.intervalMs) + 1) * init.intervalMs;
  timer = setTimeout(() => void tick(), next - elapsed);
}

parentPort!.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  stopped = true;
  clearTimeout(timer);
  running.kill?.(); // a hanging nvidia-smi must not outlive the run
  parentPort!.close();
});
schedule();
