/**
 * @ranklog/tensorboard — TensorBoard event files from ranklog, written in
 * TypeScript: SummaryWriter-like logger → event file → TFRecord framing.
 */
export { TensorBoardLogger, type TensorBoardLoggerOptions } from './tensorboard-logger.js';
