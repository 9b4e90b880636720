/**
 * The rendezvous wire format: each message is a 4-byte big-endian length, then that many bytes
 * of msgpack (docs/jobs.md "Protocol"). A stream delivers bytes in arbitrary pieces; FrameReader
 * reassembles whole frames.
 */
import { Packr } from 'msgpackr';

/** Larger frames are a protocol error (a stray client, a port scanner): the connection is closed. */
export const MAX_FRAME = 1 << 20;

const packr = new Packr({ useRecords: false });

export function encodeFrame(message: unknown): Buffer {
  const body = packr.pack(message);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Feed bytes; returns the whole messages they complete. Throws on an oversized frame. */
  push(chunk: Buffer): unknown[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: unknown[] = [];
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (n > MAX_FRAME) throw new Error(`rendezvous frame of ${n} bytes (at most ${MAX_FRAME})`);
      if (this.buf.length < 4 + n) break;
      out.push(packr.unpack(this.buf.subarray(4, 4 + n)));
      this.buf = this.buf.subarray(4 + n);
    }
    return out;
  }
}
