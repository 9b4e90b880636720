/** Helpers of the log-path tests (ring concurrency, worker crashes, shutdown). */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { ExecutionContext } from 'ava';
import type { SeqProducerData } from '../fixtures/seq-producer.js';

export const SEQ_PRODUCER = new URL('../fixtures/seq-producer.js', import.meta.url);

/** A fresh directory, removed after the test. */
export function tempDir(t: ExecutionContext, tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ranklog-${tag}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface ProducerRun {
  worker: Worker;
  /** Messages the worker posted, in order. */
  messages: Record<string, unknown>[];
  /** Resolves when the worker exits: its exit code and the error it died of, if any. */
  exited: Promise<{ code: number; error: Error | undefined }>;
}

/** Start fixtures/seq-producer.js; terminated in teardown if it is still running. */
export function startProducer(t: ExecutionContext, data: SeqProducerData): ProducerRun {
  const worker = new Worker(SEQ_PRODUCER, { workerData: data, name: `seq-producer-${data.handle.rank}` });
  const messages: Record<string, unknown>[] = [];
  let error: Error | undefined;
  let running = true;
  worker.on('message', (m: Record<string, unknown>) => messages.push(m));
  worker.on('error', (e) => (error = e));
  const exited = new Promise<{ code: number; error: Error | undefined }>((resolve) => {
    worker.on('exit', (code) => {
      running = false;
      resolve({ code, error });
    });
  });
  t.teardown(async () => {
    if (running) await worker.terminate();
  });
  return { worker, messages, exited };
}

/** Split one RFC 4180 record (no trailing newline) into fields. Returns undefined while a quoted field is still open. */
export function parseCsvRecord(text: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return undefined; // the record continues on the next line
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text[i] !== ',') throw new Error(`bad CSV: '${text[i]}' after a quoted field in ${JSON.stringify(text.slice(0, 200))}`);
      i++;
    } else {
      const c = text.indexOf(',', i);
      if (c < 0) {
        const last = text.slice(i);
        if (last.includes('"')) throw new Error(`bad CSV: quote inside an unquoted field in ${JSON.stringify(text.slice(0, 200))}`);
        fields.push(last);
        return fields;
      }
      const f = text.slice(i, c);
      if (f.includes('"')) throw new Error(`bad CSV: quote inside an unquoted field in ${JSON.stringify(text.slice(0, 200))}`);
      fields.push(f);
      i = c + 1;
    }
  }
}

/** Stream the records of a CSV file (node:readline; records may span lines inside quotes). The first record is the header. */
export async function* csvRecords(file: string): AsyncGenerator<string[]> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let pending: string | undefined;
  for await (const line of rl) {
    const text = pending === undefined ? line : pending + '\n' + line;
    const rec = parseCsvRecord(text);
    if (rec === undefined) {
      pending = text;
      continue;
    }
    pending = undefined;
    yield rec;
  }
  if (pending !== undefined) throw new Error(`bad CSV: unterminated quoted field at the end of ${file}`);
}

export const CSV_HEADER = ['timestamp', 'rank', 'identifier', 'step', 'batch_idx', 'value'];

export interface SeqCsvCheck {
  header: string[] | undefined;
  rows: number;
  /** Per rank: rows seen. */
  perRank: Map<number, number>;
  /** Per rank: the gap-free prefix length (all of 0..k-1 present). */
  prefix: Map<number, number>;
  /** Rows whose step was already seen for that rank. */
  duplicates: number;
  /** Rows whose step is not greater than the previous step of that rank. */
  notIncreasing: number;
  /** Rows that are not identifier 'seq' with value = step, an empty batch_idx and an ISO timestamp. */
  malformed: number;
  /** Rows whose timestamp lies outside `timeRange` (when given). */
  outOfTime: number;
  firstProblems: string[];
}

/**
 * Read metrics.csv written from `seq` records (value = step = per-rank sequence number) and check
 * every row independently of the writer's code. `expected` gives the number of sequence numbers per
 * rank to size the bitmaps (rows beyond it count as malformed).
 */
export async function checkSeqCsv(
  file: string,
  expected: ReadonlyMap<number, number>,
  timeRange?: { from: number; to: number },
  identifier = 'seq',
): Promise<SeqCsvCheck> {
  // ISO-8601 UTC strings of one length compare like the instants they name; whole seconds around the range.
  const lo = timeRange ? new Date(Math.floor(timeRange.from / 1000) * 1000).toISOString() : '';
  const hi = timeRange ? new Date(Math.ceil(timeRange.to / 1000) * 1000).toISOString() : '';
  const seen = new Map<number, Uint8Array>();
  for (const [rank, n] of expected) seen.set(rank, new Uint8Array(n));
  const last = new Map<number, number>();
  const r: SeqCsvCheck = {
    header: undefined,
    rows: 0,
    perRank: new Map(),
    prefix: new Map(),
    duplicates: 0,
    notIncreasing: 0,
    malformed: 0,
    outOfTime: 0,
    firstProblems: [],
  };
  const problem = (s: string) => {
    if (r.firstProblems.length < 10) r.firstProblems.push(s);
  };
  for await (const rec of csvRecords(file)) {
    if (r.header === undefined) {
      r.header = rec;
      continue;
    }
    r.rows++;
    const [ts, rankS, id, stepS, batchS, valueS] = rec;
    const rank = Number(rankS);
    const step = Number(stepS);
    const bits = seen.get(rank);
    if (
      rec.length !== 6 ||
      id !== identifier ||
      batchS !== '' ||
      valueS !== stepS ||
      stepS === '' ||
      !Number.isSafeInteger(step) ||
      bits === undefined ||
      step < 0 ||
      step >= bits.length ||
      !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(ts ?? '')
    ) {
      r.malformed++;
      problem(`malformed row ${r.rows}: ${JSON.stringify(rec)}`);
      continue;
    }
    if (timeRange && (ts! < lo || ts! > hi)) {
      r.outOfTime++;
      problem(`rank ${rank} step ${step}: timestamp ${ts} outside ${lo} … ${hi}`);
    }
    r.perRank.set(rank, (r.perRank.get(rank) ?? 0) + 1);
    if (bits[step] !== 0) {
      r.duplicates++;
      problem(`duplicate rank ${rank} step ${step} at row ${r.rows}`);
    }
    bits[step] = 1;
    const prev = last.get(rank) ?? -1;
    if (step <= prev) {
      r.notIncreasing++;
      problem(`rank ${rank}: step ${step} after ${prev} at row ${r.rows}`);
    }
    last.set(rank, step);
  }
  for (const [rank, bits] of seen) {
    let k = 0;
    while (k < bits.length && bits[k] === 1) k++;
    r.prefix.set(rank, k);
  }
  return r;
}

/** Number of '\n' bytes in a file, streamed. */
export async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  }
  return n;
}
