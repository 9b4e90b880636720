/**
 * Images as the legacy Summary.Image (encoded PNG/JPEG + size + colorspace),
 * with plugin metadata 'images': the structure tensorboardX writes.
 */
import { readJpegHeader, readPngHeader } from '@ranklog/core/sink';
import { ProtoWriter } from '@ranklog/core/sink';
import { IMAGE, METADATA, PLUGIN_DATA, VALUE } from '../proto/fields.js';

export interface ImageSize {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (Summary.Image.colorspace). */
  colorspace: number;
}

/**
 * Width, height and colorspace of PNG / JPEG bytes. log() accepted them only after the same
 * structural checks (core's image-header.ts), and the pool's own PNGs are well formed.
 */
export function pngSize(png: Uint8Array): ImageSize {
  return readPngHeader(png);
}

export function jpegSize(jpeg: Uint8Array): ImageSize {
  return readJpegHeader(jpeg);
}

export function imageValue(tag: string, encoded: Uint8Array, size: ImageSize): Uint8Array {
  return new ProtoWriter(encoded.length + tag.length + 32)
    .string(VALUE.tag, tag)
    .message(VALUE.image, (m) =>
      m.int64(IMAGE.height, size.height).int64(IMAGE.width, size.width).int64(IMAGE.colorspace, size.colorspace).bytes(IMAGE.encodedImageString, encoded),
    )
    .message(VALUE.metadata, (m) => m.message(METADATA.pluginData, (p) => p.string(PLUGIN_DATA.pluginName, 'images')))
    .finish();
}
