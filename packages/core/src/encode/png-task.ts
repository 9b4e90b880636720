/**
 * Piscina task: raw HWC pixels → PNG bytes (fast-png, 8-bit, no interlace).
 * encodeRawImage is also called inline by png-pool.ts for small images.
 */
import { encode } from 'fast-png';
import { move } from 'piscina';
import type { RawImage } from '../sink/index.js';

/** float32 0..1 (little-endian bytes) → uint8 via round(x*255), clamped; NaN → 0. */
function floatToUint8(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  // DataView: the bytes may be unaligned (a view into a decoded message) and must be read as LE on any host.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const v = Math.round(view.getFloat32(i * 4, true) * 255);
    // biome-ignore lint/complexity/useMathMinMax: NaN must become 0 here, which Math.max(NaN, 0) does not give
    out[i] = v >= 255 ? 255 : v > 0 ? v : 0;
  }
  return out;
}

export function encodeRawImage(img: RawImage): Uint8Array {
  const { width, height, channels, dtype } = img;
  const n = width * height * channels;
  let pixels: Uint8Array;
  if (dtype === 'float32') {
    if (img.data.byteLength !== n * 4)
      throw new RangeError(`ranklog: float32 image ${width}×${height}×${channels} needs ${n * 4} bytes, got ${img.data.byteLength}`);
    pixels = floatToUint8(img.data, n);
  } else {
    if (img.data.byteLength !== n) throw new RangeError(`ranklog: uint8 image ${width}×${height}×${channels} needs ${n} bytes, got ${img.data.byteLength}`);
    pixels = img.data;
  }
  const png = encode({ width, height, channels, depth: 8, data: pixels });
  // fast-png returns a view into a larger, doubling growth buffer: copy the exact bytes so
  // neither the structured clone back to the caller nor the file write carries slack.
  return png.byteOffset === 0 && png.byteLength === png.buffer.byteLength ? png : png.slice();
}

/** The pool's entry point: transfer the result's buffer back instead of cloning it. */
export default function encodePngTask(img: RawImage): Uint8Array {
  return move(encodeRawImage(img)) as Uint8Array;
}
