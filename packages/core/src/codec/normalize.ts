/**
 * Producer-side validation and normalisation of every non-scalar kind into
 * the shape a sink receives (see ItemOfKind in sink/index.ts). Runs on the
 * training thread, so it throws before anything reaches the ring: a bad
 * item never half-writes a record.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Kind } from '../vocab/kinds.js';
import { argError } from '../vocab/errors.js';
import { loneSurrogateError } from '../vocab/validate.js';
import type { DatasetItem, FigureItem, ImageItem, PathItem } from '../sink/index.js';
import { isJpeg, isPng, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, readJpegHeader, readPngHeader } from '../sink/image-header.js';
import { toJsonValue } from './json-value.js';

/** A string that survives UTF-8 (msgpack, files, HTTP) unchanged. */
function wellFormed(argument: string, s: string): string {
  if (!s.isWellFormed()) throw loneSurrogateError(argument, s);
  return s;
}

/** Encoded bytes are passed on as they are, so their header must be what a viewer (and TensorBoard) will read. */
function checkedBytes(argument: string, item: unknown, bytes: Uint8Array, format: 'png' | 'jpeg'): Uint8Array {
  try {
    if (format === 'png') readPngHeader(bytes);
    else readJpegHeader(bytes);
  } catch (e) {
    const name = format === 'png' ? 'PNG' : 'JPEG';
    throw argError(
      argument,
      item,
      `it starts like a ${name} file but ${(e as Error).message}; pass a complete, valid ${name} file (or raw pixels as { data, width, height, channels }).`,
    );
  }
  return bytes;
}

function asBytes(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return undefined;
}

function normalizeImage(item: unknown): ImageItem {
  const bytes = asBytes(item);
  if (bytes) {
    if (isPng(bytes)) return { format: 'png', data: checkedBytes('item (image bytes)', item, bytes, 'png') };
    if (isJpeg(bytes)) return { format: 'jpeg', data: checkedBytes('item (image bytes)', item, bytes, 'jpeg') };
    throw argError('item (image bytes)', item, 'bytes must be a PNG or JPEG file; pass raw pixels as { data, width, height, channels }.');
  }
  const fix = 'pass { data, width, height, channels } with data a Uint8Array (0..255) or Float32Array/number[] (0..1) in HWC order, or PNG/JPEG bytes.';
  if (typeof item !== 'object' || item === null) throw argError('item (image)', item, fix);
  const { data, width, height, channels = 3 } = item as Record<string, unknown>;
  if (typeof width !== 'number' || !Number.isInteger(width) || width <= 0) throw argError('image width', width, 'pass a positive integer.');
  if (typeof height !== 'number' || !Number.isInteger(height) || height <= 0) throw argError('image height', height, 'pass a positive integer.');
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4)
    throw argError('image channels', channels, 'pass 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA).');
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    // The same limit as for PNG/JPEG bytes: the encoded PNG must pass the backends' header check too.
    throw argError(
      'image width × height',
      `${width}×${height}`,
      `use each side at most ${MAX_IMAGE_SIDE} and at most 2^28 = ${MAX_IMAGE_PIXELS} pixels in all (downscale it).`,
      RangeError,
    );
  }
  const n = width * height * channels;
  const check = (len: number) => {
    if (len !== n)
      throw argError('image data', data, `its length must be width × height × channels = ${width}×${height}×${channels} = ${n}, not ${len}.`, RangeError);
  };
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) {
    check(data.length);
    return { format: 'raw', width, height, channels, dtype: 'uint8', data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  if (data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data)) {
    check(data.length);
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = Number(data[i]);
      if (!(x >= 0 && x <= 1))
        throw argError(`image data[${i}]`, data[i], 'float pixels must lie in 0..1; scale them, or pass a Uint8Array of 0..255.', RangeError);
      f[i] = x;
    }
    return { format: 'raw', width, height, channels, dtype: 'float32', data: new Uint8Array(f.buffer) };
  }
  throw argError('image data', data, fix);
}

function normalizeFigure(item: unknown): FigureItem {
  const bytes = asBytes(item);
  if (bytes) {
    if (isPng(bytes)) return { format: 'png', data: checkedBytes('item (figure bytes)', item, bytes, 'png') };
    throw argError('item (figure bytes)', item, 'figure bytes must be a PNG file; pass SVG as a string or a Vega-Lite spec as an object.');
  }
  if (typeof item === 'string') {
    if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?<svg[\s>]/i.test(item))
      return { format: 'svg', svg: wellFormed('item (figure)', item) };
    throw argError('item (figure)', item, 'a string figure must be an SVG document starting with <svg.');
  }
  if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
    const spec = item as Record<string, unknown>;
    const schema = spec.$schema;
    const looksVegaLite =
      (typeof schema === 'string' && schema.includes('vega-lite')) ||
      'mark' in spec ||
      'layer' in spec ||
      'concat' in spec ||
      'hconcat' in spec ||
      'vconcat' in spec ||
      'facet' in spec ||
      'repeat' in spec;
    if (!looksVegaLite) throw argError('item (figure)', item, "an object figure must be a Vega-Lite spec (with $schema '…vega-lite…' or a 'mark').");
    return { format: 'vega-lite', spec: toJsonValue(spec, 'item (Vega-Lite spec)') as Record<string, unknown> };
  }
  throw argError('item (figure)', item, 'pass a Vega-Lite spec object, an SVG string or PNG bytes.');
}

function normalizePath(item: unknown, kind: 'artifact' | 'model'): PathItem {
  if (typeof item !== 'string' || item.length === 0) {
    throw argError(
      `item (${kind})`,
      item,
      `pass the path of a file or directory to log as ${kind}${kind === 'model' ? ', or an object with a save(dir) method' : ''}.`,
    );
  }
  const path = resolve(item);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw argError(`item (${kind} path)`, item, `no file or directory exists at ${path}; save it first, then log it.`, Error as ErrorConstructor);
  }
  if (!st.isFile() && !st.isDirectory()) throw argError(`item (${kind} path)`, item, 'it must be a regular file or a directory.');
  return { path, isDirectory: st.isDirectory() };
}

function normalizeDataset(item: unknown): DatasetItem {
  const fix = 'pass { name, digest, source, schema? } with string name, digest and source.';
  if (typeof item !== 'object' || item === null) throw argError('item (dataset)', item, fix);
  const { name, digest, source, schema } = item as Record<string, unknown>;
  for (const [k, v] of [
    ['name', name],
    ['digest', digest],
    ['source', source],
  ] as const) {
    if (typeof v !== 'string' || v.length === 0) throw argError(`dataset ${k}`, v, fix);
    wellFormed(`dataset ${k}`, v);
  }
  return schema === undefined
    ? { name: name as string, digest: digest as string, source: source as string }
    : { name: name as string, digest: digest as string, source: source as string, schema: toJsonValue(schema, 'dataset schema') };
}

function normalizeHistogram(item: unknown): Float64Array {
  if (item instanceof Float64Array) return item;
  if (ArrayBuffer.isView(item) && !(item instanceof DataView) && !(item instanceof BigInt64Array) && !(item instanceof BigUint64Array)) {
    return Float64Array.from(item as unknown as ArrayLike<number>);
  }
  if (Array.isArray(item)) {
    const out = new Float64Array(item.length);
    for (let i = 0; i < item.length; i++) {
      if (typeof item[i] !== 'number') throw argError(`item (histogram)[${i}]`, item[i], 'histogram values must be numbers.');
      out[i] = item[i];
    }
    return out;
  }
  throw argError('item (histogram)', item, 'pass an array or typed array of numbers.');
}

/** Validate `item` for `kind` and return the sink-facing shape. Metrics are handled by the scalar path. */
export function normalizeItem(kind: Kind, item: unknown): unknown {
  switch (kind) {
    case 'metric':
      if (typeof item !== 'number') throw argError('item (metric)', item, 'pass a number (NaN and ±Infinity are kept).');
      return item;
    case 'param':
      if (typeof item === 'string') return wellFormed('item (param)', item);
      if (item === null || typeof item === 'boolean' || typeof item === 'number') return item;
      throw argError('item (param)', item, 'pass a string, number, boolean or null; use saveHyperparameters() for an object of params.');
    case 'text':
      if (typeof item === 'string') return wellFormed('item (text)', item);
      throw argError('item (text)', item, 'pass a string (use kind dict for objects).');
    case 'dict':
      if (typeof item !== 'object' || item === null) throw argError('item (dict)', item, 'pass a JSON-serialisable object or array.');
      // Packing into the ring is the snapshot (later mutation by the caller does not leak in);
      // values with toJSON are replaced by what it returns, so every backend sees what JSON.stringify would.
      return toJsonValue(item, 'item');
    case 'artifact':
      return normalizePath(item, 'artifact');
    case 'model':
      return normalizePath(item, 'model');
    case 'image':
      return normalizeImage(item);
    case 'figure':
      return normalizeFigure(item);
    case 'histogram':
      return normalizeHistogram(item);
    case 'dataset':
      return normalizeDataset(item);
  }
}
