/**
 * The contract test kit (@ranklog/core/sink-contract) run against every backend's sink, each
 * read back with the test's own reader of that backend's format; and the kit itself, against
 * sinks that break the contract on purpose (it must report them).
 */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogRecord, SinkFactory } from '@ranklog/core/sink';
import { checkSinkContract, type StoredRecord } from '@ranklog/core/sink-contract';
import createLocalSink from '../../packages/core/dist/backends/local/local-sink.js';
import createTensorBoardSink from '../../packages/tensorboard/dist/tensorboard-sink.js';
import createMlflowSink, { type MlflowSinkOptions } from '../../packages/mlflow/dist/mlflow-sink.js';
import { parseCsv } from './support/csv-parse.js';
import { EVENT_FILE_PATTERN, forEachEvent, scalarOf } from './support/tb-decode.js';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';

function tempDirs(t: { teardown(f: () => void): void }): () => string {
  return () => {
    const d = mkdtempSync(join(tmpdir(), 'ranklog-contract-'));
    t.teardown(() => rmSync(d, { recursive: true, force: true }));
    return d;
  };
}

test('local files keep the sink contract (read back from metrics.csv)', async (t) => {
  const dir = tempDirs(t);
  const problems = await checkSinkContract({
    createSink: createLocalSink,
    options: () => ({ savedir: dir() }),
    durableAfter: 'commit',
    readBack: (o) => {
      let text: string;
      try {
        text = readFileSync(join(o.savedir, 'contract-run', 'metrics.csv'), 'utf8');
      } catch {
        return [];
      }
      return parseCsv(text)
        .slice(1)
        .map(([, rank, identifier, step, , value]) => ({
          rank: Number(rank),
          identifier: identifier!,
          step: step === '' ? undefined : Number(step),
          value: Number(value),
        }));
    },
  });
  t.deepEqual(problems, []);
});

test('TensorBoard keeps the sink contract (read back from the event files of each rank)', async (t) => {
  const dir = tempDirs(t);
  const problems = await checkSinkContract({
    createSink: createTensorBoardSink,
    options: () => ({ savedir: dir(), multiRank: true }),
    durableAfter: 'commit',
    float32Values: true,
    readBack: (o) => {
      const out: StoredRecord[] = [];
      const runDir = join(o.savedir, 'contract-run');
      let rankDirs: string[];
      try {
        rankDirs = readdirSync(runDir).filter((n) => /^rank_\d+$/.test(n));
      } catch {
        return [];
      }
      for (const rankDir of rankDirs) {
        const rank = Number(rankDir.slice(5));
        for (const name of readdirSync(join(runDir, rankDir))
          .filter((n) => EVENT_FILE_PATTERN.test(n))
          .sort()) {
          forEachEvent(new Uint8Array(readFileSync(join(runDir, rankDir, name))), name, (e) => {
            for (const v of e.summary?.values ?? []) out.push({ rank, identifier: v.tag, step: e.step, value: scalarOf(v) });
          });
        }
      }
      return out;
    },
  });
  t.deepEqual(problems, []);
});

test('MLflow (file store) keeps the sink contract after flush() (read back from mlruns/, one nested run per rank)', async (t) => {
  const dir = tempDirs(t);
  const problems = await checkSinkContract({
    createSink: createMlflowSink,
    options: (): MlflowSinkOptions => {
      const savedir = dir();
      return {
        trackingUri: join(savedir, 'mlruns'),
        displayUri: join(savedir, 'mlruns'),
        experimentName: 'contract',
        multiRank: true,
        multiProcess: false,
        logOnWorkers: -1,
        savedir,
        flushSecs: 3600,
        sourceName: 'contract',
        closeTimeoutSecs: 10,
      } as MlflowSinkOptions;
    },
    durableAfter: 'flush',
    readBack: (o) => {
      const root = o.trackingUri;
      let ids: string[];
      try {
        ids = experimentIdsNamed(root, 'contract');
      } catch {
        return [];
      }
      const points: (StoredRecord & { timestamp: number })[] = [];
      for (const run of ids.flatMap((id) => runsIn(root, id))) {
        const rank = run.tags.get('ranklog.rank');
        if (rank === undefined) continue; // the job's parent run holds no points
        for (const [identifier, lines] of run.metrics)
          for (const l of lines) points.push({ rank: Number(rank), identifier, step: l.step, value: l.value, timestamp: l.timestamp });
      }
      // One file per key: the log order comes back from the timestamps (the kit logs one record per ms).
      return points.sort((a, b) => a.timestamp - b.timestamp).map(({ timestamp: _, ...r }) => r);
    },
  });
  t.deepEqual(problems, []);
});

/** A sink that keeps the record object itself and writes it out only at commit: what the reused record object must prevent. */
const keepsReferences: SinkFactory<{ out: StoredRecord[] }> = (o) => {
  const held: LogRecord[] = [];
  return {
    write: (r) => void held.push(r),
    commit: () => {
      for (const r of held) o.out.push({ rank: r.rank, identifier: r.identifier, step: r.step, value: r.value });
      held.length = 0;
    },
    close: () => undefined,
  };
};

/** A sink that writes only at close: records a commit returned from are not durable. */
const writesAtClose: SinkFactory<{ out: StoredRecord[] }> = (o) => {
  const held: StoredRecord[] = [];
  return {
    write: (r) => void held.push({ rank: r.rank, identifier: r.identifier, step: r.step, value: r.value }),
    commit: () => undefined,
    close: () => void o.out.push(...held.splice(0)),
  };
};

for (const [name, createSink, expected] of [
  ['keeps a reference to the reused record object', keepsReferences, /records stored for rank -1, which logged nothing/],
  ['is not durable after commit()', writesAtClose, /before close \(after the last commit\): rank 0 has 0 records stored, 300 logged/],
] as const) {
  test(`the kit reports a sink that ${name}`, async (t) => {
    const problems = await checkSinkContract({ createSink, options: () => ({ out: [] as StoredRecord[] }), readBack: (o) => o.out, durableAfter: 'commit' });
    t.true(
      problems.some((p) => expected.test(p)),
      problems.join('\n'),
    );
  });
}
