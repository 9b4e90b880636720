/**
 * Test backends built on the public Logger API: they record every record
 * their writer thread receives into a JSON-lines file (see recording-sink.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { KINDS, Logger, type ContextOptions, type Kind, type LoggerBase, type LogFreq, type LogOnWorkers } from '@ranklog/core';

export interface RecordingLoggerOptions {
  /** JSON-lines file the writer appends to (created when the writer starts). */
  file: string;
  logFreq?: LogFreq;
  logOnWorkers?: LogOnWorkers;
  /** Kinds this backend declares (default: all KINDS). */
  kinds?: readonly Kind[];
  /** The writer's idle poll interval this backend asks for in sinkSpec() (default: none, the context's default). */
  pollMs?: number;
}

export class RecordingLogger extends Logger {
  readonly supportedKinds: readonly Kind[];
  readonly file: string;
  private readonly pollMs: number | undefined;

  constructor(options: RecordingLoggerOptions) {
    super({ logFreq: options.logFreq, logOnWorkers: options.logOnWorkers });
    this.file = options.file;
    this.supportedKinds = options.kinds ?? KINDS;
    this.pollMs = options.pollMs;
  }

  sinkSpec() {
    return {
      sinkModule: new URL('./recording-sink.js', import.meta.url).href,
      sinkOptions: { file: this.file },
      ...(this.pollMs !== undefined ? { pollMs: this.pollMs } : {}),
    };
  }
}

/** A second class, so a collection can hold two recording backends. */
export class OtherRecordingLogger extends RecordingLogger {}

/** One record as the recording sink wrote it. */
export interface RecordedLine {
  kind: Kind;
  rank: number;
  identifier: string;
  step: number | null;
  batchIdx: number | null;
  timeMs: number;
  /** A number, or "NaN" / "Infinity" / "-Infinity". */
  value: number | string;
  item: unknown;
}

/** The records in `file`, in order; [] when the file does not exist. */
export function readRecords(file: string): RecordedLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as RecordedLine);
}

let runCounter = 0;
/** A run name no other test (or process) uses. */
export function uniqueRunName(prefix: string): string {
  return `${prefix}-${process.pid}-${++runCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A fresh directory under the OS temp dir, removed after the test; returns the path of `name` in it. */
export function tempFile(t: ExecutionContext, name = 'records.jsonl'): string {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, name);
}

/** createLoggerContext with a unique runName and no signal handlers; destroys the context after the test if it is still open. */
export async function startRecording(t: ExecutionContext, logger: LoggerBase, options: ContextOptions = {}): Promise<void> {
  t.teardown(() => logger[Symbol.asyncDispose]());
  await logger.createLoggerContext({ runName: uniqueRunName('t'), handleSignals: false, ...options });
}
