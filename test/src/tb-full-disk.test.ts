/**
 * The TensorBoard sink on a disk that refuses writes (injected faults, driven directly without a
 * writer thread; full-disk.test.ts does the same on a real tmpfs): a short write then ENOSPC must
 * leave the event file ending with its last whole record, the next write must land exactly there
 * (no zero hole), the batch is counted as lost, and the records TensorBoard needs once — the
 * file_version and the hparams session start — are written when the disk accepts writes again.
 * The file is read with the test's own decoder.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogRecord, Sink, SinkEnv } from '@ranklog/core/sink';
import createTensorBoardSink from '../../packages/tensorboard/dist/tensorboard-sink.js';
import { decodeEventBytes, decodeHParamsPluginData, EVENT_FILE_PATTERN, scalarOf, summaryValues } from './support/tb-decode.js';
import { enospc, injectWriteFaults } from './support/write-faults.js';

function scalar(step: number): LogRecord {
  return { kind: 'metric', rank: 0, identifier: 'loss', step, batchIdx: undefined, timeMs: 1_700_000_000_000 + step, value: step / 2, item: step / 2 };
}

async function commitBatch(sink: Sink, from: number, n: number): Promise<number> {
  for (let s = from; s < from + n; s++) await sink.write(scalar(s));
  return (await sink.commit()) ?? 0;
}

test.serial(
  'a short write then ENOSPC: the event file is cut back to its last whole record, the batch is lost and counted, and later records follow without a hole',
  async (t) => {
    const savedir = mkdtempSync(join(tmpdir(), 'ranklog-tb-fault-'));
    t.teardown(() => rmSync(savedir, { recursive: true, force: true }));
    const warnings: string[] = [];
    const env: SinkEnv = {
      runName: 'run',
      coordinatorRank: 0,
      worldSize: 1,
      encodePng: () => Promise.reject(new Error('no images')),
      warn: (m) => warnings.push(m),
      debug: () => {},
    };
    const sink = await createTensorBoardSink({ savedir, multiRank: false }, env);
    const runDir = join(savedir, 'run');

    t.is(await commitBatch(sink, 0, 1000), 0);
    const file = join(runDir, readdirSync(runDir).find((n) => EVENT_FILE_PATTERN.test(n))!);
    const sizeBefore = statSync(file).size;

    let calls = 0;
    const restore = injectWriteFaults(
      (f) => f === file,
      (len) => {
        if (calls++ === 0) return Math.floor(len / 3); // a short write, then the disk is full
        throw enospc();
      },
    );
    let lost: number;
    try {
      await sink.write({ kind: 'param', rank: 0, identifier: 'lr', step: undefined, batchIdx: undefined, timeMs: 1_700_000_000_000, value: NaN, item: 0.5 });
      lost = await commitBatch(sink, 1000, 1000);
    } finally {
      restore();
    }
    t.is(lost, 1000, 'the scalars are counted as lost (the param waits in the hparams session start, which is kept)');
    t.is(statSync(file).size, sizeBefore, 'the partial write was cut off');
    t.is(warnings.filter((w) => /cannot write .* \(ENOSPC: no space left on device\)/.test(w)).length, 1, warnings.join('\n'));

    // The disk accepts writes again: batches are dropped during the backoff, then written.
    let resumedAt = 2000;
    while ((await commitBatch(sink, resumedAt, 100)) !== 0) {
      resumedAt += 100;
      await new Promise((r) => setImmediate(r)); // the backoff's clock moves on; no fixed wait
    }
    const last = resumedAt + 100;
    t.is(await commitBatch(sink, last, 100), 0);
    await sink.close('finished');

    const decoded = decodeEventBytes(new Uint8Array(readFileSync(file)), file);
    t.deepEqual(decoded.errors, [], 'every record reads back (a zero hole would fail the next CRC)');
    t.false(decoded.truncatedTail);
    t.is(decoded.events[0]?.fileVersion, 'brain.Event:2');
    const steps = summaryValues(decoded.events)
      .filter((v) => v.value.tag === 'loss')
      .map((v) => [v.event.step, scalarOf(v.value)]);
    const expected = [...Array.from({ length: 1000 }, (_, s) => s), ...Array.from({ length: 200 }, (_, k) => resumedAt + k)];
    t.deepEqual(
      steps,
      expected.map((s) => [s, s / 2]),
    );
    const sessions = summaryValues(decoded.events)
      .filter((v) => v.value.metadata?.pluginName === 'hparams')
      .map((v) => decodeHParamsPluginData(v.value.metadata!.pluginContent!).data);
    t.deepEqual(sessions, ['session_start_info', 'session_end_info'], 'the session start, lost with its batch, is written once the disk accepts writes');
  },
);
