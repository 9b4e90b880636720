/**
 * A test sink: every record it receives becomes one JSON line
 * {kind, rank, identifier, step, batchIdx, timeMs, value, item} appended to
 * options.file in commit(). Typed arrays become plain arrays; NaN and
 * ±Infinity become the strings "NaN", "Infinity", "-Infinity"; a missing
 * step/batchIdx is null.
 *
 * The factory creates the (empty) file, so the file exists if and only if a
 * writer thread for this backend was started: tests use that as the probe
 * for "a rank that must not log does no I/O".
 */
import { appendFileSync } from 'node:fs';
import type { LogRecord, Sink, SinkFactory } from '@ranklog/core/sink';

export interface RecordingSinkOptions {
  file: string;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

export function recordToLine(r: LogRecord): string {
  return JSON.stringify(
    {
      kind: r.kind,
      rank: r.rank,
      identifier: r.identifier,
      step: r.step ?? null,
      batchIdx: r.batchIdx ?? null,
      timeMs: r.timeMs,
      value: r.value,
      item: r.item,
    },
    replacer,
  );
}

const createRecordingSink: SinkFactory<RecordingSinkOptions> = (options): Sink => {
  if (typeof options !== 'object' || options === null || typeof options.file !== 'string') {
    throw new TypeError(`recording-sink: options.file must be a path, got ${JSON.stringify(options)}`);
  }
  const file = options.file;
  appendFileSync(file, ''); // creates the file: it exists iff this writer started
  let pending: string[] = [];
  let records = 0;
  const commit = (): void => {
    if (pending.length === 0) return;
    const text = pending.join('\n') + '\n';
    pending = [];
    appendFileSync(file, text);
  };
  return {
    write(r) {
      // The drain loop reuses the record object: serialise now.
      pending.push(recordToLine(r));
      records++;
    },
    commit,
    close() {
      commit();
    },
    stats: () => ({ recorded: records }),
  };
};

export default createRecordingSink;
