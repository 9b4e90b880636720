/**
 * The coordinator's side of system metrics: one sampler thread and one training-thread probe per
 * context, started only when a backend that logs on the context's rank asked for samples
 * (systemMetrics). Samples are per process: they go with the context's rank, also when training
 * worker_threads log as other ranks.
 */
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { MAX_DISKS, newSystemBlock } from './block-layout.js';
import { blockDeviceOf } from './disk-device.js';
import type { SamplerInit } from './sampler-thread.js';
import type { SystemMetricsInit } from './sample-reader.js';
import { startThreadProbe } from './thread-probe.js';

export interface SampledBackend {
  index: number;
  /** The backend's interval, ms. */
  intervalMs: number;
  /** The directory it writes into: its device's I/O is reported (default: the working directory). */
  dir: string | undefined;
}

/** Shortest sampler interval: a common divisor of the backends' intervals below this is not used. */
const MIN_SAMPLER_MS = 1000;

/** How long stop() lets the sampler end on its own before terminating it. */
const STOP_WAIT_MS = 1000;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export class SystemSampling {
  private readonly block = newSystemBlock();
  private readonly sampler: Worker;
  private readonly stopProbe: () => void;
  private readonly inits = new Map<number, SystemMetricsInit>();
  private stopped: Promise<void> | undefined;

  constructor(backends: readonly SampledBackend[], sharedSab: SharedArrayBuffer) {
    // One sampler for every backend: at the intervals' common divisor, so each keeps its own pace.
    const common = backends.map((b) => b.intervalMs).reduce(gcd);
    const intervalMs = common >= MIN_SAMPLER_MS ? common : Math.min(...backends.map((b) => b.intervalMs));
    const disks: string[] = [];
    for (const b of backends) {
      const device = blockDeviceOf(resolve(b.dir ?? process.cwd()));
      let slot = device === undefined ? -1 : disks.indexOf(device);
      if (device !== undefined && slot < 0 && disks.length < MAX_DISKS) slot = disks.push(device) - 1;
      this.inits.set(b.index, {
        block: this.block,
        every: Math.max(1, Math.round(b.intervalMs / intervalMs)),
        intervalSecs: b.intervalMs / 1000,
        diskSlot: slot,
        diskName: slot < 0 ? '' : disks[slot]!,
      });
    }
    this.stopProbe = startThreadProbe(this.block, intervalMs);
    const init: SamplerInit = { block: this.block, sharedSab, intervalMs, disks, gpuCommand: process.env.RANKLOG_NVIDIA_SMI || 'nvidia-smi' };
    this.sampler = new Worker(new URL('./sampler-thread.js', import.meta.url), { workerData: init, name: 'ranklog-system-metrics' });
    this.sampler.unref();
  }

  /** What the writer of backend `index` needs, if it takes samples. */
  initFor(index: number): SystemMetricsInit | undefined {
    return this.inits.get(index);
  }

  /** Stop sampling (and a hanging nvidia-smi with it). */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopProbe();
      // The sampler kills an nvidia-smi in flight and ends; terminate() after a bound, whatever it does.
      // The timer is ref'd: destroyLoggerContext() awaits this, and nothing else may keep the process up.
      const exited = new Promise<void>((done) => {
        const bound = setTimeout(done, STOP_WAIT_MS);
        this.sampler.once('exit', () => {
          clearTimeout(bound);
          done();
        });
      });
      this.sampler.postMessage('stop');
      await exited;
      await this.sampler.terminate();
    })();
    return this.stopped;
  }
}
