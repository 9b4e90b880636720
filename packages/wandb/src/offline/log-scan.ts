/**
 * Reads a transaction log back far enough to repair it: where its last whole record ends (a
 * process killed in the middle of a write leaves a torn tail after it), the last `num`, whether
 * the run has its Exit and Final records, and its last `_runtime`. Block by block, so a log of
 * any size costs 32 KiB of memory plus its largest record.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from '@ranklog/core/sink';
import { RECORD } from '../records/fields.js';
import { BLOCK_SIZE, CHUNK, CHUNK_HEADER, FILE_HEADER } from '../records/leveldb-log.js';
import { fields } from '../records/proto-fields.js';

export interface LogScan {
  size: number;
  /** Bytes up to the end of the last whole record (the header alone: 7). */
  validEnd: number;
  records: number;
  lastNum: number;
  hasExit: boolean;
  hasFinal: boolean;
  /** The last `_runtime` a Summary record set, in whole seconds. */
  runtimeSecs: number;
  /** Why reading stopped before the end of the file, if it did. */
  stoppedBecause: string | undefined;
}

const utf8 = new TextDecoder();

function noteRecord(scan: LogScan, payload: Uint8Array): void {
  for (const f of fields(payload)) {
    if (f.field === RECORD.num && f.wire === 0) scan.lastNum = f.value;
    else if (f.field === RECORD.exit) scan.hasExit = true;
    else if (f.field === RECORD.final) scan.hasFinal = true;
    else if (f.field === RECORD.summary) {
      for (const item of fields(f.bytes)) {
        if (item.field !== 1) continue;
        let key = '';
        let value = '';
        for (const part of fields(item.bytes)) {
          if (part.field === 1) key = utf8.decode(part.bytes);
          else if (part.field === 16) value = utf8.decode(part.bytes);
        }
        if (key === '_runtime' && Number.isFinite(Number(value))) scan.runtimeSecs = Math.floor(Number(value));
      }
    }
  }
  scan.records++;
}

/** Scan the log; `onRecord` gets each whole record (a Record message: num and its type) in order, before it is counted. */
export function scanLog(path: string, onRecord?: (record: Uint8Array) => void): LogScan {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const scan: LogScan = { size, validEnd: 0, records: 0, lastNum: 0, hasExit: false, hasFinal: false, runtimeSecs: 0, stoppedBecause: undefined };
    const block = Buffer.alloc(BLOCK_SIZE);
    const header = Buffer.alloc(FILE_HEADER.length);
    if (size < FILE_HEADER.length || readSync(fd, header, 0, header.length, 0) !== header.length || !header.equals(FILE_HEADER)) {
      scan.stoppedBecause = 'the file does not start with the W&B header';
      return scan;
    }
    scan.validEnd = FILE_HEADER.length;
    let pos = FILE_HEADER.length;
    let pieces: Uint8Array[] | undefined;
    let blockStart = -1;
    let blockLength = 0;
    while (pos < size) {
      const start = pos - (pos % BLOCK_SIZE);
      if (start !== blockStart) {
        blockStart = start;
        blockLength = readSync(fd, block, 0, BLOCK_SIZE, start);
      }
      const at = pos - start;
      const left = BLOCK_SIZE - at;
      if (left < CHUNK_HEADER) {
        if (block.subarray(at, Math.min(blockLength, BLOCK_SIZE)).some((b) => b !== 0)) {
          scan.stoppedBecause = `the block tail at ${pos} is not zero-filled`;
          break;
        }
        pos += left;
        continue;
      }
      if (at + CHUNK_HEADER > blockLength) {
        scan.stoppedBecause = `a torn chunk header at ${pos}`;
        break;
      }
      const length = block.readUInt16LE(at + 4);
      const type = block[at + 6]!;
      if (CHUNK_HEADER + length > left) {
        scan.stoppedBecause = `a chunk at ${pos} that would cross its block`;
        break;
      }
      if (at + CHUNK_HEADER + length > blockLength) {
        scan.stoppedBecause = `a torn chunk at ${pos}`;
        break;
      }
      if (block.readUInt32LE(at) !== crc32(block.subarray(at + 6, at + CHUNK_HEADER + length))) {
        scan.stoppedBecause = `a chunk with a wrong checksum at ${pos}`;
        break;
      }
      const data = block.subarray(at + CHUNK_HEADER, at + CHUNK_HEADER + length);
      pos += CHUNK_HEADER + length;
      let whole: Uint8Array | undefined;
      if (type === CHUNK.FULL && pieces === undefined) whole = data;
      else if (type === CHUNK.FIRST && pieces === undefined) pieces = [Buffer.from(data)];
      else if ((type === CHUNK.MIDDLE || type === CHUNK.LAST) && pieces !== undefined) {
        pieces.push(Buffer.from(data));
        if (type === CHUNK.LAST) {
          whole = Buffer.concat(pieces);
          pieces = undefined;
        }
      } else {
        scan.stoppedBecause = `a chunk of type ${type} out of sequence at ${pos - CHUNK_HEADER - length}`;
        break;
      }
      if (whole === undefined) continue;
      try {
        noteRecord(scan, whole);
        onRecord?.(whole);
      } catch (e) {
        scan.stoppedBecause = `a record that is not a protobuf message before ${pos} (${(e as Error).message})`;
        break;
      }
      scan.validEnd = pos;
    }
    if (scan.stoppedBecause === undefined && pieces !== undefined) scan.stoppedBecause = 'a record cut off at the end of the file';
    return scan;
  } finally {
    closeSync(fd);
  }
}
