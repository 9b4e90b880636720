import type { LogRecord, Sink, SinkFactory } from '../../sink/index.js';

/** Counts what it is given; the sum of metric values keeps the work observable. */
const createNullSink: SinkFactory = (): Sink => {
  let records = 0;
  let metrics = 0;
  let sum = 0;
  return {
    write(r: LogRecord) {
      records++;
      if (r.kind === 'metric') {
        metrics++;
        if (r.value === r.value) sum += r.value;
      }
    },
    commit() {},
    close() {},
    stats: () => ({ records, metrics, metricSum: sum }),
  };
};
export default createNullSink;
