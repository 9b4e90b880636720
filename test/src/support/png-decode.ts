/**
 * A small PNG decoder written from the PNG specification (W3C PNG, 2nd ed.), independent
 * of fast-png, to check the images a sink writes: signature, chunk framing with CRC-32,
 * IHDR, concatenated IDAT inflated with node:zlib, filter types 0–4 (Paeth included).
 * Supports what the sinks write: bit depth 8, colour types 0, 2, 4, 6, no interlace.
 * Everything else throws, so an unexpected file fails the test instead of passing by luck.
 */
import { inflateSync } from 'node:zlib';

export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** 8-bit samples, HWC. */
  data: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const CHANNELS_OF_COLOUR_TYPE: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 4: 2, 6: 4 };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}

export function decodePng(file: Uint8Array): DecodedImage {
  for (let i = 0; i < 8; i++) if (file[i] !== SIGNATURE[i]) throw new Error('PNG: bad signature');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let pos = 8;
  let header: { width: number; height: number; channels: 1 | 2 | 3 | 4 } | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos < file.length) {
    if (ended) throw new Error('PNG: data after IEND');
    if (pos + 12 > file.length) throw new Error('PNG: truncated chunk');
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...file.subarray(pos + 4, pos + 8));
    if (pos + 12 + length > file.length) throw new Error(`PNG: truncated ${type} chunk`);
    const data = file.subarray(pos + 8, pos + 8 + length);
    const crc = view.getUint32(pos + 8 + length);
    if (crc32(file.subarray(pos + 4, pos + 8 + length)) !== crc) throw new Error(`PNG: CRC mismatch in ${type}`);
    pos += 12 + length;
    if (header === undefined && type !== 'IHDR') throw new Error('PNG: IHDR is not the first chunk');
    switch (type) {
      case 'IHDR': {
        if (header !== undefined || length !== 13) throw new Error('PNG: bad IHDR');
        const d = new DataView(data.buffer, data.byteOffset, 13);
        const width = d.getUint32(0);
        const height = d.getUint32(4);
        const [bitDepth, colourType, compression, filter, interlace] = data.subarray(8, 13);
        if (width === 0 || height === 0) throw new Error('PNG: zero size');
        if (bitDepth !== 8) throw new Error(`PNG: bit depth ${bitDepth} not supported by this decoder`);
        const channels = CHANNELS_OF_COLOUR_TYPE[colourType!];
        if (channels === undefined) throw new Error(`PNG: colour type ${colourType} not supported by this decoder`);
        if (compression !== 0 || filter !== 0) throw new Error('PNG: unknown compression or filter method');
        if (interlace !== 0) throw new Error('PNG: interlaced images not supported by this decoder');
        header = { width, height, channels };
        break;
      }
      case 'IDAT':
        idat.push(data);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // Ancillary chunks (lower-case first letter) may be skipped; critical ones may not.
        if (type.charCodeAt(0) & 0x20) break;
        throw new Error(`PNG: unknown critical chunk ${type}`);
    }
  }
  if (!ended) throw new Error('PNG: no IEND');
  if (header === undefined || idat.length === 0) throw new Error('PNG: no IHDR or IDAT');
  const { width, height, channels } = header;
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = channels; // bytes per complete pixel at bit depth 8
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`PNG: image data is ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const ft = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0;
      let pred: number;
      switch (ft) {
        case 0:
          pred = 0;
          break;
        case 1:
          pred = a;
          break;
        case 2:
          pred = b;
          break;
        case 3:
          pred = (a + b) >>> 1;
          break;
        case 4:
          pred = paeth(a, b, c);
          break;
        default:
          throw new Error(`PNG: unknown filter type ${ft} on row ${y}`);
      }
      out[row + x] = (raw[src + x]! + pred) & 0xff;
    }
  }
  return { width, height, channels, data: out };
}
