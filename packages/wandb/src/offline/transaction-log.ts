/**
 * One run's `run-<id>.wandb`: records are collected between commits and written at commit, each
 * framed where it lands, with one positional write of whole records (writeWholeAt). `num` is
 * given at that moment, so the stored records are numbered 1, 2, 3, … without a gap even when a
 * full disk made a commit's records be dropped.
 *
 * Records the run cannot do without (header, run, environment, metric definitions) are kept
 * across failed writes and go first in the next write that succeeds; the others of a failed
 * commit are dropped and counted by the WriteFailures the sink shares between its runs.
 */
import { closeSync, openSync } from 'node:fs';
import { crc32, Growable, ProtoWriter, varintLength, writeWholeAt, type WriteFailures } from '@ranklog/core/sink';
import { RECORD, type RecordType } from '../records/fields.js';
import { appendRecord, BLOCK_SIZE, CHUNK, CHUNK_HEADER, FILE_HEADER } from '../records/leveldb-log.js';

/** Record messages waiting for a commit: their bytes, and per record its type field and end. */
class Pending {
  readonly bytes = new Growable(1 << 14);
  readonly fields: number[] = [];
  readonly ends: number[] = [];

  add(field: number, message: Uint8Array): void {
    this.bytes.reserve(message.length);
    this.bytes.buf.set(message, this.bytes.pos);
    this.bytes.pos += message.length;
    this.fields.push(field);
    this.ends.push(this.bytes.pos);
  }

  get count(): number {
    return this.fields.length;
  }

  clear(): void {
    this.bytes.pos = 0;
    this.fields.length = 0;
    this.ends.length = 0;
  }
}

export class TransactionLog {
  private fd = -1;
  /** Bytes in the file: where the next write goes. */
  written = 0;
  /** `num` of the next stored record. */
  private nextNum = 1;
  private readonly required = new Pending();
  private readonly pending = new Pending();
  /** ranklog records carried by `pending` (what a failed commit loses). */
  private carried = 0;
  private readonly out = new ProtoWriter(1 << 16);
  private readonly payload = new ProtoWriter(1 << 12);

  constructor(
    readonly path: string,
    private readonly failures: WriteFailures,
    /** Creates the run directory (idempotent); called before the file is opened. */
    private readonly prepare: () => void,
  ) {}

  /** Records stored so far. */
  get records(): number {
    return this.nextNum - 1;
  }

  /** A record for the next commit; `carries` ranklog records are lost if its commit fails. */
  add(type: RecordType, message: Uint8Array, carries = 0): void {
    this.pending.add(RECORD[type], message);
    this.carried += carries;
  }

  /** A record that is kept until a write succeeds. */
  addRequired(type: RecordType, message: Uint8Array): void {
    this.required.add(RECORD[type], message);
  }

  /** Write everything added since the last commit, or drop and count it while the disk refuses writes. */
  commit(): void {
    if (this.required.count + this.pending.count === 0) return;
    const carried = this.carried;
    this.carried = 0;
    if (!this.failures.shouldTry()) {
      this.pending.clear();
      return this.failures.drop(carried);
    }
    const out = this.out;
    out.pos = 0;
    if (this.written === 0) {
      out.reserve(FILE_HEADER.length);
      out.buf.set(FILE_HEADER, 0);
      out.pos = FILE_HEADER.length;
    }
    let num = this.nextNum;
    num = this.frame(this.required, num);
    num = this.frame(this.pending, num);
    try {
      if (this.fd < 0) {
        this.prepare();
        this.fd = openSync(this.path, 'wx');
      }
      writeWholeAt(this.fd, out.buf.subarray(0, out.pos), this.written, this.path);
      this.written += out.pos;
      this.nextNum = num;
      this.required.clear();
      this.failures.succeed();
    } catch (e) {
      this.failures.fail(e, this.path, carried);
    } finally {
      this.pending.clear();
      out.pos = 0;
    }
  }

  /** Frame the records of `list` into `out` as Record { num, <type> } from `num` on; returns the next num. */
  private frame(list: Pending, num: number): number {
    const src = list.bytes.buf;
    const out = this.out;
    let start = 0;
    for (let i = 0; i < list.count; i++) {
      const end = list.ends[i]!;
      const length = end - start;
      const tag = list.fields[i]! * 8 + 2;
      const payload = 1 + varintLength(num) + varintLength(tag) + varintLength(length) + length;
      const left = BLOCK_SIZE - ((this.written + out.pos) % BLOCK_SIZE);
      if (left >= CHUNK_HEADER && CHUNK_HEADER + payload <= left) {
        // The common case, one FULL chunk: the Record is built right in place, after its chunk header.
        out.reserve(CHUNK_HEADER + payload);
        const at = out.pos;
        out.view.setUint16(at + 4, payload, true);
        out.buf[at + 6] = CHUNK.FULL;
        out.pos = at + CHUNK_HEADER;
        out
          .varint(RECORD.num * 8)
          .varint(num++)
          .varint(tag)
          .varint(length);
        out.buf.set(src.subarray(start, end), out.pos);
        out.pos += length;
        out.view.setUint32(at, crc32(out.buf.subarray(at + 6, out.pos)), true);
      } else {
        const p = this.payload;
        p.pos = 0;
        p.varint(RECORD.num * 8)
          .varint(num++)
          .varint(tag)
          .varint(length);
        p.reserve(length);
        p.buf.set(src.subarray(start, end), p.pos);
        p.pos += length;
        appendRecord(out, this.written, p.finish());
      }
      start = end;
    }
    return num;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
