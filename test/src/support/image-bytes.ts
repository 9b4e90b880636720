/**
 * PNG and JPEG bytes made here from the specifications (PNG: chunks with CRC-32;
 * JPEG: ITU T.81 B.2 marker segments), valid or broken on purpose, independent
 * of ranklog's own header reader.
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from './png-decode.js';

export const PNG_SIGNATURE = Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** One PNG chunk: length, type, data, CRC-32 of type + data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** IHDR data: width, height, bit depth, colour type, then compression, filter, interlace 0. */
export function ihdr(width: number, height: number, bitDepth = 8, colourType = 2): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = bitDepth;
  d[9] = colourType;
  return d;
}

/** A complete 8-bit PNG of `pixels` (HWC, 1–4 channels), filter 0, IDAT from node:zlib. */
export function handMadePng(width: number, height: number, channels: 1 | 2 | 3 | 4, pixels: Uint8Array): Uint8Array {
  const colourType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const stride = width * channels;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) Buffer.from(pixels.subarray(y * stride, (y + 1) * stride)).copy(raw, y * (stride + 1) + 1);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr(width, height, 8, colourType)),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** One JPEG marker segment: 0xFF, the marker, a 2-byte length that counts itself, the data. */
export function jpegSegment(marker: number, data: Uint8Array | number[]): Buffer {
  const d = Buffer.from(data);
  const out = Buffer.alloc(4 + d.length);
  out[0] = 0xff;
  out[1] = marker;
  out.writeUInt16BE(d.length + 2, 2);
  d.copy(out, 4);
  return out;
}

/** A baseline frame header (SOF0) of `components` components, 8-bit samples. */
export function sof0(width: number, height: number, components = 3): Buffer {
  const d = [8, height >> 8, height & 0xff, width >> 8, width & 0xff, components];
  for (let c = 1; c <= components; c++) d.push(c, 0x11, 0);
  return jpegSegment(0xc0, d);
}

/** SOI, a JFIF APP0 segment, then `segments`, then EOI: the marker structure of a JPEG up to its frame header. */
export function jpegWith(...segments: Uint8Array[]): Uint8Array {
  const app0 = jpegSegment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, ...segments, Buffer.from([0xff, 0xd9])]);
}
