/**
 * The framing of the W&B transaction log, written by the package's transaction log and read back
 * with the test's own reader (support/wandb-decode.ts): records placed so that the next one meets
 * each edge of LevelDB's block format — exactly 7 bytes left (an empty FIRST chunk), 1 to 6 bytes
 * left (a zero-filled tail), a record ending on a block boundary, records spanning two and more
 * blocks — and `num` counted over stored records only. Then the framer against wandb's own:
 * the reference log's record payloads, framed again by ranklog, give the reference file byte for byte.
 */
import { REFERENCE_ROOT } from './support/reference-data.js';
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Growable, ProtoWriter, WriteFailures } from '@ranklog/core/sink';
import { TransactionLog } from '../../packages/wandb/dist/offline/transaction-log.js';
import { appendRecord, FILE_HEADER } from '../../packages/wandb/dist/records/leveldb-log.js';
import { updateMessage } from '../../packages/wandb/dist/records/messages.js';
import { BLOCK_SIZE, CHUNK, items, readFraming, readWandbFile } from './support/wandb-decode.js';

const REF = join(REFERENCE_ROOT, 'wandb/synthetic/offline-run-20250101_120000-ref0abcd/run-ref0abcd.wandb');

const varintLength = (v: number) => (v < 128 ? 1 : v < 16384 ? 2 : 3);

class Writer {
  readonly log: TransactionLog;
  readonly w = new ProtoWriter();
  /** The string value of each record written, in order. */
  readonly values: string[] = [];

  constructor(readonly path: string) {
    this.log = new TransactionLog(path, new WriteFailures(() => undefined, 'test'), () => undefined);
  }

  message(length: number): Uint8Array {
    return updateMessage(this.w, [{ key: `k${this.values.length}`, json: JSON.stringify('x'.repeat(length)) }]);
  }

  /** Bytes a record of this string length takes as one FULL chunk. */
  fullSize(length: number): number {
    const m = this.message(length).length;
    const num = this.values.length + 1;
    return 7 + 1 + varintLength(num) + 1 + varintLength(m) + m;
  }

  put(length: number): void {
    this.log.add('summary', this.message(length), 1);
    this.log.commit();
    this.values.push('x'.repeat(length));
  }

  /** Write one record (a FULL chunk in the current block) so that the file ends exactly at `target`. */
  landAt(target: number): void {
    // fullSize grows by one per character, but for the lengths of the varints: start just below.
    for (let length = Math.max(0, target - this.log.written - 40); length < BLOCK_SIZE; length++) {
      const end = this.log.written + this.fullSize(length);
      if (end === target) return this.put(length);
      if (end > target) break;
    }
    throw new Error(`cannot end a record exactly at ${target} from ${this.log.written}`);
  }
}

test('records placed at every block edge read back whole, in order, numbered 1, 2, 3, … with the right chunks and tails', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-wandb-framing-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const w = new Writer(join(dir, 'run-test.wandb'));
  w.put(10);
  const blockEnd = (k: number) => (Math.floor(w.log.written / BLOCK_SIZE) + k) * BLOCK_SIZE;

  // Exactly 7 bytes left: the next record starts with an empty FIRST chunk there.
  w.landAt(blockEnd(1) - 7);
  w.put(100);
  // 1 to 6 bytes left: zero-filled, the next record starts in the next block.
  for (let left = 1; left <= 6; left++) {
    w.landAt(blockEnd(1) - left);
    w.put(50 + left);
  }
  // A record ending exactly on a block boundary: the next starts a block.
  w.landAt(blockEnd(1));
  t.is(w.log.written % BLOCK_SIZE, 0);
  w.put(20);
  // Spanning two blocks, then more than two (FIRST, MIDDLE…, LAST), then one filling many blocks.
  w.put(40_000);
  w.put(100_000);
  w.put(5);
  w.log.close();

  const bytes = new Uint8Array(readFileSync(w.path));
  t.is(bytes.length, w.log.written, 'nothing is padded at the end');
  const { framing, records, errors } = readWandbFile(bytes);
  t.deepEqual(errors, [], 'the reader finds nothing off the format (num checked to run 1, 2, 3, …)');
  t.false(framing.truncatedTail);
  t.is(framing.emptyFirst, 1, 'one empty FIRST chunk: the record after the 7-byte gap');
  t.true(framing.zeroTails >= 6, `zero-filled tails: ${framing.zeroTails}`);
  t.true((framing.chunkTypes[CHUNK.MIDDLE] ?? 0) >= 2, 'the 100 000-byte record has MIDDLE chunks');
  t.is(records.length, w.values.length);
  t.deepEqual(
    records.map((r) => [r.type, [...items(r.body.messages(1)).values()][0]]),
    w.values.map((v) => ['summary', v]),
    'every record holds what was written, in order',
  );
});

test('a commit that fails is not numbered: the stored records stay 1, 2, 3, … (num is given when they are written)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-wandb-framing-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'run-test.wandb');
  let fail = false;
  let clock = 0;
  const failures = new WriteFailures(
    () => undefined,
    'test',
    () => clock,
  );
  const log = new TransactionLog(path, failures, () => {
    if (fail) throw Object.assign(new Error('ENOSPC: no space left on device, mkdir'), { code: 'ENOSPC' });
  });
  const w = new ProtoWriter();
  const add = (v: string) => log.add('summary', updateMessage(w, [{ key: 'v', json: JSON.stringify(v) }]), 1);
  fail = true;
  add('lost');
  log.commit(); // the file cannot even be created: dropped, counted
  t.is(failures.take(), 1);
  fail = false;
  clock += 10_000; // past the back-off
  add('a');
  add('b');
  log.commit();
  log.close();
  const { records, errors } = readWandbFile(new Uint8Array(readFileSync(path)));
  t.deepEqual(errors, []);
  t.deepEqual(
    records.map((r) => [r.num, items(r.body.messages(1)).get('v')]),
    [
      [1, 'a'],
      [2, 'b'],
    ],
  );
});

test("framing is byte-identical to wandb's own writer: the reference log's payloads framed again give the reference file", (t) => {
  const ref = new Uint8Array(readFileSync(REF));
  const framing = readFraming(ref);
  t.deepEqual(framing.errors, []);
  t.true(framing.emptyFirst >= 1 && framing.zeroTails >= 1 && (framing.chunkTypes[CHUNK.MIDDLE] ?? 0) >= 1, 'the reference holds every edge case');
  const out = new Growable(1 << 16);
  out.reserve(FILE_HEADER.length);
  out.buf.set(FILE_HEADER, 0);
  out.pos = FILE_HEADER.length;
  for (const payload of framing.records) appendRecord(out, 0, payload);
  t.is(out.pos, statSync(REF).size);
  t.true(Buffer.from(out.buf.subarray(0, out.pos)).equals(ref), 'same bytes');
});
