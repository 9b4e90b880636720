/** The Sink half of the custom backend of docs/backend-guide.md: runs in its own writer thread. */
import { appendWhole, WriteFailures, type SinkFactory } from '@ranklog/core/sink';
import { openSync, closeSync } from 'node:fs';

const createJsonlSink: SinkFactory<{ file: string; multiRank: boolean }> = (options, env) => {
  const fd = openSync(options.file, 'a');
  const failures = new WriteFailures(env.warn, 'my jsonl');
  let lines = '';
  let records = 0;
  return {
    write(r) {
      // r is reused: read it now, keep nothing
      lines += JSON.stringify({ rank: r.rank, id: r.identifier, step: r.step ?? null, value: r.item }) + '\n';
      records++;
    },
    commit() {
      // after each batch; the ring space is released after it
      const n = records;
      records = 0;
      if (n === 0) return 0;
      if (!failures.shouldTry()) failures.drop(n);
      else {
        try {
          appendWhole(fd, Buffer.from(lines), options.file);
          failures.succeed();
        } catch (e) {
          failures.fail(e, options.file, n); // told once; the file stays whole
        }
      }
      lines = '';
      return failures.take(); // records of this batch the disk refused
    },
    close() {
      // 'finished' | 'killed' | 'failed', once
      failures.report();
      closeSync(fd);
    },
    stats: () => ({ failedOnDisk: failures.failed }),
  };
};
export default createJsonlSink;
