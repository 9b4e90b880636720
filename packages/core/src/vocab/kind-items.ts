/**
 * What log() accepts for each kind, as types: the overloads of log() tie `kind` to the item, so
 * `log('oops', 'loss')` or an image without `height` fails to compile. Run-time checks
 * (codec/normalize.ts) stay, for JavaScript callers and values typed `any`.
 */

/** Raw pixels in HWC order: uint8 0..255, or floats 0..1. */
export interface ImagePixels {
  data: Uint8Array | Uint8ClampedArray | Float32Array | Float64Array | readonly number[];
  width: number;
  height: number;
  /** 1 (grey), 2 (grey+alpha), 3 (RGB, the default) or 4 (RGBA). */
  channels?: 1 | 2 | 3 | 4;
}

/** A dataset reference, as MLflow's dataset inputs. */
export interface DatasetInput {
  name: string;
  digest: string;
  source: string;
  schema?: unknown;
}

/** An object that saves itself into a directory, synchronously (log() is synchronous). */
export interface SavableModel {
  /** Write the model into `dir` (an empty directory ranklog made) and return; a returned promise is an error. */
  save(dir: string): unknown;
}

/** The item type of each kind. */
export interface KindItems {
  metric: number;
  param: string | number | boolean | null;
  text: string;
  /** A JSON-serialisable object or array (toJSON() is called once). */
  dict: object;
  /** The path of a file or directory. */
  artifact: string;
  model: string | SavableModel;
  /** Raw pixels, or PNG/JPEG bytes. */
  image: ImagePixels | Uint8Array | ArrayBuffer;
  /** A Vega-Lite spec, an SVG string or PNG bytes. */
  figure: string | object;
  histogram: ArrayLike<number>;
  dataset: DatasetInput;
}
