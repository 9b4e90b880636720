/**
 * What ranklog's TensorBoard backend is compared with: writing event files
 * synchronously on the training thread, without the ring — per scalar, on the
 * calling thread:
 *  - encode only: the package's own scalar encoder (per-tag template, TFRecord
 *    framing, two CRC32Cs) into a memory buffer, no I/O: the work the writer
 *    thread does per scalar, which the ring moves off the training thread;
 *  - encode + one fs.writeSync per record (what a naive writer does);
 *  - the same with a generic protobuf encoder (the package's ProtoWriter path,
 *    a few small allocations per record), + one writeSync per record;
 *  - encode into a buffer + one writeSync per 1000 records (a batching writer).
 * Each takes Date.now() for the event's wall_time, as a writer must. The ratios
 * are to hot.metric.tensorboard, the metric() fast path into TensorBoardLogger
 * measured in the same run (hot-path group).
 *
 * The encoder internals are not exported by @ranklog/tensorboard; they are
 * imported from its built files by relative path (benchmarks only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EventFile } from '../../packages/tensorboard/dist/record/event-file.js';
import { ScalarTemplate, summaryEvent } from '../../packages/tensorboard/dist/record/event.js';
import { RecordBuffer } from '../../packages/tensorboard/dist/record/record-buffer.js';
import { nsResult, timeBatches, type BatchPlan, type Config, type Result } from './harness.js';

const TAG = 'train/loss_batch';

/** Runs `f(file)` on a fresh event file in a fresh directory, removed afterwards. */
function withEventFile<T>(tmp: string, f: (file: EventFile) => T): T {
  const dir = mkdtempSync(join(tmp, 'tb-sync-'));
  const file = new EventFile(dir);
  try {
    return f(file);
  } finally {
    file.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function encodeOnly(plan: BatchPlan): number[] {
  const out = new RecordBuffer();
  const t = new ScalarTemplate(TAG);
  let s = 0;
  return timeBatches((n) => {
    for (let i = 0; i < n; i++, s++) {
      t.write(out, Date.now() / 1000, s, s * 1e-6);
      if (out.pos > 1 << 19) out.clear();
    }
    out.clear();
  }, plan);
}

function writeEachGeneric(plan: BatchPlan, tmp: string): number[] {
  return withEventFile(tmp, (file) => {
    let s = 0;
    return timeBatches((n) => {
      for (let i = 0; i < n; i++, s++) {
        file.out.append(summaryEvent(Date.now() / 1000, s, ScalarTemplate.value(TAG, s * 1e-6)));
        file.flush();
      }
    }, plan);
  });
}

function writeBatched(plan: BatchPlan, tmp: string, every: number): number[] {
  return withEventFile(tmp, (file) => {
    const t = new ScalarTemplate(TAG);
    let s = 0;
    return timeBatches((n) => {
      for (let i = 0; i < n; i++, s++) {
        t.write(file.out, Date.now() / 1000, s, s * 1e-6);
        if ((s + 1) % every === 0) file.flush();
      }
    }, plan);
  });
}

export async function baselinesTensorboard(cfg: Config): Promise<Result[]> {
  const q = cfg.quick;
  const ref = 'hot.metric.tensorboard';
  return [
    nsResult(
      'tb.sync.encode',
      'TensorBoard scalar encode + TFRecord framing into memory, no I/O (the writer thread’s work per scalar)',
      encodeOnly({ batch: 100_000, batches: q ? 10 : 50, warmup: 2 }),
      ref,
    ),
    nsResult(
      'tb.sync.write-each',
      'sync on the training thread: encode + fs.writeSync per record (naive event writer)',
      writeBatched({ batch: 1_000, batches: q ? 20 : 100, warmup: 2 }, cfg.tmp, 1),
      ref,
    ),
    nsResult(
      'tb.sync.write-each.generic',
      'sync: generic protobuf encode (ProtoWriter, allocates) + fs.writeSync per record',
      writeEachGeneric({ batch: 1_000, batches: q ? 20 : 100, warmup: 2 }, cfg.tmp),
      ref,
    ),
    nsResult(
      'tb.sync.batched-1000',
      'sync: encode into a buffer + one fs.writeSync per 1000 records',
      writeBatched({ batch: 20_000, batches: q ? 10 : 50, warmup: 2 }, cfg.tmp, 1000),
      ref,
    ),
  ];
}
