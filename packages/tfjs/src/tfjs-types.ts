/** The tfjs types the adapter uses, from @tensorflow/tfjs (a peer dependency). */
export type { LayersModel, io } from '@tensorflow/tfjs';

/** The fit configuration tfjs gives callbacks (BaseCallback.params). */
export type Params = Record<string, number | string | boolean | number[] | string[] | boolean[] | null | undefined>;
