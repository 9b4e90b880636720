/**
 * GPU readings from nvidia-smi, run by the sampler thread (never the training thread) with a
 * timeout. The command is looked up on PATH, or RANKLOG_NVIDIA_SMI names it (tests put a fake
 * one there). Without nvidia-smi, or when it fails or hangs, there are no GPU readings: never an error.
 */
import { execFile } from 'node:child_process';
import type { GpuSample } from '../sink/system-sample.js';

/** The columns asked for, in this order (nvidia-smi --help-query-gpu); MiB and °C, no units printed. */
export const GPU_QUERY = ['index', 'utilization.gpu', 'utilization.memory', 'memory.used', 'memory.total', 'temperature.gpu'] as const;
export const GPU_QUERY_ARGS = [`--query-gpu=${GPU_QUERY.join(',')}`, '--format=csv,noheader,nounits'];

/** nvidia-smi's CSV, one GPU a line; a field it cannot read ('[N/A]', '[Not Supported]') is undefined. */
export function parseGpuCsv(text: string): GpuSample[] {
  const gpus: GpuSample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.split(',').map((s) => {
      const t = s.trim();
      const v = t === '' ? NaN : Number(t);
      return Number.isFinite(v) ? v : undefined;
    });
    if (f.length !== GPU_QUERY.length) continue; // not the answer to our query: no guessing
    gpus.push({
      index: f[0] ?? gpus.length,
      utilizationPercent: f[1],
      memoryBusyPercent: f[2],
      memoryUsedMb: f[3],
      memoryTotalMb: f[4],
      temperatureC: f[5],
    });
  }
  return gpus;
}

export type GpuAnswer = { gpus: GpuSample[] } | { missing: true } | { failed: string };

/** One query; resolves, never rejects. `running` lets the caller kill a query in flight when it stops. */
export function queryGpus(command: string, timeoutMs: number, running: { kill?: () => void }): Promise<GpuAnswer> {
  return new Promise((resolve) => {
    const child = execFile(command, GPU_QUERY_ARGS, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 16, windowsHide: true }, (error, stdout) => {
      running.kill = undefined;
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        resolve(code === 'ENOENT' || code === 'EACCES' ? { missing: true } : { failed: error.message });
      } else resolve({ gpus: parseGpuCsv(stdout) });
    });
    running.kill = () => child.kill('SIGKILL');
  });
}
