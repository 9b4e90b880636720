/**
 * @ranklog/tfjs — TensorFlow.js callbacks that log model.fit() / model.fitDataset() through
 * ranklog: hyperparameters, every entry of the batch and epoch logs, weight histograms, the model.
 */
export { ranklogCallback, RanklogCallback, type RanklogCallbackOptions } from './ranklog-callback.js';
export type { TfjsLogger } from './logger-like.js';
export { saveModelFiles } from './save-model.js';
