/** The tfjs types the adapter uses, from @tensorflow/tfjs-layers (a peer dependency; @tensorflow/tfjs brings it). */
export type { LayersModel } from '@tensorflow/tfjs-layers';

/** The fit configuration tfjs gives callbacks (BaseCallback.params). */
export type Params = Record<string, number | string | boolean | number[] | string[] | boolean[] | null | undefined>;
