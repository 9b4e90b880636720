/**
 * The contract test kit: what every Sink must do, checked the same way for every backend
 * (docs/backend-guide.md). A backend's test suite calls checkSinkContract() with its sink
 * factory and a reader for what the backend stored, and asserts that no problem comes back:
 *
 *   t.deepEqual(await checkSinkContract({ createSink, options, readBack, durableAfter: 'commit' }), []);
 *
 * It drives the sink as the writer thread does — one record object, reused and overwritten after
 * each write(), commit() after each batch, close() once — and checks:
 * - records reach the store complete and in log order (per rank), also when the record object is
 *   reused (a sink that keeps a reference to it stores garbage);
 * - what commit() (or flush(), for sinks that deliver later) returned from is durable: readBack()
 *   sees it before close;
 * - commit() returns nothing or a count of lost records (0 here: the disk is fine);
 * - close() accepts each end reason, once, and stats() holds numbers;
 * - writeSystemSample(), if the sink has it, takes a sample between two batches without
 *   disturbing the records around it (stored `system/…` metrics are not compared).
 * It knows nothing of ava or any other test framework.
 */
import type { Kind, LogRecord, RunEndReason, Sink, SinkEnv, SinkFactory } from './index.js';
import type { SystemSample } from './system-sample.js';

/** What the backend stored for one record, as its own reader sees it. */
export interface StoredRecord {
  rank: number;
  identifier: string;
  /** For metrics; undefined for other kinds. */
  value?: number;
  step: number | undefined;
}

/** Options of the shared sink contract tests: how to open the sink under test and read back what it stored. */
export interface SinkContractOptions<O> {
  createSink: SinkFactory<O>;
  /** Fresh options for each sink the kit opens (e.g. a new directory): called once per sink. */
  options: () => O | Promise<O>;
  /** What the sink of these options stored, in the order a reader of the backend sees it. */
  readBack: (options: O) => StoredRecord[] | Promise<StoredRecord[]>;
  /** When records must be readable: after commit() (files), or after flush() (a client that delivers later). */
  durableAfter: 'commit' | 'flush';
  /** Ranks to interleave (default [0, 1]): a backend that keeps ranks apart must keep each rank's order. */
  ranks?: number[];
  /** The environment handed to the sink (runName, warn, …); defaults are provided. */
  env?: Partial<SinkEnv>;
  /** The store keeps metric values as float32 (TensorBoard's simple_value): compare rounded. */
  float32Values?: boolean;
}

const RECORDS_PER_RANK = 300;
const BATCH = 100;
const REASONS: RunEndReason[] = ['finished', 'killed', 'failed'];

/** A mutable record like the writer thread's RecordView: one object, refilled for every record. */
interface MutableRecord {
  kind: Kind;
  rank: number;
  identifier: string;
  step: number | undefined;
  batchIdx: number | undefined;
  timeMs: number;
  value: number;
  item: unknown;
}

function defaultEnv(over: Partial<SinkEnv> | undefined): SinkEnv {
  return {
    runName: 'contract-run',
    coordinatorRank: 0,
    worldSize: undefined,
    encodePng: () => Promise.reject(new Error('the contract kit logs no images')),
    warn: () => undefined,
    debug: () => undefined,
    ...over,
  };
}

/** Returns the problems found (empty when the sink keeps the contract). */
export async function checkSinkContract<O>(c: SinkContractOptions<O>): Promise<string[]> {
  const problems: string[] = [];
  const ranks = c.ranks ?? [0, 1];
  const options = await c.options();
  const sink: Sink = await c.createSink(options, defaultEnv(c.env));
  const rec: MutableRecord = { kind: 'metric', rank: 0, identifier: '', step: 0, batchIdx: undefined, timeMs: 0, value: 0, item: 0 };
  const expected: StoredRecord[] = [];
  const t0 = Date.UTC(2025, 0, 1);
  let i = 0;
  for (let batch = 0; i < RECORDS_PER_RANK * ranks.length; batch++) {
    for (let k = 0; k < BATCH && i < RECORDS_PER_RANK * ranks.length; k++, i++) {
      const rank = ranks[i % ranks.length]!;
      const step = Math.floor(i / ranks.length);
      const identifier = i % 3 === 0 ? 'contract/loss' : 'contract/accuracy';
      const value = step + rank / 10;
      Object.assign(rec, { kind: 'metric', rank, identifier, step, batchIdx: undefined, timeMs: t0 + i, value, item: value });
      await sink.write(rec as LogRecord);
      // The record object belongs to the writer: it is refilled at once; a sink must not keep it.
      Object.assign(rec, { rank: -1, identifier: 'contract/garbage', step: -1, value: NaN, item: NaN, timeMs: 0 });
      expected.push({ rank, identifier, value, step });
    }
    if (batch === 0 && sink.writeSystemSample) {
      try {
        await sink.writeSystemSample(contractSample(ranks[0]!, t0 + i));
      } catch (e) {
        problems.push(`writeSystemSample() threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const lost = await sink.commit();
    if (lost !== undefined && lost !== 0) problems.push(`commit() after batch ${batch} reported ${String(lost)} lost records on a healthy disk`);
  }
  if (c.durableAfter === 'flush') await sink.flush?.();
  const round = c.float32Values === true ? Math.fround : (v: number) => v;
  compare(problems, 'before close (after the last ' + c.durableAfter + ')', expected, await c.readBack(options), round);
  await sink.close('finished');
  compare(problems, 'after close', expected, await c.readBack(options), round);
  const stats = sink.stats?.() ?? {};
  for (const [k, v] of Object.entries(stats))
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`stats().${k} is ${String(v)}, not a finite number`);

  for (const reason of REASONS) {
    const s = await c.createSink(await c.options(), defaultEnv(c.env));
    try {
      await s.close(reason);
    } catch (e) {
      problems.push(`close('${reason}') threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return problems;
}

/** A plausible sample of a machine with one GPU and a disk. */
function contractSample(rank: number, timeMs: number): SystemSample {
  return {
    index: 0,
    timeMs,
    intervalSecs: 15,
    rank,
    processCpuPercent: 150,
    processRssMb: 512,
    processThreads: 12,
    heapUsedMb: 64,
    eventLoopUtilizationPercent: 40,
    hostCpuPercent: 30,
    hostCpuCount: 8,
    hostMemoryUsedPercent: 50,
    hostMemoryAvailableMb: 8192,
    hostMemoryTotalMb: 16384,
    disk: { device: 'nvme0n1', readMb: 1.5, writtenMb: 3 },
    gpus: [{ index: 0, utilizationPercent: 90, memoryBusyPercent: 40, memoryUsedMb: 4096, memoryTotalMb: 16384, temperatureC: 60 }],
  };
}

/** Every expected record once, per rank in log order (ranks may interleave in any order). */
function compare(problems: string[], when: string, expected: StoredRecord[], stored: StoredRecord[], round: (v: number) => number): void {
  const per = (list: StoredRecord[]) => {
    const m = new Map<number, StoredRecord[]>();
    for (const r of list) m.set(r.rank, [...(m.get(r.rank) ?? []), r]);
    return m;
  };
  const want = per(expected);
  const got = per(stored.filter((r) => !r.identifier.startsWith('system/')));
  for (const [rank, records] of want) {
    const have = got.get(rank) ?? [];
    if (have.length !== records.length) {
      problems.push(`${when}: rank ${rank} has ${have.length} records stored, ${records.length} logged`);
      continue;
    }
    for (let k = 0; k < records.length; k++) {
      const a = records[k]!;
      const b = have[k]!;
      if (a.identifier !== b.identifier || a.step !== b.step || (b.value !== undefined && !Object.is(round(a.value!), b.value))) {
        problems.push(`${when}: rank ${rank} record ${k} stored as ${JSON.stringify(b)}, logged as ${JSON.stringify(a)}`);
        break;
      }
    }
  }
  for (const rank of got.keys()) if (!want.has(rank)) problems.push(`${when}: records stored for rank ${rank}, which logged nothing`);
}
