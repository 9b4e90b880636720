/**
 * Images as the legacy Summary.Image (encoded PNG/JPEG + size + colorspace),
 * with plugin metadata 'images': the structure tensorboardX writes.
 */
import { ProtoWriter } from '../proto/writer.js';
import { IMAGE, METADATA, PLUGIN_DATA, VALUE } from '../proto/fields.js';

export interface ImageSize {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (Summary.Image.colorspace). */
  colorspace: number;
}

/** Width, height and colorspace from a PNG's IHDR chunk. */
export function pngSize(png: Uint8Array): ImageSize {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (png.length < 26 || v.getUint32(12) !== 0x49484452) throw new Error('ranklog tensorboard: PNG without an IHDR chunk');
  const colorType = png[25]!;
  const colorspace = colorType === 0 ? 1 : colorType === 4 ? 2 : colorType === 6 ? 4 : 3; // 2 (RGB) and 3 (palette) show as RGB
  return { width: v.getUint32(16), height: v.getUint32(20), colorspace };
}

/** Width, height and colorspace from a JPEG's first start-of-frame marker. */
export function jpegSize(jpeg: Uint8Array): ImageSize {
  let i = 2;
  while (i + 9 < jpeg.length) {
    if (jpeg[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = jpeg[i + 1]!;
    const len = (jpeg[i + 2]! << 8) | jpeg[i + 3]!;
    // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (jpeg[i + 5]! << 8) | jpeg[i + 6]!;
      const width = (jpeg[i + 7]! << 8) | jpeg[i + 8]!;
      const components = jpeg[i + 9]!;
      return { width, height, colorspace: components === 1 ? 1 : 3 };
    }
    i += 2 + len;
  }
  throw new Error('ranklog tensorboard: JPEG without a start-of-frame marker');
}

export function imageValue(tag: string, encoded: Uint8Array, size: ImageSize): Uint8Array {
  return new ProtoWriter(encoded.length + tag.length + 32)
    .string(VALUE.tag, tag)
    .message(VALUE.image, (m) =>
      m
        .int64(IMAGE.height, size.height)
        .int64(IMAGE.width, size.width)
        .int64(IMAGE.colorspace, size.colorspace)
        .bytes(IMAGE.encodedImageString, encoded),
    )
    .message(VALUE.metadata, (m) => m.message(METADATA.pluginData, (p) => p.string(PLUGIN_DATA.pluginName, 'images')))
    .finish();
}
