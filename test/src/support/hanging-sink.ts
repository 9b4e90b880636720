/** The writer side of HangingCloseLogger: takes every record, and close() never resolves. */
import type { SinkFactory } from '@ranklog/core/sink';

const createHangingSink: SinkFactory = () => ({
  write() {},
  commit() {},
  close() {
    // The timer keeps the writer thread alive: it must stay in close(), not exit.
    return new Promise<void>(() => setInterval(() => undefined, 1 << 30));
  },
});
export default createHangingSink;
