/**
 * Structural checks of PNG and JPEG headers. Encoded images are passed to the
 * backends as they are (TensorBoard stores width and height from the header),
 * so bytes that merely start with a signature are not accepted as an image.
 * The readers throw an Error whose message says what is wrong, in words that
 * follow "it starts like a PNG file but …".
 */
import { crc32 } from './crc32.js';

/** Each side at most this many pixels (JPEG's own limit; TensorBoard and browsers choke long before PNG's 2³¹−1). */
export const MAX_IMAGE_SIDE = 65535;
/** At most this many pixels in all (2²⁸ = 268 M, 1 GiB as RGBA): bigger headers are corrupt or hostile, not training images. */
export const MAX_IMAGE_PIXELS = 2 ** 28;

export interface ImageHeader {
  readonly width: number;
  readonly height: number;
  /** As TensorBoard's Summary.Image colorspace: 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha. */
  readonly colorspace: 1 | 2 | 3 | 4;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = 0x49484452;
const IDAT = 0x49444154;
const IEND = 0x49454e44;
/** Bit depths allowed for each PNG colour type (PNG spec, table 11.1). */
const PNG_DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const PNG_COLORSPACE: Readonly<Record<number, 1 | 2 | 3 | 4>> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

export function isPng(b: Uint8Array): boolean {
  if (b.length < PNG_SIGNATURE.length) return false;
  for (let i = 0; i < PNG_SIGNATURE.length; i++) if (b[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

function checkSize(width: number, height: number): void {
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new Error(
      `its header says ${width}×${height} pixels, above ranklog's limit (each side at most ${MAX_IMAGE_SIDE}, at most 2^28 = ${MAX_IMAGE_PIXELS} pixels in all)`,
    );
  }
}

const chunkName = (type: number) => String.fromCharCode(type >>> 24, (type >>> 16) & 0xff, (type >>> 8) & 0xff, type & 0xff);
const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/**
 * A PNG's size from its IHDR, after checking the file's structure: the signature, IHDR first
 * (13 bytes, its CRC-32 right, a valid colour type/bit depth), and a walk over the chunks that
 * finds IDAT and IEND without running past the end. Pixel data is not decompressed.
 */
export function readPngHeader(png: Uint8Array): ImageHeader {
  if (!isPng(png)) throw new Error('its first 8 bytes are not the PNG signature');
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (png.length < 8 + 25) throw new Error(`it ends after ${png.length} bytes, before the end of its IHDR chunk`);
  if (v.getUint32(12) !== IHDR || v.getUint32(8) !== 13) throw new Error('its first chunk is not a 13-byte IHDR');
  if (crc32(png.subarray(12, 29)) !== v.getUint32(29)) throw new Error('the CRC-32 of its IHDR chunk is wrong (the file is corrupt)');
  const width = v.getUint32(16);
  const height = v.getUint32(20);
  if (width === 0 || height === 0) throw new Error(`its header says ${width}×${height} pixels; PNG images have at least 1×1`);
  const depth = png[24]!;
  const colorType = png[25]!;
  if (!PNG_DEPTHS[colorType]?.includes(depth)) throw new Error(`its IHDR has colour type ${colorType} with bit depth ${depth}, which PNG does not define`);
  if (png[26] !== 0 || png[27] !== 0 || png[28]! > 1) throw new Error('its IHDR names an unknown compression, filter or interlace method');
  checkSize(width, height);
  let seenData = false;
  for (let at = 33; ; ) {
    if (at + 12 > png.length) throw new Error(`it ends at byte ${png.length} before its IEND chunk (truncated)`);
    const length = v.getUint32(at);
    const type = v.getUint32(at + 4);
    if (!isLetter(png[at + 4]!) || !isLetter(png[at + 5]!) || !isLetter(png[at + 6]!) || !isLetter(png[at + 7]!)) {
      throw new Error(`it has no valid chunk at byte ${at} (the file is corrupt)`);
    }
    if (length > png.length - at - 12) throw new Error(`its ${chunkName(type)} chunk at byte ${at} runs past the end of the file (truncated)`);
    if (type === IDAT) seenData = true;
    if (type === IEND) {
      if (!seenData) throw new Error('it has no image data (no IDAT chunk before IEND)');
      return { width, height, colorspace: PNG_COLORSPACE[colorType]! };
    }
    at += 12 + length;
  }
}

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC): the frame headers that carry the size. */
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * A JPEG's size from its frame header, after walking the marker segments from SOI to the
 * first SOFn: every segment must lie inside the file. Entropy-coded data is not decoded.
 */
export function readJpegHeader(jpeg: Uint8Array): ImageHeader {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('it does not start with a JPEG start-of-image marker');
  let at = 2;
  for (;;) {
    if (at >= jpeg.length) throw new Error(`it ends at byte ${jpeg.length} before a frame header (SOFn) gives its size (truncated)`);
    if (jpeg[at] !== 0xff) throw new Error(`it has no marker at byte ${at} where one must be (the file is corrupt)`);
    while (jpeg[at] === 0xff) at++; // fill bytes before a marker
    if (at >= jpeg.length) throw new Error('it ends inside a marker (truncated)');
    const marker = jpeg[at++]!;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM and RSTn stand alone
    if (marker === 0xd9 || marker === 0xda || marker === 0xd8 || marker === 0x00) {
      throw new Error(
        `it has a ${marker === 0xd9 ? 'end-of-image' : marker === 0xda ? 'start-of-scan' : 'misplaced'} marker (0xFF${marker.toString(16).toUpperCase().padStart(2, '0')}) before any frame header (SOFn)`,
      );
    }
    if (at + 2 > jpeg.length) throw new Error('it ends inside a segment length (truncated)');
    const length = (jpeg[at]! << 8) | jpeg[at + 1]!;
    const name = `0xFF${marker.toString(16).toUpperCase()}`;
    if (length < 2) throw new Error(`its ${name} segment at byte ${at - 2} has length ${length} (the file is corrupt)`);
    if (at + length > jpeg.length) throw new Error(`its ${name} segment at byte ${at - 2} runs past the end of the file (truncated)`);
    if (isStartOfFrame(marker)) {
      const components = jpeg[at + 7];
      if (length < 8 || components === undefined || components === 0 || length !== 8 + 3 * components) {
        throw new Error(`its frame header (${name}) at byte ${at - 2} is malformed`);
      }
      const height = (jpeg[at + 3]! << 8) | jpeg[at + 4]!;
      const width = (jpeg[at + 5]! << 8) | jpeg[at + 6]!;
      if (height === 0)
        throw new Error('its frame header gives height 0 (set later by a DNL marker), which ranklog does not read; re-encode it with the height in the header');
      if (width === 0) throw new Error('its frame header gives width 0');
      checkSize(width, height);
      return { width, height, colorspace: components === 1 ? 1 : 3 };
    }
    at += length;
  }
}
