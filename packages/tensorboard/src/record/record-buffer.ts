/**
 * TFRecord framing into a growing in-memory buffer:
 *   uint64 length | uint32 masked CRC32C(length) | payload | uint32 masked CRC32C(payload)
 * The event file hands the buffer to write(2) at each commit, so a file only
 * ever grows by whole records (a kill mid-write truncates at most the last one).
 */
import { crc32c, maskCrc } from './crc32c.js';
import { Growable } from '@ranklog/core/sink';

export const HEADER_BYTES = 12;
export const FOOTER_BYTES = 4;

export class RecordBuffer extends Growable {
  /** Masked CRC of the 8 length bytes, by length: records of one tag repeat their length. */
  private readonly lengthCrc = new Map<number, number>();
  /** The last length looked up, and its CRC: most records repeat the one before. */
  private lastLength = -1;
  private lastLengthCrc = 0;
  private readonly lenBytes = new Uint8Array(8);
  private readonly lenView = new DataView(this.lenBytes.buffer);

  constructor(initial = 1 << 20) {
    super(initial);
  }

  /**
   * Frame a payload the caller has just written at [pos + HEADER_BYTES, pos + HEADER_BYTES + length):
   * fills the header and footer and advances pos past the record.
   */
  seal(length: number): void {
    const p = this.pos + HEADER_BYTES;
    this.sealWithCrc(length, crc32c(this.buf, p, p + length));
  }

  /** seal(), for a caller that computed the payload's CRC32C as it wrote it. */
  sealWithCrc(length: number, payloadCrc: number): void {
    const start = this.pos;
    const view = this.view;
    view.setUint32(start, length, true);
    view.setUint32(start + 4, 0, true); // payloads stay far below 4 GiB
    if (length !== this.lastLength) {
      let lc = this.lengthCrc.get(length);
      if (lc === undefined) {
        this.lenView.setUint32(0, length, true);
        this.lenView.setUint32(4, 0, true);
        lc = maskCrc(crc32c(this.lenBytes));
        this.lengthCrc.set(length, lc);
      }
      this.lastLength = length;
      this.lastLengthCrc = lc;
    }
    view.setUint32(start + 8, this.lastLengthCrc, true);
    const end = start + HEADER_BYTES + length;
    view.setUint32(end, maskCrc(payloadCrc), true);
    this.pos = end + FOOTER_BYTES;
  }

  /** Frame a finished payload. */
  append(payload: Uint8Array): void {
    this.reserve(HEADER_BYTES + payload.length + FOOTER_BYTES);
    this.buf.set(payload, this.pos + HEADER_BYTES);
    this.seal(payload.length);
  }

  /** The framed bytes so far; call clear() once they are written. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  clear(): void {
    this.pos = 0;
  }
}
