/**
 * The two ends of a ring as the library composes them, for tests that drive a ring directly:
 * the ring (frames of slots) under the record codec (records in those frames).
 */
import { RingProducer, type FullRingPolicy } from '../../../packages/core/dist/ring/producer.js';
import { RingConsumer } from '../../../packages/core/dist/ring/consumer.js';
import { RecordWriter } from '../../../packages/core/dist/codec/record-writer.js';
import { RecordReader } from '../../../packages/core/dist/codec/record-reader.js';

export { RecordView } from '../../../packages/core/dist/codec/record-reader.js';

/** The producing thread's end: records in, frames published. */
export function recordWriter(sab: SharedArrayBuffer, shared: Int32Array, policy: FullRingPolicy = 'wait'): RecordWriter {
  return new RecordWriter(new RingProducer(sab, shared, policy));
}

/** Backend `reader`'s end: frames read, records out. */
export function recordReader(sab: SharedArrayBuffer, reader: number, clockBase: number): RecordReader {
  return new RecordReader(new RingConsumer(sab, reader), clockBase);
}
