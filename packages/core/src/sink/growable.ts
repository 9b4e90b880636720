/** A byte buffer that doubles when full: the base of the protobuf writer and of backends' record buffers. */
export class Growable {
  buf: Uint8Array;
  view: DataView;
  /** Bytes in use. */
  pos = 0;

  constructor(initial: number) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  /** Make room for n more bytes after pos. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}
