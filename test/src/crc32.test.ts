/**
 * The CRC-32 behind the PNG header check and W&B's chunks: node:zlib's for long inputs where Node has
 * it (20.15+), slicing-by-8 for short ones, and the byte-wise table. All must agree with the test suite's own implementation (support/png-decode.ts).
 */
import test from 'ava';
import * as zlib from 'node:zlib';
import { crc32, sliceBy8Crc32, tableCrc32 } from '../../packages/core/dist/sink/crc32.js';
import { crc32 as reference } from './support/png-decode.js';
import { mulberry32 } from './support/prng.js';

test('crc32 and the table fallback agree with an independent CRC-32 on known and random inputs', (t) => {
  // The check value of CRC-32/ISO-HDLC ("123456789"), and the IEND chunk's CRC every PNG ends with.
  t.is(tableCrc32(Buffer.from('123456789')), 0xcbf43926);
  t.is(tableCrc32(Buffer.from('IEND')), 0xae426082);
  t.is(tableCrc32(new Uint8Array(0)), 0);
  const random = mulberry32(9);
  for (const n of [1, 7, 8, 13, 17, 255, 1023, 1024, 4096]) {
    const data = Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
    t.is(tableCrc32(data), reference(data), `table, ${n} bytes`);
    t.is(crc32(data), reference(data), `crc32, ${n} bytes`);
    t.is(sliceBy8Crc32(data), reference(data), `slicing-by-8, ${n} bytes`);
  }
  t.is(
    typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? crc32 !== sliceBy8Crc32 : crc32 === sliceBy8Crc32,
    true,
    'zlib.crc32 is used for long inputs when it exists',
  );
});
